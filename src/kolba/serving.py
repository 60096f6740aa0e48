"""The development server: a threaded WSGI server on the standard library's ``http.server``.

It exists so that ``kolba run`` and ``app.run()`` work with nothing else installed. It is not
hardened, tuned or audited for the open internet: in production run the app under gunicorn,
waitress or uWSGI (see docs/development.md). What it does take care of is staying up while you
work: malformed requests get a 4xx answer, clients that vanish are forgotten quietly, an app that
raises answers 500, and the next request is served as usual.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import re
import signal
import socket
import socketserver
import ssl
import sys
import threading
import traceback
import typing as t
from collections.abc import Iterable, Iterator
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote_to_bytes

from . import __version__ as _version
from .http.exceptions import ClientDisconnected

if t.TYPE_CHECKING:  # pragma: no cover
    from types import FrameType, TracebackType

    from .wsgi import WSGIApplication, WSGIEnvironment

    _ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

__all__ = ["DevServer", "WSGIRequestHandler", "make_server", "run_simple"]

#: The longest request line or header line read (``http.server``'s own header limit is the same).
MAX_LINE = 65536
#: A request body the app left unread is drained up to this size so the connection can be kept
#: alive; a larger remainder closes the connection instead.
MAX_DRAIN = 1024 * 1024
#: How long a stopping server waits for requests in flight before it lets them go.
SHUTDOWN_GRACE = 5.0

#: How long a closing connection waits for the client's remaining bytes.
LINGER = 1.0

_logger = logging.getLogger("kolba.serving")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
_INTERNAL_ERROR = (
    b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    b"<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable"
    b" to complete your request. Either the server is overloaded or there is an error in the"
    b" application.</p>\n"
)


def _log(level: int, message: str, *args: object) -> None:
    """Log on ``kolba.serving``, printing to stderr when logging is not configured at all.

    A logger (not ``print``) so users can quiet the request lines the way they quiet Werkzeug's:
    ``logging.getLogger("kolba.serving").setLevel(logging.WARNING)``.
    """
    if not logging.root.handlers and _logger.level == logging.NOTSET:
        _logger.setLevel(logging.INFO)
        if not _logger.handlers:
            _logger.addHandler(logging.StreamHandler())
    _logger.log(level, message, *args)


class _LimitedInput(io.RawIOBase):
    """``wsgi.input`` for a body of known length: the app cannot read into the next request."""

    def __init__(self, rfile: io.BufferedIOBase, length: int) -> None:
        self._rfile = rfile
        self.remaining = length
        self.broken = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        if self.remaining <= 0:
            return 0
        data = b"" if self.broken else self._rfile.read(min(len(buffer), self.remaining))
        if not data:
            # A BadRequest so the app answers 400 rather than parsing half a body as a whole.
            self.broken = True
            raise ClientDisconnected()
        buffer[: len(data)] = data
        self.remaining -= len(data)
        return len(data)

    @property
    def finished(self) -> bool:
        return self.remaining <= 0


class _DechunkedInput(io.RawIOBase):
    """``wsgi.input`` for a ``Transfer-Encoding: chunked`` body, which the server de-chunks
    (and says so with ``wsgi.input_terminated``) so apps read plain bytes to EOF."""

    def __init__(self, rfile: io.BufferedIOBase) -> None:
        self._rfile = rfile
        self._left = 0
        self.finished = False
        self.broken = False

    def readable(self) -> bool:
        return True

    def _line(self) -> bytes:
        line = self._rfile.readline(MAX_LINE + 1)
        if not line:
            raise ClientDisconnected()
        if len(line) > MAX_LINE:
            raise ClientDisconnected("Chunk header line too long.")
        return line

    def readinto(self, buffer: t.Any) -> int:
        if self.finished:
            return 0
        if self.broken:
            raise ClientDisconnected()
        self.broken = True  # until this read succeeds: the stream's position is unknown
        if self._left == 0:
            size = self._line().split(b";", 1)[0].strip()
            if not _HEX.fullmatch(size):
                raise ClientDisconnected("Invalid chunk header.")
            self._left = int(size, 16)
            if self._left == 0:
                while self._line().strip():  # trailer fields: read and dropped
                    pass
                self.finished, self.broken = True, False
                return 0
        data = self._rfile.read(min(len(buffer), self._left))
        if not data:
            raise ClientDisconnected()
        buffer[: len(data)] = data
        self._left -= len(data)
        if self._left == 0 and self._line().strip():
            raise ClientDisconnected("Chunk data longer than its size.")
        self.broken = False
        return len(data)


class _BadRequestHead(Exception):
    """The request's framing headers are unusable: answer 400 and close, never call the app."""


class WSGIRequestHandler(BaseHTTPRequestHandler):
    """One connection: parse each request, call the app, frame its response for keep-alive."""

    protocol_version = "HTTP/1.1"
    # A request line http.server cannot parse would otherwise get an HTTP/0.9 answer: a bare
    # body without a status line, which no current client understands.
    default_request_version = "HTTP/1.0"
    server_version = f"Kolba/{_version}"
    server: DevServer

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError, ssl.SSLError):
            pass  # the client went away; nothing to answer and nothing worth a traceback

    def handle_one_request(self) -> None:
        self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > MAX_LINE:
            self.requestline = self.request_version = self.command = ""
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return
        if not self.parse_request():
            return  # http.server has answered 400/431/505 and chosen whether to close
        try:
            environ = self.make_environ()
        except _BadRequestHead as exc:
            self.close_connection = True
            self.send_error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        with self.server.tracking_request():
            self.run_wsgi(environ)
        if not self.close_connection:
            self._drain(environ["wsgi.input"])
        self.wfile.flush()

    def make_environ(self) -> WSGIEnvironment:
        """Build the PEP 3333 environ for the parsed request."""
        target = self.path
        environ: WSGIEnvironment = {}
        if target.startswith(("http://", "https://")):
            # Absolute form (as sent to proxies): the authority is the host.
            _, _, rest = target.partition("//")
            authority, slash, path = rest.partition("/")
            environ["HTTP_HOST"] = authority
            target = slash + path
        path, _, query = target.partition("?")
        path = path.partition("#")[0]
        host, port = self.server.server_address[:2]
        scheme = "https" if self.server.ssl_context is not None else "http"
        environ.update(
            {
                "REQUEST_METHOD": self.command,
                "SCRIPT_NAME": "",
                # PEP 3333: the path's bytes, percent-decoded, carried as latin-1.
                "PATH_INFO": unquote_to_bytes(path.encode("latin-1")).decode("latin-1"),
                "QUERY_STRING": query,
                "REQUEST_URI": self.path,
                "RAW_URI": self.path,
                "SERVER_NAME": str(host),
                "SERVER_PORT": str(port),
                "SERVER_PROTOCOL": self.request_version,
                "SERVER_SOFTWARE": self.version_string(),
                "REMOTE_ADDR": self.client_address[0],
                "REMOTE_PORT": self.client_address[1],
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": scheme,
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": self.server.threaded,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
                "wsgi.input_terminated": False,
            }
        )
        for name, value in self.headers.items():
            if "_" in name:
                continue  # "X_Forwarded" must not pass as "X-Forwarded" (both would be X_FORWARDED)
            key = name.upper().replace("-", "_")
            value = value.replace("\r\n", "")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            if key in environ:
                if key == "CONTENT_LENGTH" and environ[key] != value:
                    raise _BadRequestHead("Conflicting Content-Length headers.")
                if key in ("CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_HOST"):
                    continue  # the first one, or the absolute-form target's authority, wins
                value = f"{environ[key]},{value}"
            environ[key] = value
        environ["wsgi.input"] = self._make_input(environ)
        return environ

    def _make_input(self, environ: WSGIEnvironment) -> io.BufferedReader:
        codings = environ.get("HTTP_TRANSFER_ENCODING")
        if codings is not None:
            if codings.rsplit(",", 1)[-1].strip().lower() != "chunked":
                raise _BadRequestHead("Unsupported Transfer-Encoding.")
            # Chunked wins over a Content-Length sent beside it (RFC 9112, 6.3).
            environ.pop("CONTENT_LENGTH", None)
            environ["wsgi.input_terminated"] = True
            return io.BufferedReader(_DechunkedInput(self.rfile))
        length = environ.get("CONTENT_LENGTH")
        if length is None:
            return io.BufferedReader(_LimitedInput(self.rfile, 0))
        if not length.isascii() or not length.isdigit() or len(length) > 18:
            raise _BadRequestHead("Invalid Content-Length header.")
        return io.BufferedReader(_LimitedInput(self.rfile, int(length)))

    def _drain(self, stream: io.BufferedReader) -> None:
        """Read what the app left of the body so the next request starts at its first byte."""
        raw = t.cast("_LimitedInput | _DechunkedInput", stream.raw)
        if raw.broken:
            self.close_connection = True
            return
        try:
            left = MAX_DRAIN
            while not raw.finished and left > 0:
                data = stream.read1(min(left, 65536))
                if not data:
                    break
                left -= len(data)
        except (ClientDisconnected, OSError):
            self.close_connection = True
            return
        if not raw.finished:
            self.close_connection = True

    def run_wsgi(self, environ: WSGIEnvironment) -> None:
        """Call the app and write its response, chunked when it gives no length on HTTP/1.1."""
        status_headers: list[t.Any] = []
        sent = False
        chunked = False
        remaining: int | None = None
        no_body = False

        def send_head() -> None:
            nonlocal sent, chunked, remaining, no_body
            status, headers = status_headers
            code = int(status[:3])
            names = {name.lower() for name, _ in headers}
            no_body = self.command == "HEAD" or code < 200 or code in (204, 304)
            for name, value in headers:
                lname = name.lower()
                if lname == "content-length" and not no_body:
                    remaining = int(value)
                elif lname == "connection" and value.strip().lower() == "close":
                    self.close_connection = True
            if remaining is None and not no_body:
                if self.request_version == "HTTP/1.1" and "transfer-encoding" not in names:
                    chunked = True
                    headers = [*headers, ("Transfer-Encoding", "chunked")]
                else:
                    self.close_connection = True  # the end of the body is the end of the stream
            if self.close_connection and "connection" not in names:
                headers = [*headers, ("Connection", "close")]
            if "date" not in names:
                headers = [*headers, ("Date", formatdate(usegmt=True))]
            if "server" not in names:
                headers = [*headers, ("Server", self.version_string())]
            head = [f"{self.protocol_version} {status}\r\n"]
            head.extend(f"{name}: {value}\r\n" for name, value in headers)
            head.append("\r\n")
            self.wfile.write("".join(head).encode("latin-1"))
            sent = True
            self.log_request(code)

        def write(data: bytes) -> None:
            nonlocal remaining
            if not status_headers:
                raise AssertionError("write() called before start_response()")
            if not sent:
                send_head()
            if not data or no_body:
                return
            if remaining is not None:
                if len(data) > remaining:
                    data = data[:remaining]  # never write past the declared length
                    self.close_connection = True
                remaining -= len(data)
                self.wfile.write(data)
            elif chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            else:
                self.wfile.write(data)

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: _ExcInfo | None = None
        ) -> t.Callable[[bytes], None]:
            if exc_info is not None:
                try:
                    if sent:
                        raise exc_info[1].with_traceback(exc_info[2])
                finally:
                    exc_info = None
            elif status_headers:
                raise AssertionError("start_response() called twice")
            status_headers[:] = [status, list(headers)]
            return write

        try:
            app_iter = self.server.app(environ, start_response)
            try:
                for data in app_iter:
                    write(data)
                if not sent:
                    write(b"")
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            finally:
                close = getattr(app_iter, "close", None)
                if close is not None:
                    close()
            if remaining:
                self.close_connection = True  # the app gave less than it declared
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True  # the client left mid-response
        except Exception:
            self.close_connection = True
            _log(logging.ERROR, "Error on request:\n%s", traceback.format_exc())
            if not sent:
                # Nothing reached the client yet: it can still get a proper answer.
                status_headers[:] = [
                    "500 INTERNAL SERVER ERROR",
                    [
                        ("Content-Type", "text/html; charset=utf-8"),
                        ("Content-Length", str(len(_INTERNAL_ERROR))),
                    ],
                ]
                chunked = False
                remaining = None
                with contextlib.suppress(ConnectionError, TimeoutError, ssl.SSLError):
                    write(_INTERNAL_ERROR)

    def address_string(self) -> str:
        return str(self.client_address[0])

    def log_message(self, format: str, *args: t.Any) -> None:
        _log(
            logging.INFO,
            "%s - - [%s] %s",
            self.address_string(),
            self.log_date_time_string(),
            format % args,
        )

    def log_error(self, format: str, *args: t.Any) -> None:
        pass  # http.server logs "code 400, message ..." and then the request line; one is enough


class DevServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """Serve one WSGI app on an already listening socket (so the reloader can hand the same
    socket to each new process)."""

    daemon_threads = True
    # Joining idle keep-alive threads would hang the stop; in-flight requests are awaited in
    # server_close instead.
    block_on_close = False

    def __init__(
        self,
        sock: socket.socket,
        app: WSGIApplication,
        *,
        threaded: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        handler: type[WSGIRequestHandler] = WSGIRequestHandler,
    ) -> None:
        socketserver.BaseServer.__init__(self, sock.getsockname(), handler)
        self.socket = sock
        self.address_family = sock.family
        self.app = app
        self.threaded = threaded
        self.ssl_context = ssl_context
        self._in_flight = 0
        self._idle = threading.Condition()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request(self, request: t.Any, client_address: t.Any) -> None:
        if self.threaded:
            super().process_request(request, client_address)
        else:
            socketserver.BaseServer.process_request(self, request, client_address)

    def finish_request(self, request: t.Any, client_address: t.Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        # The TLS handshake runs here, in the connection's thread, so a slow or plain-HTTP
        # client cannot stall the accept loop.
        try:
            request.settimeout(10)
            tls = self.ssl_context.wrap_socket(request, server_side=True)
            tls.settimeout(None)
        except (OSError, ValueError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            self.shutdown_request(tls)

    def handle_error(self, request: t.Any, client_address: t.Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            _log(logging.ERROR, "Error on connection:\n%s", traceback.format_exc())

    def shutdown_request(self, request: t.Any) -> None:
        """Close gracefully: stop sending, then read what the client still sends for a moment.
        Closing with unread bytes makes the kernel send a reset, which can destroy the error
        response (a 431 for a huge header) before the client reads it."""
        with contextlib.suppress(OSError, ValueError):
            request.shutdown(socket.SHUT_WR)
            request.settimeout(LINGER)
            left = MAX_DRAIN
            while left > 0 and (data := request.recv(65536)):
                left -= len(data)
        self.close_request(request)

    @contextlib.contextmanager
    def tracking_request(self) -> Iterator[None]:
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def server_close(self) -> None:
        """Stop listening, then let requests in flight finish (for a moment) so that a reload
        does not cut a response in half."""
        super().server_close()
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=SHUTDOWN_GRACE)


def _ssl_context(value: tuple[str, str] | ssl.SSLContext | None) -> ssl.SSLContext | None:
    if value is None or isinstance(value, ssl.SSLContext):
        return value
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*value)
    return context


def _bind(hostname: str, port: int) -> socket.socket:
    info = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = info[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def make_server(
    hostname: str,
    port: int,
    app: WSGIApplication,
    threaded: bool = True,
    ssl_context: tuple[str, str] | ssl.SSLContext | None = None,
    fd: int | None = None,
) -> DevServer:
    """A listening :class:`DevServer`, for running the server yourself (``serve_forever`` in a
    thread, ``shutdown`` and ``server_close`` to stop). ``fd`` adopts an inherited socket."""
    sock = socket.socket(fileno=fd) if fd is not None else _bind(hostname, port)
    return DevServer(sock, app, threaded=threaded, ssl_context=_ssl_context(ssl_context))


def _lan_address(family: socket.AddressFamily) -> str | None:
    """The address other machines reach us at (no packet is sent: UDP connect only routes)."""
    probe = "fd31:f903:5ab5:1::1" if family == socket.AF_INET6 else "10.253.155.219"
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        try:
            s.connect((probe, 58162))
        except OSError:
            return None
        return str(s.getsockname()[0])


def _log_startup(hostname: str, sock: socket.socket, secure: bool) -> None:
    scheme = "https" if secure else "http"
    port = sock.getsockname()[1]
    lines = []
    if hostname in ("0.0.0.0", "::"):
        lines.append(f" * Running on all addresses ({hostname})")
        hosts = ["127.0.0.1" if hostname == "0.0.0.0" else "[::1]"]
        lan = _lan_address(sock.family)
        if lan is not None:
            hosts.append(f"[{lan}]" if ":" in lan else lan)
    else:
        hosts = [f"[{hostname}]" if ":" in hostname else hostname]
    lines.extend(f" * Running on {scheme}://{host}:{port}" for host in hosts)
    lines.append("Press CTRL+C to quit")
    for line in lines:
        _log(logging.INFO, "%s", line)


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Treat SIGTERM like Ctrl+C for the duration, so both stop the server the same clean way."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    interrupted = False

    def interrupt(signum: int, frame: FrameType | None) -> None:
        # Stop once: Ctrl+C reaches the whole process group while the reloader also sends
        # SIGTERM, and a second signal must not break the cleanup with a traceback.
        nonlocal interrupted
        interrupted = True
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt), signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        if not interrupted:
            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])


def _notify_reloader() -> None:
    """Tell the reloader this process has imported the app and serves now, so it may stop the
    previous one (see :mod:`kolba.reloader`)."""
    fd = os.environ.pop("KOLBA_READY_FD", None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.write(int(fd), b"1")
            os.close(int(fd))


def run_simple(
    hostname: str,
    port: int,
    application: WSGIApplication,
    use_reloader: bool = False,
    use_debugger: bool = False,
    threaded: bool = True,
    extra_files: Iterable[str] | None = None,
    exclude_patterns: Iterable[str] | None = None,
    ssl_context: tuple[str, str] | ssl.SSLContext | None = None,
) -> None:
    """Serve ``application`` for development until Ctrl+C or SIGTERM.

    Never use it in production (see the module docstring). With ``use_reloader`` this process
    becomes a supervisor that owns the listening socket and runs the server in child processes
    that it replaces when a source file changes (:mod:`kolba.reloader`).

    :param use_debugger: Wrap the app in :class:`kolba.debug.DebuggedApplication`, which shows
        an interactive traceback page when a request fails.
    :param extra_files: More files whose change reloads the server (templates, config).
    :param exclude_patterns: ``fnmatch`` patterns of paths whose change does not reload.
    :param ssl_context: Serve HTTPS, with ``(certfile, keyfile)`` or a ready context.
    """
    root = getattr(application, "root_path", None)
    if use_debugger:
        from .debug import DebuggedApplication  # type: ignore[import-not-found,unused-ignore]

        application = DebuggedApplication(application)
    context = _ssl_context(ssl_context)
    is_child = os.environ.get("KOLBA_RUN_MAIN") == "true"
    fd = os.environ.pop("KOLBA_SERVER_FD", None) if is_child else None

    if fd is None:
        try:
            sock = _bind(hostname, port)
        except OSError as exc:
            print(exc.strerror or str(exc), file=sys.stderr)
            if exc.errno == errno.EADDRINUSE:
                print(
                    f"Port {port} is in use by another program. Either identify and stop that"
                    " program, or start the server with a different port.",
                    file=sys.stderr,
                )
            sys.exit(1)
        _log_startup(hostname, sock, context is not None)
        if use_reloader and not is_child:
            from .reloader import run_with_reloader

            try:
                with stop_on_sigterm():
                    run_with_reloader(sock, extra_files, exclude_patterns, root_path=root)
            finally:
                sock.close()
            return
    else:
        sock = socket.socket(fileno=int(fd))

    server = DevServer(sock, application, threaded=threaded, ssl_context=context)
    _notify_reloader()
    with stop_on_sigterm():
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass  # stop_on_sigterm() ignores further signals while this cleans up
        finally:
            server.server_close()
