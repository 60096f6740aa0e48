"""A module-level app for servers that import one (``uwsgi --module taskman.wsgi:app``)."""

from __future__ import annotations

from . import create_app

app = create_app()
