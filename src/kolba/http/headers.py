"""Parsing and formatting of structured HTTP header values.

Everything here is a pure function or a small value class with no knowledge of WSGI or of the
application, matching the behaviour Flask users see through ``werkzeug.http`` and
``werkzeug.datastructures``. Parsers take hostile input: they do bounded, linear work, never
raise on bad syntax, and return ``None`` or an empty value instead.
"""

from __future__ import annotations

import base64
import codecs
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableSet
from typing import Any, ClassVar, Literal, TypeVar, overload
from urllib.parse import unquote

from .conditional import (
    ContentRange,
    ETags,
    IfRange,
    Range,
    generate_etag,
    is_byte_range_valid,
    parse_content_range_header,
    parse_etags,
    parse_if_range_header,
    parse_range_header,
    quote_etag,
    unquote_etag,
)

__all__ = [
    "Accept",
    "Authorization",
    "CharsetAccept",
    "ContentRange",
    "ETags",
    "HeaderSet",
    "IfRange",
    "LanguageAccept",
    "MIMEAccept",
    "Range",
    "RequestCacheControl",
    "ResponseCacheControl",
    "UserAgent",
    "WWWAuthenticate",
    "dump_header",
    "dump_options_header",
    "generate_etag",
    "is_byte_range_valid",
    "parse_accept_header",
    "parse_cache_control_header",
    "parse_content_range_header",
    "parse_dict_header",
    "parse_etags",
    "parse_if_range_header",
    "parse_list_header",
    "parse_options_header",
    "parse_range_header",
    "parse_set_header",
    "quote_etag",
    "quote_header_value",
    "unquote_etag",
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
_q_value_re = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)


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
        if key[-1] == "*":
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


# Authorization ---------------------------------------------------------------------------------


class Authorization:
    """The parts of an ``Authorization`` request header.

    Depending on the scheme, either :attr:`parameters` or :attr:`token` is set; Basic
    credentials are decoded into the ``username`` and ``password`` parameters. Parameters are
    also readable as attributes (``auth.realm``), ``None`` when absent.

    :param auth_type: The scheme, lower-cased by :meth:`from_header`.
    :param data: Parameters for schemes like Digest.
    :param token: The token for schemes like Bearer.
    """

    __slots__ = ("type", "parameters", "token")

    def __init__(
        self, auth_type: str, data: dict[str, str | None] | None = None, token: str | None = None
    ) -> None:
        self.type = auth_type
        self.parameters: dict[str, str | None] = {} if data is None else data
        self.token = token

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.parameters.get(name)

    def __getitem__(self, name: str) -> str | None:
        return self.parameters.get(name)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.parameters.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (
            other.type,
            other.token,
            other.parameters,
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse an ``Authorization`` header.

        :param value: The header value.
        :return: ``None`` when the header is empty or Basic credentials are badly padded or
            not ASCII (where Werkzeug raises); junk characters are ignored, as in Werkzeug.
        """
        if not value:
            return None
        scheme, _, rest = value.partition(" ")
        scheme = scheme.lower()
        rest = rest.strip()
        if scheme == "basic":
            try:
                # Like Werkzeug: characters outside base64 are dropped (so junk reads as empty
                # credentials) and bad padding means no credentials.
                raw = base64.b64decode(rest.encode("ascii"))
            except ValueError:  # binascii.Error and non-ASCII text alike
                return None
            try:
                text = raw.decode()
            except UnicodeDecodeError:
                # Older clients send Latin-1, which can decode any byte.
                text = raw.decode("latin-1")
            username, _, password = text.partition(":")
            return cls(scheme, {"username": username, "password": password})
        if "=" in rest.rstrip("="):
            # An '=' that is not base64 padding means parameters.
            return cls(scheme, parse_dict_header(rest), None)
        return cls(scheme, None, rest)

    def to_header(self) -> str:
        """Produce the header value, for test clients sending credentials."""
        if self.type == "basic":
            raw = f"{self.parameters.get('username')}:{self.parameters.get('password')}"
            return "Basic " + base64.b64encode(raw.encode()).decode("ascii")
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        return f"{self.type.title()} {dump_header(self.parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


class WWWAuthenticate:
    """The parts of a ``WWW-Authenticate`` response header; changes call :attr:`_on_update` so
    the owning response can rewrite its header.

    :param auth_type: The scheme, stored lower-cased.
    :param values: Parameters such as ``realm``.
    :param token: A token for token schemes.
    """

    __slots__ = ("_type", "_parameters", "_token", "_on_update")
    _OWN: ClassVar[frozenset[str]] = frozenset(__slots__)
    _type: str
    _parameters: _UpdateDict
    _token: str | None
    _on_update: Callable[[WWWAuthenticate], None] | None

    def __init__(
        self,
        auth_type: str,
        values: Mapping[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        object.__setattr__(self, "_on_update", None)
        object.__setattr__(self, "_type", auth_type.lower())
        object.__setattr__(self, "_parameters", _UpdateDict(values, self._notify))
        object.__setattr__(self, "_token", token)

    def _notify(self, _: object = None) -> None:
        if self._on_update is not None:
            self._on_update(self)

    @property
    def type(self) -> str:
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        object.__setattr__(self, "_type", value)
        self._notify()

    @property
    def parameters(self) -> dict[str, str | None]:
        return self._parameters

    @parameters.setter
    def parameters(self, value: Mapping[str, str | None]) -> None:
        object.__setattr__(self, "_parameters", _UpdateDict(value, self._notify))
        self._notify()

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        object.__setattr__(self, "_token", value)
        self._notify()

    def __getitem__(self, key: str) -> str | None:
        return self._parameters.get(key)

    def __setitem__(self, key: str, value: str | None) -> None:
        if value is None:
            self._parameters.pop(key, None)
        else:
            self._parameters[key] = value

    def __delitem__(self, key: str) -> None:
        self._parameters.pop(key, None)

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._parameters.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._OWN or isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def __contains__(self, key: str) -> bool:
        return key in self._parameters

    def get(self, key: str, default: str | None = None) -> str | None:
        return self._parameters.get(key, default)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WWWAuthenticate):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (
            other.type,
            other.token,
            other.parameters,
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> WWWAuthenticate | None:
        """Parse a ``WWW-Authenticate`` header, or ``None`` when empty."""
        if not value:
            return None
        scheme, _, rest = value.partition(" ")
        rest = rest.strip()
        if "=" in rest.rstrip("="):
            return cls(scheme, parse_dict_header(rest), None)
        return cls(scheme, None, rest)

    def to_header(self) -> str:
        """Produce the header value; Digest's string fields are always quoted, as clients
        expect."""
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        if not self.parameters:
            return self.type.title()
        if self.type == "digest":
            items = []
            for key, value in self.parameters.items():
                force = key in {"realm", "domain", "nonce", "opaque", "qop"}
                items.append(f"{key}={quote_header_value(value, allow_token=not force)}")
            return f"Digest {', '.join(items)}"
        return f"{self.type.title()} {dump_header(self.parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


# Cache-Control ---------------------------------------------------------------------------------

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


# Accept headers --------------------------------------------------------------------------------


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


# User-Agent ------------------------------------------------------------------------------------


class UserAgent:
    """The ``User-Agent`` string. Like Werkzeug 3, no parsing is done: ``platform``,
    ``browser``, ``version`` and ``language`` are ``None`` unless a subclass fills them.

    :param string: The header value.
    """

    __slots__ = ("string",)

    platform: ClassVar[str | None] = None
    browser: ClassVar[str | None] = None
    version: ClassVar[str | None] = None
    language: ClassVar[str | None] = None

    def __init__(self, string: str) -> None:
        self.string = string

    def to_header(self) -> str:
        return self.string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        # Werkzeug 3 ties truth to a parsed browser, so the base class is always falsy.
        return bool(self.browser)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.browser}/{self.version}>"
