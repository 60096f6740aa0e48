"""Encode form data and files as a ``multipart/form-data`` body, as a browser would.

Kept apart from the environ builder because :func:`encode_multipart` is also useful on its
own, as Werkzeug's is, for tests that build a body by hand.
"""

from __future__ import annotations

import mimetypes
import os
import typing as t
from collections.abc import Iterable, Iterator, Mapping
from io import BytesIO
from random import random
from time import time

__all__ = ["encode_multipart"]


def _iter_data(data: object) -> Iterator[tuple[str, t.Any]]:
    """Yield ``(key, value)`` from a dict, multidict or pair list; lists become repeats."""
    items: Iterable[t.Any]
    if hasattr(data, "items"):
        try:
            items = data.items(multi=True)
        except TypeError:
            items = data.items()
    else:
        items = t.cast(Iterable[t.Any], data)
    for key, value in items:
        if isinstance(value, list):
            for v in value:
                yield str(key), v
        else:
            yield str(key), value


class _FileEntry:
    """One file part waiting to be encoded; keeps the stream so ``close()`` can release it."""

    __slots__ = ("stream", "filename", "content_type", "owned")

    def __init__(
        self, stream: t.IO[bytes], filename: str | None, content_type: str | None, owned: bool
    ) -> None:
        self.stream = stream
        self.filename = filename
        self.content_type = content_type
        self.owned = owned


def _make_file(value: t.Any) -> _FileEntry:
    """Turn a file-like, a path, or a ``(file, filename[, content_type])`` tuple into a part."""
    if isinstance(value, tuple):
        if not 1 <= len(value) <= 3:
            raise TypeError("a file tuple is (file, filename[, content_type])")
        source = value[0]
        filename: str | None = value[1] if len(value) > 1 else None
        content_type: str | None = value[2] if len(value) > 2 else None
    else:
        source, filename, content_type = value, None, None
    owned = False
    if isinstance(source, (str, os.PathLike)):
        if filename is None:
            filename = os.fspath(source)
        stream: t.IO[bytes] = open(source, "rb")  # noqa: SIM115 - closed by EnvironBuilder.close
        owned = True
    elif hasattr(source, "read"):
        stream = source
        if filename is None:
            filename = getattr(source, "filename", None)
            if filename is None:
                name = getattr(source, "name", None)
                if isinstance(name, (str, bytes)):
                    filename = os.fsdecode(name)
        if content_type is None:
            content_type = getattr(source, "content_type", None)
    else:
        raise TypeError(f"cannot upload {type(source).__name__!r} as a file")
    if filename is not None and filename.startswith("<") and filename.endswith(">"):
        # Streams like sys.stdin are named "<stdin>"; that is no file name.
        filename = None
    if filename and content_type is None:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return _FileEntry(stream, filename, content_type, owned)


def _is_file_value(value: object) -> bool:
    return isinstance(value, tuple) or hasattr(value, "read")


def _encode_parts(
    fields: Iterable[tuple[str, str]], files: Iterable[tuple[str, _FileEntry]], boundary: str
) -> bytes:
    """Encode form fields then files the way Werkzeug's ``MultipartEncoder`` does.

    NOTE: Werkzeug omits the CRLF before the next delimiter when a part is empty, which
    strict parsers (multipart, python-multipart) refuse; here every part body is followed by
    CRLF, as RFC 7578 says.
    """
    delim = b"\r\n--" + boundary.encode("latin-1")
    out = BytesIO()
    for name, value in fields:
        out.write(delim + b'\r\nContent-Disposition: form-data; name="%s"\r\n' % name.encode())
        out.write(b"\r\n" + value.encode())
    for name, entry in files:
        out.write(delim + b'\r\nContent-Disposition: form-data; name="%s"' % name.encode())
        if entry.filename is not None:
            out.write(b'; filename="%s"' % entry.filename.encode())
        out.write(b"\r\n")
        ctype = entry.content_type or "application/octet-stream"
        out.write(f"Content-Type: {ctype}\r\n\r\n".encode())
        while True:
            chunk = entry.stream.read(16384)
            if not chunk:
                break
            out.write(chunk if isinstance(chunk, bytes) else str(chunk).encode())
    out.write(delim + b"--\r\n")
    return out.getvalue()


def _new_boundary() -> str:
    return f"---------------KolbaFormPart_{time()}{random()}"


def encode_multipart(values: Mapping[str, t.Any], boundary: str | None = None) -> tuple[str, bytes]:
    """Encode a form the way a browser would post it, for tests that build bodies by hand.

    :param values: field names to strings (a list gives a repeated field) or files: a file
        object, or a ``(file, filename[, content_type])`` tuple.
    :param boundary: fixed boundary so a test can compare bytes; random when omitted.
    :return: ``(boundary, body)``.
    """
    if boundary is None:
        boundary = _new_boundary()
    fields: dict[str, list[str]] = {}
    files: dict[str, list[_FileEntry]] = {}
    for key, value in _iter_data(values):
        if _is_file_value(value):
            files.setdefault(key, []).append(_make_file(value))
        else:
            fields.setdefault(key, []).append(value if isinstance(value, str) else str(value))
    body = _encode_parts(
        ((k, v) for k, vs in fields.items() for v in vs),
        ((k, f) for k, fs in files.items() for f in fs),
        boundary,
    )
    for fs in files.values():
        for f in fs:
            if f.owned:
                f.stream.close()
    return boundary, body
