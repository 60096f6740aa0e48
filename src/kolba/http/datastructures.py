"""The containers request and response data live in, with Werkzeug's semantics.

Flask applications reach these through ``request.args``, ``request.form``,
``request.files``, ``request.headers`` and ``response.headers``, so their behaviour
(first value wins, a missing key is a 400, headers are case-insensitive and ordered)
follows ``werkzeug.datastructures``.
"""

from __future__ import annotations

import os
import typing as t
from collections.abc import Callable, Iterable, Iterator, Mapping
from copy import deepcopy
from io import BytesIO

from kolba.http.exceptions import BadRequestKeyError

if t.TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "CallbackDict",
    "CombinedMultiDict",
    "FileStorage",
    "Headers",
    "ImmutableDict",
    "ImmutableHeaders",
    "ImmutableList",
    "ImmutableMultiDict",
    "MultiDict",
    "UpdateDictMixin",
    "iter_multi_items",
]

K = t.TypeVar("K")
V = t.TypeVar("V")
T = t.TypeVar("T")

_missing: t.Any = object()

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


def _immutable_error(obj: object) -> t.NoReturn:
    raise TypeError(f"{type(obj).__name__!r} objects are immutable")


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


# ---------------------------------------------------------------------------------
# Immutable plain containers


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


# ---------------------------------------------------------------------------------
# Multi-value dicts


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
        if mapping is None:
            super().__init__()
            return
        tmp: dict[t.Any, list[t.Any]] = {}
        if isinstance(mapping, MultiDict):
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
        super().__init__(tmp)

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
        try:
            value = self[key]
        except KeyError:
            return default
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


# ---------------------------------------------------------------------------------
# Dicts that report changes


class UpdateDictMixin(dict[K, V]):
    """A dict that calls :attr:`on_update` after every change.

    Sessions build on this to know whether they must be saved.
    """

    on_update: Callable[[t.Any], None] | None = None

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self._changed()

    def setdefault(self, key: K, default: V = None) -> V:  # type: ignore[assignment]
        """Like :meth:`dict.setdefault`; only an actual insertion counts as a change.

        :param key: the key.
        :param default: the value to insert when the key is missing.
        """
        modified = key not in self
        value = super().setdefault(key, default)
        if modified:
            self._changed()
        return value

    def pop(self, key: K, default: t.Any = _missing) -> t.Any:
        """Like :meth:`dict.pop`; only an actual removal counts as a change.

        :param key: the key.
        :param default: returned if the key is missing.
        """
        modified = key in self
        if default is _missing:
            value = super().pop(key)
        else:
            value = super().pop(key, default)
        if modified:
            self._changed()
        return value

    def popitem(self) -> tuple[K, V]:
        item = super().popitem()
        self._changed()
        return item

    def clear(self) -> None:
        super().clear()
        self._changed()

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def __ior__(self, other: t.Any) -> Self:  # type: ignore[override,misc]
        super().update(other)
        self._changed()
        return self


class CallbackDict(UpdateDictMixin[K, V]):
    """A dict that calls a function with itself after every change.

    :param initial: the starting contents; setting them is not reported.
    :param on_update: called with the dict after each change.
    """

    def __init__(
        self,
        initial: Mapping[K, V] | Iterable[tuple[K, V]] | None = None,
        on_update: Callable[[t.Any], None] | None = None,
    ) -> None:
        if initial is None:
            super().__init__()
        else:
            super().__init__(initial)
        self.on_update = on_update

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


# ---------------------------------------------------------------------------------
# Headers

_token_chars = frozenset(
    "!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~"
)


def _str_value(value: t.Any) -> str:
    if not isinstance(value, str):
        value = str(value)
    # PERF: three ``in`` scans run in C and measured 3x faster than one regex search
    # on typical header values; this runs for every header an application sets.
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError("Header values must not contain newline characters.")
    return value  # type: ignore[no-any-return]


def _check_name(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"Header names must be str, not {type(name).__name__}.")
    if "\r" in name or "\n" in name or "\0" in name:
        raise ValueError("Header names must not contain newline characters.")
    return name


def _quote(value: t.Any) -> str:
    text = str(value)
    if not text:
        return '""'
    if _token_chars.issuperset(text):
        return text
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _with_options(value: t.Any, options: dict[str, t.Any]) -> str:
    """Render ``value; key=value`` parameters as Werkzeug's ``dump_options_header``
    does: underscores in names become dashes, ``None`` is skipped, a name ending in
    ``*`` is already RFC 2231-encoded and is not quoted."""
    parts = [str(value)]
    for key, option in options.items():
        if option is None:
            continue
        key = key.replace("_", "-")
        parts.append(f"{key}={option}" if key[-1] == "*" else f"{key}={_quote(option)}")
    return "; ".join(parts)


class Headers:
    """An ordered, case-insensitive list of ``(name, value)`` header pairs.

    Like Werkzeug's ``Headers``: a name may repeat, indexing by name gives the first
    value (or :exc:`BadRequestKeyError`, a 400), and iterating yields pairs. Every
    mutating method refuses CR, LF and NUL so header injection cannot happen through
    values an application copies from a request.

    :param defaults: initial headers: a :class:`Headers`, a :class:`MultiDict`, a
        mapping (list values give several headers) or an iterable of pairs.
    """

    __slots__ = ("_list",)

    def __init__(self, defaults: t.Any = None) -> None:
        self._list: list[tuple[str, str]] = []
        if defaults is not None:
            self.extend(defaults)

    @classmethod
    def _from_trusted(cls, pairs: list[tuple[str, str]]) -> Self:
        """Wrap ``pairs`` without copying or checking them.

        Only for lists the framework built itself or the server already parsed; the
        list is shared, so the caller must not keep changing it.

        :param pairs: ``(name, value)`` str pairs known to be clean.
        """
        # PERF: skips validation and the copy; used for every request and for the
        # default response headers.
        headers = cls.__new__(cls)
        headers._list = pairs
        return headers

    def _set_trusted(self, key: str, value: str) -> None:
        """Like :meth:`set` without the checks, for values the framework computed
        itself (``Content-Length``).

        :param key: a clean header name.
        :param value: a clean str value.
        """
        # PERF: runs for every response body set; the value is a number we formatted.
        ikey = key.lower()
        items = self._list
        for index, (name, _value) in enumerate(items):
            if name.lower() == ikey:
                items[index] = (key, value)
                if index + 1 < len(items):
                    items[index + 1 :] = [p for p in items[index + 1 :] if p[0].lower() != ikey]
                return
        items.append((key, value))

    # -- reading ---------------------------------------------------------------

    def _get(self, key: str) -> str:
        ikey = key.lower()
        for name, value in self._list:
            # PERF: names usually arrive in the case the caller uses, so the plain
            # comparison saves a lower() call per header in the common case.
            if name == key or name.lower() == ikey:
                return value
        raise BadRequestKeyError(key)

    @t.overload
    def __getitem__(self, key: str) -> str: ...
    @t.overload
    def __getitem__(self, key: int) -> tuple[str, str]: ...
    @t.overload
    def __getitem__(self, key: slice) -> Self: ...
    def __getitem__(self, key: str | int | slice) -> str | tuple[str, str] | Self:
        if isinstance(key, str):
            return self._get(key)
        if isinstance(key, int):
            return self._list[key]
        if isinstance(key, slice):
            return self.__class__._from_trusted(self._list[key])
        raise BadRequestKeyError(key)

    @t.overload
    def get(self, key: str) -> str | None: ...
    @t.overload
    def get(self, key: str, default: str | T) -> str | T: ...
    @t.overload
    def get(self, key: str, default: T, type: Callable[[str], T]) -> T: ...
    @t.overload
    def get(self, key: str, *, type: Callable[[str], T]) -> T | None: ...
    def get(
        self, key: str, default: t.Any = None, type: Callable[[str], t.Any] | None = None
    ) -> t.Any:
        """Return the first value for ``key``, or ``default``.

        :param key: the header name, any case.
        :param default: returned if the header is missing or conversion fails.
        :param type: converts the value; :exc:`ValueError` or :exc:`TypeError` from
            it (a client sent junk) gives ``default``.
        """
        try:
            value = self._get(key)
        except KeyError:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    @t.overload
    def getlist(self, key: str) -> list[str]: ...
    @t.overload
    def getlist(self, key: str, type: Callable[[str], T]) -> list[T]: ...
    def getlist(self, key: str, type: Callable[[str], t.Any] | None = None) -> list[t.Any]:
        """Return every value for ``key`` in order.

        :param key: the header name, any case.
        :param type: converts each value; rejected values are left out.
        """
        ikey = key.lower()
        values = [v for k, v in self._list if k.lower() == ikey]
        if type is None:
            return values
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    def get_all(self, name: str) -> list[str]:
        """Return every value for ``name``; the :mod:`wsgiref` spelling of
        :meth:`getlist`.

        :param name: the header name, any case.
        """
        return self.getlist(name)

    def items(self, lower: bool = False) -> Iterator[tuple[str, str]]:
        """Yield ``(name, value)`` pairs.

        :param lower: lower-case the names, for case-insensitive comparisons.
        """
        if lower:
            return ((k.lower(), v) for k, v in self._list)
        return iter(self._list)

    def keys(self, lower: bool = False) -> Iterator[str]:
        """Yield the names, repeats included.

        :param lower: lower-case the names.
        """
        return (k.lower() if lower else k for k, _v in self._list)

    def values(self) -> Iterator[str]:
        """Yield the values in order."""
        return (v for _k, v in self._list)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        ikey = key.lower()
        return any(k == key or k.lower() == ikey for k, _v in self._list)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: object) -> bool:
        # Same as Werkzeug: order and name case do not matter.
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Headers)
        mine = {(k.lower(), v) for k, v in self._list}
        return mine == {(k.lower(), v) for k, v in other._list}

    __hash__ = None  # type: ignore[assignment]

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """Return the pairs as a new list, as WSGI's ``start_response`` wants."""
        return list(self._list)

    def copy(self) -> Self:
        """Return an independent copy."""
        return self.__class__._from_trusted(list(self._list))

    def __copy__(self) -> Self:
        return self.copy()

    def __str__(self) -> str:
        """The header block as sent on the wire, ending in an empty line."""
        lines = [f"{k}: {v}" for k, v in self._list]
        lines.append("\r\n")
        return "\r\n".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"

    # -- writing ---------------------------------------------------------------

    def add(self, key: str, value: t.Any, /, **options: t.Any) -> None:
        """Append a header, keeping any with the same name.

        :param key: the header name.
        :param value: the value; non-strings are converted with ``str()``.
        :param options: rendered as ``; key=value`` parameters (``filename="a.txt"``),
            underscores becoming dashes.
        """
        if options:
            value = _with_options(value, options)
        self._list.append((_check_name(key), _str_value(value)))

    def add_header(self, key: str, value: t.Any, /, **options: t.Any) -> None:
        """The :mod:`wsgiref` spelling of :meth:`add`.

        :param key: the header name.
        :param value: the value.
        :param options: ``; key=value`` parameters.
        """
        self.add(key, value, **options)

    def set(self, key: str, value: t.Any, /, **options: t.Any) -> None:
        """Replace every header named ``key`` with one, at the first one's position
        (or at the end if there was none).

        :param key: the header name.
        :param value: the value.
        :param options: ``; key=value`` parameters.
        """
        if options:
            value = _with_options(value, options)
        self._set_trusted(_check_name(key), _str_value(value))

    def setlist(self, key: str, values: Iterable[t.Any]) -> None:
        """Replace every header named ``key`` with one per value; none removes it.

        :param key: the header name.
        :param values: the new values.
        """
        new = list(values)
        if not new:
            self.remove(key)
            return
        self.set(key, new[0])
        for value in new[1:]:
            self.add(key, value)

    def setdefault(self, key: str, default: t.Any) -> str:
        """Return the first value for ``key``, setting it to ``default`` if missing.

        :param key: the header name.
        :param default: the value to set when missing.
        """
        try:
            return self._get(key)
        except KeyError:
            pass
        self.set(key, default)
        return self._get(key)

    def setlistdefault(self, key: str, default: Iterable[t.Any]) -> list[str]:
        """Return all values for ``key``, setting them to ``default`` if missing.

        Unlike :meth:`MultiDict.setlistdefault` the list is a copy.

        :param key: the header name.
        :param default: the values to set when missing.
        """
        if key not in self:
            self.setlist(key, default)
        return self.getlist(key)

    def __setitem__(self, key: str | int | slice, value: t.Any) -> None:
        if isinstance(key, str):
            self.set(key, value)
        elif isinstance(key, int):
            self._list[key] = (_check_name(value[0]), _str_value(value[1]))
        else:
            self._list[key] = [(_check_name(k), _str_value(v)) for k, v in value]

    def extend(self, arg: t.Any = None, /, **kwargs: t.Any) -> None:
        """Add headers, keeping existing ones with the same names.

        :param arg: a :class:`Headers`, mapping, multidict or iterable of pairs.
        :param kwargs: further headers.
        """
        if arg is not None:
            for key, value in iter_multi_items(arg):
                self.add(key, value)
        for key, value in iter_multi_items(kwargs):
            self.add(key, value)

    def update(self, arg: t.Any = None, /, **kwargs: t.Any) -> None:
        """Set headers, replacing existing ones with the same names.

        :param arg: a :class:`Headers`, mapping, multidict or iterable of pairs; a
            list, tuple or set value in a mapping sets several values.
        :param kwargs: further headers.
        """
        if arg is not None:
            if isinstance(arg, (Headers, MultiDict)):
                for key in dict.fromkeys(arg.keys()):
                    self.setlist(key, arg.getlist(key))
            elif isinstance(arg, Mapping):
                for key, value in arg.items():
                    self._update_one(key, value)
            else:
                for key, value in arg:
                    self.set(key, value)
        for key, value in kwargs.items():
            self._update_one(key, value)

    def _update_one(self, key: str, value: t.Any) -> None:
        if isinstance(value, (list, tuple, set)):
            self.setlist(key, value)
        else:
            self.set(key, value)

    def __or__(self, other: t.Any) -> Self:
        if not isinstance(other, Mapping):
            return NotImplemented
        result = self.copy()
        result.update(other)
        return result

    def __ior__(self, other: t.Any) -> Self:
        if not isinstance(other, (Mapping, Iterable)):
            return NotImplemented
        self.update(other)
        return self

    def remove(self, key: str) -> None:
        """Remove every header named ``key``; a missing name is not an error.

        :param key: the header name, any case.
        """
        ikey = key.lower()
        self._list[:] = [p for p in self._list if p[0].lower() != ikey]

    def __delitem__(self, key: str | int | slice) -> None:
        if isinstance(key, str):
            self.remove(key)
        else:
            del self._list[key]

    def pop(self, key: str | int | None = None, default: t.Any = _missing) -> t.Any:
        """Remove and return a header.

        :param key: a name (returns its first value and removes all of them), an
            index (returns the pair), or ``None`` for the last pair.
        :param default: returned for a missing name instead of raising
            :exc:`BadRequestKeyError`.
        """
        if key is None:
            return self._list.pop()
        if isinstance(key, int):
            return self._list.pop(key)
        try:
            value = self._get(key)
        except KeyError:
            if default is not _missing:
                return default
            raise
        self.remove(key)
        return value

    def popitem(self) -> tuple[str, str]:
        """Remove and return the last pair."""
        return self._list.pop()

    def clear(self) -> None:
        """Remove every header."""
        self._list.clear()


class ImmutableHeaders(Headers):
    """Read-only :class:`Headers`, for request headers; :meth:`copy` is mutable."""

    __slots__ = ()

    def __init__(self, defaults: t.Any = None) -> None:
        # Built and checked as mutable headers, then frozen.
        self._list = Headers(defaults)._list

    def __setitem__(self, key: t.Any, value: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def __delitem__(self, key: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def __ior__(self, other: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def add(self, key: t.Any, value: t.Any, /, **options: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def add_header(self, key: t.Any, value: t.Any, /, **options: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def set(self, key: t.Any, value: t.Any, /, **options: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def setlist(self, key: t.Any, values: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def setdefault(self, key: t.Any, default: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def setlistdefault(self, key: t.Any, default: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def extend(self, arg: t.Any = None, /, **kwargs: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def update(self, arg: t.Any = None, /, **kwargs: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def remove(self, key: t.Any) -> t.NoReturn:
        _immutable_error(self)

    def pop(self, key: t.Any = None, default: t.Any = _missing) -> t.NoReturn:
        _immutable_error(self)

    def popitem(self) -> t.NoReturn:
        _immutable_error(self)

    def clear(self) -> t.NoReturn:
        _immutable_error(self)

    def copy(self) -> Headers:  # type: ignore[override]
        """Return a mutable :class:`Headers` with the same pairs."""
        return Headers._from_trusted(list(self._list))

    def __or__(self, other: t.Any) -> Headers:  # type: ignore[override]
        if not isinstance(other, Mapping):
            return NotImplemented
        result = self.copy()
        result.update(other)
        return result


# ---------------------------------------------------------------------------------
# Uploaded files


class FileStorage:
    """An uploaded file: its stream plus the part's filename and headers.

    Unknown attributes (``read``, ``seek``...) are looked up on the stream, so the
    object can be used like the file itself.

    :param stream: the file's content; an empty stream if ``None``.
    :param filename: the client's filename; taken from ``stream.name`` if omitted.
    :param name: the form field's name.
    :param content_type: sets the ``Content-Type`` header.
    :param content_length: sets the ``Content-Length`` header.
    :param headers: the part's headers.
    """

    # ``__dict__`` is kept so applications can still attach their own attributes.
    __slots__ = ("name", "stream", "filename", "headers", "_parsed", "__dict__")

    def __init__(
        self,
        stream: t.IO[bytes] | None = None,
        filename: str | os.PathLike[str] | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.name = name
        self.stream: t.IO[bytes] = stream if stream is not None else BytesIO()
        if filename is None:
            guessed = getattr(stream, "name", None)
            if isinstance(guessed, (str, bytes, os.PathLike)):
                text = os.fsdecode(guessed)
                # Special streams are named like "<stdin>"; that is not a filename.
                filename = None if text[:1] == "<" and text[-1:] == ">" else text
        else:
            filename = os.fsdecode(filename)
        self.filename: str | None = filename
        if headers is None:
            headers = Headers()
        self.headers = headers
        if content_type is not None:
            headers["Content-Type"] = content_type
        if content_length is not None:
            headers["Content-Length"] = str(content_length)
        self._parsed: tuple[str, dict[str, str]] | None = None

    @property
    def content_type(self) -> str | None:
        """The part's ``Content-Type``, as the client sent it."""
        return self.headers.get("content-type")

    @property
    def content_length(self) -> int:
        """The part's ``Content-Length``, or 0 if missing or not a plain number."""
        value = self.headers.get("content-length")
        if value is not None:
            value = value.strip()
            if value.isascii() and value.isdigit():
                return int(value)
        return 0

    def _parse(self) -> tuple[str, dict[str, str]]:
        if self._parsed is None:
            # Imported here: the header parsers build on this module.
            from kolba.http.headers import parse_options_header

            self._parsed = parse_options_header(self.content_type)
        return self._parsed

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased (``text/html``)."""
        return self._parse()[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters, e.g. ``{"charset": "utf-8"}``."""
        return self._parse()[1]

    def save(self, dst: str | os.PathLike[str] | t.IO[bytes], buffer_size: int = 16384) -> None:
        """Copy the content to a path or an open binary file.

        A path is opened and closed here; a file object is left open for the caller.
        Never pass the client's :attr:`filename` as a path unchecked.

        :param dst: a path or a writable binary file.
        :param buffer_size: bytes held in memory per copy step.
        """
        from shutil import copyfileobj

        if isinstance(dst, (str, os.PathLike)):
            with open(dst, "wb") as file:
                copyfileobj(self.stream, file, buffer_size)
        else:
            copyfileobj(self.stream, dst, buffer_size)

    def close(self) -> None:
        """Close the stream; errors are ignored since this is cleanup."""
        try:
            self.stream.close()
        except Exception:
            pass

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __getattr__(self, name: str) -> t.Any:
        # NOTE: guard the slots so a half-built object (during unpickling or a
        # failed __init__) raises AttributeError instead of recursing.
        if name in FileStorage.__slots__:
            raise AttributeError(name)
        return getattr(self.stream, name)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"
