"""The grammar structured header values share: quoting, lists, dicts, options and token sets.

Everything here is a pure function or a small value class with no knowledge of WSGI or of the
application, matching ``werkzeug.http``. Parsers take hostile input: they do bounded, linear
work, never raise on bad syntax, and return ``None`` or an empty value instead. The typed
headers (:mod:`kolba.http.auth`, :mod:`kolba.http.cache_control`, :mod:`kolba.http.accept`)
are built on these.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableSet
from typing import Any
from urllib.parse import unquote

__all__ = [
    "HeaderSet",
    "dump_header",
    "dump_options_header",
    "find_closing_quote",
    "parse_dict_header",
    "parse_list_header",
    "parse_options_header",
    "parse_set_header",
    "quote_header_value",
    "unquote_header_value",
]

_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~"
)
_SAFE_CHARSETS = frozenset({"ascii", "us-ascii", "utf-8", "iso-8859-1"})
_unslash_re = re.compile(r"\\(.)", re.ASCII)
# https://httpwg.org/specs/rfc9110.html#parameter
_param_key_re = re.compile(r"([\w!#$%&'*+\-.^`|~]+)=", re.ASCII)
_param_token_re = re.compile(r"[\w!#$%&'*+\-.^`|~]+", re.ASCII)
# https://www.rfc-editor.org/rfc/rfc2231#section-4: charset'language'percent-encoded-value
_charset_value_re = re.compile(
    r"([\w!#$%&*+\-.^`|~]*)'[\w!#$%&*+\-.^`|~]*'([\w!#$%&'*+\-.^`|~]+)", re.ASCII
)
_continuation_re = re.compile(r"\*(\d+)$", re.ASCII)


def find_closing_quote(value: str, start: int, unclosed_from: int = -1) -> int:
    """Index of the unescaped ``"`` closing a quoted string whose opening quote is at *start*.

    A quote is escaped exactly when an odd run of backslashes precedes it, so the scan jumps
    from quote to quote with ``str.find``. Returns -1 when the string is never closed.

    PERF: a regex for quoted strings backtracks exponentially on unclosed input full of
    backslashes, and a per-character Python loop is slow on large headers; this is linear.
    A scanner that meets many quotes passes back an earlier -1 result's *start* as
    *unclosed_from*: whether a quote is escaped does not depend on where the scan began, so no
    later opening quote can be closed either, and rescanning to the end each time (quadratic)
    is skipped.
    """
    if 0 <= unclosed_from < start:
        return -1
    pos = start + 1
    while True:
        q = value.find('"', pos)
        if q == -1:
            return -1
        back = q - 1
        while back > start and value[back] == "\\":
            back -= 1
        if (q - 1 - back) % 2 == 0:
            return q
        pos = q + 1


def quote_header_value(value: Any, allow_token: bool = True) -> str:
    """Quote a value for a header only when it has to be, so simple tokens stay readable.

    :param value: Converted with ``str``. ``"`` and ``\\`` are backslash-escaped.
    :param allow_token: ``False`` forces quotes even on tokens, as some Digest fields need.
    """
    text = str(value)
    if not text:
        return '""'
    if allow_token and _TOKEN_CHARS.issuperset(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_header_value(value: str) -> str:
    """Undo :func:`quote_header_value`; an unquoted value is returned as it is.

    :param value: A value that may be a quoted string with backslash escapes.
    """
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _unslash_re.sub(r"\g<1>", value[1:-1])
    return value


def dump_options_header(header: str | None, options: Mapping[str, Any]) -> str:
    """Build a ``value; key=value`` header such as ``Content-Type``.

    :param header: The main value, or ``None`` for parameters alone.
    :param options: Parameters; ``None`` values are skipped. A key ending in ``*`` holds an
        RFC 2231 ``charset''value`` already encoded by the caller, so it is not quoted again.
    """
    segments = [] if header is None else [header]
    for key, value in options.items():
        if value is None:
            continue
        if key.endswith("*"):  # not key[-1]: "a;*=1" parses to an empty key (Werkzeug: a 500)
            segments.append(f"{key}={value}")
        else:
            segments.append(f"{key}={quote_header_value(value)}")
    return "; ".join(segments)


def dump_header(iterable: Mapping[str, Any] | Iterable[Any]) -> str:
    """Build a comma separated header from items or ``key=value`` pairs.

    :param iterable: A mapping gives ``key=value`` items (a ``None`` value gives the bare key,
        as ``Cache-Control: no-store`` needs); any other iterable gives quoted items.
    """
    if isinstance(iterable, Mapping):
        items = []
        for key, value in iterable.items():
            if value is None:
                items.append(key)
            elif key[-1] == "*":
                items.append(f"{key}={value}")
            else:
                items.append(f"{key}={quote_header_value(value)}")
        return ", ".join(items)
    return ", ".join(quote_header_value(x) for x in iterable)


def parse_list_header(value: str) -> list[str]:
    """Split a comma separated header (RFC 9110 ``#rule``), honouring quoted strings.

    Fully quoted items are unquoted; empty items are dropped; an unclosed quoted string makes
    the whole value invalid and gives ``[]``.

    :param value: The header value.
    """
    items: list[str] = []
    start = pos = 0
    end = len(value)
    while pos < end:
        comma = value.find(",", pos)
        quote = value.find('"', pos)
        if quote != -1 and (comma == -1 or quote < comma):
            close = find_closing_quote(value, quote)
            if close == -1:
                return []
            pos = close + 1
            continue
        if comma == -1:
            break
        items.append(value[start:comma])
        start = pos = comma + 1
    items.append(value[start:])
    return [unquote_header_value(item) for item in (i.strip() for i in items) if item]


def _decode_rfc2231(value: str, encoding: str | None) -> str:
    if encoding in _SAFE_CHARSETS:
        # Invalid bytes are replaced, never raised.
        return unquote(value, encoding=encoding, errors="replace")
    return value


def parse_dict_header(value: str) -> dict[str, str | None]:
    """Parse a comma separated list of ``key=value`` items, as in ``Cache-Control``.

    A key without ``=`` maps to ``None``. ``key*=charset''value`` items are decoded for the
    ASCII, UTF-8 and Latin-1 charsets only; other charsets leave the value as sent.

    :param value: The header value.
    """
    result: dict[str, str | None] = {}
    for item in parse_list_header(value):
        key, has_value, val = item.partition("=")
        key = key.strip()
        if not key:
            continue
        if not has_value:
            result[key] = None
            continue
        val = val.strip()
        if key[-1] == "*":
            key = key[:-1]
            match = _charset_value_re.match(val)
            if match:
                val = _decode_rfc2231(match.group(2), match.group(1).lower())
        result[key] = unquote_header_value(val)
    return result


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """Parse a ``value; key=value`` header such as ``Content-Type`` or ``Content-Disposition``.

    Invalid parameters are skipped rather than failing the whole header. Keys are lower-cased.
    Quoted values are unescaped (``\\"`` and the ``%22`` that HTML forms use). RFC 2231
    ``key*=UTF-8''...`` values and ``key*0=``, ``key*1=`` continuations are joined and decoded.

    :param value: The header value, or ``None``.
    :return: ``(value, options)``; ``("", {})`` when missing.
    """
    if value is None:
        return "", {}
    main, _, rest = value.partition(";")
    main = main.strip()
    rest = rest.strip()
    if not main or not rest:
        return main, {}
    parts: list[tuple[str, str]] = []
    pos = 0
    unclosed_from = -1
    # PERF: walk by index; slicing the remainder each round is quadratic on long headers.
    while True:
        key_match = _param_key_re.match(rest, pos)
        if key_match is not None:
            key = key_match.group(1).lower()
            pos = key_match.end()
            token_match = _param_token_re.match(rest, pos)
            if token_match is not None:
                parts.append((key, token_match.group()))
                pos = token_match.end()
            elif rest.startswith('"', pos):
                close = find_closing_quote(rest, pos, unclosed_from)
                if close != -1:
                    parts.append((key, rest[pos : close + 1]))
                    pos = close + 1
                elif unclosed_from < 0:
                    unclosed_from = pos
        semi = rest.find(";", pos)
        if semi == -1:
            break
        pos = semi + 1
        while pos < len(rest) and rest[pos] in " \t":
            pos += 1

    options: dict[str, str] = {}
    encoding: str | None = None
    continued_encoding: str | None = None
    for key, val in parts:
        if key[-1] == "*":
            key = key[:-1]
            match = _charset_value_re.match(val)
            if match:
                encoding, val = match.group(1).lower(), match.group(2)
            if not encoding:
                encoding = continued_encoding
            if encoding in _SAFE_CHARSETS:
                # Continuations need not repeat the charset; remember it.
                continued_encoding = encoding
                val = unquote(val, encoding=encoding, errors="replace")
        if val[0] == val[-1] == '"' and len(val) > 1:
            val = val[1:-1].replace("\\\\", "\\").replace('\\"', '"').replace("%22", '"')
        cont = _continuation_re.search(key)
        if cont is not None:
            key = key[: cont.start()]
            options[key] = options.get(key, "") + val
        else:
            options[key] = val
    return main, options


class _UpdateDict(dict[str, "str | None"]):
    """A dict that tells its owner when it changes, so a response can rewrite its header."""

    __slots__ = ("on_update",)

    def __init__(
        self,
        values: Mapping[str, str | None] | Iterable[tuple[str, str | None]] | None = None,
        on_update: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(values or ())
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: str, value: str | None) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def popitem(self) -> tuple[str, str | None]:
        item = super().popitem()
        self._changed()
        return item

    def pop(self, key: str, *default: Any) -> Any:
        present = key in self
        value = super().pop(key, *default)
        if present:
            self._changed()
        return value

    def setdefault(self, key: str, default: str | None = None) -> str | None:
        present = key in self
        value = super().setdefault(key, default)
        if not present:
            self._changed()
        return value

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def __ior__(self, other: Any) -> _UpdateDict:  # type: ignore[override,misc]
        self.update(other)
        return self


class HeaderSet(MutableSet[str]):
    """A case-insensitive, ordered set for headers like ``Vary``, ``Allow`` or
    ``Content-Language``, telling its owner when it changes.

    :param headers: Initial items, in order.
    :param on_update: Called with the set after each change.
    """

    __slots__ = ("_headers", "_set", "on_update")

    def __init__(
        self,
        headers: Iterable[str] | None = None,
        on_update: Callable[[HeaderSet], None] | None = None,
    ) -> None:
        self._headers: list[str] = []
        self._set: set[str] = set()
        for header in headers or ():
            if header.lower() not in self._set:
                self._headers.append(header)
                self._set.add(header.lower())
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def add(self, header: str) -> None:
        self.update((header,))

    def update(self, iterable: Iterable[str]) -> None:
        """Add several items with one update notification."""
        inserted = False
        for header in iterable:
            key = header.lower()
            if key not in self._set:
                self._headers.append(header)
                self._set.add(key)
                inserted = True
        if inserted:
            self._changed()

    def remove(self, header: str) -> None:
        key = header.lower()
        if key not in self._set:
            raise KeyError(header)
        self._set.remove(key)
        del self._headers[self.find(key)]
        self._changed()

    def discard(self, header: str) -> None:
        if header.lower() in self._set:
            self.remove(header)

    def find(self, header: str) -> int:
        """Position of *header* (any case), or -1."""
        key = header.lower()
        for idx, item in enumerate(self._headers):
            if item.lower() == key:
                return idx
        return -1

    def index(self, header: str) -> int:
        """Position of *header* (any case).

        :raises IndexError: If absent, as Werkzeug does.
        """
        idx = self.find(header)
        if idx < 0:
            raise IndexError(header)
        return idx

    def clear(self) -> None:
        self._set.clear()
        self._headers.clear()
        self._changed()

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        """A plain set, lower-cased unless *preserve_casing*."""
        return set(self._headers) if preserve_casing else set(self._set)

    def to_header(self) -> str:
        return ", ".join(map(quote_header_value, self._headers))

    def __getitem__(self, idx: int) -> str:
        return self._headers[idx]

    def __delitem__(self, idx: int) -> None:
        removed = self._headers.pop(idx)
        self._set.discard(removed.lower())
        self._changed()

    def __setitem__(self, idx: int, value: str) -> None:
        old = self._headers[idx]
        self._set.discard(old.lower())
        self._headers[idx] = value
        self._set.add(value.lower())
        self._changed()

    def __contains__(self, header: object) -> bool:
        return isinstance(header, str) and header.lower() in self._set

    def __len__(self) -> int:
        return len(self._set)

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __bool__(self) -> bool:
        return bool(self._set)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._headers!r})"


def parse_set_header(
    value: str | None, on_update: Callable[[HeaderSet], None] | None = None
) -> HeaderSet:
    """Parse a comma separated header into a :class:`HeaderSet`.

    :param value: The header value, or ``None``.
    :param on_update: Passed to the set so its owner can rewrite the header on change.
    """
    if not value:
        return HeaderSet(None, on_update)
    return HeaderSet(parse_list_header(value), on_update)
