"""The WSGI contract: PEP 3333 validation, middleware, close(), mounts and a real server.

Environs are built by hand with :func:`wsgiref.util.setup_testing_defaults` (not the test
client) so nothing of Kolba's own helps the app pass.
"""

# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

import http.client
import io
import logging
import threading
import typing as t
import wsgiref.simple_server
import wsgiref.util
import wsgiref.validate
from collections.abc import Callable, Iterable, Iterator

import pytest

from kolba import Kolba, Response, jsonify, redirect, request, stream_with_context

Environ = dict[str, t.Any]
StartResponse = Callable[..., t.Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def make_environ(path: str = "/", method: str = "GET", **extra: t.Any) -> Environ:
    # setup_testing_defaults fills SCRIPT_NAME only when PATH_INFO is absent too.
    environ: Environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
    }
    wsgiref.util.setup_testing_defaults(environ)
    environ.update(extra)
    return environ


def call(app: WSGIApp, environ: Environ) -> tuple[str, list[tuple[str, str]], bytes]:
    """Drive a WSGI app as a server would: start_response, iterate, always close."""
    captured: list[t.Any] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Any:
        captured[:] = [status, headers]
        return lambda data: None

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return captured[0], captured[1], data


class ClosingBody:
    """A WSGI body that records whether the server closed it."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def wsgi_app(app: Kolba) -> Kolba:
    app.config["TESTING"] = False
    closing = ClosingBody([b"inner ", b"wsgi"])
    app.extensions["closing_body"] = closing

    def inner_wsgi(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-Inner", "1")])
        return closing

    @app.route("/")
    def hello() -> str:
        return "Hello, World!"

    @app.route("/json")
    def json_view() -> t.Any:
        return jsonify(items=[1, 2], ok=True)

    @app.route("/empty204")
    def empty204() -> t.Any:
        return "", 204

    @app.route("/notmodified")
    def notmodified() -> t.Any:
        return Response("should vanish", status=304, headers={"ETag": '"x"'})

    @app.route("/redirect")
    def go() -> t.Any:
        return redirect("/target")

    @app.route("/post", methods=["POST"])
    def post() -> str:
        return str(request.get_data(as_text=True))

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    @app.route("/stream")
    def stream() -> t.Any:
        def generate() -> Iterator[str]:
            yield "a"
            yield request.args.get("x", "b")
            yield "c"

        return Response(stream_with_context(generate()), mimetype="text/plain")

    @app.route("/empty")
    def empty() -> str:
        return ""

    @app.route("/wsgi")
    def wsgi_callable() -> t.Any:
        return inner_wsgi

    @app.route("/cookie")
    def cookie() -> t.Any:
        rv = Response("cookie")
        rv.set_cookie("name", "value", httponly=True, samesite="Lax")
        return rv

    @app.route("/where")
    def where() -> t.Any:
        return {
            "script_root": request.script_root,
            "path": request.path,
            "url": request.url,
            "url_root": request.url_root,
        }

    return app


CASES = [
    ("GET", "/", "200 OK", b"Hello, World!"),
    ("GET", "/json", "200 OK", b'{"items":[1,2],"ok":true}\n'),
    ("GET", "/empty204", "204 NO CONTENT", b""),
    ("GET", "/notmodified", "304 NOT MODIFIED", b""),
    ("HEAD", "/", "200 OK", b""),
    ("GET", "/redirect", "302 FOUND", None),
    ("GET", "/nowhere", "404 NOT FOUND", None),
    ("GET", "/post", "405 METHOD NOT ALLOWED", None),
    ("GET", "/boom", "500 INTERNAL SERVER ERROR", None),
    ("GET", "/stream?x=B", "200 OK", b"aBc"),
    ("GET", "/empty", "200 OK", b""),
    ("GET", "/wsgi", "201 CREATED", b"inner wsgi"),
    ("GET", "/cookie", "200 OK", b"cookie"),
    ("OPTIONS", "/", "200 OK", b""),
]


@pytest.mark.parametrize(("method", "path", "status", "body"), CASES)
def test_responses_pass_pep3333_validator(
    wsgi_app: Kolba,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    status: str,
    body: bytes | None,
) -> None:
    path, _, query = path.partition("?")
    validated = wsgiref.validate.validator(wsgi_app)
    with caplog.at_level(logging.CRITICAL):
        got_status, headers, data = call(validated, make_environ(path, method, QUERY_STRING=query))
    assert got_status.upper() == status
    if body is not None:
        assert data == body
    names = {name.lower() for name, _ in headers}
    if status.startswith(("204", "304")):
        assert "content-length" not in names or dict(headers).get("Content-Length") == "0"
    if path == "/redirect":
        assert dict(headers)["Location"] == "/target"
    if path == "/cookie":
        assert dict(headers)["Set-Cookie"] == "name=value; HttpOnly; Path=/; SameSite=Lax"
    if path == "/wsgi":
        assert ("X-Inner", "1") in headers


def test_head_keeps_content_length(wsgi_app: Kolba) -> None:
    _, get_headers, _ = call(wsgi_app, make_environ("/"))
    _, head_headers, data = call(wsgi_app, make_environ("/", "HEAD"))
    assert data == b""
    assert dict(head_headers)["Content-Length"] == dict(get_headers)["Content-Length"] == "13"


def test_post_body_read_from_wsgi_input(wsgi_app: Kolba) -> None:
    payload = b"some body"
    environ = make_environ(
        "/post",
        "POST",
        CONTENT_LENGTH=str(len(payload)),
        CONTENT_TYPE="text/plain",
        **{"wsgi.input": io.BytesIO(payload)},
    )
    status, _, data = call(wsgiref.validate.validator(wsgi_app), environ)
    assert (status, data) == ("200 OK", payload)


def test_wsgi_callable_body_closed(wsgi_app: Kolba) -> None:
    closing: ClosingBody = wsgi_app.extensions["closing_body"]
    assert call(wsgi_app, make_environ("/wsgi"))[2] == b"inner wsgi"
    assert closing.closed


def test_response_close_called(wsgi_app: Kolba) -> None:
    closed: list[str] = []

    @wsgi_app.route("/closing")
    def closing() -> t.Any:
        rv = Response(iter([b"x", b"y"]))
        rv.call_on_close(lambda: closed.append("closed"))
        return rv

    start: list[str] = []

    def start_response(status: str, headers: t.Any, exc_info: t.Any = None) -> t.Any:
        start.append(status)
        return lambda data: None

    body = wsgi_app(make_environ("/closing"), start_response)
    assert b"".join(body) == b"xy"
    assert closed == []
    body.close()  # type: ignore[attr-defined]
    assert closed == ["closed"]


def test_generator_runs_inside_context_and_teardown_after(wsgi_app: Kolba) -> None:
    trace: list[str] = []
    wsgi_app.teardown_request(lambda exc: trace.append("teardown"))

    @wsgi_app.route("/gen")
    def gen() -> t.Any:
        @stream_with_context
        def generate() -> Iterator[str]:
            trace.append(f"chunk {request.path}")
            yield "one"

        # stream_with_context is typed for iterators only; Flask overloads it for functions.
        return Response(generate())

    assert call(wsgi_app, make_environ("/gen"))[2] == b"one"
    assert trace == ["chunk /gen", "teardown"]


# -- middleware ------------------------------------------------------------------------------------


def test_middleware_wraps_wsgi_app(wsgi_app: Kolba) -> None:
    inner = wsgi_app.wsgi_app

    def add_header(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> t.Any:
            return start_response(status, [*headers, ("X-Middleware", "yes")], exc_info)

        return inner(environ, start)

    def rewrite_path(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ["PATH_INFO"].startswith("/v1/"):
            environ["PATH_INFO"] = environ["PATH_INFO"][3:]
        return add_header(environ, start_response)

    wsgi_app.wsgi_app = rewrite_path  # type: ignore[method-assign]
    status, headers, data = call(wsgiref.validate.validator(wsgi_app), make_environ("/v1/json"))
    assert status == "200 OK"
    assert data == b'{"items":[1,2],"ok":true}\n'
    assert ("X-Middleware", "yes") in headers
    # The test client goes through __call__, so it sees the middleware too.
    rv = wsgi_app.test_client().get("/v1/")
    assert (rv.data, rv.headers["X-Middleware"]) == (b"Hello, World!", "yes")


# -- SCRIPT_NAME mounts ----------------------------------------------------------------------------


def test_script_name_mount(wsgi_app: Kolba) -> None:
    environ = make_environ("/where", SCRIPT_NAME="/mount", QUERY_STRING="a=1")
    status, _, data = call(wsgiref.validate.validator(wsgi_app), environ)
    assert status == "200 OK"
    from kolba import json

    assert json.loads(data) == {
        "script_root": "/mount",
        "path": "/where",
        "url": "http://127.0.0.1/mount/where?a=1",
        "url_root": "http://127.0.0.1/mount/",
    }


def test_script_name_mount_redirect_and_url_for(wsgi_app: Kolba) -> None:
    from kolba import url_for

    @wsgi_app.route("/link")
    def link() -> str:
        return url_for("hello") + " " + url_for("where", _external=True)

    environ = make_environ("/link", SCRIPT_NAME="/app")
    assert call(wsgi_app, environ)[2] == b"/app/ http://127.0.0.1/app/where"


def test_dispatcher_style_mount(wsgi_app: Kolba) -> None:
    """A plain path-prefix dispatcher moves the prefix from PATH_INFO to SCRIPT_NAME."""

    def dispatcher(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path.startswith("/api/") or path == "/api":
            environ["SCRIPT_NAME"] += "/api"
            environ["PATH_INFO"] = path[4:]
            return wsgi_app(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"outer 404"]

    validated = wsgiref.validate.validator(dispatcher)
    assert call(validated, make_environ("/api/"))[2] == b"Hello, World!"
    assert call(validated, make_environ("/other"))[2] == b"outer 404"


# -- a real server ---------------------------------------------------------------------------------


class QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: t.Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def server(wsgi_app: Kolba) -> Iterator[tuple[str, int]]:
    srv = wsgiref.simple_server.make_server("127.0.0.1", 0, wsgi_app, handler_class=QuietHandler)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield "127.0.0.1", srv.server_port
    finally:
        srv.shutdown()
        thread.join(timeout=10)
        srv.server_close()
    assert not thread.is_alive()


def fetch_real(
    address: tuple[str, int], method: str, path: str, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(*address, timeout=10)
    try:
        headers = {"Content-Type": "text/plain"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        rv = conn.getresponse()
        return rv.status, dict(rv.getheaders()), rv.read()
    finally:
        conn.close()


def test_real_server(server: tuple[str, int], caplog: pytest.LogCaptureFixture) -> None:
    status, headers, body = fetch_real(server, "GET", "/")
    assert (status, body) == (200, b"Hello, World!")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Length"] == "13"

    assert fetch_real(server, "POST", "/post", b"payload")[::2] == (200, b"payload")
    assert fetch_real(server, "GET", "/stream?x=Z")[::2] == (200, b"aZc")
    assert fetch_real(server, "GET", "/json")[2] == b'{"items":[1,2],"ok":true}\n'
    status, headers, body = fetch_real(server, "GET", "/nowhere")
    assert status == 404 and body.startswith(b"<!doctype html>")
    status, headers, _ = fetch_real(server, "GET", "/redirect")
    assert (status, headers["Location"]) == (302, "/target")
    assert fetch_real(server, "HEAD", "/")[::2] == (200, b"")
    assert fetch_real(server, "GET", "/empty204")[::2] == (204, b"")
    with caplog.at_level(logging.CRITICAL):
        status, _, body = fetch_real(server, "GET", "/boom")
    assert status == 500 and b"boom" not in body.replace(b"<h1>", b"")
    status, headers, _ = fetch_real(server, "GET", "/cookie")
    assert headers["Set-Cookie"].startswith("name=value;")
