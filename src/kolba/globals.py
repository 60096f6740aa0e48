"""The context-bound globals: ``current_app``, ``g``, ``request`` and ``session``.

All four read one :class:`~contextvars.ContextVar` holding the innermost active context (an
application context, or a request context that carries the application state too), so copying the
context into a thread or task (``contextvars.copy_context``) carries every global at once.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .ctx import AppContext, _AppCtxGlobals
    from .sessions import SessionMixin
    from .wrappers import Request

_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context(). See the documentation for more information.\
"""

_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request. Consult the documentation on testing for
information about how to avoid this problem.\
"""

#: The innermost active context; its ``request`` attribute is None for a bare app context.
_cv_ctx: ContextVar[AppContext] = ContextVar("kolba.ctx")


def _get_app() -> Kolba:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.app


def _get_g() -> _AppCtxGlobals:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.g


def _get_request() -> Request:
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(_no_req_msg)
    return ctx.request


def _get_session() -> SessionMixin:
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(_no_req_msg)
    return ctx.session  # type: ignore[attr-defined,no-any-return]


class LocalProxy:
    """Forward every operation to the object a getter returns *now*.

    PERF: a single ``_get`` call per attribute access; no werkzeug-style lookup tables.
    """

    __slots__ = ("_kolba_get", "__weakref__")

    def __init__(self, get: t.Callable[[], t.Any]) -> None:
        object.__setattr__(self, "_kolba_get", get)

    def _get_current_object(self) -> t.Any:
        return self._kolba_get()

    def __getattribute__(self, name: str) -> t.Any:
        # PERF: ``__getattribute__`` rather than ``__getattr__``: on CPython 3.11 the normal
        # lookup that ``__getattr__`` waits behind builds and discards an AttributeError for
        # every ``request.args``-style access. As with Werkzeug's proxy, ``__class__`` and
        # ``__doc__`` come from the target, so ``isinstance(request, Request)`` holds (and,
        # with no context, ``isinstance`` sees the proxy's own class instead of raising).
        if name in _proxy_own_names:
            return object.__getattribute__(self, name)
        try:
            obj = _proxy_getter(self)()
        except RuntimeError:
            if name == "__class__":
                return type(self)
            raise
        return getattr(obj, name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        setattr(self._kolba_get(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._kolba_get(), name)

    def __repr__(self) -> str:
        try:
            obj = self._kolba_get()
        except RuntimeError:
            return f"<{type(self).__name__} unbound>"
        return repr(obj)

    def __str__(self) -> str:
        return str(self._kolba_get())

    def __bool__(self) -> bool:
        try:
            return bool(self._kolba_get())
        except RuntimeError:
            return False

    def __dir__(self) -> list[str]:
        try:
            return dir(self._kolba_get())
        except RuntimeError:
            return []

    def __eq__(self, other: object) -> bool:
        return bool(self._kolba_get() == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._kolba_get() != other)

    def __hash__(self) -> int:
        return hash(self._kolba_get())

    def __len__(self) -> int:
        return len(self._kolba_get())

    def __iter__(self) -> t.Iterator[t.Any]:
        return iter(self._kolba_get())

    def __contains__(self, item: object) -> bool:
        return item in self._kolba_get()

    def __getitem__(self, key: t.Any) -> t.Any:
        return self._kolba_get()[key]

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        self._kolba_get()[key] = value

    def __delitem__(self, key: t.Any) -> None:
        del self._kolba_get()[key]

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return self._kolba_get()(*args, **kwargs)


#: Attributes that belong to the proxy itself rather than to its target.
_proxy_own_names = frozenset({"_kolba_get", "_get_current_object", "__weakref__", "__slots__"})
#: Reads the getter out of its slot without going through ``__getattribute__``.
_proxy_getter = LocalProxy._kolba_get.__get__  # type: ignore[attr-defined]

current_app: Kolba = LocalProxy(_get_app)  # type: ignore[assignment]
g: _AppCtxGlobals = LocalProxy(_get_g)  # type: ignore[assignment]
request: Request = LocalProxy(_get_request)  # type: ignore[assignment]
session: SessionMixin = LocalProxy(_get_session)  # type: ignore[assignment]
