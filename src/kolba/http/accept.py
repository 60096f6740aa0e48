"""The ``Accept`` family of headers: what the client prefers, and content negotiation.

``request.accept_mimetypes``, ``accept_languages``, ``accept_charsets`` and
``accept_encodings`` are these, ordered and matched as in ``werkzeug.datastructures``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar, overload

from .header_values import dump_options_header, parse_list_header, parse_options_header

__all__ = ["Accept", "CharsetAccept", "LanguageAccept", "MIMEAccept", "parse_accept_header"]

_q_value_re = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)


class Accept(list[tuple[str, float]]):
    """``(value, quality)`` pairs from an ``Accept*`` header, most specific and preferred
    first (ties keep the client's order). Read-only.

    :param values: The pairs, or ``None`` when the header was absent (``provided`` is then
        ``False``, so "no header" and "empty header" can be told apart).
    """

    __slots__ = ("provided",)

    def __init__(self, values: Accept | Iterable[tuple[str, float]] | None = ()) -> None:
        if values is None:
            super().__init__()
            self.provided = False
        elif isinstance(values, Accept):
            super().__init__(values)
            self.provided = values.provided
        else:
            super().__init__(
                sorted(values, key=lambda x: (self._specificity(x[0]), x[1]), reverse=True)
            )
            self.provided = True

    def _immutable(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _immutable
    append = extend = insert = pop = remove = reverse = sort = clear = _immutable

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return (value != "*",)

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or item.lower() == value.lower()

    @overload  # type: ignore[override]
    def __getitem__(self, key: str) -> float: ...
    @overload
    def __getitem__(self, key: int) -> tuple[str, float]: ...
    @overload
    def __getitem__(self, key: slice) -> list[tuple[str, float]]: ...
    def __getitem__(
        self, key: str | int | slice
    ) -> float | tuple[str, float] | list[tuple[str, float]]:
        if isinstance(key, str):
            return self.quality(key)
        return list.__getitem__(self, key)

    def quality(self, key: str) -> float:
        """The client's quality for *key*, 0 when not accepted."""
        for item, quality in self:
            if self._value_matches(key, item):
                return quality
        return 0

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        return any(self._value_matches(value, item) for item, _ in self)

    def __repr__(self) -> str:
        pairs = ", ".join(f"({x!r}, {y})" for x, y in self)
        return f"{type(self).__name__}([{pairs}])"

    def index(self, key: Any, *args: Any) -> int:
        """Position of the entry matching *key* (a value or a pair).

        :raises ValueError: If none matches.
        """
        if isinstance(key, str):
            for idx, (item, _) in enumerate(self):
                if self._value_matches(key, item):
                    return idx
            raise ValueError(key)
        return list.index(self, key, *args)

    def find(self, key: str | tuple[str, float]) -> int:
        """Like :meth:`index` but -1 when absent."""
        try:
            return self.index(key)
        except ValueError:
            return -1

    def values(self) -> Iterator[str]:
        """The accepted values, best first."""
        for item in self:
            yield item[0]

    def to_header(self) -> str:
        return ",".join(v if q == 1 else f"{v};q={q}" for v, q in self)

    def __str__(self) -> str:
        return self.to_header()

    @overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @overload
    def best_match(self, matches: Iterable[str], default: str) -> str: ...
    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """Pick which of the server's *matches* the client prefers: highest quality, then most
        specific client entry, then the server's order.

        :param matches: What the server can produce.
        :param default: Returned when the client accepts none of them.
        """
        result = default
        best_quality: float = -1
        best_specificity: tuple[bool, ...] = ()
        for server_item in matches:
            for client_item, client_quality in self:
                if self._value_matches(server_item, client_item):
                    quality = client_quality
                    break
            else:
                continue
            if quality <= 0 or quality < best_quality:
                continue
            specificity = self._specificity(client_item)
            if quality > best_quality or specificity > best_specificity:
                result = server_item
                best_quality = quality
                best_specificity = specificity
        return result

    @property
    def best(self) -> str | None:
        """The client's most preferred value."""
        return self[0][0] if self else None


_mime_split_re = re.compile(r"/|(?:\s*;\s*)")


class MIMEAccept(Accept):
    """:class:`Accept` for media types: wildcards (``text/*``) and parameters are matched."""

    __slots__ = ()

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return tuple(x != "*" for x in _mime_split_re.split(value))

    def _value_matches(self, value: str, item: str) -> bool:
        if "/" not in item:
            return False  # invalid client entry, cannot match
        if "/" not in value:
            raise ValueError(f"invalid mimetype {value!r}")  # a developer error
        v_type, v_sub, *v_params = _mime_split_re.split(value.lower())
        if v_type == "*" and v_sub != "*":
            raise ValueError(f"invalid mimetype {value!r}")
        i_type, i_sub, *i_params = _mime_split_re.split(item.lower())
        if i_type == "*" and i_sub != "*":
            return False
        if (i_type == "*" and i_sub == "*") or (v_type == "*" and v_sub == "*"):
            return True
        return i_type == v_type and (
            i_sub == "*"
            or v_sub == "*"
            or (i_sub == v_sub and sorted(i_params) == sorted(v_params))
        )

    @property
    def accept_html(self) -> bool:
        return self.__contains__("text/html") or self.accept_xhtml

    @property
    def accept_xhtml(self) -> bool:
        return self.__contains__("application/xhtml+xml") or self.__contains__("application/xml")

    @property
    def accept_json(self) -> bool:
        return self.__contains__("application/json")


_locale_delim_re = re.compile(r"[_-]")


class LanguageAccept(Accept):
    """:class:`Accept` for language tags: ``en_US`` equals ``en-us``, and a primary tag is
    tried when no exact tag matches."""

    __slots__ = ()

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _locale_delim_re.split(value.lower()) == _locale_delim_re.split(
            item.lower()
        )

    @overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @overload
    def best_match(self, matches: Iterable[str], default: str) -> str: ...
    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        matches = list(matches)
        result = super().best_match(matches)
        if result is not None:
            return result
        # The client accepts "en-US": offer "en".
        primary = Accept([(_locale_delim_re.split(v, maxsplit=1)[0], q) for v, q in self])
        result = primary.best_match(matches)
        if result is not None:
            return result
        # The client accepts "en": offer the first "en-*" the server has.
        result = super().best_match([_locale_delim_re.split(m, maxsplit=1)[0] for m in matches])
        if result is not None:
            return next(m for m in matches if m.startswith(result))
        return default


def _normalize_charset(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


class CharsetAccept(Accept):
    """:class:`Accept` for charsets: aliases such as ``UTF8`` and ``utf-8`` are equal."""

    __slots__ = ()

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _normalize_charset(value) == _normalize_charset(item)


_A = TypeVar("_A", bound=Accept)


@overload
def parse_accept_header(value: str | None) -> Accept: ...
@overload
def parse_accept_header(value: str | None, cls: type[_A]) -> _A: ...
def parse_accept_header(value: str | None, cls: type[Accept] | None = None) -> Accept:
    """Parse an ``Accept*`` header (RFC 9110 section 12.5).

    Entries with an invalid ``q`` (not a number, or outside 0..1) are ignored, not the whole
    header. Media type parameters other than ``q`` are kept on the value.

    :param value: The header value, or ``None`` when absent.
    :param cls: :class:`MIMEAccept`, :class:`LanguageAccept`, :class:`CharsetAccept` or
        :class:`Accept` (default).
    """
    if cls is None:
        cls = Accept
    if not value:
        return cls(None)
    result: list[tuple[str, float]] = []
    for entry in parse_list_header(value):
        item, options = parse_options_header(entry)
        q: float = 1
        if "q" in options:
            q_str = options.pop("q").strip()
            if len(q_str) > 10 or _q_value_re.fullmatch(q_str) is None:
                continue
            q = float(q_str)
            if q < 0 or q > 1:
                continue
        if options:
            item = dump_options_header(item, options)
        result.append((item, q))
    return cls(result)
