"""Application and request contexts, held in one :class:`~contextvars.ContextVar`.

A request context *is* an application context that also carries a request: pushing one makes
``current_app``, ``g``, ``request`` and ``session`` available together. When a request context
is pushed inside an application context of the same app, it shares that context's ``g``.
"""

from __future__ import annotations

import contextvars
import sys
import typing as t
from functools import update_wrapper

from .globals import _cv_ctx
from .http.request import Request as _HTTPRequest
from .signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    request_tearing_down,
)

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .http.scope import Scope
    from .sessions import SessionMixin
    from .wrappers import Request, Response

_sentinel = object()
_base_close = _HTTPRequest.close
F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class _AppCtxGlobals:
    """The ``g`` namespace: a plain object for data that lives as long as one context."""

    # Declared so type checkers accept ``g.anything = value``.
    def __setattr__(self, name: str, value: t.Any) -> None:
        self.__dict__[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getattr__(self, name: str) -> t.Any:
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: t.Any | None = None) -> t.Any:
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_ctx.get(None)
        if ctx is not None:
            return f"<kolba.g of {ctx.app.name!r}>"
        return object.__repr__(self)


class AppContext:
    """The application context: ``current_app`` and ``g`` outside (or around) a request."""

    request: Request | None = None

    def __init__(self, app: Kolba) -> None:
        self.app = app
        self.g: _AppCtxGlobals = app.app_ctx_globals_class()
        self._cv_tokens: list[contextvars.Token[AppContext]] = []

    def push(self) -> None:
        self._cv_tokens.append(_cv_ctx.set(self))
        signal = appcontext_pushed
        if signal.receivers:
            signal.send(self.app, _async_wrapper=self.app.ensure_sync)

    def pop(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Pop the context; the last pop runs the ``teardown_appcontext`` functions."""
        try:
            if len(self._cv_tokens) == 1:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_appcontext(exc)
        finally:
            ctx = _cv_ctx.get(None)
            _cv_ctx.reset(self._cv_tokens.pop())
        if ctx is not self:
            raise AssertionError(f"Popped wrong app context. ({ctx!r} instead of {self!r})")
        signal = appcontext_popped
        if signal.receivers:
            signal.send(self.app, _async_wrapper=self.app.ensure_sync)

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(self, exc_type: t.Any, exc_value: BaseException | None, tb: t.Any) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.app.name!r}>"


class RequestContext(AppContext):
    """The request context: an application context plus ``request`` and ``session``.

    :param app: The application.
    :param scope: What the server adapter knows about the request.
    :param request: An already-built request to use instead of building one from ``scope``.
    :param session: A session to use instead of opening one lazily.
    """

    def __init__(
        self,
        app: Kolba,
        scope: Scope | None,
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        # PERF: ``g`` is made when first used (it may be shared with an enclosing app context).
        # Every attribute is a slot set here: on CPython 3.11 a slot read is specialised, while
        # a class default read through the instance takes the generic attribute lookup.
        self.app = app
        if request is None:
            request = app.request_class(scope)  # type: ignore[arg-type]
        self.request = request
        self._session = session
        self._token = None
        self._outer_tokens = None
        self._g = None
        self._owns_app_state = True
        self._after_request_functions = ()
        self._chains = None
        self._match_on_push = False
        self.flashes = None

    __slots__ = (
        "app",
        "request",
        "_session",
        "_token",
        "_outer_tokens",
        "_g",
        "_owns_app_state",
        "_after_request_functions",
        "_chains",
        "_match_on_push",
        "flashes",
    )
    #: The context variable token of the first push. PERF: no list for the usual single push.
    _token: contextvars.Token[AppContext] | None
    #: Tokens of further pushes of this same context, innermost last (rare).
    _outer_tokens: list[contextvars.Token[AppContext]] | None
    #: ``g``, made on first use (most requests never touch it) or shared at push.
    _g: _AppCtxGlobals | None
    #: False when ``g`` and the app context's teardown belong to an enclosing app context.
    _owns_app_state: bool
    #: ``after_this_request`` functions; a list is made for the first one.
    _after_request_functions: t.Sequence[t.Callable[[Response], Response]]
    #: The hook chains for the matched rule's blueprints, set by dispatch.
    _chains: t.Any
    #: Match the URL at the first push (contexts made outside the WSGI hot path).
    _match_on_push: bool
    #: The flashed messages taken out of the session by get_flashed_messages.
    flashes: list[tuple[str, str]] | None

    @property
    def g(self) -> _AppCtxGlobals:
        """The ``g`` namespace of this context, made the first time anything asks for it."""
        g = self._g
        if g is None:
            g = self._g = self.app.app_ctx_globals_class()
        return g

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        self._g = value

    @property
    def session(self) -> SessionMixin:
        """The session, opened from the request the first time anything touches it."""
        session = self._session
        if session is None:
            app = self.app
            interface = app.session_interface
            session = interface.open_session(app, self.request)  # type: ignore[arg-type]
            if session is None:
                session = interface.make_null_session(app)
            self._session = session
        return session

    @session.setter
    def session(self, value: SessionMixin) -> None:
        self._session = value

    def copy(self) -> RequestContext:
        """A new context for the same request and session, e.g. to push in another thread."""
        return type(self)(self.app, None, request=self.request, session=self._session)

    def push(self) -> None:
        if self._token is not None:
            # Pushed again while already pushed: only the context variable changes.
            if self._outer_tokens is None:
                self._outer_tokens = []
            self._outer_tokens.append(_cv_ctx.set(self))
            return
        outer = _cv_ctx.get(None)
        if outer is not None and outer.app is self.app and outer.request is None:
            self._g = outer.g
            self._owns_app_state = False
        else:
            self._owns_app_state = True
        self._token = _cv_ctx.set(self)
        if self._match_on_push:
            request: t.Any = self.request
            if request.url_rule is None and request.routing_exception is None:
                self.app.match_request(request)
        if self._owns_app_state:
            signal = appcontext_pushed
            if signal.receivers:
                signal.send(self.app, _async_wrapper=self.app.ensure_sync)

    def pop(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Pop the context; the last pop runs teardowns and closes the request."""
        last = not self._outer_tokens
        app = self.app
        try:
            if last:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                # PERF: skip the teardown calls when nothing is registered and nobody listens
                # (unless a subclass overrides them).
                chains = self._chains
                try:
                    if (
                        chains is None
                        or chains.teardown
                        or request_tearing_down.receivers
                        or not app._plain_teardown
                    ):
                        app.do_teardown_request(exc)
                finally:
                    request: t.Any = self.request
                    # PERF: closing only matters when files were uploaded (or a subclass
                    # closes more); skip the call otherwise.
                    uploads = request._stream is not None and "files" in request.__dict__
                    if uploads or type(request).close is not _base_close:
                        request.close()
                    if self._owns_app_state and (
                        app.teardown_appcontext_funcs
                        or appcontext_tearing_down.receivers
                        or not app._plain_teardown
                    ):
                        app.do_teardown_appcontext(exc)
        finally:
            ctx = _cv_ctx.get(None)
            if last:
                token, self._token = self._token, None
            else:
                token = self._outer_tokens.pop()  # type: ignore[union-attr]
            if token is None:
                raise RuntimeError("The request context was popped more often than pushed.")
            _cv_ctx.reset(token)
        if ctx is not self:
            raise AssertionError(f"Popped wrong request context. ({ctx!r} instead of {self!r})")
        if last and self._owns_app_state:
            signal = appcontext_popped
            if signal.receivers:
                signal.send(app, _async_wrapper=app.ensure_sync)

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __repr__(self) -> str:
        request = t.cast("Request", self.request)
        return f"<{type(self).__name__} {request.url!r} [{request.method}] of {self.app.name}>"


def has_request_context() -> bool:
    """True inside a request (a view, a hook, or ``test_request_context``)."""
    ctx = _cv_ctx.get(None)
    return ctx is not None and ctx.request is not None


def has_app_context() -> bool:
    """True inside an application context (which every request context is too)."""
    return _cv_ctx.get(None) is not None


def after_this_request(f: F) -> F:
    """Run ``f(response)`` after the current request, before the app's after_request hooks."""
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request"
            " context is active, such as in a view function."
        )
    rctx = t.cast(RequestContext, ctx)
    if not rctx._after_request_functions:
        rctx._after_request_functions = []
    rctx._after_request_functions.append(f)  # type: ignore[attr-defined]
    return f


def copy_current_request_context(f: F) -> F:
    """Wrap ``f`` so it runs inside a copy of the current request context (e.g. in a thread).

    The copy shares the request and the session; ``g`` is shared too when the copy is pushed
    where no other context is active, because it is taken from the original.
    """
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a"
            " request context is active, such as in a view function."
        )
    rctx = t.cast(RequestContext, ctx)
    new = rctx.copy()
    new.g = rctx.g
    app = rctx.app

    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with new:
            return app.ensure_sync(f)(*args, **kwargs)

    return update_wrapper(wrapper, f)  # type: ignore[return-value]
