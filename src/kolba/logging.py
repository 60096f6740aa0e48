"""The application's logger: named after the app, with one default handler."""

from __future__ import annotations

import logging
import sys
import typing as t

from .globals import _cv_ctx

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba


class _WSGIErrorsStream:
    """Write to the current request's ``wsgi.errors`` when there is one, else to stderr."""

    def write(self, s: str) -> int:
        return self._stream().write(s)

    def flush(self) -> None:
        self._stream().flush()

    def _stream(self) -> t.TextIO:
        ctx = _cv_ctx.get(None)
        if ctx is not None and ctx.request is not None:
            environ = ctx.request.scope.environ
            if environ is not None and "wsgi.errors" in environ:
                return t.cast(t.TextIO, environ["wsgi.errors"])
        return sys.stderr


wsgi_errors_stream = _WSGIErrorsStream()

default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler in the logger's chain would emit at the logger's effective level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: Kolba) -> logging.Logger:
    """The app's logger; the default handler is added only if logging is not configured, so
    messages are never printed twice."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
