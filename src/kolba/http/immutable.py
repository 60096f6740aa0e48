"""Read-only list and dict, and the helpers every Kolba container shares.

Request views (``access_route``, default config) must not be changed by application
code, so they refuse changes with :exc:`TypeError` as Werkzeug's do. The multidicts,
headers and callback dicts build on :func:`_immutable_error` and :data:`_missing` from here
so that each concept's module imports only what sits below it.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ImmutableDict", "ImmutableList"]

K = t.TypeVar("K")
V = t.TypeVar("V")

_missing: t.Any = object()


def _immutable_error(obj: object) -> t.NoReturn:
    raise TypeError(f"{type(obj).__name__!r} objects are immutable")


class ImmutableList(list[V]):
    """A list that refuses changes, for read-only request views (e.g. access routes)."""

    _hash_cache: int | None = None

    def __hash__(self) -> int:  # type: ignore[override]
        if self._hash_cache is None:
            self._hash_cache = hash(tuple(self))
        return self._hash_cache

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        return type(self), (list(self),)

    def __delitem__(self, key: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def __iadd__(self, other: t.Any) -> t.NoReturn:  # type: ignore[misc]
        _immutable_error(self)

    def __imul__(self, other: t.Any) -> t.NoReturn:  # type: ignore[misc]
        _immutable_error(self)

    def __setitem__(self, key: t.Any, value: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def append(self, item: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def remove(self, item: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def extend(self, iterable: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def insert(self, pos: t.Any, value: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def pop(self, index: t.Any = -1) -> t.NoReturn:
        _immutable_error(self)

    def clear(self) -> t.NoReturn:
        _immutable_error(self)

    def reverse(self) -> t.NoReturn:
        _immutable_error(self)

    def sort(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list.__repr__(self)})"


class ImmutableDict(dict[K, V]):
    """A dict that refuses changes; hashable, so it can key caches."""

    _hash_cache: int | None = None

    def __hash__(self) -> int:  # type: ignore[override]
        if self._hash_cache is None:
            self._hash_cache = hash(frozenset(self.items()))
        return self._hash_cache

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        return type(self), (dict(self),)

    def __setitem__(self, key: t.Any, value: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def __delitem__(self, key: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def __ior__(self, other: t.Any) -> t.NoReturn:  # type: ignore[misc]
        _immutable_error(self)

    def setdefault(self, key: t.Any, default: t.Any = None) -> t.NoReturn:
        _immutable_error(self)

    def update(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def pop(self, key: t.Any, default: t.Any = None) -> t.NoReturn:
        _immutable_error(self)

    def popitem(self) -> t.NoReturn:
        _immutable_error(self)

    def clear(self) -> t.NoReturn:
        _immutable_error(self)

    def copy(self) -> dict[K, V]:
        """Return a mutable copy; ``copy.copy`` returns the object itself, like a tuple."""
        return dict(self)

    def __copy__(self) -> Self:
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"
