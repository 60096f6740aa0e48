"""The ``Headers`` container: an ordered, case-insensitive multimap of header pairs.

``request.headers`` and ``response.headers`` are these, so their behaviour follows
``werkzeug.datastructures.Headers``. Parsing structured header values lives in
:mod:`kolba.http.headers`; this module only stores, checks and renders pairs.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterable, Iterator, Mapping

from kolba.http.exceptions import BadRequestKeyError
from kolba.http.immutable import _immutable_error, _missing
from kolba.http.multidict import MultiDict, iter_multi_items

if t.TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Headers", "ImmutableHeaders"]

T = t.TypeVar("T")

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
