"""The WSGI adapter's :class:`~kolba.wsgi.WSGIScope` and :func:`~kolba.wsgi.run_wsgi_app`.

PEP 3333 passes bytes as latin-1 strings; the scope must turn them into the text a user sees
(as Werkzeug's request does), and must cope with the odd environs real servers produce.
"""

from __future__ import annotations

import io
import sys
import typing as t

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WRequest

from kolba.http.request import Request
from kolba.wsgi import WSGIEnvironment, WSGIScope, run_wsgi_app


def wsgi_str(text: str) -> str:
    """Text as a WSGI server puts it in the environ: UTF-8 bytes carried as latin-1."""
    return text.encode("utf-8").decode("latin-1")


def test_path_and_script_name_decoded_like_werkzeug() -> None:
    env = EnvironBuilder(path="/päth/ü", base_url="http://h/äpp").get_environ()
    assert env["PATH_INFO"] == wsgi_str("/päth/ü")
    scope = WSGIScope(env)
    assert scope.path == "/päth/ü"
    assert scope.root_path == "/äpp"
    req, wreq = Request(scope), WRequest(env)
    assert req.path == wreq.path
    assert req.root_path == wreq.root_path
    assert req.url == wreq.url


def test_invalid_utf8_path_is_replaced() -> None:
    scope = WSGIScope({"PATH_INFO": b"/\xff".decode("latin-1"), "SCRIPT_NAME": "\xe9"})
    assert scope.path == "/\ufffd"
    assert scope.root_path == "\ufffd"


def test_minimal_environ_defaults() -> None:
    scope = WSGIScope({})
    assert scope.method == "GET"
    assert scope.path == ""
    assert scope.root_path == ""
    assert scope.query_string == b""
    assert scope.scheme == "http"
    assert scope.server is None
    assert scope.client is None
    assert scope.http_version == "HTTP/1.1"
    assert scope.input_terminated is False
    assert scope.header("host") is None
    assert scope.header_items() == []


def test_basic_values() -> None:
    env: WSGIEnvironment = {
        "REQUEST_METHOD": "post",
        "QUERY_STRING": wsgi_str("a=é"),
        "wsgi.url_scheme": "https",
        "SERVER_PROTOCOL": "HTTP/1.0",
        "wsgi.input_terminated": True,
        "wsgi.input": io.BytesIO(b"body"),
    }
    scope = WSGIScope(env)
    assert scope.method == "POST"
    assert scope.query_string == "a=é".encode()
    assert scope.scheme == "https"
    assert scope.http_version == "HTTP/1.0"
    assert scope.input_terminated is True
    assert scope.body().read() == b"body"
    assert scope.environ is env


def test_query_string_outside_latin1_is_replaced() -> None:
    # A broken server could put real text here; never crash on it.
    assert WSGIScope({"QUERY_STRING": "a=€"}).query_string == b"a=?"


@pytest.mark.parametrize(
    ("name", "port", "expected"),
    [
        ("example.com", "8080", ("example.com", 8080)),
        ("example.com", "", ("example.com", None)),
        ("example.com", None, ("example.com", None)),
        ("example.com", "http", ("example.com", None)),
        ("", "80", None),
    ],
)
def test_server(name: str, port: str | None, expected: t.Any) -> None:
    env: WSGIEnvironment = {"SERVER_NAME": name}
    if port is not None:
        env["SERVER_PORT"] = port
    assert WSGIScope(env).server == expected


@pytest.mark.parametrize(
    ("port", "expected"),
    [("5555", ("1.2.3.4", 5555)), ("", ("1.2.3.4", 0)), ("x", ("1.2.3.4", 0)), (None, None)],
)
def test_client(port: str | None, expected: t.Any) -> None:
    env: WSGIEnvironment = {"REMOTE_ADDR": "1.2.3.4"}
    if port is not None:
        env["REMOTE_PORT"] = port
    else:
        del env["REMOTE_ADDR"]
    assert WSGIScope(env).client == expected


def test_client_without_port() -> None:
    assert WSGIScope({"REMOTE_ADDR": "::1"}).client == ("::1", 0)


def test_headers_and_content_headers() -> None:
    env: WSGIEnvironment = {
        "HTTP_HOST": "h",
        "HTTP_X_CUSTOM_THING": "value",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "4",
        # Some servers also copy these into HTTP_*; they must not appear twice.
        "HTTP_CONTENT_TYPE": "text/plain",
        "HTTP_CONTENT_LENGTH": "4",
        "SERVER_NAME": "ignored",
    }
    scope = WSGIScope(env)
    items = scope.header_items()
    assert sorted(items) == sorted(
        [
            ("Host", "h"),
            ("X-Custom-Thing", "value"),
            ("Content-Type", "text/plain"),
            ("Content-Length", "4"),
        ]
    )
    assert scope.header("content-type") == "text/plain"
    assert scope.header("content-length") == "4"
    assert scope.header("x-custom-thing") == "value"
    req, wreq = Request(scope), WRequest(env)
    assert sorted(req.headers.items()) == sorted(wreq.headers.items())


def test_non_ascii_header_value_matches_werkzeug_and_header() -> None:
    env: WSGIEnvironment = {"HTTP_X_NAME": wsgi_str("välue")}
    scope = WSGIScope(env)
    req, wreq = Request(scope), WRequest(env)
    # The same header must read the same through headers[] and through the scope.
    assert req.headers["X-Name"] == scope.header("x-name")
    assert req.headers["X-Name"] == wreq.headers["X-Name"]


def test_empty_content_headers_are_absent() -> None:
    # CGI servers set CONTENT_LENGTH="" for a bodiless request.
    scope = WSGIScope({"CONTENT_LENGTH": "", "CONTENT_TYPE": ""})
    assert scope.header("content-length") is None
    assert scope.header_items() == []
    req = Request(scope)
    assert req.content_length is None
    assert req.get_data() == b""


# -- run_wsgi_app ----------------------------------------------------------------------------


def _environ() -> WSGIEnvironment:
    return EnvironBuilder().get_environ()


def test_run_wsgi_app_eager() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> t.Iterator[bytes]:
            return iter([b"a", b"b"])

        def close(self) -> None:
            closed.append(True)

    def app(environ: WSGIEnvironment, start_response: t.Any) -> t.Iterable[bytes]:
        write = start_response("201 CREATED", [("X-A", "1")])
        write(b"written-")
        return Body()

    body, status, headers = run_wsgi_app(app, _environ())
    assert status == "201 CREATED"
    assert headers == [("X-A", "1")]
    assert closed == []
    assert list(body) == [b"written-", b"a", b"b"]
    assert closed == [True]


def test_run_wsgi_app_lazy_start_response() -> None:
    def app(environ: WSGIEnvironment, start_response: t.Any) -> t.Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"first"
        yield b"second"

    body, status, headers = run_wsgi_app(app, _environ())
    assert status == "200 OK"
    assert headers == [("Content-Type", "text/plain")]
    assert list(body) == [b"first", b"second"]


def test_run_wsgi_app_lazy_and_empty() -> None:
    def app(environ: WSGIEnvironment, start_response: t.Any) -> t.Iterator[bytes]:
        start_response("204 NO CONTENT", [])
        yield from ()

    body, status, _ = run_wsgi_app(app, _environ(), buffered=True)
    assert status == "204 NO CONTENT"
    assert body == []


def test_run_wsgi_app_buffered_closes_app_iterable() -> None:
    closed: list[bool] = []

    def app(environ: WSGIEnvironment, start_response: t.Any) -> t.Iterator[bytes]:
        try:
            start_response("200 OK", [])
            yield b"x"
        finally:
            closed.append(True)

    body, _, _ = run_wsgi_app(app, _environ(), buffered=True)
    assert body == [b"x"]
    assert closed == [True]


def test_run_wsgi_app_exc_info_replaces_headers_before_body() -> None:
    def app(environ: WSGIEnvironment, start_response: t.Any) -> t.Iterable[bytes]:
        start_response("200 OK", [("X-First", "1")])
        try:
            raise ValueError("late")
        except ValueError:
            start_response("500 INTERNAL SERVER ERROR", [("X-Error", "1")], sys.exc_info())
        return [b"error"]

    # PEP 3333: exc_info once headers are set means "too late to change them": re-raise.
    with pytest.raises(ValueError, match="late"):
        run_wsgi_app(app, _environ())


def test_run_wsgi_app_exc_info_as_first_call_is_accepted() -> None:
    def app(environ: WSGIEnvironment, start_response: t.Any) -> t.Iterable[bytes]:
        try:
            raise ValueError("early")
        except ValueError:
            start_response("500 INTERNAL SERVER ERROR", [], sys.exc_info())
        return [b"oops"]

    # Nothing was started yet, so PEP 3333 allows the error response to replace it. (Werkzeug's
    # test helper re-raises here too; Kolba follows the PEP.)
    body, status, _ = run_wsgi_app(app, _environ(), buffered=True)
    assert status == "500 INTERNAL SERVER ERROR"
    assert body == [b"oops"]


def test_run_wsgi_app_never_calling_start_response() -> None:
    def app(environ: WSGIEnvironment, start_response: t.Any) -> t.Iterable[bytes]:
        return [b"forgot"]

    with pytest.raises(TypeError, match="did not call start_response"):
        run_wsgi_app(app, _environ())

    def empty(environ: WSGIEnvironment, start_response: t.Any) -> t.Iterable[bytes]:
        return []

    with pytest.raises(TypeError, match="did not call start_response"):
        run_wsgi_app(empty, _environ())


def test_request_environ_is_the_wsgi_environ() -> None:
    env = _environ()
    assert Request(WSGIScope(env)).environ is env
