"""Conditional and range responses: the logic behind :meth:`Response.make_conditional`.

Kept out of :mod:`kolba.http.response` because only file-like responses need it, and it is
the one place where a body is cut into pieces. The header parsing lives in
:mod:`kolba.http.conditional`; this module decides what to send.

Werkzeug's rules are followed (``304``/``412`` for unmodified resources, ``If-Range``, a
``Date`` header added), with these deliberate differences, all allowed by RFC 9110
section 14.2:

- several ranges are served as one ``multipart/byteranges`` body (Werkzeug answers 416);
- a ``Range`` header that is malformed, inverted, overlapping, of another unit than
  ``bytes``, or asks for more than :data:`MAX_RANGES` ranges is ignored: the full body is
  sent with 200 (Werkzeug answers 416 for all of these);
- a suffix range longer than the body (``bytes=-5000`` of 100 bytes) sends the whole body as
  a 206 (Werkzeug answers 416).
"""

from __future__ import annotations

import secrets
import typing as t
from collections.abc import Iterable, Iterator

from .conditional import (
    is_resource_modified,
    parse_etags,
    parse_if_range_header,
    parse_range_header,
)
from .dates import http_date, parse_date

if t.TYPE_CHECKING:  # pragma: no cover
    from .request import Request
    from .response import Response

__all__ = ["MAX_RANGES", "make_conditional", "resolve_ranges"]

#: Most ranges honoured in one ``Range`` header; more and the header is ignored. Each range
#: costs a part header and a seek, so an unbounded count lets a tiny request make the server
#: do a lot of work (range amplification).
MAX_RANGES = 16

#: Bytes read from the body at a time while cutting a range out of it.
_BLOCK_SIZE = 64 * 1024


def _header_getter(request_or_environ: Request | dict[str, t.Any]) -> tuple[str, t.Any]:
    """The request method and a ``get(name)`` for its headers, from a request or an environ."""
    if isinstance(request_or_environ, dict):
        environ = request_or_environ

        def get(name: str) -> str | None:
            value = environ.get("HTTP_" + name.upper().replace("-", "_"))
            return value if isinstance(value, str) else None

        return str(environ.get("REQUEST_METHOD", "GET")).upper(), get
    return request_or_environ.method, request_or_environ.headers.get


def resolve_ranges(header: str | None, length: int) -> list[tuple[int, int]] | None:
    """The byte ranges to send for a ``Range`` header and a body of *length* bytes.

    :param header: The ``Range`` value.
    :param length: The full length of the body.
    :return: ``None`` when the header must be ignored (send everything with 200); an empty
        list when no range overlaps the body (answer 416); otherwise sorted ``(start, stop)``
        pairs, *stop* exclusive, overlapping ones merged.
    """
    parsed = parse_range_header(header, max_ranges=MAX_RANGES)
    if parsed is None or parsed.units != "bytes":
        return None
    resolved: list[tuple[int, int]] = []
    for start, stop in parsed.ranges:
        if start < 0:
            # A suffix range: the last -start bytes, or all of them when the body is shorter.
            start = max(length + start, 0)
            stop = length
        elif stop is None or stop > length:
            stop = length
        if start < stop:
            resolved.append((start, stop))
    if len(resolved) < 2:
        return resolved
    # Only a trailing suffix range can overlap or precede the others (the parser refuses
    # the rest); merging lets a non-seekable body be read once, forwards.
    resolved.sort()
    merged = [resolved[0]]
    for start, stop in resolved[1:]:
        last_start, last_stop = merged[-1]
        if start < last_stop:
            merged[-1] = (last_start, max(stop, last_stop))
        else:
            merged.append((start, stop))
    return merged


class _RangeBody:
    """A body iterable yielding pieces of another body, with text between them.

    Seeks when the source can (a file wrapper), otherwise reads the source forwards and
    drops what lies outside the ranges, so any body can be cut. ``close()`` closes the
    source even when iteration never started, which is what lets a HEAD request or an
    abandoned download release the file.
    """

    __slots__ = ("_source", "_parts", "_tail", "_gen")

    def __init__(
        self, source: Iterable[bytes], parts: list[tuple[bytes, int, int]], tail: bytes
    ) -> None:
        self._source = source
        self._parts = parts
        self._tail = tail
        self._gen: Iterator[bytes] | None = None

    def __iter__(self) -> _RangeBody:
        return self

    def __next__(self) -> bytes:
        if self._gen is None:
            self._gen = self._generate()
        return next(self._gen)

    def _generate(self) -> Iterator[bytes]:
        source = self._source
        seekable = getattr(source, "seekable", None)
        can_seek = seekable is not None and seekable()
        it: Iterator[t.Any] = iter(source)
        pos = 0
        pending = b""
        for prefix, start, stop in self._parts:
            if prefix:
                yield prefix
            if can_seek:
                source.seek(start)  # type: ignore[attr-defined]
                pos = start
                pending = b""
            while pos < stop:
                if pending:
                    chunk, pending = pending, b""
                else:
                    item = next(it, None)
                    if item is None:
                        return
                    chunk = item.encode() if isinstance(item, str) else bytes(item)
                end = pos + len(chunk)
                if end <= start:
                    pos = end
                    continue
                lo = max(start - pos, 0)
                hi = min(stop - pos, len(chunk))
                yield chunk[lo:hi]
                if hi < len(chunk):
                    pending = chunk[hi:]
                    pos += hi
                    break
                pos = end
        if self._tail:
            yield self._tail

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


def _apply_ranges(response: Response, ranges: list[tuple[int, int]], complete_length: int) -> None:
    """Turn *response* into a 206 carrying *ranges* of its body."""
    headers = response.headers
    if len(ranges) == 1:
        start, stop = ranges[0]
        parts = [(b"", start, stop)]
        tail = b""
        headers["Content-Length"] = str(stop - start)
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{complete_length}"
    else:
        boundary = secrets.token_hex(16)
        content_type = headers.get("Content-Type")
        type_line = f"Content-Type: {content_type}\r\n" if content_type else ""
        parts = []
        total = 0
        for index, (start, stop) in enumerate(ranges):
            lead = "" if index == 0 else "\r\n"
            prefix = (
                f"{lead}--{boundary}\r\n{type_line}"
                f"Content-Range: bytes {start}-{stop - 1}/{complete_length}\r\n\r\n"
            ).encode("latin-1")
            parts.append((prefix, start, stop))
            total += len(prefix) + stop - start
        tail = f"\r\n--{boundary}--\r\n".encode()
        total += len(tail)
        headers["Content-Type"] = f"multipart/byteranges; boundary={boundary}"
        headers["Content-Length"] = str(total)
        headers.remove("Content-Range")
    response.status_code = 206
    body = response.response
    if isinstance(body, (list, tuple)):
        # A buffered body is cut at once and stays buffered.
        data = b"".join(response.iter_encoded())
        pieces = [piece for prefix, start, stop in parts for piece in (prefix, data[start:stop])]
        response.response = [b"".join(pieces) + tail]
    else:
        response.response = _RangeBody(body, parts, tail)


def make_conditional(
    response: Response,
    request_or_environ: Request | dict[str, t.Any],
    accept_ranges: bool | str = False,
    complete_length: int | None = None,
) -> Response:
    """Make *response* answer the request's conditional and range headers, in place.

    Only GET and HEAD are affected. An unmodified resource becomes ``304 Not Modified`` (or
    ``412`` when ``If-Match`` was sent); a ``Range`` the resource can satisfy becomes ``206``.

    :param response: The full response, with its ``ETag``/``Last-Modified`` already set.
    :param request_or_environ: The request, or its WSGI environ.
    :param accept_ranges: ``True`` (``bytes``) or a unit name to send ``Accept-Ranges`` and
        serve ranges; ``False`` to ignore ``Range``.
    :param complete_length: The body's full length; ranges are served only when it is known
        and not zero.
    :raises RequestedRangeNotSatisfiable: When no requested range overlaps the body.
    :return: *response*, so a view can ``return resp.make_conditional(request)``.
    """
    method, get = _header_getter(request_or_environ)
    if method not in ("GET", "HEAD"):
        return response
    headers = response.headers
    if "date" not in headers:
        headers["Date"] = http_date()
    is206 = False
    if accept_ranges:
        headers["Accept-Ranges"] = "bytes" if accept_ranges is True else accept_ranges
        range_header = get("Range")
        if complete_length and range_header is not None:
            if_range = get("If-Range")
            if if_range is None or not is_resource_modified(
                method=method,
                if_none_match=parse_etags(get("If-None-Match")),
                if_modified_since=parse_date(get("If-Modified-Since")),
                if_range=parse_if_range_header(if_range),
                etag=headers.get("ETag"),
                last_modified=headers.get("Last-Modified"),
                ignore_if_range=False,
                if_match=parse_etags(get("If-Match")),
            ):
                ranges = resolve_ranges(range_header, complete_length)
                if ranges is not None:
                    if not ranges:
                        from .exceptions import RequestedRangeNotSatisfiable

                        raise RequestedRangeNotSatisfiable(complete_length)
                    _apply_ranges(response, ranges, complete_length)
                    is206 = True
    if not is206:
        if_match = parse_etags(get("If-Match"))
        if not is_resource_modified(
            method=method,
            if_none_match=parse_etags(get("If-None-Match")),
            if_modified_since=parse_date(get("If-Modified-Since")),
            if_range=None,
            etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
            if_match=if_match,
        ):
            response.status_code = 412 if if_match else 304
    if response.automatically_set_content_length and "content-length" not in headers:
        length = response.calculate_content_length()
        if length is not None:
            headers["Content-Length"] = str(length)
    return response
