"""A request body stream that cannot be read past its declared or allowed length."""

from __future__ import annotations

import io
import typing as t
from collections.abc import Iterator

from .exceptions import ClientDisconnected, RequestEntityTooLarge

__all__ = ["LimitedStream"]

_CHUNK = 64 * 1024


class _Readable(t.Protocol):
    def read(self, size: int, /) -> bytes: ...


class LimitedStream(io.RawIOBase):
    """Wrap a raw body stream (``wsgi.input``) so it never reads past ``limit``.

    Servers do not promise EOF at the end of the body: reading past
    ``Content-Length`` on a keep-alive connection can block or swallow the next
    request. This wrapper is what makes reading the body safe.

    - ``is_max=False``: ``limit`` is the ``Content-Length``. The stream ending
      early means the client went away, so :exc:`ClientDisconnected` is raised.
    - ``is_max=True``: ``limit`` is ``MAX_CONTENT_LENGTH`` and the length is
      unknown (chunked). An early end is just the end; data beyond the limit
      raises :exc:`RequestEntityTooLarge`.

    :param stream: Anything with ``read(n)``; ``readline`` is used if present.
    :param limit: The number of bytes that may be read.
    :param is_max: Whether ``limit`` is a maximum rather than the exact length.
    """

    # PERF: read()/readline() are overridden directly instead of going through
    # RawIOBase's readinto() path, which allocates a bytearray per call.

    # PERF: slots (IOBase still gives instances a __dict__) and no super().__init__(), which
    # is object's: building the stream was ~10k instructions of every request with a body.
    __slots__ = ("_stream", "_pos", "limit", "_is_max")

    def __init__(self, stream: _Readable, limit: int, is_max: bool = False) -> None:
        self._stream = stream
        self._pos = 0
        self.limit = limit
        self._is_max = is_max

    @property
    def is_exhausted(self) -> bool:
        """Whether the limit has been reached, so no more body can be read."""
        return self._pos >= self.limit

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def _disconnected(self, error: BaseException | None = None) -> bytes:
        """Handle an empty or failed read of the underlying stream before the limit."""
        if not self._is_max or error is not None:
            raise ClientDisconnected() from error

        # With no declared length, an empty read is the normal end of the body.
        self.limit = self._pos
        self._is_max = False
        return b""

    def _at_limit(self) -> bytes:
        """Handle a read once the limit is reached.

        With a maximum, one byte is peeked: only real data past the limit is an
        error, so a body of exactly ``MAX_CONTENT_LENGTH`` bytes is accepted.
        """
        if self._is_max:
            try:
                extra = self._stream.read(1)
            except (OSError, ValueError):
                extra = b""

            if extra:
                raise RequestEntityTooLarge()

            # The body really ended; later reads must not peek again.
            self._is_max = False

        return b""

    def read(self, size: int | None = -1) -> bytes:
        remaining = self.limit - self._pos

        if remaining <= 0:
            return self._at_limit() if size != 0 else b""

        if size is None or size < 0:
            return self.readall()

        if size == 0:
            return b""

        try:
            data = self._stream.read(size if size < remaining else remaining)
        except (OSError, ValueError) as e:
            return self._disconnected(e)

        if not data:
            return self._disconnected()

        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        out = []

        # Stop at the limit rather than reading until empty, which would cost
        # an extra read (and a peek when the limit is a maximum).
        while self._pos < self.limit:
            data = self.read(_CHUNK)

            if not data:
                break

            out.append(data)

        if self._pos >= self.limit:
            self._at_limit()

        return b"".join(out)

    def readinto(self, buffer: t.Any) -> int:
        data = self.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def readline(self, size: int | None = -1) -> bytes:
        remaining = self.limit - self._pos

        if remaining <= 0:
            return self._at_limit()

        if size is None or size < 0 or size > remaining:
            size = remaining

        readline = getattr(self._stream, "readline", None)

        if readline is None:
            return self._slow_readline(size)

        try:
            line: bytes = readline(size)
        except (OSError, ValueError) as e:
            return self._disconnected(e)

        if not line:
            return self._disconnected()

        self._pos += len(line)
        return line

    def _slow_readline(self, size: int) -> bytes:
        """Read one byte at a time for streams that only have ``read``."""
        out = bytearray()

        while len(out) < size:
            byte = self.read(1)

            if not byte:
                break

            out += byte

            if byte == b"\n":
                break

        return bytes(out)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        lines = []
        total = 0

        while True:
            line = self.readline()

            if not line:
                break

            lines.append(line)
            total += len(line)

            if hint is not None and 0 < hint <= total:
                break

        return lines

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = self.readline()

        if not line:
            raise StopIteration

        return line

    def exhaust(self) -> bytes:
        """Read and return whatever is left, so the server can reuse the connection."""
        if self._pos >= self.limit:
            return b""

        return self.readall()
