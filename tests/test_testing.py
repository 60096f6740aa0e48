"""Tests for the in-process test client, mostly against small hand-written WSGI apps."""

from __future__ import annotations

import io
import json
import typing as t
from collections.abc import Callable, Iterable, Iterator
from types import SimpleNamespace, TracebackType

import pytest
import python_multipart
from werkzeug.test import EnvironBuilder as WerkzeugBuilder

from kolba.testing import (
    ClientRedirectError,
    Cookie,
    EnvironBuilder,
    KolbaClient,
    encode_multipart,
    make_test_response_class,
)

Environ = dict[str, t.Any]
StartResponse = Callable[..., t.Any]


def echo_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Answers with a JSON summary of what it received."""
    body = environ["wsgi.input"].read()
    info = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "script": environ["SCRIPT_NAME"],
        "query": environ["QUERY_STRING"],
        "cookie": environ.get("HTTP_COOKIE"),
        "content_type": environ.get("CONTENT_TYPE"),
        "body": body.decode("latin-1"),
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(info).encode()]


class StubApp:
    """The contract's app surface without a real Kolba app: config plus a WSGI callable."""

    def __init__(self, wsgi: Callable[[Environ, StartResponse], Iterable[bytes]]) -> None:
        self.wsgi = wsgi
        self.config: dict[str, t.Any] = {
            "SERVER_NAME": None,
            "APPLICATION_ROOT": "/",
            "PREFERRED_URL_SCHEME": "http",
        }

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        return self.wsgi(environ, start_response)


def env(*args: t.Any, **kwargs: t.Any) -> Environ:
    return EnvironBuilder(StubApp(echo_app), *args, **kwargs).get_environ()


# --- environ ---------------------------------------------------------------------------------


def test_default_environ_is_pep3333() -> None:
    e = env("/hello")
    assert e["REQUEST_METHOD"] == "GET"
    assert e["SCRIPT_NAME"] == ""
    assert e["PATH_INFO"] == "/hello"
    assert e["QUERY_STRING"] == ""
    assert e["SERVER_NAME"] == "localhost"
    assert e["SERVER_PORT"] == "80"
    assert e["HTTP_HOST"] == "localhost"
    assert e["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert e["REMOTE_ADDR"] == "127.0.0.1"
    assert e["wsgi.url_scheme"] == "http"
    assert e["wsgi.version"] == (1, 0)
    assert e["wsgi.input"].read() == b""
    assert "CONTENT_TYPE" not in e and "CONTENT_LENGTH" not in e


def test_environ_matches_werkzeug_for_common_arguments() -> None:
    cases: list[dict[str, t.Any]] = [
        {"path": "/a/b", "query_string": {"x": "1", "y": ["2", "3"]}},
        {"path": "/q?a=1&b=%20", "method": "DELETE"},
        {"path": "/", "headers": [("X-A", "1"), ("X-A", "2"), ("Accept", "text/html")]},
        {"path": "/f", "method": "POST", "data": {"a": "1", "b": ["x y", "&"]}},
        {"path": "/j", "method": "PUT", "json": {"k": [1, 2]}},
        {"path": "/t", "data": "text", "content_type": "text/plain"},
        {"path": "/m", "data": b"<x/>", "mimetype": "application/xml"},
        {"path": "/a", "auth": ("user", "pa:ss")},
        {"path": "/caf\u00e9/%2F", "environ_overrides": {"REMOTE_ADDR": "10.1.1.1"}},
    ]
    skip = {"wsgi.input", "wsgi.errors"}
    for case in cases:
        ours = env(**case)
        theirs = WerkzeugBuilder(base_url="http://localhost/", **case).get_environ()
        theirs.setdefault("REMOTE_ADDR", "127.0.0.1")  # ours always names the loopback peer
        assert {k: v for k, v in ours.items() if k not in skip} == {
            k: v for k, v in theirs.items() if k not in skip
        }, case
        assert ours["wsgi.input"].read() == theirs["wsgi.input"].read(), case


def test_path_info_is_latin1_encoded_utf8() -> None:
    e = env("/caf\u00e9")
    assert e["PATH_INFO"] == "/caf\u00c3\u00a9"
    assert e["PATH_INFO"].encode("latin-1").decode("utf-8") == "/caf\u00e9"


def test_query_string_forms() -> None:
    assert env("/", query_string="a=1&b")["QUERY_STRING"] == "a=1&b"
    assert env("/", query_string=b"a=%20")["QUERY_STRING"] == "a=%20"
    assert env("/", query_string={"a": "x y", "n": None})["QUERY_STRING"] == "a=x+y"
    assert env("/", query_string=[("a", "1"), ("a", "2")])["QUERY_STRING"] == "a=1&a=2"
    assert env("/p?z=9")["QUERY_STRING"] == "z=9"
    with pytest.raises(ValueError, match="Query string is defined"):
        env("/p?z=9", query_string="a=1")


def test_headers_arguments_and_merging() -> None:
    e = env("/", headers={"X-One": "1", "Content-Type": "text/csv"})
    assert e["HTTP_X_ONE"] == "1"
    assert e["CONTENT_TYPE"] == "text/csv"
    assert "HTTP_CONTENT_TYPE" not in e
    e = env("/", headers=[("X-Dup", "a"), ("x-dup", "b")])
    assert e["HTTP_X_DUP"] == "a, b"


def test_base_url_from_app_config() -> None:
    app = StubApp(echo_app)
    app.config.update(
        SERVER_NAME="example.com:8080", APPLICATION_ROOT="/root", PREFERRED_URL_SCHEME="https"
    )
    e = EnvironBuilder(app, "/x").get_environ()
    assert e["HTTP_HOST"] == "example.com:8080"
    assert (e["SERVER_NAME"], e["SERVER_PORT"]) == ("example.com", "8080")
    assert (e["SCRIPT_NAME"], e["PATH_INFO"]) == ("/root", "/x")
    assert e["wsgi.url_scheme"] == "https"
    e = EnvironBuilder(app, "/x", subdomain="api", url_scheme="http").get_environ()
    assert e["HTTP_HOST"] == "api.example.com:8080"
    assert e["wsgi.url_scheme"] == "http"
    e = EnvironBuilder(app, "http://other.org/y?q=1").get_environ()
    assert (e["HTTP_HOST"], e["PATH_INFO"], e["QUERY_STRING"]) == ("other.org", "/y", "q=1")
    e = EnvironBuilder(app, "/z", base_url="https://h.test/mount/").get_environ()
    assert (e["HTTP_HOST"], e["SCRIPT_NAME"], e["SERVER_PORT"]) == ("h.test", "/mount", "443")
    with pytest.raises(ValueError, match="subdomain"):
        EnvironBuilder(app, "/", base_url="http://a/", subdomain="x")


def test_environ_matches_flask_builder() -> None:
    flask = pytest.importorskip("flask")
    fapp = flask.Flask(__name__)
    fapp.config.update(SERVER_NAME="srv.test", APPLICATION_ROOT="/r")
    app = StubApp(echo_app)
    app.config.update(SERVER_NAME="srv.test", APPLICATION_ROOT="/r")
    from flask.testing import EnvironBuilder as FlaskBuilder

    for args, kwargs in [(("/a?b=1",), {}), (("/c",), {"subdomain": "x"})]:
        ours = EnvironBuilder(app, *args, **kwargs).get_environ()
        theirs = FlaskBuilder(fapp, *args, **kwargs).get_environ()
        for key in ("HTTP_HOST", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI"):
            assert ours[key] == theirs[key], key


def test_wsgi_flags_streams_and_base() -> None:
    errors = io.StringIO()
    e = env(
        "/",
        errors_stream=errors,
        multithread=True,
        multiprocess=True,
        run_once=True,
        environ_base={"REMOTE_ADDR": "1.2.3.4", "custom": 1},
    )
    assert e["wsgi.errors"] is errors
    assert (e["wsgi.multithread"], e["wsgi.multiprocess"], e["wsgi.run_once"]) == (True,) * 3
    assert (e["REMOTE_ADDR"], e["custom"]) == ("1.2.3.4", 1)


def test_input_stream_and_content_length() -> None:
    stream = io.BytesIO(b"abcdef")
    stream.seek(2)
    e = env("/", method="POST", input_stream=stream, content_type="application/octet-stream")
    assert e["CONTENT_LENGTH"] == "4"
    assert e["wsgi.input"].read() == b"cdef"
    # As in Werkzeug, the stream's real length wins over a stated one.
    assert env("/", data=b"xyz", content_length=10)["CONTENT_LENGTH"] == "3"
    with pytest.raises(TypeError, match="input stream and data"):
        env("/", data=b"x", input_stream=io.BytesIO())


def test_json_argument() -> None:
    e = env("/", method="POST", json={"a": 1})
    assert e["CONTENT_TYPE"] == "application/json"
    assert json.loads(e["wsgi.input"].read()) == {"a": 1}
    with pytest.raises(TypeError, match="both json and data"):
        env("/", json={}, data="x")
    # An app's JSON provider is used when it has one.
    app = StubApp(echo_app)
    app.json = SimpleNamespace(dumps=lambda obj: "PROVIDED")  # type: ignore[attr-defined]
    assert EnvironBuilder(app, json=[1]).get_environ()["wsgi.input"].read() == b"PROVIDED"


def test_mimetype_adds_charset_like_werkzeug() -> None:
    assert env("/", mimetype="text/plain")["CONTENT_TYPE"] == "text/plain; charset=utf-8"
    assert env("/", mimetype="image/png")["CONTENT_TYPE"] == "image/png"


def test_auth_object_with_to_header() -> None:
    auth = SimpleNamespace(to_header=lambda: "Bearer tok")
    assert env("/", auth=auth)["HTTP_AUTHORIZATION"] == "Bearer tok"
    assert env("/", auth=("\u00e4", "p"))["HTTP_AUTHORIZATION"] == "Basic w6Q6cA=="


def test_get_request_uses_kolba_request() -> None:
    req = EnvironBuilder(StubApp(echo_app), "/r", query_string={"a": "1"}).get_request()
    assert req.path == "/r"
    assert req.args["a"] == "1"


def test_from_environ_round_trip() -> None:
    original = env("/p", base_url="https://h:8443/root", query_string="a=1", headers={"X-Y": "z"})
    rebuilt = EnvironBuilder.from_environ(original, app=StubApp(echo_app)).get_environ()
    for key in ("HTTP_HOST", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "HTTP_X_Y", "SERVER_PORT"):
        assert rebuilt[key] == original[key], key


# --- multipart -------------------------------------------------------------------------------


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, ...]]:
    got: list[tuple[str, ...]] = []

    def on_field(f: t.Any) -> None:
        got.append(("field", f.field_name.decode(), (f.value or b"").decode()))

    def on_file(f: t.Any) -> None:
        f.file_object.seek(0)
        got.append(
            ("file", f.field_name.decode(), f.file_name.decode(), f.file_object.read().decode())
        )

    parser = python_multipart.create_form_parser(
        {"Content-Type": content_type.encode()}, on_field, on_file
    )
    parser.write(body)
    parser.finalize()
    return got


def test_multipart_data_parses_back() -> None:
    e = env(
        "/up",
        method="POST",
        data={
            "name": "x",
            "tags": ["a", "b"],
            "doc": (io.BytesIO(b"hello"), "doc.txt"),
            "many": [(io.BytesIO(b"1"), "1.bin", "application/x-one"), (io.BytesIO(b""), "e")],
            "empty": "",
        },
    )
    ctype = e["CONTENT_TYPE"]
    assert ctype.startswith('multipart/form-data; boundary="')
    body = e["wsgi.input"].read()
    assert int(e["CONTENT_LENGTH"]) == len(body)
    assert parse_multipart(ctype, body) == [
        ("field", "name", "x"),
        ("field", "tags", "a"),
        ("field", "tags", "b"),
        ("field", "empty", ""),
        ("file", "doc", "doc.txt", "hello"),
        ("file", "many", "1.bin", "1"),
        ("file", "many", "e", ""),
    ]
    assert b"Content-Type: text/plain\r\n" in body
    assert b"Content-Type: application/x-one\r\n" in body


def test_encode_multipart_matches_werkzeug_for_non_empty_parts() -> None:
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart as wz_encode

    def values() -> dict[str, t.Any]:
        upload = FileStorage(io.BytesIO(b"data"), filename="f.txt", content_type="text/x")
        return {"a": "1", "b": ["2", "3"], "f": upload}

    ours = encode_multipart(values(), boundary="BOUND")
    assert ours == wz_encode(values(), boundary="BOUND")
    assert b'name="f"; filename="f.txt"\r\nContent-Type: text/x\r\n\r\ndata' in ours[1]
    boundary, _ = encode_multipart({"a": "1"})
    assert boundary.startswith("---------------")


def test_file_name_from_stream_and_content_type_guess(tmp_path: t.Any) -> None:
    path = tmp_path / "pic.png"
    path.write_bytes(b"PNG")
    builder = EnvironBuilder(StubApp(echo_app), method="POST", data={"p": (str(path), "x.png")})
    body = builder.get_environ()["wsgi.input"].read()
    builder.close()
    assert b'filename="x.png"\r\nContent-Type: image/png\r\n\r\nPNG\r\n' in body
    assert builder.closed
    with pytest.raises(TypeError, match="cannot upload"):
        env("/", data={"bad": (123, "n")})


# --- client basics ---------------------------------------------------------------------------


def test_client_methods_and_response() -> None:
    client = KolbaClient(StubApp(echo_app))
    for name in ("get", "post", "put", "patch", "delete", "options", "trace"):
        rv = getattr(client, name)("/m", data=b"x" if name != "get" else None)
        assert rv.status_code == 200
        assert rv.json["method"] == name.upper()
    rv = client.post("/p", data={"a": "1"}, query_string={"q": "2"})
    assert rv.json["body"] == "a=1"
    assert rv.json["query"] == "q=2"
    assert rv.text.startswith("{")
    assert rv.get_json()["content_type"] == "application/x-www-form-urlencoded"
    assert rv.history == ()
    assert rv.request.path == "/p"
    assert rv.request.method == "POST"
    assert rv.headers["Content-Type"] == "application/json"


def test_head_response_has_empty_body() -> None:
    rv = KolbaClient(StubApp(echo_app)).head("/")
    assert rv.status_code == 200
    assert rv.data == b""


def test_environ_base_defaults_and_overrides() -> None:
    seen: list[Environ] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        seen.append(environ)
        start_response("204 No Content", [])
        return []

    client = KolbaClient(app)
    client.get("/")
    assert seen[-1]["REMOTE_ADDR"] == "127.0.0.1"
    assert seen[-1]["HTTP_USER_AGENT"].startswith("Kolba/")
    client.environ_base["HTTP_USER_AGENT"] = "custom"
    client.get("/", environ_base={"REMOTE_ADDR": "9.9.9.9"})
    assert (seen[-1]["HTTP_USER_AGENT"], seen[-1]["REMOTE_ADDR"]) == ("custom", "9.9.9.9")


def test_open_accepts_builder_and_environ_dict() -> None:
    client = KolbaClient(StubApp(echo_app))
    builder = EnvironBuilder(StubApp(echo_app), "/b", method="PUT", data=b"body")
    rv = client.open(builder)
    assert (rv.json["method"], rv.json["path"], rv.json["body"]) == ("PUT", "/b", "body")
    environ = env("/d", method="POST", data=b"raw")
    environ["custom.key"] = "kept"
    seen: list[Environ] = []

    def app(e: Environ, start_response: StartResponse) -> Iterable[bytes]:
        seen.append(e)
        start_response("200 OK", [])
        return [e["wsgi.input"].read()]

    rv = KolbaClient(app).open(environ)
    assert rv.data == b"raw"
    assert seen[0]["custom.key"] == "kept"
    assert seen[0]["HTTP_USER_AGENT"].startswith("Kolba/")


def test_write_callable_and_exc_info() -> None:
    def writer(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        write = start_response("200 OK", [])
        write(b"early-")
        return [b"late"]

    assert KolbaClient(writer).get("/").data == b"early-late"

    def failing(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            raise KeyError("boom")
        except KeyError:
            import sys

            start_response("500 Error", [], sys.exc_info())
        return []

    with pytest.raises(KeyError, match="boom"):
        KolbaClient(failing).get("/")

    def silent(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        return [b"x"]

    with pytest.raises(RuntimeError, match="start_response"):
        KolbaClient(silent).get("/")


class ClosingBody:
    def __init__(self, chunks: list[bytes], fail: bool = False) -> None:
        self.chunks = chunks
        self.fail = fail
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.fail:
            raise ValueError("mid-body failure")

    def close(self) -> None:
        self.closed += 1


@pytest.mark.parametrize("fail", [False, True])
def test_app_iterable_close_always_called(fail: bool) -> None:
    body = ClosingBody([b"a", b"b"], fail=fail)

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [])
        return body

    client = KolbaClient(app)
    if fail:
        with pytest.raises(ValueError, match="mid-body"):
            client.get("/")
    else:
        assert client.get("/").data == b"ab"
    assert body.closed == 1


def test_response_class_is_cached_subclass() -> None:
    from kolba.http.response import Response

    cls = make_test_response_class(Response)
    assert issubclass(cls, Response)
    assert make_test_response_class(Response) is cls
    assert make_test_response_class(cls) is cls
    client = KolbaClient(StubApp(echo_app))
    assert type(client.get("/")) is cls


def test_response_wrapper_and_no_default_mimetype() -> None:
    from kolba.http.response import Response

    class Mine(Response):
        pass

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("X-Only", "1")])
        return [b"x"]

    rv = KolbaClient(app, response_wrapper=Mine).get("/")
    assert isinstance(rv, Mine)
    assert rv.headers.get("Content-Type") is None
    assert rv.headers["X-Only"] == "1"


# --- cookies ---------------------------------------------------------------------------------


def cookie_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    headers = []
    if path == "/set":
        headers = [
            ("Set-Cookie", "a=1; Path=/"),
            ("Set-Cookie", 'q="x\\054y"; Path=/; HttpOnly; Secure; SameSite=Lax'),
        ]
    elif path == "/sub/set":
        headers = [("Set-Cookie", "s=2")]  # default path is the request's directory: /sub
    elif path == "/del":
        headers = [("Set-Cookie", "a=; Max-Age=0; Path=/")]
    elif path == "/expire":
        headers = [("Set-Cookie", "q=; Expires=Thu, 01 Jan 2015 00:00:00 GMT; Path=/")]
    elif path == "/domain":
        headers = [("Set-Cookie", "d=3; Domain=localhost; Path=/")]
    start_response("200 OK", headers)
    return [(environ.get("HTTP_COOKIE") or "").encode()]


def test_cookie_jar_round_trip_and_deletion() -> None:
    client = KolbaClient(cookie_app)
    client.get("/set")
    assert client.get("/echo").text == 'a=1; q="x\\054y"'
    q = client.get_cookie("q")
    assert isinstance(q, Cookie)
    assert (q.value, q.decoded_value) == ('"x\\054y"', "x,y")
    assert (q.secure, q.http_only, q.same_site, q.domain, q.path) == (
        True,
        True,
        "Lax",
        "localhost",
        "/",
    )
    client.get("/del")
    assert client.get_cookie("a") is None
    client.get("/expire")
    assert client.get("/echo").text == ""


def test_cookie_path_and_domain_matching() -> None:
    client = KolbaClient(cookie_app)
    client.get("/sub/set")
    assert client.get_cookie("s", path="/sub") is not None
    assert client.get("/sub/x").text == "s=2"
    assert client.get("/sub").text == "s=2"
    assert client.get("/subway").text == ""
    assert client.get("/other").text == ""
    client.get("/domain")
    assert client.get("/", base_url="http://api.localhost/").text == "d=3"
    assert client.get("/", base_url="http://otherhost/").text == ""


def test_set_get_delete_cookie() -> None:
    client = KolbaClient(cookie_app)
    client.set_cookie("k", "v w", max_age=60, httponly=True, samesite="strict")
    cookie = client.get_cookie("k")
    assert cookie is not None
    assert (cookie.decoded_value, cookie.max_age, cookie.http_only) == ("v w", 60, True)
    assert cookie.same_site == "Strict"
    assert cookie.expires is not None
    assert client.get("/").text == 'k="v w"'
    client.set_cookie("o", "1", domain="example.com", origin_only=False)
    assert client.get("/", base_url="http://a.example.com/").text == "o=1"
    client.delete_cookie("k")
    assert client.get_cookie("k") is None
    client.set_cookie("gone", "x", expires=0)
    assert client.get_cookie("gone") is None
    with pytest.raises(ValueError, match="SameSite"):
        client.set_cookie("bad", samesite="sometimes")


def test_cookie_expiry_by_max_age_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    import kolba.testing.client as client_module
    import kolba.testing.cookies as cookies_module

    now = [1_000_000.0]
    # The jar sets a cookie's expiry and checks it in two modules; both must see the clock.
    monkeypatch.setattr(cookies_module, "time", lambda: now[0])
    monkeypatch.setattr(client_module, "time", lambda: now[0])
    client = KolbaClient(cookie_app)
    client.set_cookie("short", "1", max_age=10)
    assert client.get("/").text == "short=1"
    now[0] += 11
    assert client.get("/").text == ""
    assert client.get_cookie("short") is None


def test_cookies_disabled() -> None:
    client = KolbaClient(cookie_app, use_cookies=False)
    client.get("/set")
    assert client.get("/echo").text == ""
    calls: list[Callable[[], object]] = [
        lambda: client.get_cookie("a"),
        lambda: client.set_cookie("a"),
        lambda: client.delete_cookie("a"),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="Cookies are disabled"):
            call()


def test_malformed_set_cookie_is_ignored_safely() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response(
            "200 OK",
            [("Set-Cookie", "x=1; Max-Age=soon; Expires=never"), ("Set-Cookie", ";;")],
        )
        return [b""]

    client = KolbaClient(app)
    client.get("/")
    x = client.get_cookie("x")
    assert x is not None
    assert (x.max_age, x.expires) == (None, None)
    assert client.get_cookie("") is None


# --- redirects -------------------------------------------------------------------------------


def redirect_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    body = environ["wsgi.input"].read()
    if path.startswith("/r/"):
        code = path.split("/")[2]
        start_response(f"{code} Redirect", [("Location", "/target?from=" + code)])
        return [b"redirecting"]
    if path == "/loop":
        start_response("302 Found", [("Location", "http://localhost/loop")])
        return []
    if path == "/external":
        start_response("302 Found", [("Location", "http://elsewhere.test/")])
        return []
    if path == "/subdomain":
        start_response("302 Found", [("Location", "http://api.localhost/x")])
        return []
    if path == "/malformed":
        start_response("302 Found", [("Location", "http://[bad/")])
        return []
    if path == "/nowhere":
        start_response("302 Found", [])
        return []
    if path == "/relative/a":
        start_response("302 Found", [("Location", "b")])
        return []
    start_response("200 OK", [("Content-Type", "application/json")])
    info = {
        "method": environ["REQUEST_METHOD"],
        "path": path,
        "query": environ["QUERY_STRING"],
        "body": body.decode(),
        "ctype": environ.get("CONTENT_TYPE"),
        "host": environ["HTTP_HOST"],
    }
    return [json.dumps(info).encode()]


@pytest.mark.parametrize("code", [301, 302, 303])
def test_redirect_becomes_get_without_body(code: int) -> None:
    client = KolbaClient(redirect_app)
    rv = client.post(f"/r/{code}", data={"a": "1"}, follow_redirects=True)
    assert rv.json == {
        "method": "GET",
        "path": "/target",
        "query": f"from={code}",
        "body": "",
        "ctype": None,
        "host": "localhost",
    }
    assert [r.status_code for r in rv.history] == [code]
    assert rv.history[0].request.path == f"/r/{code}"
    assert rv.request.path == "/target"


@pytest.mark.parametrize("code", [307, 308])
def test_redirect_keeps_method_and_body(code: int) -> None:
    rv = KolbaClient(redirect_app).put(f"/r/{code}", data=b"payload", follow_redirects=True)
    assert (rv.json["method"], rv.json["body"], rv.json["path"]) == ("PUT", "payload", "/target")
    assert len(rv.history) == 1


def test_redirect_not_followed_by_default() -> None:
    rv = KolbaClient(redirect_app).get("/r/302")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/target?from=302"


def test_head_redirect_stays_head() -> None:
    rv = KolbaClient(redirect_app).head("/r/302", follow_redirects=True)
    assert rv.status_code == 200
    assert rv.request.method == "HEAD"


def test_redirect_relative_location() -> None:
    rv = KolbaClient(redirect_app).get("/relative/a", follow_redirects=True)
    assert rv.json["path"] == "/relative/b"


def test_redirect_errors() -> None:
    client = KolbaClient(redirect_app)
    with pytest.raises(RuntimeError, match="external redirects is not supported"):
        client.get("/external", follow_redirects=True)
    with pytest.raises(ClientRedirectError, match="Loop detected"):
        client.get("/loop", follow_redirects=True)
    with pytest.raises(ValueError, match="malformed"):
        client.get("/malformed", follow_redirects=True)
    # Without a Location there is nothing to follow: the redirect itself is the answer.
    assert client.get("/nowhere", follow_redirects=True).status_code == 302
    with pytest.raises(RuntimeError, match="subdomain redirects is not enabled"):
        client.get("/subdomain", follow_redirects=True)
    rv = KolbaClient(redirect_app, allow_subdomain_redirects=True).get(
        "/subdomain", follow_redirects=True
    )
    assert rv.json["host"] == "api.localhost"


def test_redirect_history_chain() -> None:
    hops = {"/1": "/2", "/2": "/3"}

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path in hops:
            start_response("302 Found", [("Location", hops[path])])
            return [b""]
        start_response("200 OK", [])
        return [path.encode()]

    rv = KolbaClient(app).get("/1", follow_redirects=True)
    assert rv.data == b"/3"
    assert [r.request.path for r in rv.history] == ["/1", "/2"]
    assert rv.history[1].history == (rv.history[0],)


# --- context preservation --------------------------------------------------------------------


class RecordingContext:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def __enter__(self) -> RecordingContext:
        self.log.append(f"push {self.name}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.log.append(f"pop {self.name}")


def preserving_app(log: list[str]) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        name = environ["PATH_INFO"]
        preserve = environ.get("kolba.preserve_context")
        log.append(f"request {name}")
        if preserve is not None:
            preserve(RecordingContext(name, log))
        start_response("200 OK", [])
        return [b""]

    return app


def test_with_client_preserves_last_context() -> None:
    log: list[str] = []
    client = KolbaClient(preserving_app(log))
    client.get("/outside")
    assert log == ["request /outside"]
    log.clear()
    with client:
        client.get("/a")
        assert log == ["request /a", "push /a"]
        client.get("/b")
        assert log == ["request /a", "push /a", "pop /a", "request /b", "push /b"]
    assert log[-1] == "pop /b"
    log.clear()
    client.get("/after")
    assert log == ["request /after"]


def test_nested_with_client_raises() -> None:
    client = KolbaClient(preserving_app([]))
    with client:
        with pytest.raises(RuntimeError, match="Cannot nest client invocations"):
            client.__enter__()


def test_with_client_pops_on_error() -> None:
    log: list[str] = []
    client = KolbaClient(preserving_app(log))
    with pytest.raises(LookupError):
        with client:
            client.get("/x")
            raise LookupError
    assert log[-1] == "pop /x"
    assert not client.preserve_context


# --- against real apps -----------------------------------------------------------------------


def test_same_results_as_flask_client_on_a_flask_app() -> None:
    """Drive one Flask app with Flask's client and ours; everything but the agent must match."""
    flask = pytest.importorskip("flask")
    app = flask.Flask(__name__)
    app.secret_key = "k"

    def set_() -> t.Any:
        rv = flask.make_response("ok")
        rv.set_cookie("a", "1 2;3", max_age=100)
        rv.set_cookie("p", "x", path="/sub")
        return rv

    def sess() -> str:
        flask.session["n"] = flask.session.get("n", 0) + 1
        return str(flask.session["n"])

    def echo() -> t.Any:
        rq = flask.request
        files = {k: [f.filename, f.read().decode(), f.content_type] for k, f in rq.files.items()}
        return {
            "cookies": rq.cookies,
            "form": rq.form.to_dict(flat=False),
            "files": files,
            "args": rq.args.to_dict(flat=False),
            "json": rq.get_json(silent=True),
            "url": rq.url,
            "method": rq.method,
        }

    def redirect(code: int) -> t.Any:
        return flask.redirect("/echo?x=1", code=code)

    def sub() -> t.Any:
        return flask.request.cookies.to_dict()

    app.add_url_rule("/set", view_func=set_)
    app.add_url_rule("/sess", view_func=sess, methods=["GET", "POST"])
    app.add_url_rule("/echo", view_func=echo, methods=["GET", "POST", "PUT"])
    app.add_url_rule("/r/<int:code>", view_func=redirect, methods=["GET", "POST", "PUT"])
    app.add_url_rule("/sub/x", view_func=sub)

    def wsgi(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        # A bare callable, so our client uses Kolba's request and response classes.
        return t.cast(Iterable[bytes], app(environ, start_response))

    theirs, ours = app.test_client(), KolbaClient(wsgi)
    requests: list[tuple[str, str, Callable[[], dict[str, t.Any]]]] = [
        ("get", "/set", dict),
        ("get", "/echo", dict),
        ("get", "/sub/x", dict),
        ("get", "/sess", dict),
        ("post", "/sess", dict),
        ("post", "/echo", lambda: {"data": {"a": ["1", "2"], "f": (io.BytesIO(b"hi"), "h.txt")}}),
        ("post", "/echo?q=2", lambda: {"json": {"z": [1]}}),
        ("put", "/r/307", lambda: {"data": {"b": "1"}, "follow_redirects": True}),
        ("post", "/r/302", lambda: {"data": {"b": "1"}, "follow_redirects": True}),
        ("head", "/echo", dict),
        ("get", "/missing", dict),
        ("options", "/echo", dict),
    ]
    for method, path, kwargs in requests:
        a = getattr(theirs, method)(path, **kwargs())
        b = getattr(ours, method)(path, **kwargs())
        assert (b.status, b.get_data()) == (a.status, a.get_data()), (method, path)
        assert sorted(b.headers.items()) == sorted(a.headers.items()), (method, path)
        assert len(b.history) == len(a.history)


def test_against_a_kolba_app() -> None:
    kolba_app = pytest.importorskip("kolba.app", reason="kolba.app is not importable yet")
    from kolba.globals import request

    app = kolba_app.Kolba(__name__)

    def hi() -> t.Any:
        return {"method": request.method, "a": request.args.get("a")}

    app.add_url_rule("/hi", view_func=hi, methods=["GET", "POST"])
    client = app.test_client() if hasattr(app, "test_client") else KolbaClient(app)
    rv = client.get("/hi?a=1")
    assert rv.json == {"method": "GET", "a": "1"}
    assert rv.request.path == "/hi"
    assert client.get("/nope").status_code == 404
    with client:
        client.post("/hi", query_string={"a": "2"})
        assert request.args["a"] == "2"
    with pytest.raises(RuntimeError):
        request.method  # noqa: B018 - the context was popped when the block ended
