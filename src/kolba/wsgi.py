"""The WSGI adapter: an environ becomes a :class:`~kolba.http.scope.Scope`, a response is sent.

This is the only module of Kolba that reads a WSGI environ (besides the test client and dev
server, which build them).
"""

from __future__ import annotations

import typing as t

from .http.scope import UPPER_METHODS, Scope

if t.TYPE_CHECKING:  # pragma: no cover
    pass

WSGIEnvironment = dict[str, t.Any]
StartResponse = t.Callable[..., t.Callable[[bytes], object]]
WSGIApplication = t.Callable[[WSGIEnvironment, StartResponse], t.Iterable[bytes]]

_special_headers = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}
#: Lower-case header name -> environ key, filled as names are asked for (bounded: names come
#: from code, but nothing here should grow without limit).
_environ_keys: dict[str, str] = {}


def _decode(value: str) -> str:
    # PEP 3333 carries bytes in latin-1 strings; paths are UTF-8 on the wire.
    if value.isascii():
        return value
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        # Not PEP 3333: a server that passed decoded text. Keep it as text, with anything
        # UTF-8 cannot carry (lone surrogates) replaced.
        return value.encode("utf-8", "replace").decode("utf-8")
    return raw.decode("utf-8", "replace")


class WSGIScope(Scope):
    """A :class:`Scope` read from a WSGI environ.

    PERF: only the method and path are read up front; everything else is looked up in the
    environ when the request asks for it.
    """

    __slots__ = ("environ", "method", "path", "_env")

    def __init__(self, environ: WSGIEnvironment) -> None:
        self.environ = environ
        self._env = environ
        method: str = environ.get("REQUEST_METHOD", "GET")
        # PERF: the usual methods are upper case already; skip the new string.
        self.method = method if method in UPPER_METHODS else method.upper()
        path: str = environ.get("PATH_INFO", "")
        self.path = path if path.isascii() else _decode(path)

    @property
    def root_path(self) -> str:  # type: ignore[override]
        return _decode(self._env.get("SCRIPT_NAME", ""))

    @property
    def query_string(self) -> bytes:  # type: ignore[override]
        qs: str = self._env.get("QUERY_STRING", "")
        return qs.encode("latin-1", "replace")

    @property
    def scheme(self) -> str:  # type: ignore[override]
        scheme: str = self._env.get("wsgi.url_scheme", "http")
        return scheme

    @property
    def server(self) -> tuple[str, int | None] | None:  # type: ignore[override]
        name = self._env.get("SERVER_NAME")
        if not name:
            return None
        port = self._env.get("SERVER_PORT")
        try:
            return name, int(port) if port else None
        except ValueError:
            return name, None

    @property
    def client(self) -> tuple[str, int] | None:  # type: ignore[override]
        addr = self._env.get("REMOTE_ADDR")
        if addr is None:
            return None
        try:
            port = int(self._env.get("REMOTE_PORT") or 0)
        except ValueError:
            port = 0
        return addr, port

    @property
    def http_version(self) -> str:  # type: ignore[override]
        version: str = self._env.get("SERVER_PROTOCOL", "HTTP/1.1")
        return version

    @property
    def input_terminated(self) -> bool:  # type: ignore[override]
        return bool(self._env.get("wsgi.input_terminated"))

    def header(self, name: str) -> str | None:
        if name == "content-type":
            return self._env.get("CONTENT_TYPE")
        if name == "content-length":
            return self._env.get("CONTENT_LENGTH") or None
        # PERF: each name's environ key is built once, not on every read.
        key = _environ_keys.get(name)
        if key is None:
            key = "HTTP_" + name.upper().replace("-", "_")
            if len(_environ_keys) < 512:
                _environ_keys[name] = key
        return self._env.get(key)

    def header_items(self) -> list[tuple[str, str]]:
        items = []
        for key, value in self._env.items():
            if key.startswith("HTTP_"):
                if key in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                    continue
                # Header values stay as the server gave them (latin-1), as header() and
                # Flask's request.headers do.
                items.append((key[5:].replace("_", "-").title(), value))
            elif key in _special_headers and value:
                items.append((_special_headers[key], value))
        return items

    def body(self) -> t.IO[bytes]:
        stream: t.IO[bytes] = self._env["wsgi.input"]
        return stream


def run_wsgi_app(
    app: WSGIApplication, environ: WSGIEnvironment, buffered: bool = False
) -> tuple[t.Iterable[bytes], str, list[tuple[str, str]]]:
    """Call a WSGI application and capture what it returns (for views that return one)."""
    captured: list[t.Any] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Callable[[bytes], None]:
        if exc_info is not None and captured:
            raise exc_info[1].with_traceback(exc_info[2])
        captured[:] = [status, headers]
        written: list[bytes] = []
        captured.append(written)
        return written.append

    app_rv = app(environ, start_response)
    iterator = iter(app_rv)
    # A WSGI app may call start_response lazily, on the first item.
    first: list[bytes] = []
    if not captured:
        try:
            first.append(next(iterator))
        except StopIteration:
            pass
    if not captured:
        raise TypeError("The WSGI application did not call start_response.")
    status, headers, written = captured

    def body() -> t.Iterator[bytes]:
        try:
            yield from written
            yield from first
            yield from iterator
        finally:
            close = getattr(app_rv, "close", None)
            if close is not None:
                close()

    iterable: t.Iterable[bytes] = body()
    if buffered:
        iterable = list(iterable)
    return iterable, status, headers
