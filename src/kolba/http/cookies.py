"""The ``Cookie`` request header and the ``Set-Cookie`` response header.

Parsing follows Werkzeug (and so what browsers send in practice, which is looser than
RFC 6265); formatting is byte-identical to ``werkzeug.http.dump_cookie`` so responses do not
change when an app moves from Flask to Kolba.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from .dates import http_date
from .header_values import find_closing_quote

__all__ = ["dump_cookie", "parse_cookie"]

_key_re = re.compile(r"[^=;]*")
# Names with these are skipped: a quoted name, or controls and separators a browser never
# sends in a name, could make a later reader see a different cookie (``__Host-`` spoofing).
_bad_name_re = re.compile(r'[\x00-\x20\x7f",\\]')
_unslash_re = re.compile(rb"\\([0-3][0-7]{2}|.)")

_no_quote_re = re.compile(r"[\w!#$%&'()*+\-./:<=>?@\[\]^`{|}~]*", re.ASCII)
_slash_re = re.compile(rb"[\x00-\x19\",;\\\x7f-\xff]")
_slash_map = {b'"': b'\\"', b"\\": b"\\\\"}
_slash_map.update((bytes((v,)), b"\\%03o" % v) for v in [*range(0x20), *b",;", *range(0x7F, 256)])
_injection_re = re.compile(r"[\r\n;\x00]")


def _unslash(match: re.Match[bytes]) -> bytes:
    seq = match.group(1)
    return seq if len(seq) == 1 else bytes((int(seq, 8),))


def _default_cls() -> Callable[[list[tuple[str, str]]], Any]:
    try:
        from .datastructures import ImmutableMultiDict  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # the multidict module is not written yet: a dict of lists
        return _dict_of_lists
    return ImmutableMultiDict  # type: ignore[no-any-return,unused-ignore]


def _dict_of_lists(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def parse_cookie(
    header: str | bytes | None, cls: Callable[[list[tuple[str, str]]], Any] | None = None
) -> Any:
    """Parse a ``Cookie`` header into a multi-dict; ``d[name]`` is the first value sent.

    Quoted values are unquoted, with ``\\"``, ``\\\\`` and octal ``\\054`` escapes decoded
    as UTF-8 (invalid bytes replaced). Cookies without a name, or whose name is quoted or holds
    blanks, controls, ``,`` or ``\\``, are skipped: ``=__Host-x=1`` must not read as a cookie
    named ``__Host-x``. Never raises.

    :param header: The header value, already decoded from WSGI's Latin-1 to text; bytes are
        decoded as UTF-8 with replacement.
    :param cls: Called with the list of ``(name, value)`` pairs; defaults to
        ``kolba.http.datastructures.ImmutableMultiDict``.
    """
    if cls is None:
        cls = _default_cls()
    if isinstance(header, bytes):
        header = header.decode("utf-8", "replace")
    if not header:
        return cls([])
    out: list[tuple[str, str]] = []
    end = len(header)
    pos = 0
    unclosed_from = -1
    while pos < end:
        key_match = _key_re.match(header, pos)
        assert key_match is not None  # matches the empty string at worst
        key = key_match.group()
        pos = key_match.end()
        value = ""
        if pos < end and header[pos] == "=":
            pos += 1
            while pos < end and header[pos] in " \t":
                pos += 1
            quoted = False
            if header.startswith('"', pos):
                close = find_closing_quote(header, pos, unclosed_from)
                if close == -1:
                    if unclosed_from < 0:
                        unclosed_from = pos
                else:
                    after = close + 1
                    while after < end and header[after] in " \t":
                        after += 1
                    if after >= end or header[after] == ";":
                        value = header[pos : close + 1]
                        pos = after
                        quoted = True
            if not quoted:
                semi = header.find(";", pos)
                stop = end if semi == -1 else semi
                value = header[pos:stop]
                pos = stop
        pos += 1  # past the ';'
        key = key.strip()
        if not key or _bad_name_re.search(key) is not None:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            raw = value[1:-1].encode("utf-8", "surrogatepass")
            value = _unslash_re.sub(_unslash, raw).decode("utf-8", "replace")
        out.append((key, value))
    return cls(out)


def dump_cookie(
    key: str,
    value: str = "",
    max_age: timedelta | int | None = None,
    expires: str | datetime | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    sync_expires: bool = True,
    max_size: int = 4093,
    samesite: str | None = None,
    partitioned: bool = False,
) -> str:
    """Build a ``Set-Cookie`` value (without the header name).

    :param key: The cookie name; non-ASCII is sent as UTF-8 bytes tunnelled through Latin-1.
    :param value: Quoted with octal escapes when it holds characters RFC 6265 forbids.
    :param max_age: Seconds or a timedelta; ``None`` for a session cookie.
    :param expires: A datetime, a timestamp, or a preformatted string.
    :param path: Percent-encoded as a URL path.
    :param domain: A leading dot and any port are dropped; IDNA encoded.
    :param secure: Send only over HTTPS.
    :param httponly: Hide from JavaScript.
    :param sync_expires: Also send ``Expires`` computed from *max_age*, for old clients.
    :param max_size: Warn when the result is longer (0 disables); browsers may silently drop
        larger cookies, which is hard to debug.
    :param samesite: ``Strict``, ``Lax`` or ``None`` (any case).
    :param partitioned: Opt into partitioned storage (CHIPS); implies *secure*.
    :raises ValueError: For an unknown *samesite*, or a CR, LF, NUL or ``;`` in *key*, *path*
        or *domain* that would inject attributes or headers (Werkzeug percent-encodes such a
        path instead; Kolba refuses it as the likely bug it is).
    """
    for name, field in (("key", key), ("path", path), ("domain", domain)):
        if field and _injection_re.search(field) is not None:
            raise ValueError(f"The cookie {name} must not contain CR, LF, NUL or ';'.")
    if path is not None:
        path = quote(path, safe="%!$&'()*+,/:=@")
    if domain:
        domain = domain.partition(":")[0].lstrip(".").encode("idna").decode("ascii")
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    if expires is not None:
        if not isinstance(expires, str):
            expires = http_date(expires)
    elif max_age is not None and sync_expires:
        expires = http_date(datetime.now(tz=timezone.utc).timestamp() + max_age)
    if samesite is not None:
        samesite = samesite.title()
        if samesite not in {"Strict", "Lax", "None"}:
            raise ValueError("SameSite must be 'Strict', 'Lax', or 'None'.")
    if partitioned:
        secure = True
    if not _no_quote_re.fullmatch(value):
        # Escape bytes, not characters: a UTF-8 character may be several escaped bytes.
        escaped = _slash_re.sub(lambda m: _slash_map[m.group()], value.encode())
        value = f'"{escaped.decode("ascii")}"'

    buf = [f"{key.encode().decode('latin1')}={value}"]
    attributes: Iterable[tuple[str, object]] = (
        ("Domain", domain),
        ("Expires", expires),
        ("Max-Age", max_age),
        ("Secure", secure),
        ("HttpOnly", httponly),
        ("Path", path),
        ("SameSite", samesite),
        ("Partitioned", partitioned),
    )
    for name, attr in attributes:
        if attr is None or attr is False:
            continue
        if attr is True:
            buf.append(name)
        else:
            buf.append(f"{name}={attr}")
    result = "; ".join(buf)

    size = len(result)
    if max_size and size > max_size:
        value_size = len(value)
        warnings.warn(
            f"The '{key}' cookie is too large: the value was {value_size} bytes but the"
            f" header required {size - value_size} extra bytes. The final size"
            f" was {size} bytes but the limit is {max_size} bytes. Browsers may"
            " silently ignore cookies larger than this.",
            stacklevel=2,
        )
    return result
