"""Routing through the application: decorators, converters, methods, redirects, errors.

Every case sends the same request to the same app built on Kolba and on Flask and asserts the
same status, headers and body. ``Allow`` is compared as a set: Flask's order comes from set
iteration and is not stable between processes.
"""

# The same builder runs on Kolba and Flask, so ``app`` is typed Any and its decorators too.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import typing as t
import uuid
from collections.abc import Callable
from types import ModuleType

import flask
import pytest
import werkzeug.routing

import kolba
from kolba import Kolba
from kolba.routing import BaseConverter

Build = Callable[[t.Any, ModuleType], None]


def _apps(build: Build) -> tuple[Kolba, flask.Flask]:
    """Build the same app on both frameworks; ``build(app, framework_module)`` adds routes."""
    k = Kolba("routing_app")
    f = flask.Flask("routing_app")
    for app, mod in ((k, kolba), (f, flask)):
        app.config["TESTING"] = True
        build(app, mod)
    return k, f


def _answer(app: t.Any, method: str, path: str) -> tuple[str, dict[str, t.Any], bytes]:
    rv = app.test_client().open(path, method=method)
    headers: dict[str, t.Any] = {}
    for key, value in rv.headers.items():
        if key == "Allow":
            headers[key] = frozenset(v.strip() for v in value.split(","))
        else:
            headers[key] = value
    return rv.status, headers, rv.data


def _same(
    apps: tuple[Kolba, flask.Flask], method: str, path: str
) -> tuple[str, dict[str, t.Any], bytes]:
    k = _answer(apps[0], method, path)
    assert k == _answer(apps[1], method, path)
    return k


def _routes(app: t.Any, fw: ModuleType) -> None:
    @app.route("/")
    def index() -> str:
        return "index"

    @app.get("/g")
    def g_only() -> str:
        return "get"

    @app.post("/p")
    def p_only() -> str:
        return "post"

    @app.put("/u")
    def u_only() -> str:
        return "put"

    @app.patch("/pa")
    def pa_only() -> str:
        return "patch"

    @app.delete("/de")
    def de_only() -> str:
        return "delete"

    @app.route("/m", methods=["GET", "put"])
    def multi() -> str:
        return str(fw.request.method)

    def plain() -> str:
        return f"plain {fw.request.endpoint}"

    app.add_url_rule("/plain", "plain_ep", plain)

    @app.route("/named", endpoint="custom_name")
    def whatever() -> str:
        return str(fw.request.endpoint)

    @app.route("/d/", defaults={"page": 1})
    @app.route("/d/<int:page>")
    def paged(page: int) -> str:
        return f"page {page}"

    @app.route("/slash/")
    def slash() -> str:
        return "slash"

    @app.route("/loose/", strict_slashes=False)
    def loose() -> str:
        return "loose"

    @app.route("/exact")
    def exact() -> str:
        return "exact"

    @app.route("/s/<name>")
    def s_default(name: str) -> str:
        return f"s:{name}"

    @app.route("/s3/<string(length=3):code>")
    def s3(code: str) -> str:
        return code

    @app.route("/smin/<string(minlength=2, maxlength=4):code>")
    def smin(code: str) -> str:
        return code

    @app.route("/i/<int:n>")
    def i_plain(n: int) -> str:
        return repr(n)

    @app.route("/ir/<int(min=2, max=5):n>")
    def i_range(n: int) -> str:
        return repr(n)

    @app.route("/is/<int(signed=True):n>")
    def i_signed(n: int) -> str:
        return repr(n)

    @app.route("/f/<float:x>")
    def f_plain(x: float) -> str:
        return repr(x)

    @app.route("/fs/<float(signed=True):x>")
    def f_signed(x: float) -> str:
        return repr(x)

    @app.route("/path/<path:rest>")
    def path_conv(rest: str) -> str:
        return rest

    @app.route("/uuid/<uuid:u>")
    def uuid_conv(u: uuid.UUID) -> str:
        return repr(u)

    @app.route("/any/<any(red, blue, 'dark green'):colour>")
    def any_conv(colour: str) -> str:
        return colour

    @app.route("/view-args/<int:a>/<b>")
    def view_args(a: int, b: str) -> t.Any:
        return {"args": fw.request.view_args, "rule": fw.request.url_rule.rule}


ROUTING_CASES = [
    ("GET", "/"),
    ("GET", "/g"),
    ("POST", "/g"),
    ("POST", "/p"),
    ("GET", "/p"),
    ("PUT", "/u"),
    ("GET", "/u"),
    ("PATCH", "/pa"),
    ("DELETE", "/de"),
    ("GET", "/de"),
    ("GET", "/m"),
    ("PUT", "/m"),
    ("DELETE", "/m"),
    ("GET", "/plain"),
    ("GET", "/named"),
    ("GET", "/d/"),
    ("GET", "/d/1"),
    ("GET", "/d/7"),
    ("GET", "/slash/"),
    ("GET", "/slash"),
    ("GET", "/slash?a=1&b=%20x&c=%C3%A9"),
    ("POST", "/slash"),
    ("GET", "/loose"),
    ("GET", "/loose/"),
    ("GET", "/exact"),
    ("GET", "/exact/"),
    ("GET", "/nope"),
    ("GET", "/s/h%C3%A9llo"),
    ("GET", "/s/a/b"),
    ("GET", "/s3/abc"),
    ("GET", "/s3/ab"),
    ("GET", "/s3/abcd"),
    ("GET", "/smin/a"),
    ("GET", "/smin/ab"),
    ("GET", "/smin/abcd"),
    ("GET", "/smin/abcde"),
    ("GET", "/i/42"),
    ("GET", "/i/-1"),
    ("GET", "/i/4x"),
    ("GET", "/i/007"),
    ("GET", "/ir/2"),
    ("GET", "/ir/5"),
    ("GET", "/ir/1"),
    ("GET", "/ir/6"),
    ("GET", "/is/-4"),
    ("GET", "/is/4"),
    ("GET", "/f/1.5"),
    ("GET", "/f/1"),
    ("GET", "/f/-1.5"),
    ("GET", "/fs/-1.5"),
    ("GET", "/path/a/b/c.txt"),
    ("GET", "/path/"),
    ("GET", "/uuid/" + str(uuid.UUID(int=5))),
    ("GET", "/uuid/not-a-uuid"),
    ("GET", "/any/red"),
    ("GET", "/any/blue"),
    ("GET", "/any/dark%20green"),
    ("GET", "/any/green"),
    ("GET", "/view-args/3/x"),
    ("HEAD", "/"),
    ("HEAD", "/m"),
    ("HEAD", "/p"),
    ("OPTIONS", "/"),
    ("OPTIONS", "/m"),
    ("OPTIONS", "/p"),
    ("OPTIONS", "/nope"),
]


@pytest.fixture(scope="module")
def routing_apps() -> tuple[Kolba, flask.Flask]:
    return _apps(_routes)


@pytest.mark.parametrize(
    ("method", "path"), ROUTING_CASES, ids=[f"{m} {p}" for m, p in ROUTING_CASES]
)
def test_routing_matches_flask(
    routing_apps: tuple[Kolba, flask.Flask], method: str, path: str
) -> None:
    _same(routing_apps, method, path)


def test_route_shortcuts_answer(routing_apps: tuple[Kolba, flask.Flask]) -> None:
    assert _same(routing_apps, "POST", "/p")[2] == b"post"
    assert _same(routing_apps, "PATCH", "/pa")[2] == b"patch"
    assert _same(routing_apps, "GET", "/plain")[2] == b"plain plain_ep"
    assert _same(routing_apps, "GET", "/named")[2] == b"custom_name"


def test_converters_give_python_values(routing_apps: tuple[Kolba, flask.Flask]) -> None:
    assert _same(routing_apps, "GET", "/is/-4")[2] == b"-4"
    assert _same(routing_apps, "GET", "/f/1.5")[2] == b"1.5"
    u = uuid.UUID(int=5)
    assert _same(routing_apps, "GET", f"/uuid/{u}")[2] == repr(u).encode()
    assert _same(routing_apps, "GET", "/path/a/b/c.txt")[2] == b"a/b/c.txt"


def test_head_has_get_headers_and_empty_body(routing_apps: tuple[Kolba, flask.Flask]) -> None:
    head = _same(routing_apps, "HEAD", "/")
    get = _same(routing_apps, "GET", "/")
    assert head[0] == "200 OK"
    assert head[2] == b""
    assert get[2] == b"index"
    assert head[1] == get[1]
    assert head[1]["Content-Length"] == "5"


def test_options_lists_allow(routing_apps: tuple[Kolba, flask.Flask]) -> None:
    status, headers, body = _same(routing_apps, "OPTIONS", "/m")
    assert status == "200 OK"
    assert headers["Allow"] == {"GET", "HEAD", "OPTIONS", "PUT"}
    assert body == b""


def test_405_lists_allow(routing_apps: tuple[Kolba, flask.Flask]) -> None:
    status, headers, _ = _same(routing_apps, "DELETE", "/m")
    assert status == "405 METHOD NOT ALLOWED"
    assert headers["Allow"] == {"GET", "HEAD", "OPTIONS", "PUT"}


def test_trailing_slash_redirect_keeps_query(routing_apps: tuple[Kolba, flask.Flask]) -> None:
    status, headers, _ = _same(routing_apps, "GET", "/slash?a=1&b=%20x")
    assert status == "308 PERMANENT REDIRECT"
    assert headers["Location"] == "http://localhost/slash/?a=1&b=%20x"


def test_defaults_redirect_to_canonical_url(routing_apps: tuple[Kolba, flask.Flask]) -> None:
    status, headers, _ = _same(routing_apps, "GET", "/d/1")
    assert status == "308 PERMANENT REDIRECT"
    assert headers["Location"] == "http://localhost/d/"


def test_404(routing_apps: tuple[Kolba, flask.Flask]) -> None:
    status, headers, body = _same(routing_apps, "GET", "/nope")
    assert status == "404 NOT FOUND"
    assert b"<title>404 Not Found</title>" in body


def test_request_routing_attributes(client: t.Any, app: Kolba) -> None:
    @app.route("/r/<int:a>")
    def r(a: int) -> t.Any:
        req = kolba.request
        assert req.url_rule is not None
        return {"endpoint": req.endpoint, "view_args": req.view_args, "rule": req.url_rule.rule}

    assert client.get("/r/5").get_json() == {
        "endpoint": "r",
        "view_args": {"a": 5},
        "rule": "/r/<int:a>",
    }


def test_custom_converter() -> None:
    def build(app: t.Any, fw: ModuleType) -> None:
        base = BaseConverter if fw is kolba else werkzeug.routing.BaseConverter

        class ListConverter(base):  # type: ignore[misc, valid-type]
            regex = r"[a-z]+(?:,[a-z]+)*"

            def to_python(self, value: str) -> list[str]:
                return value.split(",")

            def to_url(self, value: list[str]) -> str:
                return ",".join(value)

        app.url_map.converters["list"] = ListConverter

        @app.route("/l/<list:items>")
        def items(items: list[str]) -> t.Any:
            return {"items": items, "back": fw.url_for("items", items=["x", "y"])}

    apps = _apps(build)
    status, _, body = _same(apps, "GET", "/l/a,b,c")
    assert status == "200 OK"
    assert flask.json.loads(body) == {"items": ["a", "b", "c"], "back": "/l/x,y"}
    assert _same(apps, "GET", "/l/A")[0] == "404 NOT FOUND"


def test_provide_automatic_options_off(app: Kolba) -> None:
    @app.route("/x", provide_automatic_options=False)
    def x() -> str:
        return "x"

    rv = app.test_client().options("/x")
    assert rv.status_code == 405
    assert set(rv.headers["Allow"].split(", ")) == {"GET", "HEAD"}


def test_view_handles_options_itself(app: Kolba) -> None:
    @app.route("/o", methods=["GET", "OPTIONS"])
    def o() -> str:
        return "mine"

    assert app.test_client().options("/o").data == b"mine"


def test_duplicate_endpoint_other_function_raises(app: Kolba) -> None:
    app.add_url_rule("/a", "same", lambda: "a")
    with pytest.raises(AssertionError, match="same"):
        app.add_url_rule("/b", "same", lambda: "b")


def test_same_function_twice_is_fine(app: Kolba, client: t.Any) -> None:
    def view() -> str:
        return "v"

    app.add_url_rule("/a", "v", view)
    app.add_url_rule("/b", "v", view)
    assert client.get("/a").data == client.get("/b").data == b"v"


@pytest.mark.parametrize(
    ("first", "second"),
    [("/dup", "/dup"), ("/x/<int:a>", "/x/<int:b>"), ("/y/<a>", "/y/<b>")],
)
def test_conflicting_rule_rejected(app: Kolba, first: str, second: str) -> None:
    app.add_url_rule(first, "one", lambda **kw: "1")
    with pytest.raises(ValueError):
        app.add_url_rule(second, "two", lambda **kw: "2")


def test_same_path_other_methods_is_not_a_conflict(app: Kolba, client: t.Any) -> None:
    app.add_url_rule("/r", "read", lambda: "read", methods=["GET"])
    app.add_url_rule("/r", "write", lambda: "write", methods=["POST"])
    assert client.get("/r").data == b"read"
    assert client.post("/r").data == b"write"


def test_endpoint_decorator(app: Kolba, client: t.Any) -> None:
    app.add_url_rule("/e", "ep")

    @app.endpoint("ep")
    def ep() -> str:
        return "via endpoint"

    assert client.get("/e").data == b"via endpoint"


def test_bad_methods_argument(app: Kolba) -> None:
    with pytest.raises(TypeError):
        app.add_url_rule("/x", "x", lambda: "x", methods="GET")


def test_garbage_paths_give_http_errors(routing_apps: tuple[Kolba, flask.Flask]) -> None:
    for path in ["/%", "/%zz", "/i/%FF", "/s/%00", "//", "/..", "/path/../../etc"]:
        status = _answer(routing_apps[0], "GET", path)[0]
        assert status[:1] in {"2", "3", "4"}, (path, status)
