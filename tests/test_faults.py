"""Faults: what a client sees, what is torn down and what is logged when user code fails.

Issue 7 asks that a view, hook, error handler, teardown, session backend or streaming body that
raises gives the client a 500 (or a cut stream), still runs the teardowns, closes resources,
logs the error once and leaves the next request untouched. The test-client cases run against
Flask 3.1 as well (the ``fw`` fixture), so each assertion is also a statement that Kolba does
what Flask does; the real-server cases show what reaches the socket.
"""

from __future__ import annotations

import io
import logging
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time
import typing as t
from collections.abc import Iterator

import pytest

import kolba
from kolba.serving import DevServer, make_server

DEADLINE = 10.0

# The "Exception on /path [GET]" record of app.log_exception, and Flask's second record when
# after-request processing fails again while the 500 page is finalized.
LOGGED = "Exception on"
REFINALIZE = "Request finalizing failed with an error while handling an error"


class Boom(Exception):
    """The one exception user code raises here, so no other error can pass for it."""


class Framework:
    """The names a fault test needs, from Kolba or from Flask."""

    def __init__(self, name: str) -> None:
        self.name = name
        if name == "kolba":
            self.mod: t.Any = kolba
            self.app_cls: t.Any = kolba.Kolba
            from kolba.sessions import SecureCookieSessionInterface
        else:
            import flask
            from flask.sessions import SecureCookieSessionInterface  # type: ignore[assignment]

            self.mod = flask
            self.app_cls = flask.Flask
        self.session_interface: t.Any = SecureCookieSessionInterface


class Faulty:
    """An app whose teardowns record what they are told, plus a view that reports leftovers."""

    def __init__(self, fw: Framework) -> None:
        self.fw = fw
        app: kolba.Kolba = fw.app_cls("faulty")
        app.config.update(SECRET_KEY="k", PROPAGATE_EXCEPTIONS=False)
        # Typed as Kolba: Flask's app has the same API, and the decorators stay typed.
        self.app = app
        self.teardowns: list[tuple[str, BaseException | None]] = []
        self.closed: list[str] = []
        g, session = fw.mod.g, fw.mod.session

        @app.teardown_request
        def td_request(exc: BaseException | None) -> None:
            self.teardowns.append(("request", exc))

        @app.teardown_appcontext
        def td_app(exc: BaseException | None) -> None:
            self.teardowns.append(("app", exc))

        @app.route("/state")
        def state() -> dict[str, t.Any]:
            return {"g": sorted(g), "session": dict(session)}

    def get(self, path: str) -> t.Any:
        self.teardowns.clear()
        return self.app.test_client().get(path)

    def assert_next_request_is_clean(self, session: dict[str, t.Any] | None = None) -> None:
        response = self.get("/state")
        assert response.status_code == 200
        assert response.get_json() == {"g": [], "session": session or {}}
        assert self.teardowns == [("request", None), ("app", None)]


@pytest.fixture(params=["kolba", "flask"])
def fw(request: pytest.FixtureRequest) -> Framework:
    return Framework(request.param)


@pytest.fixture
def faulty(fw: Framework) -> Faulty:
    return Faulty(fw)


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def assert_500(response: t.Any) -> None:
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert b"<h1>Internal Server Error</h1>" in response.data
    assert b"Boom" not in response.data  # no detail of the error reaches the client


def assert_logged_once(caplog: pytest.LogCaptureFixture, path: str, exc: type) -> None:
    records = errors(caplog)
    assert [r.getMessage() for r in records] == [f"{LOGGED} {path} [GET]"]
    assert records[0].exc_info is not None and records[0].exc_info[0] is exc


# -- Through the test client, against Kolba and Flask -------------------------------------------


def test_view_that_raises(faulty: Faulty, caplog: pytest.LogCaptureFixture) -> None:
    g = faulty.fw.mod.g

    @faulty.app.route("/boom")
    def boom() -> str:
        g.user = "mallory"
        raise Boom("view")

    response = faulty.get("/boom")
    assert_500(response)
    assert [(kind, type(exc)) for kind, exc in faulty.teardowns] == [
        ("request", Boom),
        ("app", Boom),
    ]
    assert_logged_once(caplog, "/boom", Boom)
    faulty.assert_next_request_is_clean()


def test_before_request_hook_that_raises_skips_the_view(
    faulty: Faulty, caplog: pytest.LogCaptureFixture
) -> None:
    called: list[str] = []
    failing = [True]

    @faulty.app.before_request
    def hook() -> None:
        if failing[0]:
            raise Boom("before")

    @faulty.app.route("/view")
    def view() -> str:
        called.append("view")
        return "never"

    assert_500(faulty.get("/view"))
    assert called == []
    assert [type(exc) for _, exc in faulty.teardowns] == [Boom, Boom]
    assert_logged_once(caplog, "/view", Boom)
    failing[0] = False
    faulty.assert_next_request_is_clean()


def test_after_request_hook_that_raises(faulty: Faulty, caplog: pytest.LogCaptureFixture) -> None:
    failing = [True]

    @faulty.app.after_request
    def hook(response: t.Any) -> t.Any:
        if failing[0]:
            raise Boom("after")
        return response

    @faulty.app.route("/view")
    def view() -> str:
        return "fine"

    assert_500(faulty.get("/view"))
    assert [type(exc) for _, exc in faulty.teardowns] == [Boom, Boom]
    # The exception is logged once; the hook then fails a second time on the 500 page, which
    # Flask logs as a second, different record. Both frameworks do exactly this.
    messages = [r.getMessage() for r in errors(caplog)]
    assert messages == [f"{LOGGED} /view [GET]", REFINALIZE]
    failing[0] = False
    faulty.assert_next_request_is_clean()


def test_error_handler_that_raises(faulty: Faulty, caplog: pytest.LogCaptureFixture) -> None:
    @faulty.app.errorhandler(LookupError)
    def handler(e: Exception) -> str:
        raise Boom("handler")

    @faulty.app.route("/view")
    def view() -> str:
        raise KeyError("view")

    assert_500(faulty.get("/view"))
    assert [type(exc) for _, exc in faulty.teardowns] == [Boom, Boom]
    exc = faulty.teardowns[0][1]
    assert isinstance(exc, Boom) and isinstance(exc.__context__, KeyError)
    assert_logged_once(caplog, "/view", Boom)
    faulty.assert_next_request_is_clean()


def test_500_handler_that_raises_escapes_to_the_server(
    faulty: Faulty, caplog: pytest.LogCaptureFixture
) -> None:
    """The last handler failing leaves nothing to answer with: the error escapes to the
    server (which answers its own 500, see the real-server test), after being logged once."""

    @faulty.app.errorhandler(500)
    def handler(e: Exception) -> str:
        raise Boom("500 handler")

    @faulty.app.route("/view")
    def view() -> str:
        raise KeyError("view")

    with pytest.raises(Boom):
        faulty.get("/view")
    # Teardowns are told about the error the request failed with, not the handler's.
    assert [type(exc) for _, exc in faulty.teardowns] == [KeyError, KeyError]
    assert_logged_once(caplog, "/view", KeyError)
    faulty.assert_next_request_is_clean()


def test_async_view_that_raises(faulty: Faulty, caplog: pytest.LogCaptureFixture) -> None:
    @faulty.app.route("/view")
    async def view() -> str:
        raise Boom("async")

    assert_500(faulty.get("/view"))
    assert [type(exc) for _, exc in faulty.teardowns] == [Boom, Boom]
    assert_logged_once(caplog, "/view", Boom)
    faulty.assert_next_request_is_clean()


@pytest.mark.parametrize("which", ["request", "app"])
def test_teardown_that_raises_escapes_but_the_rest_is_torn_down(
    faulty: Faulty, which: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A teardown error is not turned into a page (the response is built already): it escapes
    to the server, as in Flask. The other stage still runs and the contexts are popped (the
    autouse leak detector checks), so the next request is unaffected."""
    failing = [True]

    def bad(exc: BaseException | None) -> None:
        if failing[0]:
            raise Boom("teardown")

    if which == "request":
        faulty.app.teardown_request(bad)
    else:
        faulty.app.teardown_appcontext(bad)

    with pytest.raises(Boom):
        faulty.get("/state")
    other = "app" if which == "request" else "request"
    # The failing teardown was registered last, so it runs first (teardowns run in reverse)
    # and the earlier one of the same stage is skipped, as in Flask; the other stage runs.
    assert faulty.teardowns == [(other, None)]
    assert errors(caplog) == []
    failing[0] = False
    faulty.assert_next_request_is_clean()


def test_unserialisable_json(faulty: Faulty, caplog: pytest.LogCaptureFixture) -> None:
    session = faulty.fw.mod.session

    @faulty.app.route("/json")
    def view() -> dict[str, t.Any]:
        session["cart"] = [1]
        return {"when": object()}

    response = faulty.get("/json")
    assert_500(response)
    assert [type(exc) for _, exc in faulty.teardowns] == [TypeError, TypeError]
    assert "not JSON serializable" in str(faulty.teardowns[0][1])
    assert_logged_once(caplog, "/json", TypeError)
    # The 500 page is finalized like any response, so the session change is saved (Flask does
    # the same): the failure is in the body, not in the request's state.
    client = faulty.app.test_client()
    assert client.get("/json").status_code == 500
    assert client.get("/state").get_json() == {"g": [], "session": {"cart": [1]}}


def test_session_that_fails_to_save(faulty: Faulty, caplog: pytest.LogCaptureFixture) -> None:
    base = faulty.fw.session_interface
    session = faulty.fw.mod.session

    class Failing(base):  # type: ignore[misc, valid-type]
        def save_session(self, *args: t.Any) -> None:
            raise Boom("store down")

    faulty.app.session_interface = Failing()

    @faulty.app.route("/login")
    def login() -> str:
        session["user"] = "alice"
        return "ok"

    client = faulty.app.test_client()
    response = client.get("/login")
    assert_500(response)
    assert "Set-Cookie" not in response.headers
    assert [r.getMessage() for r in errors(caplog)] == [f"{LOGGED} /login [GET]", REFINALIZE]
    faulty.app.session_interface = base()
    assert client.get("/state").get_json() == {"g": [], "session": {}}


def test_generator_that_raises_mid_stream(faulty: Faulty) -> None:
    @faulty.app.route("/stream")
    def stream() -> t.Any:
        def parts() -> Iterator[bytes]:
            try:
                yield b"first"
                raise Boom("mid-stream")
            finally:
                faulty.closed.append("generator")

        return faulty.fw.mod.Response(parts())

    # The error escapes to whoever reads the body, as it would reach a server (Kolba's client
    # reads it at once, Flask's when asked); the teardowns ran before the body was sent.
    with pytest.raises(Boom):
        faulty.get("/stream").get_data()
    assert faulty.closed == ["generator"]
    assert faulty.teardowns == [("request", None), ("app", None)]
    faulty.assert_next_request_is_clean()


def test_stream_with_context_generator_that_raises(faulty: Faulty) -> None:
    """With ``stream_with_context`` the context lives as long as the body, so the teardowns
    run after the generator and are told about its error."""
    mod = faulty.fw.mod

    @faulty.app.route("/stream")
    def stream() -> t.Any:
        def parts() -> Iterator[str]:
            try:
                yield mod.request.path
                mod.g.seen = True
                raise Boom("mid-stream")
            finally:
                faulty.closed.append("generator")

        return mod.Response(mod.stream_with_context(parts()))

    with pytest.raises(Boom):
        faulty.get("/stream").get_data()
    assert faulty.closed == ["generator"]
    once = [("request", Boom), ("app", Boom)]
    seen = [(kind, type(exc)) for kind, exc in faulty.teardowns]
    if faulty.fw.name == "kolba":
        assert seen == once
    else:
        # Flask 3.1 tears the context down twice: once, error-free, when the view returns and
        # again when the generator ends. Kolba tears it down once, when it is really done.
        assert seen == [("request", type(None)), ("app", type(None)), *once]
    faulty.assert_next_request_is_clean()


def test_close_of_the_response_body_that_raises(faulty: Faulty) -> None:
    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b"body"

        def close(self) -> None:
            faulty.closed.append("body")
            raise Boom("close")

    @faulty.app.route("/body")
    def body() -> t.Any:
        return faulty.fw.mod.Response(Body())

    with pytest.raises(Boom):
        response = faulty.get("/body")
        response.close()  # Flask's client closes the body here, Kolba's when it is read
    assert faulty.closed == ["body"]
    faulty.assert_next_request_is_clean()


def test_file_is_closed_when_reading_it_fails(faulty: Faulty) -> None:
    class Disk(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            if self.tell() > 0:
                raise OSError("disk error")
            return super().read(4)

    files: list[Disk] = []

    @faulty.app.route("/file")
    def file() -> t.Any:
        files.append(Disk(b"0123456789"))
        return faulty.fw.mod.send_file(files[0], mimetype="text/plain")

    with pytest.raises(OSError, match="disk error"):
        response = faulty.get("/file")
        try:
            response.get_data()
        finally:
            response.close()
    assert files[0].closed
    faulty.assert_next_request_is_clean()


# -- Through a real server ------------------------------------------------------------------------


class StreamApp:
    """A Kolba app with an endless stream and a failing stream, whose ``finally`` blocks set
    events the test waits on (a condition with a deadline, never a sleep)."""

    def __init__(self) -> None:
        app = kolba.Kolba("stream_app")
        app.config["PROPAGATE_EXCEPTIONS"] = False
        self.app = app
        self.finished = threading.Event()
        self.chunks = 0

        @app.route("/")
        def index() -> str:
            return "hello"

        @app.route("/endless")
        def endless() -> kolba.Response:
            def parts() -> Iterator[bytes]:
                try:
                    for self.chunks in range(1, 100_000):  # 6 GiB: the client leaves first
                        yield b"x" * 65536
                finally:
                    self.finished.set()

            return kolba.Response(parts(), mimetype="application/octet-stream")

        @app.route("/breaks")
        def breaks() -> kolba.Response:
            def parts() -> Iterator[bytes]:
                try:
                    yield b"first"
                    raise Boom("mid-stream")
                finally:
                    self.finished.set()

            return kolba.Response(parts())

        @app.route("/boom")
        def boom() -> str:
            raise Boom("view")

        self.teardowns: list[tuple[str, BaseException | None]] = []

        @app.route("/endless-context")
        def endless_context() -> kolba.Response:
            def parts() -> Iterator[bytes]:
                try:
                    while True:
                        yield kolba.request.path.encode() * 8192
                finally:
                    self.finished.set()

            return kolba.Response(kolba.stream_with_context(parts()))

        @app.teardown_request
        def record(exc: BaseException | None) -> None:
            self.teardowns.append((kolba.request.path, exc))

        @app.route("/close")
        def close() -> kolba.Response:
            class Body:
                def __iter__(self) -> Iterator[bytes]:
                    yield b"complete"

                def close(self) -> None:
                    raise Boom("close")

            return kolba.Response(Body(), headers={"Content-Length": "8"})

        @app.route("/handler")
        def handler_fails() -> str:
            raise KeyError("view")

        @app.errorhandler(500)
        def on_500(e: Exception) -> Exception:
            if kolba.request.path == "/handler":
                raise Boom("500 handler")
            return e  # the default page

        @app.teardown_request
        def teardown(exc: BaseException | None) -> None:
            if kolba.request.path == "/teardown":
                raise Boom("teardown")


@pytest.fixture
def stream_app() -> StreamApp:
    return StreamApp()


@pytest.fixture
def server(stream_app: StreamApp) -> Iterator[DevServer]:
    srv = make_server("127.0.0.1", 0, stream_app.app)
    thread = threading.Thread(target=srv.serve_forever)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(DEADLINE)


def raw_get(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


def read_to_eof(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def plain_get(port: int, path: str = "/") -> tuple[int, bytes]:
    with raw_get(port, path) as sock:
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(65536)
        status = int(head.split(b" ", 2)[1])
        top, _, body = head.partition(b"\r\n\r\n")
        length = int(
            next(
                line.split(b":", 1)[1]
                for line in top.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
        )
        while len(body) < length:
            body += sock.recv(65536)
        return status, body


def test_client_disconnect_closes_the_generator(
    server: DevServer, stream_app: StreamApp, caplog: pytest.LogCaptureFixture
) -> None:
    sock = raw_get(server.port, "/endless")
    try:
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    finally:
        # Linger 0: a reset, like a browser tab closed mid-download.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
    assert stream_app.finished.wait(DEADLINE), "the generator's finally did not run"
    assert stream_app.chunks < 99_999
    assert errors(caplog) == []  # a client leaving is not an error of ours
    assert plain_get(server.port) == (200, b"hello")


def test_generator_that_raises_cuts_the_started_stream(
    server: DevServer, stream_app: StreamApp, caplog: pytest.LogCaptureFixture
) -> None:
    with raw_get(server.port, "/breaks") as sock:
        data = read_to_eof(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"Transfer-Encoding: chunked" in head
    # The first chunk arrived; the terminating zero chunk never does, so the client can tell
    # the body is incomplete, and the server closed the connection.
    assert body == b"5\r\nfirst\r\n"
    assert stream_app.finished.is_set()
    records = errors(caplog)
    assert len(records) == 1 and "Boom: mid-stream" in records[0].getMessage()
    assert plain_get(server.port) == (200, b"hello")


def test_client_disconnect_closes_a_stream_with_context_and_tears_it_down(
    server: DevServer, stream_app: StreamApp, caplog: pytest.LogCaptureFixture
) -> None:
    sock = raw_get(server.port, "/endless-context")
    try:
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    finally:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)
        sock.close()
    assert stream_app.finished.wait(DEADLINE), "the generator's finally did not run"
    # The context the stream kept is torn down once the generator is closed, in the server's
    # thread, just after the generator's finally: wait for it.
    deadline = time.monotonic() + DEADLINE
    while not stream_app.teardowns:
        assert time.monotonic() < deadline, "the stream's context was never torn down"
        threading.Event().wait(0.01)
    assert [path for path, _ in stream_app.teardowns] == ["/endless-context"]
    assert plain_get(server.port) == (200, b"hello")
    assert errors(caplog) == []


def test_close_that_raises_after_a_complete_response(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    with raw_get(server.port, "/close") as sock:
        data = read_to_eof(sock)  # the server closes the connection after the error
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and body == b"complete"
    records = errors(caplog)
    assert len(records) == 1 and "Boom: close" in records[0].getMessage()
    assert plain_get(server.port) == (200, b"hello")


def test_500_handler_that_raises_gets_the_servers_500(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    status, body = plain_get(server.port, "/handler")
    assert status == 500 and b"<h1>Internal Server Error</h1>" in body
    # Logged by the app (the view's error) and by the server (the handler's), once each.
    messages = [r.getMessage() for r in errors(caplog)]
    assert len(messages) == 2
    assert messages[0] == f"{LOGGED} /handler [GET]"
    assert "Boom: 500 handler" in messages[1]
    assert plain_get(server.port) == (200, b"hello")


def test_view_error_is_logged_once_by_the_app_not_the_server(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    status, body = plain_get(server.port, "/boom")
    assert status == 500 and b"Internal Server Error" in body
    assert_logged_once(caplog, "/boom", Boom)
    assert plain_get(server.port) == (200, b"hello")


def test_teardown_error_becomes_a_server_500(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    status, body = plain_get(server.port, "/teardown")
    assert status == 500 and b"Internal Server Error" in body
    records = errors(caplog)
    assert len(records) == 1 and "Boom: teardown" in records[0].getMessage()
    assert plain_get(server.port) == (200, b"hello")


# -- Under gunicorn -------------------------------------------------------------------------------


def gunicorn_app() -> kolba.Kolba:
    """The app gunicorn serves (``test_faults:gunicorn_app()``): its endless stream's
    ``finally`` writes the file named by ``KOLBA_FAULTS_MARK``, seen across the process."""
    app = kolba.Kolba("gunicorn_faults")
    mark = pathlib.Path(os.environ["KOLBA_FAULTS_MARK"])

    @app.route("/endless")
    def endless() -> kolba.Response:
        def parts() -> Iterator[bytes]:
            try:
                for _ in range(100_000):
                    yield b"x" * 65536
            finally:
                mark.write_text("closed")

        return kolba.Response(parts())

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_client_disconnect_under_gunicorn(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("gunicorn", reason="gunicorn is not installed (pip install gunicorn)")
    mark = tmp_path / "closed"
    port = free_port()
    env = {**os.environ, "KOLBA_FAULTS_MARK": str(mark)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}"]
        + ["--chdir", str(pathlib.Path(__file__).parent), "test_faults:gunicorn_app()"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                sock = raw_get(port, "/endless")
                break
            except ConnectionRefusedError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "gunicorn did not start"
                threading.Event().wait(0.05)
        try:
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        finally:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)
            sock.close()
        while not mark.exists():
            assert time.monotonic() < deadline, "the generator's finally did not run"
            threading.Event().wait(0.05)
        assert mark.read_text() == "closed"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
