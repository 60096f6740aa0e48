"""The application's error handling: which handler answers an exception, and the 500 path.

Kept apart from :mod:`kolba.app` (one concept per module); :class:`~kolba.Kolba` includes it.
Handlers are resolved as Flask resolves them: the innermost blueprint first, then the app; by
HTTP code, then by exception class along the MRO.
"""

from __future__ import annotations

import sys
import typing as t

from . import signals
from .globals import _cv_ctx
from .hooks import rule_blueprints
from .http.exceptions import BadRequest, BadRequestKeyError, HTTPException, InternalServerError
from .routing import RequestRedirect

if t.TYPE_CHECKING:  # pragma: no cover
    import logging

    from .config import Config
    from .wrappers import Request, Response


def _current_request() -> Request | None:
    ctx = _cv_ctx.get(None)
    return None if ctx is None else ctx.request


def _current_blueprints() -> tuple[str, ...]:
    request = _current_request()
    if request is None:
        return ()
    return rule_blueprints(request.url_rule)


class ErrorHandling:
    """Error handler resolution and the handling of HTTP errors and unhandled exceptions."""

    config: Config
    error_handler_spec: dict[
        str | None, dict[int | None, dict[type[BaseException], t.Callable[..., t.Any]]]
    ]
    testing: t.Any

    if t.TYPE_CHECKING:  # pragma: no cover

        @property
        def debug(self) -> bool: ...

        @property
        def logger(self) -> logging.Logger: ...

    ensure_sync: t.Callable[[t.Callable[..., t.Any]], t.Callable[..., t.Any]]
    _get_exc_class_and_code: t.Callable[..., tuple[type[Exception], int | None]]
    finalize_request: t.Callable[..., Response]
    log_exception: t.Callable[[t.Any], None]

    def _find_error_handler(
        self, e: Exception, blueprints: t.Sequence[str]
    ) -> t.Callable[[t.Any], t.Any] | None:
        exc_class, code = self._get_exc_class_and_code(type(e))
        names = (*blueprints, None)
        spec = self.error_handler_spec
        for c in (code, None) if code is not None else (None,):
            for name in names:
                if name not in spec:
                    continue
                handler_map = spec[name].get(c)
                if not handler_map:
                    continue
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether an HTTP error should propagate as an exception rather than become a page."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and isinstance(e, BadRequestKeyError):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequest)
        return False

    def handle_http_exception(self, e: HTTPException) -> t.Any:
        """Run the error handler registered for an HTTP error, or return it as the response."""
        if e.code is None:
            return e
        if isinstance(e, RequestRedirect):
            return e
        handler = self._find_error_handler(e, _current_blueprints())
        if handler is None:
            return e
        return self.ensure_sync(handler)(e)

    def handle_user_exception(self, e: Exception) -> t.Any:
        """Handle an exception raised while dispatching: HTTP errors become pages, others go to
        their handler or on to :meth:`handle_exception`."""
        if isinstance(e, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True
        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)
        handler = self._find_error_handler(e, _current_blueprints())
        if handler is None:
            raise e
        return self.ensure_sync(handler)(e)

    def handle_exception(self, e: Exception) -> Response:
        """Handle an unhandled exception: re-raise it when propagating, else log it and answer
        500 (through the 500 handler, if any) without any detail of the error."""
        exc_info = sys.exc_info()
        if signals.got_request_exception.receivers:
            signals.got_request_exception.send(self, _async_wrapper=self.ensure_sync, exception=e)
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        if propagate:
            if exc_info[1] is e:
                raise
            raise e
        self.log_exception(exc_info)
        server_error: t.Any = InternalServerError(original_exception=e)
        handler = self._find_error_handler(server_error, _current_blueprints())
        if handler is not None:
            server_error = self.ensure_sync(handler)(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown functions should be told about ``error``; False by default."""
        return False
