"""The ``Cache-Control`` header as typed, writable request and response objects.

``request.cache_control`` and ``response.cache_control`` are these; a change to a response's
object rewrites its header, as in Werkzeug.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, TypeVar, overload

from .header_values import _UpdateDict, dump_header, parse_dict_header

__all__ = [
    "RequestCacheControl",
    "ResponseCacheControl",
    "cache_control_property",
    "parse_cache_control_header",
]


_T = TypeVar("_T")


def cache_control_property(key: str, empty: Any, type: type[Any] | None) -> Any:
    """Build a typed accessor for one ``Cache-Control`` directive; subclasses use it to add
    extensions.

    :param key: The directive as written in the header (``max-age``).
    :param empty: What to return when the directive is present without a value.
    :param type: ``bool`` for presence flags, ``int`` for counts (an unparsable count reads as
        ``None``), or ``None`` for raw strings.
    """

    def fget(self: _CacheControl) -> Any:
        if type is bool:
            return key in self
        if key not in self:
            return None
        value = self[key]
        if value is None:
            return empty
        if type is not None:
            try:
                return type(value)
            except ValueError:
                return None
        return value

    def fset(self: _CacheControl, value: Any) -> None:
        if type is bool:
            if value:
                self[key] = None
            else:
                self.pop(key, None)
        elif value is None or value is False:
            self.pop(key, None)
        elif value is True:
            self[key] = None
        else:
            self[key] = str(type(value) if type is not None else value)

    def fdel(self: _CacheControl) -> None:
        self.pop(key, None)

    return property(fget, fset, fdel, doc=f"The ``{key}`` directive.")


class _CacheControl(_UpdateDict):
    """Directives of a ``Cache-Control`` header as a dict of ``str | None`` values, with typed
    attribute access (dashes become underscores)."""

    __slots__ = ("provided",)

    no_store: bool = cache_control_property("no-store", None, bool)
    max_age: int | None = cache_control_property("max-age", None, int)
    no_transform: bool = cache_control_property("no-transform", None, bool)
    stale_if_error: int | None = cache_control_property("stale-if-error", None, int)

    def __init__(
        self,
        values: Mapping[str, str | None] | Iterable[tuple[str, str | None]] | None = (),
        on_update: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(values, on_update)
        self.provided = values is not None

    cache_property = staticmethod(cache_control_property)

    def to_header(self) -> str:
        return dump_header(self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        pairs = " ".join(f"{k}={v!r}" for k, v in sorted(self.items()))
        return f"<{type(self).__name__} {pairs}>"


class RequestCacheControl(_CacheControl):
    """The client's ``Cache-Control``; read-only, since changing a request makes no sense."""

    __slots__ = ()

    no_cache: bool = cache_control_property("no-cache", None, bool)
    max_stale: int | Literal[True] | None = cache_control_property("max-stale", True, int)
    min_fresh: int | None = cache_control_property("min-fresh", None, int)
    only_if_cached: bool = cache_control_property("only-if-cached", None, bool)

    def __init__(
        self,
        values: Mapping[str, str | None] | Iterable[tuple[str, str | None]] | None = (),
        on_update: Callable[[Any], None] | None = None,
    ) -> None:
        dict.update(self, values or ())
        self.on_update = on_update
        self.provided = values is not None

    def _immutable(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    __setitem__ = __delitem__ = clear = popitem = pop = setdefault = update = _immutable
    __ior__ = _immutable


class ResponseCacheControl(_CacheControl):
    """A response's ``Cache-Control``; every change calls ``on_update`` so the response can
    rewrite its header."""

    __slots__ = ()

    no_cache: str | Literal[True] | None = cache_control_property("no-cache", True, None)
    public: bool = cache_control_property("public", None, bool)
    private: str | Literal[True] | None = cache_control_property("private", True, None)
    must_revalidate: bool = cache_control_property("must-revalidate", None, bool)
    proxy_revalidate: bool = cache_control_property("proxy-revalidate", None, bool)
    s_maxage: int | None = cache_control_property("s-maxage", None, int)
    immutable: bool = cache_control_property("immutable", None, bool)
    must_understand: bool = cache_control_property("must-understand", None, bool)
    stale_while_revalidate: int | None = cache_control_property("stale-while-revalidate", None, int)


_CC = TypeVar("_CC", bound=_CacheControl)


@overload
def parse_cache_control_header(
    value: str | None, on_update: Callable[[Any], None] | None = None
) -> RequestCacheControl: ...
@overload
def parse_cache_control_header(
    value: str | None, on_update: Callable[[Any], None] | None, cls: type[_CC]
) -> _CC: ...
@overload
def parse_cache_control_header(
    value: str | None, on_update: Callable[[Any], None] | None = None, *, cls: type[_CC]
) -> _CC: ...
def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[Any], None] | None = None,
    cls: type[_CacheControl] | None = None,
) -> _CacheControl:
    """Parse ``Cache-Control``; request and response directives are told apart only by *cls*.

    :param value: The header value, or ``None``.
    :param on_update: Called on every change (for a response's object).
    :param cls: :class:`RequestCacheControl` (default) or :class:`ResponseCacheControl`.
    """
    if cls is None:
        cls = RequestCacheControl
    if not value:
        return cls((), on_update)
    return cls(parse_dict_header(value), on_update)
