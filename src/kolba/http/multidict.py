"""Dicts holding several values per key, as forms and query strings do.

``request.args``, ``request.form`` and ``request.values`` are these, so their behaviour
(first value wins, a missing key is a 400) follows ``werkzeug.datastructures``.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterable, Iterator, Mapping
from copy import deepcopy

from kolba.http.exceptions import BadRequestKeyError
from kolba.http.immutable import _immutable_error, _missing

if t.TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["CombinedMultiDict", "ImmutableMultiDict", "MultiDict", "iter_multi_items"]

K = t.TypeVar("K")
V = t.TypeVar("V")
T = t.TypeVar("T")

# The plain-dict slots of MultiDict, which stores a list per key; its own methods of
# the same names present first values. Typed loosely because the stored type (a list
# of V) differs from the presented one (V).
_dict_getitem: Callable[[t.Any, t.Any], t.Any] = dict.__getitem__
_dict_setitem: Callable[[t.Any, t.Any, t.Any], None] = dict.__setitem__
_dict_get: Callable[..., t.Any] = dict.get
_dict_pop: Callable[..., t.Any] = dict.pop
_dict_popitem: Callable[[t.Any], t.Any] = dict.popitem
_dict_items: Callable[[t.Any], t.Any] = dict.items
_dict_values: Callable[[t.Any], t.Any] = dict.values
_dict_update: Callable[[t.Any, t.Any], None] = dict.update


def iter_multi_items(mapping: t.Any) -> Iterator[tuple[t.Any, t.Any]]:
    """Yield every ``(key, value)`` pair of a mapping, a multidict or a pair iterable.

    A list, tuple or set value in a plain mapping means several values for one key,
    which is how forms and query strings are written by hand.

    :param mapping: a :class:`MultiDict`, a mapping, or an iterable of pairs.
    """
    if isinstance(mapping, MultiDict):
        yield from mapping.items(multi=True)
    elif isinstance(mapping, Mapping) and callable(getattr(mapping, "getlist", None)):
        # Another library's multidict (e.g. Werkzeug's): keep all of its values.
        foreign: t.Any = mapping
        for key in foreign:
            for item in foreign.getlist(key):
                yield key, item
    elif isinstance(mapping, Mapping):
        for key, value in mapping.items():
            if isinstance(value, (list, tuple, set)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from mapping


class MultiDict(dict[K, V]):
    """A dict holding several values per key, as forms and query strings do.

    Plain dict access sees the first value for a key; the ``*list`` methods see all of
    them. A missing key raises :exc:`BadRequestKeyError`, so ``request.form["x"]``
    answers 400 rather than 500 when the client left the field out.

    Internally every key maps to a non-empty list.

    :param mapping: a :class:`MultiDict`, a mapping (list, tuple or set values give
        several values), or an iterable of ``(key, value)`` pairs.
    """

    def __init__(
        self,
        mapping: (
            MultiDict[K, V]
            | Mapping[K, V | list[V] | tuple[V, ...] | set[V]]
            | Iterable[tuple[K, V]]
            | None
        ) = None,
    ) -> None:
        # PERF: dict.__new__ already made the (empty) storage, so no super().__init__ here.
        if mapping is None:
            return
        tmp: dict[t.Any, list[t.Any]] = {}
        if type(mapping) is list:
            # PERF: the parsers (query string, form, cookies) pass a list of pairs; testing
            # that first skips two ``isinstance(x, Mapping)`` ABC checks per parse.
            for key, value in mapping:
                if key in tmp:
                    tmp[key].append(value)
                else:
                    tmp[key] = [value]
        elif isinstance(mapping, MultiDict):
            for key, values in _dict_items(mapping):
                tmp[key] = list(values)
        elif isinstance(mapping, Mapping) and callable(getattr(mapping, "getlist", None)):
            # Another library's multidict (e.g. Werkzeug's): keep all of its values.
            foreign: t.Any = mapping
            for key in foreign:
                values = list(foreign.getlist(key))
                if values:
                    tmp[key] = values
        elif isinstance(mapping, Mapping):
            for key, value in mapping.items():
                if isinstance(value, (list, tuple, set)):
                    if value:
                        tmp[key] = list(value)
                else:
                    tmp[key] = [value]
        else:
            # PERF: this runs for every parsed query string and form. Keys are mostly
            # unique, so an ``in`` test beats ``setdefault(key, [])`` (a throwaway
            # list per pair) and try/except (an exception per new key); measured
            # about 15% faster than Werkzeug's loop.
            for key, value in mapping:
                if key in tmp:
                    tmp[key].append(value)
                else:
                    tmp[key] = [value]
        _dict_update(self, tmp)

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        return type(self), (list(self.items(multi=True)),)

    def __iter__(self) -> Iterator[K]:
        # NOTE: defining __iter__ makes ``dict(md)`` go through keys() and
        # __getitem__ (first values) instead of copying the internal lists.
        return dict.__iter__(self)

    def __getitem__(self, key: K) -> V:
        try:
            values: list[V] = _dict_getitem(self, key)
        except KeyError:
            raise BadRequestKeyError(key) from None
        if values:
            return values[0]
        raise BadRequestKeyError(key)

    def __setitem__(self, key: K, value: V) -> None:
        _dict_setitem(self, key, [value])

    def add(self, key: K, value: V) -> None:
        """Append a value for ``key``, keeping the ones already there.

        :param key: the key.
        :param value: the value to append.
        """
        values: list[V] | None = _dict_get(self, key)
        if values is None:
            _dict_setitem(self, key, [value])
        else:
            values.append(value)

    @t.overload  # type: ignore[override]
    def get(self, key: K) -> V | None: ...
    @t.overload
    def get(self, key: K, default: V | T) -> V | T: ...
    @t.overload
    def get(self, key: K, default: T, type: Callable[[V], T]) -> T: ...
    @t.overload
    def get(self, key: K, *, type: Callable[[V], T]) -> T | None: ...
    def get(self, key: K, default: t.Any = None, type: Callable[[V], t.Any] | None = None) -> t.Any:
        """Return the first value for ``key``, or ``default``.

        :param key: the key.
        :param default: returned when the key is missing or conversion fails.
        :param type: converts the value; a :exc:`ValueError` or :exc:`TypeError` from
            it means the client sent junk, so ``default`` is returned instead.
        """
        # PERF: read the storage directly; ``self[key]`` is a Python-level call and a try.
        values: list[V] | None = _dict_get(self, key)
        if not values:
            return default
        value = values[0]
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    @t.overload
    def getlist(self, key: K) -> list[V]: ...
    @t.overload
    def getlist(self, key: K, type: Callable[[V], T]) -> list[T]: ...
    def getlist(self, key: K, type: Callable[[V], t.Any] | None = None) -> list[t.Any]:
        """Return all values for ``key`` (a new list), or an empty list.

        :param key: the key.
        :param type: converts each value; values it rejects with :exc:`ValueError`
            or :exc:`TypeError` are left out.
        """
        try:
            values: list[V] = _dict_getitem(self, key)
        except KeyError:
            return []
        if type is None:
            return list(values)
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    def setlist(self, key: K, new_list: Iterable[V]) -> None:
        """Replace all values for ``key``; an empty iterable removes the key.

        :param key: the key.
        :param new_list: the new values, copied.
        """
        values = list(new_list)
        if values:
            _dict_setitem(self, key, values)
        else:
            _dict_pop(self, key, None)

    def setdefault(self, key: K, default: V | None = None) -> V:
        """Return the first value for ``key``, setting it to ``default`` if missing.

        :param key: the key.
        :param default: the value to store when the key is missing.
        """
        if key not in self:
            self[key] = default  # type: ignore[assignment]
        return self[key]

    def setlistdefault(self, key: K, default_list: Iterable[V] | None = None) -> list[V]:
        """Return the internal value list for ``key``, creating it if missing.

        The list returned is the stored one, so appending to it adds values.

        :param key: the key.
        :param default_list: values to store when the key is missing.
        """
        if key not in self:
            _dict_setitem(self, key, list(default_list or ()))
        values: list[V] = _dict_getitem(self, key)
        return values

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        """Yield ``(key, value)`` pairs.

        :param multi: yield a pair for every value, not only the first of each key.
        """
        lists: list[V]
        for key, lists in _dict_items(self):
            if multi:
                for value in lists:
                    yield key, value
            elif lists:  # an empty list (left by setlistdefault) has no first value
                yield key, lists[0]

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        """Yield ``(key, values)`` pairs; each list is a copy."""
        values: list[V]
        for key, values in _dict_items(self):
            yield key, list(values)

    def values(self) -> Iterator[V]:  # type: ignore[override]
        """Yield the first value of every key."""
        values: list[V]
        for values in _dict_values(self):
            if values:
                yield values[0]

    def listvalues(self) -> Iterator[list[V]]:
        """Yield the value list of every key, in key order."""
        return iter(_dict_values(self))

    def copy(self) -> Self:
        """Return a shallow copy; value lists are copied, values are not."""
        return self.__class__(self)

    def deepcopy(self, memo: t.Any = None) -> Self:
        """Return a copy with the values deep-copied too.

        :param memo: the :func:`copy.deepcopy` memo.
        """
        return self.__class__(deepcopy(self.to_dict(flat=False), memo))

    def __copy__(self) -> Self:
        return self.copy()

    def __deepcopy__(self, memo: t.Any) -> Self:
        return self.deepcopy(memo)

    @t.overload
    def to_dict(self, flat: t.Literal[True] = ...) -> dict[K, V]: ...
    @t.overload
    def to_dict(self, flat: t.Literal[False]) -> dict[K, list[V]]: ...
    def to_dict(self, flat: bool = True) -> dict[K, V] | dict[K, list[V]]:
        """Return a plain dict.

        :param flat: keep only the first value per key; otherwise values are lists.
        """
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def update(self, mapping: t.Any = None, /, **kwargs: t.Any) -> None:
        """Add the values of ``mapping`` to the existing ones (Werkzeug's semantics:
        it extends rather than replaces).

        :param mapping: anything the constructor accepts.
        :param kwargs: further keys to add.
        """
        if mapping is not None:
            for key, value in iter_multi_items(mapping):
                self.add(key, value)
        for key, value in iter_multi_items(kwargs):
            self.add(key, value)

    def __or__(self, other: t.Any) -> MultiDict[K, V]:  # type: ignore[override]
        if not isinstance(other, Mapping):
            return NotImplemented
        result = self.copy()
        result.update(other)
        return result

    def __ior__(self, other: t.Any) -> Self:  # type: ignore[override]
        if not isinstance(other, (Mapping, Iterable)):
            return NotImplemented
        self.update(other)
        return self

    def pop(self, key: K, default: t.Any = _missing) -> t.Any:
        """Remove ``key`` and return its first value.

        :param key: the key.
        :param default: returned if the key is missing; otherwise that is a
            :exc:`BadRequestKeyError`.
        """
        try:
            values: list[V] = _dict_pop(self, key)
        except KeyError:
            if default is not _missing:
                return default
            raise BadRequestKeyError(key) from None
        if not values:
            raise BadRequestKeyError(key)
        return values[0]

    def popitem(self) -> tuple[K, V]:
        """Remove the last key and return it with its first value."""
        try:
            key, values = _dict_popitem(self)
        except KeyError:
            raise BadRequestKeyError() from None
        if not values:
            raise BadRequestKeyError(key)
        return key, values[0]

    def poplist(self, key: K) -> list[V]:
        """Remove ``key`` and return all its values (empty list if missing).

        :param key: the key.
        """
        values: list[V] = _dict_pop(self, key, [])
        return values

    def popitemlist(self) -> tuple[K, list[V]]:
        """Remove the last key and return it with all its values."""
        try:
            item: tuple[K, list[V]] = _dict_popitem(self)
            return item
        except KeyError:
            raise BadRequestKeyError() from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"


class ImmutableMultiDict(MultiDict[K, V]):
    """A :class:`MultiDict` that refuses changes: parsed request data is read-only.

    It is hashable; :meth:`copy` returns a mutable :class:`MultiDict` for code that
    wants to edit the data.
    """

    _hash_cache: int | None = None

    def __hash__(self) -> int:  # type: ignore[override]
        if self._hash_cache is None:
            self._hash_cache = hash(frozenset(self.items(multi=True)))
        return self._hash_cache

    def __setitem__(self, key: t.Any, value: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def __delitem__(self, key: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def __ior__(self, other: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def add(self, key: t.Any, value: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def setlist(self, key: t.Any, new_list: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def setdefault(self, key: t.Any, default: t.Any = None) -> t.NoReturn:
        _immutable_error(self)

    def setlistdefault(self, key: t.Any, default_list: t.Any = None) -> t.NoReturn:
        _immutable_error(self)

    def update(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def pop(self, key: t.Any, default: t.Any = None) -> t.NoReturn:
        _immutable_error(self)

    def popitem(self) -> t.NoReturn:
        _immutable_error(self)

    def poplist(self, key: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def popitemlist(self) -> t.NoReturn:
        _immutable_error(self)

    def clear(self) -> t.NoReturn:
        _immutable_error(self)

    def copy(self) -> MultiDict[K, V]:  # type: ignore[override]
        """Return a mutable :class:`MultiDict` with the same data."""
        return MultiDict(self)

    def __copy__(self) -> Self:
        return self


class CombinedMultiDict(ImmutableMultiDict[K, V]):
    """A read-only view over several multidicts, searched in order (``request.values``).

    Nothing is copied: later changes to the wrapped dicts show through.

    :param dicts: the multidicts to combine, first match wins.
    """

    def __init__(self, dicts: Iterable[MultiDict[K, V]] | None = None) -> None:
        super().__init__()
        self.dicts: list[MultiDict[K, V]] = list(dicts or ())

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        return type(self), (self.dicts,)

    def __getitem__(self, key: K) -> V:
        for d in self.dicts:
            if key in d:
                return d[key]
        raise BadRequestKeyError(key)

    def get(self, key: K, default: t.Any = None, type: Callable[[V], t.Any] | None = None) -> t.Any:
        """Return the first value found for ``key``, or ``default``.

        A value the ``type`` callable rejects is skipped and the search goes on.

        :param key: the key.
        :param default: returned when no dict has a usable value.
        :param type: converts the value, as in :meth:`MultiDict.get`.
        """
        for d in self.dicts:
            if key in d:
                if type is None:
                    return d[key]
                try:
                    return type(d[key])
                except (ValueError, TypeError):
                    continue
        return default

    def getlist(self, key: K, type: Callable[[V], t.Any] | None = None) -> list[t.Any]:
        """Return the values for ``key`` from all dicts, in order.

        :param key: the key.
        :param type: converts each value; rejected ones are left out.
        """
        result: list[t.Any] = []
        for d in self.dicts:
            result.extend(d.getlist(key, type))  # type: ignore[arg-type]
        return result

    def _keys(self) -> dict[K, None]:
        # An ordered set: keys in the order the dicts first mention them.
        return dict.fromkeys(k for d in self.dicts for k in dict.keys(d))

    def keys(self) -> t.KeysView[K]:  # type: ignore[override]
        return self._keys().keys()

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __contains__(self, key: object) -> bool:
        return any(key in d for d in self.dicts)

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        found: set[K] = set()
        for d in self.dicts:
            for key, value in d.items(multi):
                if multi:
                    yield key, value
                elif key not in found:
                    found.add(key)
                    yield key, value

    def values(self) -> Iterator[V]:  # type: ignore[override]
        for _key, value in self.items():
            yield value

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        merged: dict[K, list[V]] = {}
        for d in self.dicts:
            for key, values in d.lists():
                merged.setdefault(key, []).extend(values)
        return iter(merged.items())

    def listvalues(self) -> Iterator[list[V]]:
        return (values for _key, values in self.lists())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return dict(self.lists()) == dict(other.lists())
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        # dict's own __ne__ would compare the (empty) underlying dicts.
        if isinstance(other, MultiDict):
            return dict(self.lists()) != dict(other.lists())
        return NotImplemented

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items(multi=True)))

    def __bool__(self) -> bool:
        return any(self.dicts)

    def copy(self) -> MultiDict[K, V]:  # type: ignore[override]
        """Return a mutable :class:`MultiDict` snapshot of the combined data."""
        return MultiDict(list(self.items(multi=True)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dicts!r})"
