"""The neutral description of one HTTP request that every server adapter provides.

The request object reads nothing but a :class:`Scope`. The WSGI adapter (:mod:`kolba.wsgi`)
implements it over an environ; an ASGI adapter will implement it over an ASGI scope and receive
channel. Keeping this seam narrow is what lets one core serve both.
"""

from __future__ import annotations

import io
import typing as t

#: Method names that are upper case already. PERF: adapters and the router test membership
#: here instead of making a new string with ``str.upper()`` for every request.
UPPER_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


class Scope:
    """What a server knows about a request, before any parsing.

    Subclasses set the plain attributes eagerly (they are needed by every request) and
    implement the methods, which the request calls only when a view needs them.

    :ivar method: Upper-case request method.
    :ivar path: The path below :attr:`root_path`, decoded to text (UTF-8, invalid bytes replaced).
    :ivar root_path: The prefix the application is mounted under (WSGI ``SCRIPT_NAME``), decoded.
    :ivar query_string: The raw bytes after ``?``.
    :ivar scheme: ``"http"`` or ``"https"`` as the server saw it.
    :ivar server: The server's own ``(host, port)``, or None when unknown.
    :ivar client: The peer's ``(host, port)``, or None when unknown.
    :ivar environ: The WSGI environ when served by WSGI; None otherwise. Only offered to users
        (``request.environ``); Kolba's core never reads it.
    """

    __slots__ = ()

    method: str
    path: str
    root_path: str
    query_string: bytes
    scheme: str
    server: tuple[str, int | None] | None
    client: tuple[str, int] | None
    http_version: str
    environ: dict[str, t.Any] | None
    input_terminated: bool

    def header(self, name: str) -> str | None:
        """One header's value (several occurrences joined with ``", "``), by lower-case name."""
        raise NotImplementedError

    def header_items(self) -> list[tuple[str, str]]:
        """Every header as ``(Name, value)`` pairs, in the order received where known."""
        raise NotImplementedError

    def body(self) -> t.IO[bytes]:
        """The raw request body stream; the request limits it to the declared length."""
        raise NotImplementedError


class SimpleScope(Scope):
    """A scope from plain values: for tests, tools and adapters that have everything up front."""

    __slots__ = (
        "method",
        "path",
        "root_path",
        "query_string",
        "scheme",
        "server",
        "client",
        "http_version",
        "environ",
        "input_terminated",
        "_headers",
        "_body",
    )

    def __init__(
        self,
        method: str = "GET",
        path: str = "/",
        query_string: bytes = b"",
        headers: t.Iterable[tuple[str, str]] = (),
        body: bytes | t.IO[bytes] = b"",
        *,
        root_path: str = "",
        scheme: str = "http",
        server: tuple[str, int | None] | None = ("localhost", 80),
        client: tuple[str, int] | None = ("127.0.0.1", 0),
        http_version: str = "HTTP/1.1",
    ) -> None:
        self.method = method.upper()
        self.path = path
        self.root_path = root_path
        self.query_string = query_string
        self.scheme = scheme
        self.server = server
        self.client = client
        self.http_version = http_version
        self.environ = None
        self._headers = list(headers)
        self._body = io.BytesIO(body) if isinstance(body, bytes) else body
        self.input_terminated = isinstance(body, bytes)

    def header(self, name: str) -> str | None:
        values = [v for k, v in self._headers if k.lower() == name]
        return ", ".join(values) if values else None

    def header_items(self) -> list[tuple[str, str]]:
        return list(self._headers)

    def body(self) -> t.IO[bytes]:
        return self._body
