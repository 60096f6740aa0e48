"""Query strings and URLs: decoding ``request.args``, encoding query strings, IRI <-> URI.

Decoding sits on the hot path (every ``request.args`` access parses once), so
:func:`url_decode` avoids :mod:`urllib.parse` entirely when the query string has
nothing to unquote.
"""

from __future__ import annotations

import codecs
import functools
import re
import typing as t
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

from .datastructures import ImmutableMultiDict, MultiDict, iter_multi_items
from .exceptions import RequestEntityTooLarge

__all__ = ["iri_to_uri", "uri_to_iri", "url_decode", "url_encode", "url_quote"]


def _quote_invalid_bytes(e: UnicodeError) -> tuple[str, int]:
    """Re-quote bytes that are not valid UTF-8 instead of replacing them.

    Registered as the ``kolba.url_quote`` codec error handler so callers can ask
    :func:`url_decode` (``errors="kolba.url_quote"``) for Werkzeug's behaviour
    of keeping invalid bytes percent-encoded, and so :func:`uri_to_iri` never
    loses information.
    """
    assert isinstance(e, UnicodeDecodeError)
    return quote(e.object[e.start : e.end], safe=""), e.end


codecs.register_error("kolba.url_quote", _quote_invalid_bytes)

_dict_new: t.Callable[[t.Any], t.Any] = dict.__new__
_dict_update: t.Callable[[t.Any, t.Any], None] = dict.update

# One non-empty field of a query string or urlencoded body.
_field_re = re.compile(r"[^&]+")


def url_decode(
    s: str | bytes,
    *,
    max_fields: int | None = None,
    cls: Callable[[list[tuple[str, str]]], MultiDict[str, str]] | None = None,
    on_too_many: Callable[[], BaseException] = RequestEntityTooLarge,
    errors: str = "replace",
) -> MultiDict[str, str]:
    """Parse a query string (or an urlencoded form body) into a multidict.

    Only ``&`` separates fields: ``;`` is data, as in browsers and Python 3.10+.
    Keys without ``=`` get the value ``""`` and empty pairs are skipped, so the
    result matches ``parse_qsl(s, keep_blank_values=True)``.

    :param s: The raw query string; bytes are decoded as UTF-8.
    :param max_fields: Refuse more than this many fields, so a hostile query
        string cannot make us build a huge multidict.
    :param cls: The multidict class to fill; lets the request build an
        immutable one directly.
    :param on_too_many: Called to build the exception raised when
        ``max_fields`` is exceeded; a query string wants a 400, a form body
        a 413, and only the caller knows which this is.
    :param errors: Codec error handler for invalid UTF-8. ``"replace"`` gives
        U+FFFD; ``"kolba.url_quote"`` keeps the bytes percent-encoded.
    """
    if not s:
        return MultiDict() if cls is None else cls([])

    if isinstance(s, bytes):
        s = s.decode("utf-8", errors)

    if max_fields is not None and s.count("&") >= max_fields:
        # Count before splitting: a hostile string of a million short fields would otherwise
        # become a list of a million strings (~50 bytes each) before being refused. Empty
        # pairs ("a=1&&b=2") are skipped, so they must not count.
        fields = 0
        for _ in _field_re.finditer(s):
            fields += 1
            if fields > max_fields:
                raise on_too_many()

    # Fields are split on "&" only; "%" or "+" anywhere means some part may need unquoting.
    escaped = "%" in s or "+" in s

    if cls is None or cls is ImmutableMultiDict or cls is MultiDict:
        # PERF: for our own multidicts, group straight into their storage (a list of values
        # per key) rather than build a list of pairs for __init__ to group again.
        grouped: dict[str, list[str]] = {}

        for pair in s.split("&"):
            if pair:
                key, _, value = pair.partition("=")

                # PERF: most keys and values have nothing to unquote; testing each part is
                # cheaper than calling unquote_plus (a regex per call) on all of them.
                if escaped:
                    if "%" in key or "+" in key:
                        key = unquote_plus(key, "utf-8", errors)

                    if "%" in value or "+" in value:
                        value = unquote_plus(value, "utf-8", errors)

                if key in grouped:
                    grouped[key].append(value)
                else:
                    grouped[key] = [value]

        md: MultiDict[str, str] = _dict_new(cls or MultiDict)
        _dict_update(md, grouped)
        return md

    items: list[tuple[str, str]] = []

    for pair in s.split("&"):
        if pair:
            key, _, value = pair.partition("=")

            if escaped:
                if "%" in key or "+" in key:
                    key = unquote_plus(key, "utf-8", errors)

                if "%" in value or "+" in value:
                    value = unquote_plus(value, "utf-8", errors)

            items.append((key, value))

    return cls(items)


# Same set Werkzeug's _urlencode leaves bare:
# https://url.spec.whatwg.org/#percent-encoded-bytes
_ENCODE_SAFE = "!$'()*,/:;?@"


def url_encode(
    obj: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]],
    sort: bool = False,
    key: Callable[[tuple[str, t.Any]], t.Any] | None = None,
) -> str:
    """Build a query string, e.g. for ``url_for(..., **params)``.

    ``None`` values are dropped (so optional parameters can be passed
    unconditionally) and list values repeat the key.

    :param obj: A mapping, a multidict, or an iterable of pairs.
    :param sort: Sort the pairs, so generated URLs are stable and cacheable.
    :param key: Sort key for the ``(key, value)`` pairs.
    """
    items = [item for item in iter_multi_items(obj) if item[1] is not None]

    if sort:
        items.sort(key=key)

    return urlencode(items, safe=_ENCODE_SAFE)


def url_quote(
    s: str | bytes,
    safe: str = "/:",
    unsafe: str = "",
    encoding: str = "utf-8",
    errors: str = "strict",
) -> str:
    """Percent-encode one URL component.

    :param s: The text to quote; non-strings are converted with ``str``.
    :param safe: Characters to leave alone; by default path separators stay.
    :param unsafe: Characters to quote even if otherwise safe.
    :param encoding: Encoding of non-ASCII text before quoting.
    :param errors: Codec error handler for that encoding.
    """
    if not isinstance(s, (str, bytes)):
        s = str(s)

    if isinstance(s, str):
        s = s.encode(encoding, errors)

    table = _quote_table(safe, unsafe)
    return "".join([table[b] for b in s])


@functools.lru_cache(maxsize=32)
def _quote_table(safe: str, unsafe: str) -> tuple[str, ...]:
    """Map every byte to its quoted form once per ``(safe, unsafe)`` pair."""
    keep = (set(_UNRESERVED) | set(safe.encode("ascii"))) - set(unsafe.encode("ascii"))
    return tuple(chr(b) if b in keep else f"%{b:02X}" for b in range(256))


_UNRESERVED = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"


# Characters iri_to_uri would quote in an ASCII URL: controls, space, and the
# few printable ASCII characters outside every part's safe set.
_NEEDS_QUOTING = re.compile(r'[\x00-\x20\x7f"<>\\^`{|}]')


def iri_to_uri(iri: str) -> str:
    """Make a URL safe for a ``Location`` header: IDNA host, UTF-8 percent-escapes.

    An ASCII URL with nothing to quote is returned unchanged (not even the
    host's case), so redirects to ordinary URLs are never rewritten.

    :param iri: The URL, possibly with non-ASCII characters.
    """
    # PERF: nearly every redirect target is already a valid URI.
    if iri.isascii() and _NEEDS_QUOTING.search(iri) is None:
        return iri

    try:
        parts = urlsplit(iri)
        port = parts.port
    except ValueError:
        # A malformed authority (a port that is not a number, an unclosed "[") usually comes
        # from user input (``?next=``): quote the whole target rather than fail the response.
        return quote(iri, safe="%!#$&'()*+,/:;=?@[]~")

    # safe sets follow https://url.spec.whatwg.org/#url-path-segment-string, plus
    # "%" so that existing escapes are not double-quoted.
    path = quote(parts.path, safe="%!$&'()*+,/:;=@")
    query = quote(parts.query, safe="%!$&'()*+,/:;=?@")
    fragment = quote(parts.fragment, safe="%!#$&'()*+,/:;=?@")

    netloc = _encode_idna(parts.hostname) if parts.hostname else ""

    if ":" in netloc:
        netloc = f"[{netloc}]"

    if port:
        netloc = f"{netloc}:{port}"

    if parts.username:
        auth = quote(parts.username, safe="%!$&'()*+,;=")

        if parts.password:
            password = quote(parts.password, safe="%!$&'()*+,;=")
            auth = f"{auth}:{password}"

        netloc = f"{auth}@{netloc}"

    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def _encode_idna(host: str) -> str:
    """Punycode a host; one IDNA cannot encode (empty or over-long labels) is
    percent-encoded instead, so a bad redirect target never raises."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return quote(host, safe="")


def _make_unquoter(chars: str) -> Callable[[str], str]:
    """Build an unquoter that leaves escapes of ``chars`` encoded.

    Unquoting ``%2F`` in a path or ``%26`` in a query would change the URL's
    meaning, so those runs are split out and kept as they are.
    """
    choices = "|".join(f"{ord(c):02X}" for c in sorted(chars))
    pattern = re.compile(f"((?:%(?:{choices}))+)", re.I)

    def unquote_part(value: str) -> str:
        if "%" not in value:
            return value

        pieces = pattern.split(value)
        # Odd indexes are the runs of escapes that must stay quoted.
        for i in range(0, len(pieces), 2):
            pieces[i] = unquote(pieces[i], "utf-8", "kolba.url_quote")

        return "".join(pieces)

    return unquote_part


_ALWAYS_UNSAFE = bytes((*range(0x21), 0x25, 0x7F)).decode()
_unquote_fragment = _make_unquoter(_ALWAYS_UNSAFE)
_unquote_query = _make_unquoter(_ALWAYS_UNSAFE + "&=+#")
_unquote_path = _make_unquoter(_ALWAYS_UNSAFE + "/?#")
_unquote_user = _make_unquoter(_ALWAYS_UNSAFE + ":@/?#")


def _decode_idna(domain: str) -> str:
    """Decode a Punycode host, leaving labels that are not valid IDNA as they are."""
    try:
        data = domain.encode("ascii")
    except UnicodeEncodeError:
        return domain

    try:
        return data.decode("idna")
    except UnicodeError:
        pass

    labels = []

    for label in data.split(b"."):
        try:
            labels.append(label.decode("idna"))
        except UnicodeError:
            labels.append(label.decode("ascii"))

    return ".".join(labels)


def uri_to_iri(uri: str) -> str:
    """Turn a URI into readable text for display: UTF-8 escapes and Punycode decoded.

    Reserved characters and invalid UTF-8 stay percent-encoded, so the result
    converts back to the same URI with :func:`iri_to_uri`.

    :param uri: An ASCII URI.
    """
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        # A malformed authority (from a hostile Host or SCRIPT_NAME): show the URI as it is.
        return uri

    path = _unquote_path(parts.path)
    query = _unquote_query(parts.query)
    fragment = _unquote_fragment(parts.fragment)

    netloc = _decode_idna(parts.hostname) if parts.hostname else ""

    if ":" in netloc:
        netloc = f"[{netloc}]"

    if port:
        netloc = f"{netloc}:{port}"

    if parts.username:
        auth = _unquote_user(parts.username)

        if parts.password:
            auth = f"{auth}:{_unquote_user(parts.password)}"

        netloc = f"{auth}@{netloc}"

    return urlunsplit((parts.scheme, netloc, path, query, fragment))
