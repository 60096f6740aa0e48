"""WSGI middleware: plain WSGI callables wrapped around ``app.wsgi_app``, Kolba's one model."""

from __future__ import annotations

from .proxy_fix import Forwarded as Forwarded
from .proxy_fix import ProxyFix as ProxyFix
from .proxy_fix import resolve_forwarded as resolve_forwarded
