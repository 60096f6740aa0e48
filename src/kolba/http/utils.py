"""Small helpers shared by the HTTP layer."""

from __future__ import annotations

import typing as t

_T = t.TypeVar("_T")


class cached_property(t.Generic[_T]):
    """Compute an attribute once per instance, then serve it from the instance ``__dict__``.

    PERF: a non-data descriptor with no lock: after the first access Python finds the value in
    the instance dict and never calls back into Python code. (``functools.cached_property`` takes a
    lock on every first access before 3.12.) Assigning to the attribute replaces the value, and
    ``del`` forgets it so it is computed again.
    """

    def __init__(self, func: t.Callable[[t.Any], _T]) -> None:
        self.func = func
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__
        self.__module__ = func.__module__

    def __set_name__(self, owner: type, name: str) -> None:
        self.__name__ = name

    @t.overload
    def __get__(self, obj: None, owner: type | None = None) -> cached_property[_T]: ...

    @t.overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        value = self.func(obj)
        obj.__dict__[self.__name__] = value
        return value
