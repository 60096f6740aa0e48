"""Uploaded files, as ``request.files`` holds them."""

from __future__ import annotations

import os
import typing as t
from collections.abc import Iterator
from io import BytesIO

from kolba.http.headermap import Headers

__all__ = ["FileStorage"]


class FileStorage:
    """An uploaded file: its stream plus the part's filename and headers.

    Unknown attributes (``read``, ``seek``...) are looked up on the stream, so the
    object can be used like the file itself.

    :param stream: the file's content; an empty stream if ``None``.
    :param filename: the client's filename; taken from ``stream.name`` if omitted.
    :param name: the form field's name.
    :param content_type: sets the ``Content-Type`` header.
    :param content_length: sets the ``Content-Length`` header.
    :param headers: the part's headers.
    """

    # ``__dict__`` is kept so applications can still attach their own attributes.
    __slots__ = ("name", "stream", "filename", "headers", "_parsed", "__dict__")

    def __init__(
        self,
        stream: t.IO[bytes] | None = None,
        filename: str | os.PathLike[str] | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.name = name
        self.stream: t.IO[bytes] = stream if stream is not None else BytesIO()
        if filename is None:
            guessed = getattr(stream, "name", None)
            if isinstance(guessed, (str, bytes, os.PathLike)):
                text = os.fsdecode(guessed)
                # Special streams are named like "<stdin>"; that is not a filename.
                filename = None if text[:1] == "<" and text[-1:] == ">" else text
        else:
            filename = os.fsdecode(filename)
        self.filename: str | None = filename
        if headers is None:
            headers = Headers()
        self.headers = headers
        if content_type is not None:
            headers["Content-Type"] = content_type
        if content_length is not None:
            headers["Content-Length"] = str(content_length)
        self._parsed: tuple[str, dict[str, str]] | None = None

    @property
    def content_type(self) -> str | None:
        """The part's ``Content-Type``, as the client sent it."""
        return self.headers.get("content-type")

    @property
    def content_length(self) -> int:
        """The part's ``Content-Length``, or 0 if missing or not a plain number."""
        value = self.headers.get("content-length")
        if value is not None:
            value = value.strip()
            if value.isascii() and value.isdigit():
                return int(value)
        return 0

    def _parse(self) -> tuple[str, dict[str, str]]:
        if self._parsed is None:
            # Imported here: the header parsers build on this module.
            from kolba.http.headers import parse_options_header

            self._parsed = parse_options_header(self.content_type)
        return self._parsed

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased (``text/html``)."""
        return self._parse()[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters, e.g. ``{"charset": "utf-8"}``."""
        return self._parse()[1]

    def save(self, dst: str | os.PathLike[str] | t.IO[bytes], buffer_size: int = 16384) -> None:
        """Copy the content to a path or an open binary file.

        A path is opened and closed here; a file object is left open for the caller.
        Never pass the client's :attr:`filename` as a path unchecked.

        :param dst: a path or a writable binary file.
        :param buffer_size: bytes held in memory per copy step.
        """
        from shutil import copyfileobj

        if isinstance(dst, (str, os.PathLike)):
            with open(dst, "wb") as file:
                copyfileobj(self.stream, file, buffer_size)
        else:
            copyfileobj(self.stream, dst, buffer_size)

    def close(self) -> None:
        """Close the stream; errors are ignored since this is cleanup."""
        try:
            self.stream.close()
        except Exception:
            pass

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __getattr__(self, name: str) -> t.Any:
        # NOTE: guard the slots so a half-built object (during unpickling or a
        # failed __init__) raises AttributeError instead of recursing.
        if name in FileStorage.__slots__:
            raise AttributeError(name)
        return getattr(self.stream, name)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"
