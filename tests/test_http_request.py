"""The HTTP-layer :class:`~kolba.http.request.Request` built from a :class:`SimpleScope`.

No WSGI environ is involved anywhere here: this is the seam an ASGI adapter will use, so every
request attribute must be computable from the scope alone. Values are compared with Werkzeug's
``Request`` for the equivalent environ where Werkzeug defines them.
"""

from __future__ import annotations

import io
import json
import typing as t

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WRequest

from kolba.http.exceptions import (
    BadRequest,
    RequestEntityTooLarge,
    SecurityError,
    UnsupportedMediaType,
)
from kolba.http.request import Request
from kolba.http.scope import Scope, SimpleScope


def make(
    method: str = "GET",
    path: str = "/",
    query_string: bytes = b"",
    headers: t.Iterable[tuple[str, str]] = (),
    body: bytes | t.IO[bytes] = b"",
    **kw: t.Any,
) -> Request:
    return Request(SimpleScope(method, path, query_string, headers, body, **kw))


def chunked_body(data: bytes) -> t.IO[bytes]:
    """A body stream with no declared length, as a server that de-chunks would hand over."""
    return io.BufferedReader(io.BytesIO(data))


# -- the scope -------------------------------------------------------------------------------


def test_simple_scope_values() -> None:
    scope = SimpleScope("post", "/a", b"x=1", [("Host", "h"), ("X-A", "1"), ("x-a", "2")])
    assert scope.method == "POST"
    assert scope.header("x-a") == "1, 2"
    assert scope.header("missing") is None
    assert scope.header_items() == [("Host", "h"), ("X-A", "1"), ("x-a", "2")]
    assert scope.environ is None
    assert scope.input_terminated is True
    assert scope.body().read() == b""
    streamed = SimpleScope(body=io.BytesIO(b"abc"))
    assert streamed.input_terminated is False


def test_abstract_scope_methods_raise() -> None:
    scope = Scope()
    with pytest.raises(NotImplementedError):
        scope.header("host")
    with pytest.raises(NotImplementedError):
        scope.header_items()
    with pytest.raises(NotImplementedError):
        scope.body()


# -- URL parts -------------------------------------------------------------------------------


def test_url_parts_match_werkzeug() -> None:
    req = make(
        "GET",
        "/päth/x y",
        b"a=1&b=%C3%A9",
        [("Host", "example.com:8080")],
        root_path="/app/",
        scheme="https",
    )
    env = EnvironBuilder(
        path="/päth/x y",
        base_url="https://example.com:8080/app/",
        query_string="a=1&b=%C3%A9",
    ).get_environ()
    wreq = WRequest(env)
    assert req.root_path == "/app"
    assert req.script_root == wreq.script_root == "/app"
    assert req.path == wreq.path == "/päth/x y"
    assert req.full_path == "/päth/x y?a=1&b=%C3%A9"
    assert req.host == wreq.host == "example.com:8080"
    assert req.url == wreq.url
    assert req.base_url == wreq.base_url
    assert req.root_url == wreq.root_url == "https://example.com:8080/app/"
    assert req.host_url == wreq.host_url == "https://example.com:8080/"
    assert req.is_secure is True
    assert req.scheme == "https"
    assert req.query_string == b"a=1&b=%C3%A9"
    assert req.args.to_dict() == {"a": "1", "b": "é"}


def test_path_normalised_to_one_leading_slash() -> None:
    assert make(path="").path == "/"
    assert make(path="x").path == "/x"
    assert make(path="//x").path == "/x"


@pytest.mark.parametrize(
    ("scheme", "host", "expected"),
    [
        ("http", "example.com:80", "example.com"),
        ("https", "example.com:443", "example.com"),
        ("http", "example.com:443", "example.com:443"),
        ("https", "[::1]:443", "[::1]"),
        ("http", "bad host", ""),
        ("http", "a/b", ""),
    ],
)
def test_host_header(scheme: str, host: str, expected: str) -> None:
    assert make(headers=[("Host", host)], scheme=scheme).host == expected


def test_host_falls_back_to_server_address() -> None:
    assert make(server=("10.0.0.1", 8000)).host == "10.0.0.1:8000"
    assert make(server=("::1", 8000)).host == "[::1]:8000"
    assert make(server=("example.com", 80)).host == "example.com"
    assert make(server=None).host == ""
    assert make(server=("example.com", None)).host == ""


def test_trusted_hosts() -> None:
    class Trusting(Request):
        trusted_hosts = ["example.com", ".sub.test"]

    def req(host: str) -> Request:
        return Trusting(SimpleScope(headers=[("Host", host)]))

    assert req("example.com").host == "example.com"
    assert req("EXAMPLE.com:8080").host == "EXAMPLE.com:8080"
    assert req("sub.test").host == "sub.test"
    assert req("a.sub.test").host == "a.sub.test"
    for bad in ("evil.com", "example.com.evil", "xsub.test", "bad host"):
        with pytest.raises(SecurityError) as info:
            req(bad).host  # noqa: B018
        assert info.value.code == 400


def test_repr_and_invalid_url_in_repr() -> None:
    assert repr(make("post", "/x", b"a=1", [("Host", "h")])) == "<Request 'http://h/x?a=1' [POST]>"

    class Trusting(Request):
        trusted_hosts = ["good"]

    bad = Trusting(SimpleScope(headers=[("Host", "evil")]))
    assert repr(bad) == (
        "<Trusting \"(invalid URL: 400 Bad Request: Host 'evil' is not trusted.)\" [GET]>"
    )


def test_environ_raises_without_wsgi() -> None:
    with pytest.raises(RuntimeError, match="did not come from a WSGI server"):
        make().environ  # noqa: B018


def test_peer_and_access_route() -> None:
    req = make(client=("1.2.3.4", 5555))
    assert req.remote_addr == "1.2.3.4"
    assert req.access_route == ["1.2.3.4"]
    fwd = make(headers=[("X-Forwarded-For", "9.9.9.9, 8.8.8.8,")])
    assert fwd.access_route == ["9.9.9.9", "8.8.8.8"]
    nobody = make(client=None)
    assert nobody.remote_addr is None
    assert nobody.access_route == []


# -- headers and cookies ---------------------------------------------------------------------


def test_headers_and_cookies() -> None:
    req = make(
        headers=[
            ("Host", "h"),
            ("Cookie", 'a=1; b="x y"; a=2'),
            ("Referer", "http://r/"),
            ("Origin", "http://o"),
            ("Content-Encoding", "gzip"),
            ("User-Agent", "Test/1.0"),
            ("Accept", "text/html;q=0.5, application/json"),
            ("Cache-Control", "no-cache"),
            ("If-None-Match", '"e1", W/"e2"'),
            ("Range", "bytes=0-9"),
        ]
    )
    assert req.headers["cookie"] == 'a=1; b="x y"; a=2'
    assert req.headers.get("X-Missing") is None
    assert req.cookies.getlist("a") == ["1", "2"]
    assert req.cookies["b"] == "x y"
    assert req.referrer == "http://r/"
    assert req.origin == "http://o"
    assert req.content_encoding == "gzip"
    assert req.user_agent.string == "Test/1.0"
    assert req.accept_mimetypes.best == "application/json"
    assert req.cache_control.no_cache
    assert "e1" in req.if_none_match
    assert req.range is not None and req.range.ranges == [(0, 10)]
    with pytest.raises(TypeError):
        req.headers["X"] = "y"


# -- body --------------------------------------------------------------------------------------


def test_body_with_content_length_is_limited() -> None:
    req = make("POST", headers=[("Content-Length", "3")], body=io.BytesIO(b"abcdef"))
    assert req.content_length == 3
    assert req.get_data() == b"abc"
    assert req.get_data() == b"abc"  # cached
    assert req.data == b"abc"


def test_body_without_length_is_empty_unless_terminated() -> None:
    # Not terminated: reading could block forever, so nothing is read (as in Werkzeug).
    req = make("POST", body=io.BytesIO(b"abc"))
    assert req.content_length is None
    assert req.get_data() == b""


def test_chunked_body_read_when_input_terminated() -> None:
    scope = SimpleScope(
        "POST", headers=[("Transfer-Encoding", "chunked")], body=chunked_body(b"chunked!")
    )
    scope.input_terminated = True
    req = Request(scope)
    assert req.content_length is None
    assert req.get_data() == b"chunked!"


def test_chunked_ignores_content_length() -> None:
    scope = SimpleScope(
        "POST",
        headers=[("Transfer-Encoding", "Chunked"), ("Content-Length", "2")],
        body=chunked_body(b"all of it"),
    )
    scope.input_terminated = True
    req = Request(scope)
    assert req.content_length is None
    assert req.get_data() == b"all of it"


def test_terminated_body_respects_max_content_length() -> None:
    class Limited(Request):
        max_content_length = 4

    scope = SimpleScope("POST", body=chunked_body(b"toolongbody"))
    scope.input_terminated = True
    with pytest.raises(RequestEntityTooLarge):
        Limited(scope).get_data()
    small = SimpleScope("POST", body=chunked_body(b"ok"))
    small.input_terminated = True
    assert Limited(small).get_data() == b"ok"


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "١٢", "0x10"])
def test_invalid_content_length_is_400(value: str) -> None:
    req = make("POST", headers=[("Content-Length", value)], body=b"abc")
    assert req.content_length is None
    with pytest.raises(BadRequest, match="Invalid Content-Length"):
        req.get_data()


def test_zero_content_length_reads_nothing() -> None:
    req = make("POST", headers=[("Content-Length", "0")], body=io.BytesIO(b"junk"))
    assert req.get_data() == b""


def test_max_content_length_refuses_declared_body() -> None:
    req = make("POST", headers=[("Content-Length", "10")], body=b"0123456789")
    req.max_content_length = 5
    with pytest.raises(RequestEntityTooLarge) as info:
        req.get_data()
    assert info.value.code == 413


def test_truncated_body_is_client_error() -> None:
    req = make("POST", headers=[("Content-Length", "10")], body=io.BytesIO(b"abc"))
    with pytest.raises(BadRequest) as info:
        req.get_data()
    assert info.value.code == 400


def test_get_data_without_cache_and_as_text() -> None:
    req = make("POST", headers=[("Content-Length", "2")], body="é".encode())
    assert req.get_data(cache=False, as_text=True) == "é"
    # Not cached: the stream is consumed.
    assert req.get_data() == b""


# -- forms -------------------------------------------------------------------------------------


def test_urlencoded_form_and_values() -> None:
    body = b"a=1&b=2&a=3"
    req = make(
        "POST",
        query_string=b"q=x&a=0",
        headers=[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Length", str(len(body))),
        ],
        body=body,
    )
    assert req.want_form_data_parsed
    assert req.form.getlist("a") == ["1", "3"]
    assert req.files.to_dict() == {}
    assert req.values.getlist("a") == ["0", "1", "3"]
    assert req.values["q"] == "x"


def test_get_request_values_ignore_form() -> None:
    req = make(query_string=b"a=1")
    assert req.values.to_dict() == {"a": "1"}


def test_multipart_files_and_close() -> None:
    builder = EnvironBuilder(
        method="POST", data={"name": "x", "up": (io.BytesIO(b"file data"), "f.txt")}
    )
    env = builder.get_environ()
    body = env["wsgi.input"].read()
    req = make(
        "POST",
        headers=[("Content-Type", env["CONTENT_TYPE"]), ("Content-Length", str(len(body)))],
        body=body,
    )
    assert req.mimetype == "multipart/form-data"
    assert "boundary" in req.mimetype_params
    assert req.form["name"] == "x"
    upload = req.files["up"]
    assert upload.filename == "f.txt"
    assert upload.read() == b"file data"
    with req:
        pass
    assert upload.stream.closed


def test_non_form_body_left_for_get_data() -> None:
    req = make(
        "POST", headers=[("Content-Type", "text/plain"), ("Content-Length", "2")], body=b"hi"
    )
    assert req.form.to_dict() == {}
    assert req.get_data() == b"hi"
    req.close()  # no files: nothing to close, no error


def test_data_reads_raw_body_after_form_parse() -> None:
    body = b"a=1"
    req = make(
        "POST",
        headers=[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Length", "3"),
        ],
        body=body,
    )
    # Form parsing consumes the stream first, as in Werkzeug: data is then empty.
    assert req.data == b""
    assert req.form["a"] == "1"


# -- JSON --------------------------------------------------------------------------------------


def _json_req(body: bytes, mimetype: str = "application/json") -> Request:
    return make(
        "POST",
        headers=[("Content-Type", mimetype), ("Content-Length", str(len(body)))],
        body=body,
    )


def test_json_parsed_and_cached() -> None:
    req = _json_req(b'{"a": [1, 2]}')
    first = req.get_json()
    assert first == {"a": [1, 2]}
    assert req.json is first
    assert req.get_json(silent=True) is first


def test_json_vendor_type() -> None:
    assert _json_req(b"[1]", "application/problem+json").get_json() == [1]
    assert _json_req(b"[1]", "application/problem+json").is_json


def test_json_without_cache_reparses() -> None:
    req = _json_req(b'{"a": 1}')
    req.get_data()  # the body is cached; only the parsed value is not
    first = req.get_json(cache=False)
    second = req.get_json(cache=False)
    assert first == second == {"a": 1}
    assert first is not second


def test_json_wrong_content_type() -> None:
    req = _json_req(b'{"a": 1}', "text/plain")
    with pytest.raises(UnsupportedMediaType) as info:
        req.get_json()
    assert info.value.code == 415
    assert req.get_json(silent=True) is None
    assert req.get_json(force=True) == {"a": 1}


def test_json_bad_body() -> None:
    req = _json_req(b"{nope")
    with pytest.raises(BadRequest, match="Failed to decode JSON object"):
        req.get_json()
    assert req.get_json(silent=True) is None


def test_json_silent_failure_cached_for_silent_calls_only() -> None:
    # Werkzeug keeps a "not parsed" marker for the non-silent slot, so this raises there.
    req = _json_req(b"{nope")
    assert req.get_json(silent=True) is None
    with pytest.raises(BadRequest, match="Failed to decode JSON object"):
        req.get_json()


def test_json_silent_failure_not_cached_when_cache_off() -> None:
    req = _json_req(b"{nope")
    assert req.get_json(silent=True, cache=False) is None
    assert "_cached_json" not in req.__dict__


def test_json_invalid_utf8_is_400() -> None:
    req = _json_req(b'"\xff"')
    with pytest.raises(BadRequest):
        req.get_json()


def test_json_module_is_swappable() -> None:
    class Loads:
        @staticmethod
        def loads(data: bytes) -> t.Any:
            return {"custom": json.loads(data)}

    class Custom(Request):
        json_module = Loads

    body = b"[1]"
    req = Custom(
        SimpleScope(
            "POST",
            headers=[("Content-Type", "application/json"), ("Content-Length", "3")],
            body=body,
        )
    )
    assert req.get_json() == {"custom": [1]}


def test_conditional_and_accept_headers_match_werkzeug() -> None:
    headers = [
        ("Host", "h"),
        ("Date", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ("If-Unmodified-Since", "Thu, 22 Oct 2015 07:28:00 GMT"),
        ("If-Match", '"a", W/"b"'),
        ("If-Range", '"tag"'),
        ("Accept-Language", "de;q=0.5, en-GB"),
        ("Accept-Charset", "utf-8, latin-1;q=0.1"),
        ("Accept-Encoding", "gzip, br;q=0.9"),
        ("Authorization", "Basic dXNlcjpwYXNz"),
    ]
    req = make(headers=headers)
    wreq = WRequest(EnvironBuilder(headers=headers).get_environ())
    assert req.date == wreq.date
    assert req.if_modified_since == wreq.if_modified_since
    assert req.if_unmodified_since == wreq.if_unmodified_since
    assert req.if_match.to_header() == wreq.if_match.to_header()
    assert req.if_match.contains_weak("b") and not req.if_match.contains("b")
    assert req.if_range.etag == wreq.if_range.etag == "tag"
    assert req.accept_languages.best == wreq.accept_languages.best == "en-GB"
    assert req.accept_charsets.best == wreq.accept_charsets.best == "utf-8"
    assert req.accept_encodings.best == wreq.accept_encodings.best == "gzip"
    auth = req.authorization
    assert auth is not None
    assert (auth.type, auth.username, auth.password) == ("basic", "user", "pass")


def test_too_many_query_fields_is_400() -> None:
    class Few(Request):
        max_query_fields = 2

    assert Few(SimpleScope(query_string=b"a=1&b=2")).args.to_dict() == {"a": "1", "b": "2"}
    with pytest.raises(BadRequest, match="Too many query parameters"):
        Few(SimpleScope(query_string=b"a=1&b=2&c=3")).args  # noqa: B018


def test_files_after_form_parse_once() -> None:
    body = b"a=1"
    req = make(
        "POST",
        headers=[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Length", "3"),
        ],
        body=body,
    )
    form = req.form
    assert req.files.to_dict() == {}
    assert req.form is form
    assert req.form["a"] == "1"
