"""Gunicorn settings for taskman: ``gunicorn -c deploy/gunicorn.conf.py 'taskman:create_app()'``.

Command-line options override these, so one file serves every machine; the bind address and the
worker count also come from the environment (``TASKMAN_BIND``, ``TASKMAN_WORKERS``) so that a
container or a systemd unit can set them without editing this file.
"""

from __future__ import annotations

import multiprocessing
import os

# Loopback only: nginx in front is the one talking to the world.
bind = os.environ.get("TASKMAN_BIND", "127.0.0.1:8000")
# Sync workers: each handles one request at a time, so the count is the concurrency.
workers = int(os.environ.get("TASKMAN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# A worker stuck longer than this is killed and replaced.
timeout = 30
graceful_timeout = 20
# Logs to stdout/stderr: systemd's journal or the container runtime collects them.
accesslog = "-"
errorlog = "-"
# The app trusts X-Forwarded-* through its own ProxyFix (KOLBA_TRUSTED_PROXIES); gunicorn's
# defaults already accept them only from 127.0.0.1.
