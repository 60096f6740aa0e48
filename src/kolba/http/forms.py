"""Request body form parsing: urlencoded bodies and streaming ``multipart/form-data``.

Multipart parsing is done by python-multipart's callback parser, fed in
fixed-size chunks, so memory stays bounded whatever the body looks like: field
values are capped by ``max_form_memory_size`` and file parts go straight to
the container from ``stream_factory``.
"""

from __future__ import annotations

import logging
import re
import tempfile
import typing as t
from collections.abc import Callable

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from .datastructures import FileStorage, Headers, ImmutableMultiDict
from .exceptions import BadRequest, RequestEntityTooLarge
from .urls import url_decode

__all__ = ["default_stream_factory", "parse_form_data"]

StreamFactory = Callable[[int | None, str | None, str | None, int | None], t.IO[bytes]]

_CHUNK_SIZE = 64 * 1024

# RFC 2046 allows 70 characters; python-multipart refuses more than 256. Allow
# some slack over the RFC for odd clients without going near the parser's limit.
_MAX_BOUNDARY = 200
_BOUNDARY_RE = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]*[0-9A-Za-z'()+_,\-./:=?]")

# Charsets a part may declare for its text; anything else is read as UTF-8.
_PART_CHARSETS = frozenset({"ascii", "us-ascii", "utf-8", "iso-8859-1"})


# python-multipart logs a warning for every malformed body it sees. Bad client
# input is answered with a 400, not logged, so parsers get a logger that drops it.
_quiet_logger = logging.getLogger("kolba.http.forms.multipart")
_quiet_logger.addHandler(logging.NullHandler())
_quiet_logger.propagate = False
_quiet_logger.setLevel(logging.CRITICAL + 1)


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


class _MultipartCollector:
    """Turns python-multipart's callbacks into fields and :class:`FileStorage` objects."""

    __slots__ = (
        "content_length",
        "containers",
        "done",
        "fields",
        "files",
        "header_field",
        "header_value",
        "headers",
        "first",
        "max_memory",
        "max_parts",
        "parts",
        "stream_factory",
        "name",
        "filename",
        "container",
        "buffer",
        "size",
        "zero_copy",
    )

    def __init__(
        self,
        content_length: int | None,
        max_memory: int | None,
        max_parts: int | None,
        stream_factory: StreamFactory,
    ) -> None:
        self.content_length = content_length
        self.max_memory = max_memory
        self.max_parts = max_parts
        self.stream_factory = stream_factory
        # The default container (a SpooledTemporaryFile) copies what it is given, so it can
        # take a memoryview; a custom one may expect bytes.
        self.zero_copy = stream_factory is default_stream_factory
        self.fields: list[tuple[str, str]] = []
        self.files: list[tuple[str, FileStorage]] = []
        self.containers: list[t.IO[bytes]] = []
        self.parts = 0
        self.done = False
        self.headers: list[tuple[str, str]] = []
        # The first value of each header, by lower-case name: a repeated header does not
        # replace the first one.
        self.first: dict[str, str] = {}
        self.header_field = b""
        self.header_value = b""
        self.name = ""
        self.filename: str | None = None
        self.container: t.IO[bytes] | None = None
        self.buffer = bytearray()
        self.size = 0

    def on_part_begin(self) -> None:
        self.parts += 1

        if self.max_parts is not None and self.parts > self.max_parts:
            raise RequestEntityTooLarge()

        self.headers = []
        self.first = {}
        self.container = None
        self.size = 0

    # PERF: a header name or value nearly always arrives in one callback; concatenating
    # onto b"" returns the slice itself, so that case copies nothing more.
    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        name = self.header_field.decode("utf-8", "replace").strip()
        value = self.header_value.decode("utf-8", "replace").strip()
        self.header_field = self.header_value = b""

        # The parser lets a bare LF or NUL through inside a value; such a header
        # could not be stored in Headers and is never sent by a real client.
        if "\n" in value or "\r" in value or "\0" in value:
            raise BadRequest("Malformed multipart/form-data part header.")

        self.headers.append((name, value))
        self.first.setdefault(name.lower(), value)

    def on_headers_finished(self) -> None:
        first = self.first
        disposition = first.get("content-disposition")

        if disposition is None:
            raise BadRequest("Multipart part is missing a Content-Disposition header.")

        name, filename = _disposition(disposition)
        self.name = name

        # Werkzeug semantics: any filename attribute, even empty, makes a file part.
        if filename is not None:
            self.filename = filename
            self.container = self.stream_factory(
                self.content_length,
                first.get("content-type"),
                filename,
                _part_length(first.get("content-length")),
            )
            self.containers.append(self.container)
        else:
            self.filename = None
            self.buffer = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.container is not None:
            if self.zero_copy:
                # PERF: slicing bytes copies the chunk once more before the container copies
                # it again; for a 100 KB upload that copy was a tenth of the request.
                self.container.write(memoryview(data)[start:end])
            else:
                self.container.write(data[start:end])
            return

        self.size += end - start

        if self.max_memory is not None and self.size > self.max_memory:
            raise RequestEntityTooLarge()

        self.buffer += data[start:end]

    def on_part_end(self) -> None:
        container = self.container

        if container is not None:
            container.seek(0)
            # PERF: the parser checked the names are tokens and on_header_end refused
            # CR, LF and NUL in values, so the list needs no second check or copy.
            headers = Headers._from_trusted(self.headers)
            self.files.append(
                (self.name, FileStorage(container, self.filename, self.name, headers=headers))
            )
            self.container = None
        else:
            self.fields.append((self.name, self.buffer.decode(self._charset(), "replace")))

    def _charset(self) -> str:
        content_type = self.first.get("content-type")

        if content_type:
            charset = _header_options(content_type).get(b"charset", b"")
            name = charset.decode("latin-1").lower()

            if name in _PART_CHARSETS:
                return name

        return "utf-8"

    def on_end(self) -> None:
        self.done = True


# The Content-Disposition every browser and HTTP library sends: a name, maybe a filename,
# both quoted, with no backslash or quote inside. Anything else takes the full parser.
_PLAIN_DISPOSITION = re.compile(r'form-data; name="([^"\\]*)"(?:; filename="([^"\\]*)")?')


def _disposition(value: str) -> tuple[str, str | None]:
    """Give a part's field name and file name (``None`` for a plain field)."""
    # PERF: python-multipart's option parser cost more than the rest of the part's
    # handling; the common form is read with one regex match, with the same result.
    match = _PLAIN_DISPOSITION.fullmatch(value)

    if match is not None:
        return match[1], match[2]

    params = _header_options(value)
    filename = params.get(b"filename")
    return (
        params.get(b"name", b"").decode("utf-8", "replace"),
        None if filename is None else filename.decode("utf-8", "replace"),
    )


def _header_options(value: str) -> dict[bytes, bytes]:
    """Parse a part header's parameters.

    python-multipart's parser works on latin-1; feeding it the UTF-8 bytes as
    latin-1 text makes any character safe and lets UTF-8 file names come back
    intact when the values are decoded as UTF-8.
    """
    return parse_options_header(value.encode("utf-8").decode("latin-1"))[1]


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

    collector = _MultipartCollector(content_length, max_memory, max_parts, stream_factory)
    parser = MultipartParser(
        boundary.encode("ascii"),
        {
            "on_part_begin": collector.on_part_begin,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
            "on_end": collector.on_end,
        },
    )
    parser.logger = _quiet_logger
    read = stream.read
    write = parser.write
    delimiter = b"--" + boundary.encode("ascii")
    preamble: bytes | None = b""

    try:
        while True:
            chunk = read(_CHUNK_SIZE)

            if not chunk:
                break

            if preamble is not None:
                # python-multipart rejects a preamble (text before the first
                # boundary, allowed by RFC 2046); skip it here, within one chunk.
                preamble += chunk
                start = _find_first_delimiter(preamble, delimiter)

                if start < 0:
                    if len(preamble) < _CHUNK_SIZE:
                        continue

                    raise BadRequest("Malformed multipart/form-data body.")

                chunk = preamble[start:]
                preamble = None

            write(chunk)

        if preamble == b"":
            # An empty body is an empty form, as with Werkzeug.
            return ImmutableMultiDict(), ImmutableMultiDict()

        if not collector.done:
            raise BadRequest("Unexpected end of multipart/form-data body.")
    except FormParserError as e:
        _close_all(collector.containers)
        raise BadRequest("Malformed multipart/form-data body.") from e
    except BaseException:
        _close_all(collector.containers)
        raise

    return ImmutableMultiDict(collector.fields), ImmutableMultiDict(collector.files)


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
