"""Request body form parsing: urlencoded bodies and streaming ``multipart/form-data``.

Multipart parsing is done by multipart's sans-IO push parser, fed in
fixed-size chunks, so memory stays bounded whatever the body looks like: field
values are capped by ``max_form_memory_size`` and file parts go straight to
the container from ``stream_factory``.
"""

from __future__ import annotations

import re
import tempfile
import typing as t
from collections.abc import Callable

from multipart import MultipartError, PushMultipartParser  # type: ignore[import-untyped]

from .datastructures import FileStorage, Headers, ImmutableMultiDict
from .exceptions import BadRequest, RequestEntityTooLarge
from .header_values import parse_options_header
from .urls import url_decode

__all__ = ["default_stream_factory", "parse_form_data"]

StreamFactory = Callable[[int | None, str | None, str | None, int | None], t.IO[bytes]]

_CHUNK_SIZE = 64 * 1024

# RFC 2046 allows 70 characters. Allow some slack over the RFC for odd clients.
_MAX_BOUNDARY = 200
_BOUNDARY_RE = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]*[0-9A-Za-z'()+_,\-./:=?]")

# A part's header block: at most this many header lines, each at most this many bytes. RFC 7578
# parts carry three at most; a form never needs more than a few hundred bytes for one.
_MAX_PART_HEADERS = 8
_MAX_PART_HEADER = 4096 + 128

# Charsets a part may declare for its text; anything else is read as UTF-8.
_PART_CHARSETS = frozenset({"ascii", "us-ascii", "utf-8", "iso-8859-1"})


class _Readable(t.Protocol):
    def read(self, size: int, /) -> bytes: ...


def default_stream_factory(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None,
    content_length: int | None = None,
) -> t.IO[bytes]:
    """Give each uploaded file a container that spills to disk past 500 KiB.

    :param total_content_length: Length of the whole body, if declared.
    :param content_type: The part's ``Content-Type``.
    :param filename: The part's file name as the client sent it.
    :param content_length: The part's own ``Content-Length``, rarely sent.
    """
    return tempfile.SpooledTemporaryFile(max_size=500 * 1024)


def parse_form_data(
    stream: _Readable,
    mimetype: str,
    options: dict[str, str],
    content_length: int | None,
    *,
    max_form_memory_size: int | None = 500_000,
    max_form_parts: int | None = 1_000,
    stream_factory: StreamFactory | None = None,
) -> tuple[ImmutableMultiDict[str, str], ImmutableMultiDict[str, FileStorage]]:
    """Parse a form body into ``(form, files)``.

    Bodies of other types give two empty multidicts, so ``request.form`` is
    always safe to read.

    :param stream: The body, already limited to its length by the caller.
    :param mimetype: The parsed ``Content-Type`` without parameters.
    :param options: The ``Content-Type`` parameters (the multipart boundary).
    :param content_length: The declared body length, checked up front so an
        oversized urlencoded body is refused without reading it.
    :param max_form_memory_size: Most bytes held in memory for one urlencoded
        body or one non-file multipart field.
    :param max_form_parts: Most fields (urlencoded) or parts (multipart).
    :param stream_factory: Makes the container for each uploaded file.
    """
    if mimetype == "multipart/form-data":
        return _parse_multipart(
            stream,
            options,
            content_length,
            max_form_memory_size,
            max_form_parts,
            stream_factory or default_stream_factory,
        )

    if mimetype == "application/x-www-form-urlencoded":
        form = _parse_urlencoded(stream, content_length, max_form_memory_size, max_form_parts)
        return form, ImmutableMultiDict()

    return ImmutableMultiDict(), ImmutableMultiDict()


def _parse_urlencoded(
    stream: _Readable,
    content_length: int | None,
    max_size: int | None,
    max_parts: int | None,
) -> ImmutableMultiDict[str, str]:
    if max_size is not None and content_length is not None and content_length > max_size:
        raise RequestEntityTooLarge()

    chunks = []
    size = 0

    while True:
        chunk = stream.read(_CHUNK_SIZE)

        if not chunk:
            break

        size += len(chunk)

        # The declared length may be absent (chunked), so count what arrives.
        if max_size is not None and size > max_size:
            raise RequestEntityTooLarge()

        chunks.append(chunk)

        # PERF: the stream is limited to the declared length; once that much has arrived,
        # another read could only return b"".
        if content_length is not None and size >= content_length:
            break

    form: ImmutableMultiDict[str, str] = url_decode(  # type: ignore[assignment]
        chunks[0] if len(chunks) == 1 else b"".join(chunks),
        max_fields=max_parts,
        cls=ImmutableMultiDict,
        on_too_many=RequestEntityTooLarge,
        # Werkzeug keeps invalid UTF-8 percent-encoded in form values; so do we.
        errors="kolba.url_quote",
    )
    return form


class _Part:
    """One part's headers as Kolba reads them, made by the parser when a header block ends.

    ``bytes_received`` and ``complete`` are the two attributes the parser keeps up to date on
    the segment objects it yields; everything else is Kolba's.
    """

    __slots__ = (
        "headers",
        "name",
        "filename",
        "content_type",
        "content_length",
        "bytes_received",
        "complete",
    )

    def __init__(self, headerlist: list[tuple[str, str]]) -> None:
        self.bytes_received = 0
        self.complete = False
        headers = []
        first: dict[str, str] = {}

        for name, raw in headerlist:
            # The parser decoded the header block as latin-1 so no byte can fail; the text is
            # UTF-8, as browsers send it, and undecodable bytes become U+FFFD.
            value = raw.encode("latin-1").decode("utf-8", "replace").strip()

            # The parser splits lines on CRLF only; a bare CR, LF or NUL left inside a value
            # could not be stored in Headers and is never sent by a real client.
            if "\n" in value or "\r" in value or "\0" in value:
                raise BadRequest("Malformed multipart/form-data part header.")

            headers.append((name, value))
            first.setdefault(name.lower(), value)

        disposition = first.get("content-disposition")

        if disposition is None:
            raise BadRequest("Multipart part is missing a Content-Disposition header.")

        self.headers = headers
        self.name, self.filename = _disposition(disposition)
        self.content_type = first.get("content-type")
        self.content_length = _part_length(first.get("content-length"))


class _Parser(PushMultipartParser):  # type: ignore[misc]
    """multipart's push parser, yielding Kolba's :class:`_Part` for each header block."""

    def _create_segment(self, headerlist: list[tuple[str, str]]) -> t.Any:
        # multipart documents this hook for subclasses. Its own segment refuses a
        # disposition other than form-data and reads names differently from Werkzeug.
        return _Part(headerlist)


# The Content-Disposition every browser and HTTP library sends: a name, maybe a filename,
# both quoted, with no backslash, quote or percent sign inside. Anything else takes the full
# parser.
_PLAIN_DISPOSITION = re.compile(r'form-data; name="([^"\\%]*)"(?:; filename="([^"\\%]*)")?')


def _disposition(value: str) -> tuple[str, str | None]:
    """Give a part's field name and file name (``None`` for a plain field), as Werkzeug does."""
    # PERF: the common form is read with one regex match, with the full parser's result.
    match = _PLAIN_DISPOSITION.fullmatch(value)

    if match is not None:
        return match[1], match[2]

    params = parse_options_header(value)[1]
    return params.get("name", ""), params.get("filename")


def _part_charset(content_type: str | None) -> str:
    if content_type:
        name = parse_options_header(content_type)[1].get("charset", "").lower()

        if name in _PART_CHARSETS:
            return name

    return "utf-8"


def _part_length(value: str | None) -> int | None:
    if value is None:
        return None

    value = value.strip()
    # Only plain digits: int() would also accept "+1", "1_000" and " 1 ".
    return int(value) if value.isdigit() and value.isascii() else None


def _parse_multipart(
    stream: _Readable,
    options: dict[str, str],
    content_length: int | None,
    max_memory: int | None,
    max_parts: int | None,
    stream_factory: StreamFactory,
) -> tuple[ImmutableMultiDict[str, str], ImmutableMultiDict[str, FileStorage]]:
    boundary = options.get("boundary", "")

    if not boundary:
        raise BadRequest("Missing boundary in multipart/form-data content type.")

    if len(boundary) > _MAX_BOUNDARY or _BOUNDARY_RE.fullmatch(boundary) is None:
        raise BadRequest("Invalid boundary in multipart/form-data content type.")

    parser = _Parser(
        boundary,
        max_header_size=_MAX_PART_HEADER,
        max_header_count=_MAX_PART_HEADERS,
        header_charset="latin-1",
    )
    parse = parser.parse
    read = stream.read
    delimiter = b"--" + boundary.encode("ascii")
    preamble: bytes | None = b""
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, FileStorage]] = []
    containers: list[t.IO[bytes]] = []
    container: t.IO[bytes] | None = None
    part: _Part | None = None
    buffer = bytearray()
    parts = 0
    received = 0

    try:
        while True:
            chunk = read(_CHUNK_SIZE)

            if not chunk:
                break

            received += len(chunk)

            if preamble is not None:
                # Text before the first boundary (allowed by RFC 2046) is skipped here, within
                # one chunk, so junk cannot be streamed at the parser without end.
                preamble += chunk
                start = _find_first_delimiter(preamble, delimiter)

                if start < 0:
                    if len(preamble) < _CHUNK_SIZE:
                        continue

                    raise BadRequest("Malformed multipart/form-data body.")

                chunk = preamble[start:]
                preamble = None

            # PERF: one loop over the parser's events; a part's data arrives as bytes
            # between its _Part and a None.
            for event in parse(chunk):
                if event.__class__ is bytes:
                    if container is not None:
                        container.write(event)
                        continue

                    if max_memory is not None and len(buffer) + len(event) > max_memory:
                        raise RequestEntityTooLarge()

                    buffer += event
                elif event is None:
                    assert part is not None

                    if container is not None:
                        container.seek(0)
                        # PERF: names were checked by the parser and values by _Part, so the
                        # list needs no second check or copy.
                        headers = Headers._from_trusted(part.headers)
                        upload = FileStorage(container, part.filename, part.name, headers=headers)
                        files.append((part.name, upload))
                        container = None
                    else:
                        fields.append(
                            (part.name, buffer.decode(_part_charset(part.content_type), "replace"))
                        )
                else:
                    part = event
                    parts += 1

                    if max_parts is not None and parts > max_parts:
                        raise RequestEntityTooLarge()

                    # Werkzeug semantics: any filename attribute, even empty, makes a file part.
                    if part.filename is not None:
                        container = stream_factory(
                            content_length,
                            part.content_type,
                            part.filename,
                            part.content_length,
                        )
                        containers.append(container)
                    else:
                        buffer = bytearray()

            # PERF: the stream stops at the declared length; once that much has arrived,
            # another read could only return b"".
            if content_length is not None and received >= content_length:
                break

        if preamble == b"":
            # An empty body is an empty form, as with Werkzeug.
            return ImmutableMultiDict(), ImmutableMultiDict()

        if preamble is not None:
            raise BadRequest("Unexpected end of multipart/form-data body.")

        try:
            parser.close()
        except MultipartError:
            raise BadRequest("Unexpected end of multipart/form-data body.") from None
    except MultipartError as e:
        _close_all(containers)
        raise BadRequest("Malformed multipart/form-data body.") from e
    except BaseException:
        _close_all(containers)
        raise

    return ImmutableMultiDict(fields), ImmutableMultiDict(files)


def _find_first_delimiter(data: bytes, delimiter: bytes) -> int:
    """Find the first boundary line; it starts the body or follows a line break."""
    start = data.find(delimiter)

    while start > 0 and data[start - 1 : start] != b"\n":
        start = data.find(delimiter, start + 1)

    return start


def _close_all(containers: list[t.IO[bytes]]) -> None:
    """Release temporary files when parsing fails, so none are left to the GC."""
    for container in containers:
        container.close()
