"""Responses: the Response class, cookies, every view return form, redirects, streaming, and
the public names Kolba shares with Flask. Values are compared with Flask's for the same input.
"""

# The same builder runs on Kolba and Flask, so ``app`` is typed Any and its decorators too.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import datetime
import io
import re
import types
import typing as t
from collections.abc import Callable, Iterator
from types import ModuleType

import flask
import pytest

import kolba
from kolba import Kolba


def _apps(build: Callable[[t.Any, ModuleType], None]) -> tuple[Kolba, flask.Flask]:
    k = Kolba("response_app")
    f = flask.Flask("response_app")
    for app, fw in ((k, kolba), (f, flask)):
        build(app, fw)
    return k, f


_EXPIRES = re.compile(r"Expires=[^;]+; (Max-Age=)")


def _answer(
    app: t.Any, path: str, method: str = "GET"
) -> tuple[int, str, list[tuple[str, str]], bytes]:
    rv = app.test_client().open(path, method=method)
    headers = []
    for key, value in rv.headers.items():
        if key == "Set-Cookie":
            # Expires derived from Max-Age follows the clock; the seconds may tick between calls.
            value = _EXPIRES.sub(r"Expires=<now+max_age>; \1", value)
        headers.append((key, value))
    return rv.status_code, rv.status, sorted(headers), rv.data


def _same(
    apps: tuple[Kolba, flask.Flask], path: str, method: str = "GET"
) -> tuple[int, str, list[tuple[str, str]], bytes]:
    k = _answer(apps[0], path, method)
    assert k == _answer(apps[1], path, method)
    return k


# --- the Response class ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("body",), {}),
        (("body", 201, {"X-A": "1"}), {"mimetype": "text/plain"}),
        ((b"\x00bytes",), {"content_type": "application/x-thing"}),
        ((["a", "b"],), {"status": "404"}),
        ((), {"mimetype": "application/json"}),
        (("x",), {"mimetype": "text/csv"}),
        (("x",), {"headers": [("X-B", "1"), ("X-B", "2")], "status": 204}),
    ],
)
def test_response_constructor_matches_flask(
    args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
) -> None:
    rk = kolba.Response(*args, **kwargs)
    rf = flask.Response(*args, **kwargs)
    assert rk.status == rf.status
    assert rk.status_code == rf.status_code
    assert sorted(rk.headers.items()) == sorted(rf.headers.items())
    assert rk.get_data() == rf.get_data()
    assert rk.mimetype == rf.mimetype
    assert rk.content_length == rf.content_length


@pytest.mark.parametrize(
    "status", [200, 404, 299, 599, "418 I'M A TEAPOT", "299", "404", "200 Fine", "301 Moved"]
)
def test_status_setters_match_flask(status: int | str) -> None:
    rk, rf = kolba.Response(), flask.Response()
    if isinstance(status, int):
        rk.status_code = status
        rf.status_code = status
    else:
        rk.status = status
        rf.status = status
    assert (rk.status, rk.status_code) == (rf.status, rf.status_code)


def test_status_setter_values() -> None:
    r = kolba.Response()
    r.status = "418 I'M A TEAPOT"
    assert (r.status, r.status_code) == ("418 I'M A TEAPOT", 418)
    r.status_code = 404
    assert r.status == "404 NOT FOUND"
    r.status = 299
    assert r.status == "299 UNKNOWN"


def test_bad_status_like_flask() -> None:
    for empty in ("", "  "):
        with pytest.raises(ValueError, match="Empty status argument"):
            kolba.Response(status=empty)
    for odd in ("abc", "x 200"):
        rk, rf = kolba.Response(status=odd), flask.Response(status=odd)
        assert (rk.status, rk.status_code) == (rf.status, rf.status_code) == (f"0 {odd}", 0)


def test_data_accessors() -> None:
    r = kolba.Response("abc")
    r.set_data("héllo")
    assert r.data == "héllo".encode()
    assert r.get_data(as_text=True) == "héllo"
    assert r.content_length == 6
    assert r.headers["Content-Length"] == "6"
    r.data = b"xy"
    assert r.get_data() == b"xy"
    assert r.headers["Content-Length"] == "2"


def test_json_on_response() -> None:
    r = kolba.Response('{"a": 1}', mimetype="application/json")
    assert r.json == {"a": 1}
    assert r.is_json
    assert r.mimetype == "application/json"


def test_headers_are_case_insensitive_multi() -> None:
    r = kolba.Response()
    r.headers.add("X-Multi", "1")
    r.headers.add("x-multi", "2")
    assert r.headers.getlist("X-MULTI") == ["1", "2"]
    r.headers["x-multi"] = "3"
    assert r.headers.getlist("X-Multi") == ["3"]


# --- cookies -----------------------------------------------------------------------------------


COOKIE_CALLS: list[tuple[str, tuple[t.Any, ...], dict[str, t.Any]]] = [
    ("set", ("plain", "v"), {}),
    ("set", ("space", "b c"), {}),
    ("set", ("odd", 'ü;"x\\'), {}),
    ("set", ("maxage", "v"), {"max_age": 60}),
    ("set", ("td", "v"), {"max_age": datetime.timedelta(hours=1)}),
    (
        "set",
        ("exp", "v"),
        {"expires": datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)},
    ),
    ("set", ("expint", "v"), {"expires": 0}),
    ("set", ("path", "v"), {"path": "/p"}),
    ("set", ("nopath", "v"), {"path": None}),
    ("set", ("dom", "v"), {"domain": "example.com"}),
    ("set", ("sec", "v"), {"secure": True, "httponly": True}),
    ("set", ("lax", "v"), {"samesite": "Lax"}),
    ("set", ("strict", "v"), {"samesite": "strict"}),
    ("set", ("none", "v"), {"samesite": "None", "secure": True}),
    ("set", ("part", "v"), {"partitioned": True}),
    (
        "set",
        ("all", "v"),
        {
            "max_age": 10,
            "path": "/x",
            "domain": "ex.com",
            "secure": True,
            "httponly": True,
            "samesite": "Lax",
            "partitioned": True,
        },
    ),
    ("delete", ("gone",), {}),
    (
        "delete",
        ("gone2",),
        {
            "path": "/x",
            "domain": "ex.com",
            "secure": True,
            "httponly": True,
            "samesite": "None",
            "partitioned": True,
        },
    ),
]


def _cookie_build(app: t.Any, fw: ModuleType) -> None:
    @app.route("/<int:i>")
    def cookie(i: int) -> t.Any:
        kind, args, kwargs = COOKIE_CALLS[i]
        r = fw.make_response("c")
        if kind == "set":
            r.set_cookie(*args, **kwargs)
        else:
            r.delete_cookie(*args, **kwargs)
        return r


@pytest.fixture(scope="module")
def cookie_apps() -> tuple[Kolba, flask.Flask]:
    return _apps(_cookie_build)


@pytest.mark.parametrize("i", range(len(COOKIE_CALLS)), ids=[c[1][0] for c in COOKIE_CALLS])
def test_set_cookie_matches_flask(cookie_apps: tuple[Kolba, flask.Flask], i: int) -> None:
    _, _, headers, _ = _same(cookie_apps, f"/{i}")
    assert [k for k, _ in headers].count("Set-Cookie") == 1


def test_set_cookie_strings(cookie_apps: tuple[Kolba, flask.Flask]) -> None:
    def cookie(i: int) -> str:
        return dict(_same(cookie_apps, f"/{i}")[2])["Set-Cookie"]

    assert cookie(1) == 'space="b c"; Path=/'
    assert cookie(5) == "exp=v; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/"
    assert cookie(15) == (
        "all=v; Domain=ex.com; Expires=<now+max_age>; Max-Age=10; Secure; HttpOnly; Path=/x;"
        " SameSite=Lax; Partitioned"
    )
    assert cookie(16) == "gone=; Expires=<now+max_age>; Max-Age=0; Path=/"
    raw = kolba.Response()
    raw.delete_cookie("gone")
    assert raw.headers["Set-Cookie"] == (
        "gone=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
    )


def test_max_age_sets_expires_from_now() -> None:
    r = kolba.Response()
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    r.set_cookie("a", "b", max_age=120)
    header = r.headers["Set-Cookie"]
    expires = re.search(r"Expires=([^;]+);", header)
    assert expires is not None
    when = datetime.datetime.strptime(expires.group(1), "%a, %d %b %Y %H:%M:%S GMT").replace(
        tzinfo=datetime.timezone.utc
    )
    assert datetime.timedelta(seconds=119) <= when - before <= datetime.timedelta(seconds=122)


# --- view return forms -------------------------------------------------------------------------


def _wsgi_callable(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
    start_response("202 ACCEPTED", [("Content-Type", "text/x-wsgi"), ("X-Wsgi", "yes")])
    return [b"from wsgi"]


def _returns_build(app: t.Any, fw: ModuleType) -> None:
    def gen() -> Iterator[str]:
        yield "a"
        yield "b"

    forms: dict[str, Callable[[], t.Any]] = {
        "str": lambda: "text ü",
        "bytes": lambda: b"raw \xff",
        "dict": lambda: {"b": 1, "a": [1, 2]},
        "list": lambda: [1, "two", None],
        "empty-list": lambda: [],
        "body-status": lambda: ("made", 201),
        "body-status-str": lambda: ("teapot", "418 I'M A TEAPOT"),
        "body-status-headers": lambda: ("h", 202, {"X-A": "1"}),
        "body-headers-dict": lambda: ("h", {"X-A": "1", "Content-Type": "text/plain"}),
        "body-headers-list": lambda: ("h", [("X-A", "1"), ("X-A", "2")]),
        "dict-status": lambda: ({"err": True}, 400),
        "list-status-headers": lambda: ([1], 409, [("X-L", "l")]),
        "response": lambda: fw.Response("resp", 203, {"X-R": "r"}),
        "response-status": lambda: (fw.Response("resp"), 206),
        "response-headers": lambda: (fw.Response("resp"), {"X-Extra": "e"}),
        "generator": lambda: gen(),
        "generator-status": lambda: (gen(), 201, {"X-G": "g"}),
        "iterator": lambda: iter([b"x", b"y"]),
        "wsgi": lambda: _wsgi_callable,
        "make-response": lambda: fw.make_response("mr", 201, {"X-M": "m"}),
        "make-response-tuple": lambda: fw.make_response(("mr", 404)),
        "make-response-dict": lambda: fw.make_response({"a": 1}),
        "make-response-empty": lambda: fw.make_response(),
        "abort": lambda: fw.abort(418),
        "abort-response": lambda: fw.abort(fw.Response("custom", 400)),
    }
    for name, make in forms.items():
        app.add_url_rule(f"/{name}", name, make)


RETURN_FORMS = [
    "str",
    "bytes",
    "dict",
    "list",
    "empty-list",
    "body-status",
    "body-status-str",
    "body-status-headers",
    "body-headers-dict",
    "body-headers-list",
    "dict-status",
    "list-status-headers",
    "response",
    "response-status",
    "response-headers",
    "generator",
    "generator-status",
    "iterator",
    "wsgi",
    "make-response",
    "make-response-tuple",
    "make-response-dict",
    "make-response-empty",
    "abort",
    "abort-response",
]


@pytest.fixture(scope="module")
def return_apps() -> tuple[Kolba, flask.Flask]:
    return _apps(_returns_build)


@pytest.mark.parametrize("form", RETURN_FORMS)
def test_view_return_forms_match_flask(return_apps: tuple[Kolba, flask.Flask], form: str) -> None:
    _same(return_apps, f"/{form}")


def test_view_return_values(return_apps: tuple[Kolba, flask.Flask]) -> None:
    assert _same(return_apps, "/dict")[3] == b'{"a":[1,2],"b":1}\n'
    code, _, headers, body = _same(return_apps, "/body-headers-list")
    assert (code, body) == (200, b"h")
    assert [v for k, v in headers if k == "X-A"] == ["1", "2"]
    code, _, headers, body = _same(return_apps, "/wsgi")
    assert (code, body) == (202, b"from wsgi")
    assert ("X-Wsgi", "yes") in headers
    assert _same(return_apps, "/generator")[3] == b"ab"
    assert _same(return_apps, "/body-status-str")[1] == "418 I'M A TEAPOT"


@pytest.mark.parametrize(
    ("rv", "message"),
    [
        (None, "The view function for 'bad' did not return a valid response"),
        ((), "did not return a valid response tuple"),
        (("a", 200, {}, "extra"), "did not return a valid response tuple"),
        (42, "The view function did not return a valid response"),
        (object(), "The view function did not return a valid response"),
        ((None, 200), "The view function for 'bad' did not return a valid response"),
    ],
    ids=["none", "empty-tuple", "long-tuple", "int", "object", "none-in-tuple"],
)
def test_invalid_return_raises_type_error(app: Kolba, rv: t.Any, message: str) -> None:
    app.add_url_rule("/bad", "bad", lambda: rv)
    with pytest.raises(TypeError, match=re.escape(message)):
        app.test_client().get("/bad")


def test_invalid_return_is_500_outside_testing(app: Kolba) -> None:
    app.testing = False
    app.logger.disabled = True
    app.add_url_rule("/bad", "bad", lambda: None)
    rv = app.test_client().get("/bad")
    assert rv.status_code == 500


def test_response_class_override(app: Kolba, client: t.Any) -> None:
    class MyResponse(kolba.Response):
        default_mimetype = "text/plain"

    app.response_class = MyResponse

    @app.route("/")
    def index() -> str:
        return "plain"

    @app.route("/made")
    def made() -> t.Any:
        r = kolba.make_response("m")
        return {"is_mine": isinstance(r, MyResponse)}

    rv = client.get("/")
    assert rv.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert client.get("/made").get_json() == {"is_mine": True}


# --- redirects ---------------------------------------------------------------------------------


def _redirect_build(app: t.Any, fw: ModuleType) -> None:
    @app.route("/r/<int:code>")
    def r(code: int) -> t.Any:
        return fw.redirect("/target?x=1", code)

    @app.route("/plain")
    def plain() -> t.Any:
        return fw.redirect("/target")

    @app.route("/unicode")
    def unicode() -> t.Any:
        return fw.redirect("/ziel/über ß?q=ä b#frag ü")

    @app.route("/absolute")
    def absolute() -> t.Any:
        return fw.redirect("https://exämple.com/päth")

    @app.route("/html")
    def html() -> t.Any:
        return fw.redirect('/a"<b>&c')


@pytest.fixture(scope="module")
def redirect_apps() -> tuple[Kolba, flask.Flask]:
    return _apps(_redirect_build)


@pytest.mark.parametrize(
    "path",
    [
        "/r/301",
        "/r/302",
        "/r/303",
        "/r/307",
        "/r/308",
        "/plain",
        "/unicode",
        "/absolute",
        "/html",
    ],
)
def test_redirect_matches_flask(redirect_apps: tuple[Kolba, flask.Flask], path: str) -> None:
    code, _, headers, body = _same(redirect_apps, path)
    assert 300 <= code < 400
    assert b"Redirecting..." in body


def test_redirect_location_is_percent_encoded(redirect_apps: tuple[Kolba, flask.Flask]) -> None:
    headers = dict(_same(redirect_apps, "/unicode")[2])
    assert headers["Location"] == "/ziel/%C3%BCber%20%C3%9F?q=%C3%A4%20b#frag%20%C3%BC"
    headers = dict(_same(redirect_apps, "/r/307")[2])
    assert headers["Location"] == "/target?x=1"


def test_redirect_never_emits_crlf(app: Kolba, client: t.Any) -> None:
    @app.route("/")
    def index() -> t.Any:
        return kolba.redirect("/next\r\nSet-Cookie: evil=1\r\n\r\nbody")

    rv = client.get("/")
    location = rv.headers.get("Location", "")
    assert "\r" not in location and "\n" not in location
    assert "Set-Cookie" not in rv.headers
    # Flask refuses the header (500); Kolba percent-encodes the control characters instead.
    assert rv.status_code == 302
    assert location == "/next%0D%0ASet-Cookie:%20evil=1%0D%0A%0D%0Abody"


# --- streaming ---------------------------------------------------------------------------------


def _environ(path: str) -> dict[str, t.Any]:
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }


def test_generator_close_called_when_client_stops(app: Kolba) -> None:
    closed: list[str] = []

    @app.route("/stream")
    def stream() -> t.Any:
        def gen() -> Iterator[str]:
            try:
                yield "one"
                yield "two"
                yield "three"
            finally:
                closed.append("gen")

        return gen()

    statuses: list[str] = []
    body = app(_environ("/stream"), _recorder(statuses))
    chunks = iter(body)
    assert next(chunks) == b"one"
    assert closed == []
    body.close()  # type: ignore[attr-defined]
    assert closed == ["gen"]
    assert statuses == ["200 OK"]


def test_generator_close_called_when_fully_read(app: Kolba, client: t.Any) -> None:
    closed: list[str] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b"a"
            yield b"b"

        def close(self) -> None:
            closed.append("body")

    app.add_url_rule("/", "i", lambda: kolba.Response(Body()))
    assert client.get("/").data == b"ab"
    assert closed == ["body"]


def test_stream_with_context(app: Kolba, client: t.Any) -> None:
    @app.route("/")
    def index() -> t.Any:
        kolba.g.seen = "g value"

        @kolba.stream_with_context
        def gen() -> Iterator[str]:
            yield kolba.request.args["name"]
            yield "|"
            yield kolba.g.seen

        return gen()

    assert client.get("/?name=ann").data == b"ann|g value"


def test_stream_with_context_wrapping_generator(app: Kolba, client: t.Any) -> None:
    def inner() -> Iterator[str]:
        yield kolba.request.path

    app.add_url_rule("/p", "p", lambda: kolba.Response(kolba.stream_with_context(inner())))
    assert client.get("/p").data == b"/p"


def test_stream_with_context_closes_on_early_stop(app: Kolba) -> None:
    closed: list[str] = []

    @app.route("/s")
    def s() -> t.Any:
        def gen() -> Iterator[str]:
            try:
                yield kolba.request.path
                yield "more"
            finally:
                closed.append("done")

        return kolba.stream_with_context(gen())

    body = app(_environ("/s"), _ignore_start)
    assert next(iter(body)) == b"/s"
    body.close()  # type: ignore[attr-defined]
    assert closed == ["done"]
    assert not kolba.has_request_context()


# --- public names ------------------------------------------------------------------------------

#: Public names of Flask that belong to features of a later issue (templates, blueprints,
#: flashing, sending files, the CLI) or that are Flask's own imports and class name.
NOT_YET_IN_KOLBA = frozenset(
    {
        "Flask",  # Kolba's application class is ``Kolba``
    }
)


def _public_api(module: types.ModuleType) -> set[str]:
    # Submodules appear in dir() only once something imports them, which depends on test
    # order; the public API is the functions, classes and objects (and ``json``).
    return {
        n
        for n in dir(module)
        if not n.startswith("_")
        and (n == "json" or not isinstance(getattr(module, n), types.ModuleType))
        and n not in {"annotations", "t"}
    }


def test_public_names_match_flask() -> None:
    missing = _public_api(flask) - _public_api(kolba)
    assert missing == NOT_YET_IN_KOLBA


@pytest.mark.parametrize(
    "name",
    sorted(
        {n for n in dir(flask) if not n.startswith("_") and not n[0].islower()} - NOT_YET_IN_KOLBA
    ),
)
def test_public_class_names_present(name: str) -> None:
    assert hasattr(kolba, name)


def _recorder(statuses: list[str]) -> t.Callable[..., t.Callable[[bytes], object]]:
    """A WSGI start_response that records the status line."""

    def start_response(
        status: str, headers: t.Any, exc_info: t.Any = None
    ) -> t.Callable[[bytes], object]:
        statuses.append(status)
        return lambda data: None

    return start_response


def _ignore_start(
    status: str, headers: t.Any, exc_info: t.Any = None
) -> t.Callable[[bytes], object]:
    return lambda data: None
