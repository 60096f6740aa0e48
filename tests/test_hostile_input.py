"""Hostile query strings, bodies, encodings, JSON, cookies, headers and hosts.

Cases covered (each a short 4xx or safe handling, in bounded memory, never a 500):

- ``;`` in a query string or form body is data, not a separator (parameter cloaking);
- query strings and urlencoded bodies with huge field counts: 400 / 413;
- an urlencoded body over ``MAX_FORM_MEMORY_SIZE``: 413 before it is read;
- truncated bodies (shorter than ``Content-Length``), negative, non-numeric, signed and huge
  ``Content-Length`` values: 400 / 413;
- invalid percent-encoding and invalid UTF-8 in the path, query, form and cookies: kept
  percent-encoded or replaced, never an error;
- JSON that is invalid, deeply nested, a huge number, or declared in a non-UTF charset;
- nameless and quoted cookie names (the ``__Host-`` prefix bypass), oversized cookie headers;
- CR/LF and lone surrogates in redirect targets, CR/LF in header values and cookie
  attributes set from user input;
- tampered, oversized and undecodable session cookies: an empty session;
- huge ``Accept``, ``Accept-Language``, ``If-None-Match``, ``Authorization``,
  ``X-Forwarded-For``, ``Cache-Control`` and ``Content-Type`` headers: parsed in linear time
  and memory, malformed ones ignored;
- user input in error descriptions is escaped (no reflected HTML);
- malformed ``Host`` headers (treated as empty) and ``TRUSTED_HOSTS`` (400).

Requests go through a hand-built WSGI environ where the test client would normalise the
attack away (raw path bytes, raw cookie headers, raw ``Content-Length``).
"""

from __future__ import annotations

import io
import json
import sys
import tracemalloc
import typing as t

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kolba import Kolba, abort, make_response, redirect, request, session, url_for

MiB = 1024 * 1024


class _Result(t.NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    peak: int


def _wsgi(
    app: Kolba,
    path: str = "/",
    *,
    method: str = "GET",
    query: str = "",
    body: bytes = b"",
    content_length: str | None = None,
    environ_extra: dict[str, t.Any] | None = None,
    **extra: str,
) -> _Result:
    """Call ``app.wsgi_app`` with the environ a server would build for these raw values.

    *path* and header values are WSGI strings (bytes as latin-1). Peak memory is measured
    around the call only, so it does not include the prepared body.
    """
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    elif body:
        environ["CONTENT_LENGTH"] = str(len(body))
    environ.update(extra)
    environ.update(environ_extra or {})
    got: list[t.Any] = []

    def start_response(s: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> t.Any:
        got[:] = [s, headers]

    tracemalloc.start()
    try:
        out = b"".join(app.wsgi_app(environ, start_response))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return _Result(int(got[0].split()[0]), got[1], out, peak)


def _assert_clean_error(rv: _Result, status: int, message: bytes | None = None) -> None:
    """A short error page: the status, no traceback, no source paths."""
    assert rv.status == status, rv.body[:300]
    assert len(rv.body) < 1000
    assert b"Traceback" not in rv.body
    assert b".py" not in rv.body
    if message is not None:
        assert message in rv.body


def _json(rv: _Result) -> t.Any:
    assert rv.status == 200, rv.body[:300]
    return json.loads(rv.body)


@pytest.fixture
def app(app: Kolba) -> Kolba:
    @app.route("/args")
    def args() -> t.Any:
        return {"args": list(request.args.items(multi=True))}

    @app.route("/form", methods=["POST"])
    def form() -> t.Any:
        return {"form": list(request.form.items(multi=True))}

    @app.route("/data", methods=["POST"])
    def data() -> str:
        return str(len(request.get_data()))

    @app.route("/json", methods=["POST"])
    def json_view() -> t.Any:
        return {"json": request.get_json()}

    @app.route("/cookies")
    def cookies() -> t.Any:
        return {"cookies": list(request.cookies.items(multi=True))}

    @app.route("/name/<name>")
    def name(name: str) -> t.Any:
        return {"name": name, "path": request.path}

    @app.route("/host")
    def host() -> t.Any:
        return {"host": request.host, "url": url_for("host", _external=True)}

    return app


# ------------------------------------------------------------------------------------------
# Query strings and urlencoded bodies


# CVE-2021-23336 CPython / CVE-2020-28473 Bottle: ";" as a separator enables parameter cloaking.
def test_semicolon_is_not_a_query_separator(app: Kolba) -> None:
    rv = _wsgi(app, "/args", query="a=1;b=2&c=3")
    assert _json(rv) == {"args": [["a", "1;b=2"], ["c", "3"]]}


def test_semicolon_is_not_a_form_separator(app: Kolba) -> None:
    body = b"a=1;b=2&c=3"
    rv = _wsgi(
        app, "/form", method="POST", body=body, CONTENT_TYPE="application/x-www-form-urlencoded"
    )
    assert _json(rv) == {"form": [["a", "1;b=2"], ["c", "3"]]}


# Werkzeug / Starlette: query strings with a huge number of fields (CPU and memory).
def test_query_with_too_many_fields(app: Kolba) -> None:
    rv = _wsgi(app, "/args", query="a=1&" * 200_000)
    _assert_clean_error(rv, 400, b"Too many query parameters.")
    # 800 KB of query string; a parser that built all 200,000 pairs first would hold far more.
    assert rv.peak < 4 * MiB


def test_query_at_the_field_limit_is_parsed(app: Kolba) -> None:
    rv = _wsgi(app, "/args", query="&".join(["a=1"] * 10_000))
    assert len(_json(rv)["args"]) == 10_000


def test_query_of_separators_only(app: Kolba) -> None:
    # Empty fields are skipped and not counted, as in Werkzeug: 200,000 "&" are no fields.
    rv = _wsgi(app, "/args", query="&" * 200_000)
    assert _json(rv) == {"args": []}


# CVE-2023-25577 Werkzeug / Starlette: urlencoded bodies with a huge number of fields.
def test_urlencoded_body_with_too_many_fields(app: Kolba) -> None:
    body = b"a=1&" * 100_000
    rv = _wsgi(
        app, "/form", method="POST", body=body, CONTENT_TYPE="application/x-www-form-urlencoded"
    )
    _assert_clean_error(rv, 413)


# CVE-2024-49767 Werkzeug: an urlencoded body larger than the form memory limit.
def test_urlencoded_body_over_form_memory_limit(app: Kolba) -> None:
    app.config["MAX_FORM_MEMORY_SIZE"] = 100_000
    body = b"a=" + b"x" * (4 * MiB)
    rv = _wsgi(
        app, "/form", method="POST", body=body, CONTENT_TYPE="application/x-www-form-urlencoded"
    )
    _assert_clean_error(rv, 413)
    # Refused from the declared length: nothing of the 4 MiB body is read.
    assert rv.peak < 256 * 1024


def test_chunked_urlencoded_body_over_form_memory_limit(app: Kolba) -> None:
    # No Content-Length (chunked): the limit is checked on what arrives, chunk by chunk.
    app.config["MAX_FORM_MEMORY_SIZE"] = 100_000
    body = b"a=" + b"x" * (4 * MiB)
    rv = _wsgi(
        app,
        "/form",
        method="POST",
        body=body,
        content_length="",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        environ_extra={"wsgi.input_terminated": True},
    )
    _assert_clean_error(rv, 413)
    assert rv.peak < 4 * 100_000 + 256 * 1024


# ------------------------------------------------------------------------------------------
# Body length


# Request smuggling and Werkzeug issue #2446: a body shorter than its declared length.
@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/data", "application/octet-stream", b"abc"),
        ("/form", "application/x-www-form-urlencoded", b"a=1&b=2"),
        ("/json", "application/json", b'{"a": 1}'),
    ],
)
def test_truncated_body(app: Kolba, path: str, content_type: str, body: bytes) -> None:
    rv = _wsgi(app, path, method="POST", body=body, content_length="100", CONTENT_TYPE=content_type)
    _assert_clean_error(rv, 400)


@pytest.mark.parametrize(
    "value",
    ["-1", "abc", "+3", "1_0", "3.0", "0x3", "3 3", "\u0663", "-0"],
    ids=["negative", "word", "plus", "underscore", "float", "hex", "two", "arabic-digit", "neg0"],
)
def test_invalid_content_length(app: Kolba, value: str) -> None:
    # Any value int() would accept loosely is refused: two parsers reading one length
    # differently is how requests are smuggled.
    rv = _wsgi(app, "/data", method="POST", body=b"abc", content_length=value)
    _assert_clean_error(rv, 400, b"Invalid Content-Length header.")


def test_huge_content_length(app: Kolba) -> None:
    rv = _wsgi(app, "/data", method="POST", body=b"abc", content_length="9" * 5000)
    _assert_clean_error(rv, 413)


def test_large_content_length_over_the_limit(app: Kolba) -> None:
    rv = _wsgi(app, "/data", method="POST", body=b"abc", content_length="9" * 19)
    _assert_clean_error(rv, 413)


def test_body_longer_than_content_length_is_cut(app: Kolba) -> None:
    rv = _wsgi(app, "/data", method="POST", body=b"abcdef", content_length="3")
    assert (rv.status, rv.body) == (200, b"3")


# ------------------------------------------------------------------------------------------
# Encodings


def test_invalid_utf8_in_path(app: Kolba) -> None:
    # PATH_INFO carries raw bytes as latin-1; invalid UTF-8 becomes U+FFFD, as in Werkzeug.
    rv = _wsgi(app, "/name/\xff\xfe")
    assert _json(rv) == {"name": "\ufffd\ufffd", "path": "/name/\ufffd\ufffd"}


def test_invalid_percent_encoding_in_path(app: Kolba) -> None:
    # A server that does not decode %ff passes it on: it is text, not an error.
    rv = _wsgi(app, "/name/%ff%zz%")
    assert _json(rv)["name"] == "%ff%zz%"


def test_overlong_utf8_in_path(app: Kolba) -> None:
    # Overlong "/" (0xC0 0xAF) must not become a separator.
    rv = _wsgi(app, "/name/\xc0\xaf..")
    assert _json(rv)["name"] == "\ufffd\ufffd.."


def test_non_latin1_path_info(app: Kolba) -> None:
    rv = _wsgi(app, "/name/\udcff")
    assert rv.status in (200, 400)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a=%ff", [["a", "%FF"]]),
        ("a=%zz&b=%&c=%4", [["a", "%zz"], ["b", "%"], ["c", "%4"]]),
        ("%C3%28=1", [["%C3(", "1"]]),
        ("a=\xff", [["a", "%FF"]]),
        ("a=%00", [["a", "\x00"]]),
    ],
    ids=["bad-utf8", "bad-escapes", "bad-utf8-key", "raw-byte", "nul"],
)
def test_invalid_encoding_in_query(app: Kolba, query: str, expected: list[list[str]]) -> None:
    rv = _wsgi(app, "/args", query=query)
    assert _json(rv) == {"args": expected}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"a=%ff", [["a", "%FF"]]),
        (b"a=%zz&b=%", [["a", "%zz"], ["b", "%"]]),
        (b"a=\xff", [["a", "%FF"]]),
        (b"a&b=&=c&&", [["a", ""], ["b", ""], ["", "c"]]),
    ],
    ids=["bad-utf8", "bad-escapes", "raw-byte", "empty-parts"],
)
def test_invalid_encoding_in_form(app: Kolba, body: bytes, expected: list[list[str]]) -> None:
    rv = _wsgi(
        app, "/form", method="POST", body=body, CONTENT_TYPE="application/x-www-form-urlencoded"
    )
    assert _json(rv) == {"form": expected}


def test_invalid_encoding_in_cookies(app: Kolba) -> None:
    rv = _wsgi(app, "/cookies", HTTP_COOKIE='a=%ff; b=\xff; c="\\377"')
    assert _json(rv) == {"cookies": [["a", "%ff"], ["b", "\xff"], ["c", "\ufffd"]]}


# ------------------------------------------------------------------------------------------
# JSON


def _post_json(app: Kolba, body: bytes, content_type: str = "application/json") -> _Result:
    return _wsgi(app, "/json", method="POST", body=body, CONTENT_TYPE=content_type)


@pytest.mark.parametrize(
    "body",
    [b"{bad", b"", b'{"a": 1} x', b"\xff\xfe\xfd", b'{"a": "\x00"}', b"[" * 10 + b"]" * 9],
    ids=["syntax", "empty", "trailing", "bad-bytes", "control-char", "unbalanced"],
)
def test_invalid_json(app: Kolba, body: bytes) -> None:
    # Outside debug mode the message says nothing of the parser.
    rv = _post_json(app, body)
    _assert_clean_error(rv, 400)


# CPython issue: json.loads raises RecursionError (not ValueError) on deep nesting.
@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_deeply_nested_json(app: Kolba, opener: bytes) -> None:
    app.testing = False
    rv = _post_json(app, opener * 100_000)
    _assert_clean_error(rv, 400)


# CVE-2020-10735 CPython: int() of a huge decimal string is quadratic; now a ValueError.
def test_json_with_a_huge_number(app: Kolba) -> None:
    rv = _post_json(app, b"1" * 100_000)
    _assert_clean_error(rv, 400)


# CVE-2018-1000656 / CVE-2019-1010083 Flask: JSON declared in a non-UTF charset.
def test_json_declared_latin1(app: Kolba) -> None:
    # JSON is UTF-8 (RFC 8259); a latin-1 body is invalid UTF-8 and refused, as Flask does.
    rv = _post_json(app, '{"a": "\xe9"}'.encode("latin-1"), "application/json; charset=latin-1")
    _assert_clean_error(rv, 400)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_json_in_utf16_or_utf32(app: Kolba, encoding: str) -> None:
    # json.loads detects UTF-16/32 from the first bytes, whatever the declared charset.
    body = '{"a": "\xe9"}'.encode(encoding)
    rv = _post_json(app, body, f"application/json; charset={encoding}")
    assert _json(rv) == {"json": {"a": "\xe9"}}


def test_json_with_an_unknown_charset(app: Kolba) -> None:
    rv = _post_json(app, b'{"a": 1}', "application/json; charset=x-no-such-charset")
    assert _json(rv) == {"json": {"a": 1}}


def test_json_with_a_wrong_content_type(app: Kolba) -> None:
    rv = _post_json(app, b'{"a": 1}', "text/plain")
    _assert_clean_error(rv, 415)


# ------------------------------------------------------------------------------------------
# Cookies


# CVE-2023-23934 Werkzeug: a nameless cookie "=__Host-a=evil" read as the cookie "__Host-a".
@pytest.mark.parametrize(
    "header",
    ["=__Host-a=evil", '"__Host-a"=evil', "=__Host-a=evil; __Host-a=good", " =__Host-a=evil"],
)
def test_host_prefix_cannot_be_spoofed(app: Kolba, header: str) -> None:
    cookies = _json(_wsgi(app, "/cookies", HTTP_COOKIE=header))["cookies"]
    assert ["__Host-a", "evil"] not in cookies
    assert all(name != "__Host-a" or value == "good" for name, value in cookies)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("; ;a=1;;", [["a", "1"]]),
        ("=x; ==y; a=1", [["a", "1"]]),
        ('a b=1; "c"=2; d\\e=3; f,g=4; h=5', [["h", "5"]]),
        ('a="b;c"; d=e', [["a", "b;c"], ["d", "e"]]),
        ("a=\x00b; c=1", [["a", "\x00b"], ["c", "1"]]),
    ],
    ids=["empty", "nameless", "bad-names", "quoted-semicolon", "nul-value"],
)
def test_malformed_cookie_headers(app: Kolba, header: str, expected: list[list[str]]) -> None:
    assert _json(_wsgi(app, "/cookies", HTTP_COOKIE=header)) == {"cookies": expected}


# "Cookie bomb": a huge Cookie header. Servers bound header size; parsing must be linear.
def test_oversized_cookie_header(app: Kolba) -> None:
    # 250 KB: four times the longest header line the dev server reads, 30 times gunicorn's.
    header = "a=b; " * 50_000
    rv = _wsgi(app, "/cookies", HTTP_COOKIE=header)
    assert len(_json(rv)["cookies"]) == 50_000


def test_one_huge_quoted_cookie(app: Kolba) -> None:
    # An unclosed quote and a million backslashes: a backtracking unquote would never end.
    header = 'a="' + "\\" * 1_000_001 + "; b=1"
    rv = _wsgi(app, "/cookies", HTTP_COOKIE=header)
    assert ["b", "1"] in _json(rv)["cookies"]


# ------------------------------------------------------------------------------------------
# CR/LF and HTML from user input in responses


# CVE-2016-9964 Bottle / CVE-2019-9740 CPython: CRLF injection through a redirect target.
@pytest.mark.parametrize(
    "target",
    ["/x\r\nSet-Cookie: a=b", "/x\rSet-Cookie: a=b", "/x\nSet-Cookie: a=b", "/x\x00y"],
)
def test_crlf_in_redirect_target(app: Kolba, target: str) -> None:
    @app.route("/next")
    def next_() -> t.Any:
        return redirect(request.args["next"])

    client = app.test_client()
    rv = client.get("/next", query_string={"next": target})
    assert rv.status_code == 302
    assert "Set-Cookie" not in rv.headers
    location = rv.headers["Location"]
    assert not any(c in location for c in "\r\n\x00")
    assert location.startswith("/x%")


def test_lone_surrogate_in_redirect_target(app: Kolba) -> None:
    # JSON "\ud800" decodes to a lone surrogate, which no encoding accepts.
    @app.post("/next")
    def next_() -> t.Any:
        return redirect(request.json["next"])

    rv = app.test_client().post(
        "/next", data=b'{"next": "/a\\ud800b"}', content_type="application/json"
    )
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/a%EF%BF%BDb"


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("http://x:abc/\xe9", "http://x:abc/%C3%A9"),
        ("http://x:99999999/\xe9", "http://x:99999999/%C3%A9"),
        ("http://[::1/\xe9", "http://[::1/%C3%A9"),
        ("http://x:abc/a b", "http://x:abc/a%20b"),
    ],
)
def test_malformed_authority_in_redirect_target(app: Kolba, target: str, location: str) -> None:
    # Werkzeug's iri_to_uri raises ValueError on these (a 500 for ?next=...).
    @app.route("/next")
    def next_() -> t.Any:
        return redirect(request.args["next"])

    rv = app.test_client().get("/next", query_string={"next": target})
    assert rv.status_code == 302
    assert rv.headers["Location"] == location


def test_malformed_script_name_in_request_url(app: Kolba) -> None:
    # A prefix from a proxy header (X-Forwarded-Prefix) may be anything; Werkzeug raises here.
    @app.route("/url")
    def url() -> t.Any:
        return {"url": request.url, "repr": repr(request)}

    rv = _wsgi(app, "/url", SCRIPT_NAME="::")
    assert _json(rv)["url"] == "http://localhost::/url"


def test_crlf_in_header_value_is_refused(app: Kolba) -> None:
    # Werkzeug raises ValueError too: the header is never sent; the view's bug is a 500.
    @app.route("/hdr")
    def hdr() -> t.Any:
        rv = make_response("x")
        rv.headers["X-Name"] = request.args["v"]
        return rv

    @app.route("/hdr-ok")
    def hdr_ok() -> t.Any:
        return "x", {"X-Name": request.args["v"].replace("\r", "").replace("\n", "")}

    client = app.test_client()
    with pytest.raises(ValueError, match="newline"):
        client.get("/hdr", query_string={"v": "a\r\nSet-Cookie: a=b"})
    app.testing = False
    rv = client.get("/hdr", query_string={"v": "a\r\nSet-Cookie: a=b"})
    assert rv.status_code == 500
    assert "Set-Cookie" not in rv.headers
    assert b"Set-Cookie" not in rv.data
    rv = client.get("/hdr-ok", query_string={"v": "a\r\nSet-Cookie: a=b"})
    assert rv.headers["X-Name"] == "aSet-Cookie: a=b"


@pytest.mark.parametrize(
    "kwargs",
    [{"path": "/\r\nX: y"}, {"domain": "a.com;x=y"}, {"path": "/\x00"}],
    ids=["crlf-path", "semicolon-domain", "nul-path"],
)
def test_cookie_attribute_injection_is_refused(app: Kolba, kwargs: dict[str, str]) -> None:
    @app.route("/set")
    def set_() -> t.Any:
        rv = make_response("x")
        rv.set_cookie("a", "b", **kwargs)  # type: ignore[arg-type]
        return rv

    with pytest.raises(ValueError):
        app.test_client().get("/set")


def test_crlf_and_semicolon_in_cookie_value_are_quoted(app: Kolba) -> None:
    @app.route("/set")
    def set_() -> t.Any:
        rv = make_response("x")
        rv.set_cookie("a", request.args["v"])
        return rv

    rv = app.test_client().get("/set", query_string={"v": "b\r\n; Domain=evil.com"})
    (header,) = rv.headers.getlist("Set-Cookie")
    assert "\r" not in header and "\n" not in header
    assert header.startswith('a="b\\015\\012\\073 Domain=evil.com"; Path=/')


def test_user_input_in_error_description_is_escaped(app: Kolba) -> None:
    @app.route("/err")
    def err() -> t.Any:
        abort(400, description=f"bad value {request.args['v']}")

    rv = app.test_client().get("/err", query_string={"v": "<script>alert(1)</script>"})
    assert rv.status_code == 400
    assert b"<script>" not in rv.data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in rv.data


def test_user_input_in_url_for_is_encoded(app: Kolba) -> None:
    @app.route("/link")
    def link() -> t.Any:
        return url_for("name", name=request.args["v"], q=request.args["v"])

    rv = app.test_client().get("/link", query_string={"v": "a/../\r\n?#<x>"})
    # As in Flask: "/" stays in a string part (the rule cannot match it back), controls and
    # delimiters are encoded.
    assert rv.data == b"/name/a/../%0D%0A%3F%23%3Cx%3E?q=a/../%0D%0A?%23%3Cx%3E"


# ------------------------------------------------------------------------------------------
# Host


# Django CVE-2012-4520 and Werkzeug: Host header poisoning; invalid hosts are treated as empty.
@pytest.mark.parametrize(
    "host",
    [
        "evil.com/x",
        "evil.com?x",
        "a b",
        "[::1",
        "x:abc",
        "user@evil.com",
        "a\r\nb",
        "a,b",
        "ex\xe4mple.com",
        "evil.com#",
        "",
    ],
)
def test_malformed_host_is_empty(app: Kolba, host: str) -> None:
    assert _json(_wsgi(app, "/host", HTTP_HOST=host)) == {"host": "", "url": "http:///host"}


@pytest.mark.parametrize("host", ["example.com", "[::1]:8080", "127.0.0.1:5000", "xn--e1a.ru"])
def test_valid_host_is_kept(app: Kolba, host: str) -> None:
    assert _json(_wsgi(app, "/host", HTTP_HOST=host)) == {
        "host": host,
        "url": f"http://{host}/host",
    }


@pytest.mark.parametrize("host", ["evil.com", "example.com.evil.com", "a b", "", "evil.com/x"])
def test_untrusted_host_is_refused(app: Kolba, host: str) -> None:
    app.config["TRUSTED_HOSTS"] = ["example.com", ".example.org"]
    rv = _wsgi(app, "/host", HTTP_HOST=host)
    _assert_clean_error(rv, 400, b"is not trusted.")


@pytest.mark.parametrize("host", ["example.com", "www.example.org", "example.org:8080"])
def test_trusted_host_is_served(app: Kolba, host: str) -> None:
    app.config["TRUSTED_HOSTS"] = ["example.com", ".example.org"]
    assert _json(_wsgi(app, "/host", HTTP_HOST=host))["host"] == host


# ------------------------------------------------------------------------------------------
# Sessions


# Flask sessions are signed (itsdangerous); a tampered cookie must be an empty session, and
# a compressed payload is only inflated after its signature checks out (no zip bomb).
@pytest.mark.parametrize(
    "value",
    [
        ".eJw" + "A" * 100_000,
        "." + "eJyrroYBABp3BM8=" + ".x.y",
        "x" * 100_000,
        "\xe9",
        ".",
        "....",
        "eyJhIjoxfQ.AAAA.BBBB",
        "a.b.c.d.e.f",
        '"quoted"',
        "\x00",
    ],
    ids=[
        "zlib-junk",
        "zlib-unsigned",
        "huge",
        "latin1",
        "dot",
        "dots",
        "bad-sig",
        "parts",
        "q",
        "nul",
    ],
)
def test_tampered_session_cookie(app: Kolba, value: str) -> None:
    @app.route("/session")
    def show() -> t.Any:
        return {"session": dict(session)}

    rv = _wsgi(app, "/session", HTTP_COOKIE=f"session={value}")
    assert _json(rv) == {"session": {}}


def test_session_signed_with_another_key(app: Kolba) -> None:
    @app.route("/login")
    def login() -> str:
        session["user"] = "admin"
        return ""

    @app.route("/whoami")
    def whoami() -> str:
        return str(session.get("user"))

    other = Kolba("other")
    other.secret_key = "another key"
    other.add_url_rule("/login", view_func=login)
    cookie = other.test_client().get("/login").headers["Set-Cookie"].split(";")[0]
    assert _wsgi(app, "/whoami", HTTP_COOKIE=cookie).body == b"None"
    own = app.test_client().get("/login").headers["Set-Cookie"].split(";")[0]
    assert _wsgi(app, "/whoami", HTTP_COOKIE=own).body == b"admin"


# ------------------------------------------------------------------------------------------
# Huge and malformed request headers


@pytest.fixture
def header_app(app: Kolba) -> Kolba:
    @app.route("/headers")
    def headers() -> t.Any:
        auth = request.authorization
        return {
            "best": request.accept_mimetypes.best_match(["text/html", "application/json"]),
            "language": request.accept_languages.best,
            "auth": auth.type if auth else None,
            "etags": len(request.if_none_match.as_set()),
            "since": request.if_modified_since is not None,
            "max_age": request.cache_control.max_age,
            "route": len(request.access_route),
            "mimetype": request.mimetype,
        }

    return app


EMPTY = {
    "best": None,
    "language": None,
    "auth": None,
    "etags": 0,
    "since": False,
    "max_age": None,
    "route": 0,
    "mimetype": "",
}
# Headers of 100-400 KB, over any server's header limit; a quadratic parser would take minutes.
N = 10_000


@pytest.mark.parametrize(
    ("header", "value", "changed"),
    [
        ("HTTP_ACCEPT", ",".join(f"text/x{i};q=0.{i % 10}" for i in range(N)), {}),
        ("HTTP_ACCEPT", "text/html;q=" + "0" * N, {}),
        ("HTTP_ACCEPT", "text/html;q=1e999", {}),
        ("HTTP_ACCEPT", "text/html;" + 'a="' * N, {}),
        (
            "HTTP_ACCEPT_LANGUAGE",
            ",".join(f"en-x{i};q=0.5" for i in range(N)),
            {"language": "en-x0"},
        ),
        ("HTTP_IF_NONE_MATCH", ",".join(f'"e{i}"' for i in range(N)), {"etags": N}),
        ("HTTP_IF_NONE_MATCH", '"' + "\\" * N, {"etags": 1}),  # one opaque tag, as Werkzeug
        ("HTTP_IF_MODIFIED_SINCE", "x" * N, {}),
        ("HTTP_IF_MODIFIED_SINCE", "Mon, 99 Foo 99999 99:99:99 GMT", {}),
        ("HTTP_AUTHORIZATION", "Basic " + "A" * N, {}),
        ("HTTP_AUTHORIZATION", "Basic " + "=" * N, {}),
        ("HTTP_AUTHORIZATION", "Digest " + 'a="b", ' * N, {"auth": "digest"}),
        ("HTTP_AUTHORIZATION", "Bearer \x00\x01", {}),
        ("HTTP_CACHE_CONTROL", "max-age=" + "9" * N, {}),
        ("HTTP_CACHE_CONTROL", 'a="' + "," * N, {}),
        ("HTTP_X_FORWARDED_FOR", ",".join(["1.2.3.4"] * N), {"route": N}),
        ("CONTENT_TYPE", "text/plain; " + 'a="' * N, {"mimetype": "text/plain"}),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None,
)
def test_hostile_header(
    header_app: Kolba, header: str, value: str, changed: dict[str, t.Any]
) -> None:
    rv = _wsgi(header_app, "/headers", environ_extra={header: value})
    data = _json(rv)
    if header == "HTTP_AUTHORIZATION" and "auth" not in changed:
        # A malformed credential is either refused (None) or kept opaque; never an error.
        changed = {"auth": data["auth"]} if data["auth"] in (None, "basic", "bearer") else {}
    assert data == {**EMPTY, **changed}
    # Linear in the header: a handful of copies of it, not one object per byte.
    assert rv.peak < 40 * len(value) + 512 * 1024


# ------------------------------------------------------------------------------------------
# Anything at all


_LATIN1 = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=255), max_size=60)
_HEADERS = [
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ACCEPT_CHARSET",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_AUTHORIZATION",
    "HTTP_RANGE",
    "HTTP_IF_RANGE",
    "HTTP_IF_MATCH",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_DATE",
    "HTTP_CACHE_CONTROL",
    "HTTP_USER_AGENT",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_CONTENT_ENCODING",
    "HTTP_ORIGIN",
    "HTTP_REFERER",
    "HTTP_COOKIE",
    "HTTP_HOST",
    "CONTENT_LENGTH",
    "HTTP_TRANSFER_ENCODING",
    "SCRIPT_NAME",
]
_CONTENT_TYPES = (
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-16",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=b",
            "text/plain",
        ]
    )
    | _LATIN1
)


@pytest.fixture(scope="module")
def everything_app() -> Kolba:
    """A view that reads every parsed part of the request, as a curious app would."""
    app = Kolba("everything")
    app.config.update(TESTING=True, SECRET_KEY="k")

    def view(p: str) -> str:
        r = request
        parts: list[t.Any] = [r.url, r.base_url, r.host_url, r.full_path, repr(r)]
        parts += [list(r.args.items(multi=True)), list(r.form.items(multi=True))]
        parts += [[f.filename for f in r.files.values()], r.get_json(silent=True)]
        parts += [list(r.cookies.items(multi=True)), dict(session), r.values, r.data]
        parts += [r.accept_mimetypes.best, r.accept_languages.best, r.accept_charsets.best]
        parts += [r.accept_encodings.best, r.authorization, r.range, r.if_range, r.if_match]
        parts += [r.if_none_match, r.if_modified_since, r.if_unmodified_since, r.date]
        parts += [r.cache_control, r.user_agent.string, r.access_route, r.content_length]
        parts += [r.mimetype, r.mimetype_params, r.content_encoding, r.origin, r.referrer]
        parts.append(url_for("view", p=p, _external=True))
        return repr(parts)[:100]

    app.add_url_rule("/", view_func=view, methods=["GET", "POST"], defaults={"p": ""})
    app.add_url_rule("/<path:p>", view_func=view, methods=["GET", "POST"])
    return app


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=_LATIN1,
    query=_LATIN1,
    body=st.binary(max_size=100),
    headers=st.dictionaries(st.sampled_from(_HEADERS), _LATIN1, max_size=8),
    content_type=_CONTENT_TYPES,
    method=st.sampled_from(["GET", "POST"]),
)
def test_no_request_is_a_500(
    everything_app: Kolba,
    path: str,
    query: str,
    body: bytes,
    headers: dict[str, str],
    content_type: str,
    method: str,
) -> None:
    # Found: a Werkzeug-compatible If-Range repr and a SCRIPT_NAME URL that raised.
    rv = _wsgi(
        everything_app,
        "/" + path,
        method=method,
        query=query,
        body=body,
        CONTENT_TYPE=content_type,
        environ_extra=dict(headers),
    )
    assert rv.status < 500, rv.body[:300]
