"""The test client against a Kolba app, each call compared with Flask's client on the same app:
methods, bodies, files, JSON, query strings, headers, redirects with history, environ_base,
the cookie jar, ``with client:`` keeping the last context, and the response helpers.
"""

# The same builder runs on Kolba and Flask, so ``app`` is typed Any and its decorators too.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import io
import typing as t
from types import ModuleType

import flask
import pytest

import kolba
from kolba import Kolba


def _build(app: t.Any, fw: ModuleType) -> None:
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]

    @app.route("/echo", methods=methods)
    def echo() -> t.Any:
        r = fw.request
        return {
            "method": r.method,
            "args": r.args.to_dict(flat=False),
            "form": r.form.to_dict(flat=False),
            "files": {
                k: [f.filename, f.content_type, f.read().decode()] for k, f in r.files.items()
            },
            "data": r.get_data(as_text=True),
            "json": r.get_json(silent=True),
            "mimetype": r.mimetype,
            "x": r.headers.get("X-Test"),
            "remote": r.remote_addr,
            "host": r.host,
            "scheme": r.scheme,
            "cookies": r.cookies.to_dict(),
        }

    @app.route("/set")
    def set_cookie() -> t.Any:
        r = fw.make_response("set")
        r.set_cookie("name", fw.request.args.get("v", "value"))
        r.set_cookie("scoped", "s", path="/echo")
        return r

    @app.route("/unset")
    def unset() -> t.Any:
        r = fw.make_response("unset")
        r.delete_cookie("name")
        return r

    @app.route("/r1")
    def r1() -> t.Any:
        return fw.redirect("/r2?from=r1", 302)

    @app.route("/r2")
    def r2() -> t.Any:
        return fw.redirect(fw.url_for("echo", hop=fw.request.args["from"]), 307)

    @app.route("/loop")
    def loop() -> t.Any:
        return fw.redirect("/loop")

    @app.route("/post-redirect", methods=["POST"])
    def post_redirect() -> t.Any:
        return fw.redirect("/echo", 303)

    @app.route("/post-307", methods=["POST"])
    def post_307() -> t.Any:
        return fw.redirect("/echo", 307)

    @app.route("/g")
    def set_g() -> str:
        fw.g.value = fw.request.args.get("v")
        return "g"


@pytest.fixture(scope="module")
def apps() -> tuple[Kolba, flask.Flask]:
    k = Kolba("client_app")
    f = flask.Flask("client_app")
    for app, fw in ((k, kolba), (f, flask)):
        app.config["TESTING"] = True
        _build(app, fw)
    return k, f


def _same_call(apps: tuple[Kolba, flask.Flask], call: t.Callable[[t.Any], t.Any]) -> t.Any:
    """Make the same call on a fresh client of each app; compare the JSON answers."""
    rk = call(apps[0].test_client())
    rf = call(apps[1].test_client())
    assert rk.status == rf.status
    assert rk.get_json() == rf.get_json()
    return rk


CALLS: dict[str, t.Callable[[t.Any], t.Any]] = {
    "get": lambda c: c.get("/echo"),
    "post": lambda c: c.post("/echo"),
    "put": lambda c: c.put("/echo", data="put body"),
    "patch": lambda c: c.patch("/echo", data=b"bytes body"),
    "delete": lambda c: c.delete("/echo"),
    "open": lambda c: c.open("/echo", method="PATCH", data={"a": "1"}),
    "data-dict": lambda c: c.post("/echo", data={"a": ["1", "2"], "b": "ü"}),
    "data-str": lambda c: c.post(
        "/echo", data="a=1&b=2", content_type="application/x-www-form-urlencoded"
    ),
    "data-bytes": lambda c: c.post(
        "/echo", data=b"\x00raw", content_type="application/octet-stream"
    ),
    "files": lambda c: c.post(
        "/echo",
        data={
            "field": "v",
            "one": (io.BytesIO(b"file one"), "one.txt"),
            "two": (io.BytesIO(b"file two"), "two.csv", "text/csv"),
        },
    ),
    "json": lambda c: c.post("/echo", json={"a": [1, None, "ü"]}),
    "json-list": lambda c: c.put("/echo", json=[1, 2]),
    "query-string-dict": lambda c: c.get("/echo", query_string={"a": ["1", "2"], "b": "x y"}),
    "query-string-str": lambda c: c.get("/echo", query_string="a=1&a=2&c=%C3%BC"),
    "query-in-path": lambda c: c.get("/echo?a=1&b=%20"),
    "headers-dict": lambda c: c.get("/echo", headers={"X-Test": "yes"}),
    "headers-list": lambda c: c.get("/echo", headers=[("X-Test", "list")]),
    "environ-base": lambda c: c.get("/echo", environ_base={"REMOTE_ADDR": "10.1.2.3"}),
    "base-url": lambda c: c.get("/echo", base_url="https://example.org/"),
    "redirect-chain": lambda c: c.get("/r1", follow_redirects=True),
    "post-303": lambda c: c.post("/post-redirect", data={"a": "1"}, follow_redirects=True),
    "post-307": lambda c: c.post("/post-307", data={"a": "1"}, follow_redirects=True),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_client_calls_match_flask(apps: tuple[Kolba, flask.Flask], name: str) -> None:
    _same_call(apps, CALLS[name])


def test_bodies_arrive(apps: tuple[Kolba, flask.Flask]) -> None:
    assert _same_call(apps, CALLS["put"]).get_json()["data"] == "put body"
    d = _same_call(apps, CALLS["data-dict"]).get_json()
    assert d["form"] == {"a": ["1", "2"], "b": ["ü"]}
    d = _same_call(apps, CALLS["files"]).get_json()
    assert d["files"] == {
        "one": ["one.txt", "text/plain", "file one"],
        "two": ["two.csv", "text/csv", "file two"],
    }
    assert d["form"] == {"field": ["v"]}
    d = _same_call(apps, CALLS["json"]).get_json()
    assert d["json"] == {"a": [1, None, "ü"]}
    assert d["mimetype"] == "application/json"


def test_query_headers_environ(apps: tuple[Kolba, flask.Flask]) -> None:
    assert _same_call(apps, CALLS["query-string-dict"]).get_json()["args"] == {
        "a": ["1", "2"],
        "b": ["x y"],
    }
    assert _same_call(apps, CALLS["headers-dict"]).get_json()["x"] == "yes"
    assert _same_call(apps, CALLS["environ-base"]).get_json()["remote"] == "10.1.2.3"
    d = _same_call(apps, CALLS["base-url"]).get_json()
    assert (d["host"], d["scheme"]) == ("example.org", "https")


def test_head_and_options(apps: tuple[Kolba, flask.Flask]) -> None:
    for app in apps:
        c = app.test_client()
        head = c.head("/echo")
        assert head.status_code == 200
        assert head.data == b""
        assert int(head.headers["Content-Length"]) > 0
        options = c.options("/echo")
        assert options.get_json()["method"] == "OPTIONS"


def test_follow_redirects_history(apps: tuple[Kolba, flask.Flask]) -> None:
    histories = []
    for app in apps:
        rv = app.test_client().get("/r1", follow_redirects=True)
        assert rv.status_code == 200
        assert rv.get_json()["args"] == {"hop": ["r1"]}
        assert rv.request.path == "/echo"
        histories.append(
            [(h.status_code, h.headers["Location"], h.request.path) for h in rv.history]
        )
    assert (
        histories[0] == histories[1] == [(302, "/r2?from=r1", "/r1"), (307, "/echo?hop=r1", "/r2")]
    )


def test_redirect_method_rewrite(apps: tuple[Kolba, flask.Flask]) -> None:
    d = _same_call(apps, CALLS["post-303"]).get_json()
    assert d["method"] == "GET"
    assert d["form"] == {}
    d = _same_call(apps, CALLS["post-307"]).get_json()
    assert d["method"] == "POST"
    assert d["form"] == {"a": ["1"]}


def test_redirect_loop_detected(apps: tuple[Kolba, flask.Flask]) -> None:
    from kolba.testing import ClientRedirectError

    with pytest.raises(ClientRedirectError, match="loop"):
        apps[0].test_client().get("/loop", follow_redirects=True)


def test_not_following_redirects(apps: tuple[Kolba, flask.Flask]) -> None:
    rv = apps[0].test_client().get("/r1")
    rf = apps[1].test_client().get("/r1")
    assert (rv.status, rv.data) == (rf.status, rf.data)
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/r2?from=r1"
    assert rv.history == ()


def test_cookie_jar(apps: tuple[Kolba, flask.Flask]) -> None:
    answers = []
    for app in apps:
        c = app.test_client()
        c.get("/set?v=first")
        seen = [c.get("/echo").get_json()["cookies"]]
        cookie = c.get_cookie("name")
        assert cookie is not None
        assert cookie.value == "first"
        c.get("/set?v=second")
        seen.append(c.get("/echo").get_json()["cookies"])
        c.get("/unset")
        seen.append(c.get("/echo").get_json()["cookies"])
        c.set_cookie("manual", "m")
        seen.append(c.get("/echo").get_json()["cookies"])
        c.delete_cookie("manual")
        seen.append(c.get("/echo").get_json()["cookies"])
        answers.append(seen)
    assert answers[0] == answers[1]
    assert answers[0] == [
        {"name": "first", "scoped": "s"},
        {"name": "second", "scoped": "s"},
        {"scoped": "s"},
        {"scoped": "s", "manual": "m"},
        {"scoped": "s"},
    ]


def test_cookies_off(apps: tuple[Kolba, flask.Flask]) -> None:
    c = apps[0].test_client(use_cookies=False)
    c.get("/set")
    assert c.get("/echo").get_json()["cookies"] == {}


def test_with_client_keeps_last_context(app: Kolba) -> None:
    @app.route("/")
    def index() -> str:
        kolba.g.value = kolba.request.args["v"]
        return "ok"

    with app.test_client() as c:
        c.get("/?v=first")
        c.get("/?v=second")
        assert kolba.request.args["v"] == "second"
        assert kolba.g.value == "second"
        assert kolba.request.path == "/"
        assert kolba.has_request_context()
    assert not kolba.has_request_context()
    assert not kolba.has_app_context()


def test_without_with_no_context_remains(app: Kolba, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: "ok")
    client.get("/")
    assert not kolba.has_request_context()


def test_response_helpers(app: Kolba, client: t.Any) -> None:
    app.add_url_rule("/j", "j", lambda: ({"a": "ü"}, 201, {"X-H": "h"}))
    app.add_url_rule("/t", "t", lambda: "tëxt")
    rv = client.get("/j?q=1")
    assert rv.status == "201 CREATED"
    assert rv.status_code == 201
    assert rv.headers["X-H"] == "h"
    assert rv.data == b'{"a":"\\u00fc"}\n'
    assert rv.text == '{"a":"\\u00fc"}\n'
    assert rv.get_json() == rv.json == {"a": "ü"}
    assert rv.request.args["q"] == "1"
    assert rv.request.path == "/j"
    text = client.get("/t")
    assert text.text == "tëxt"
    assert text.is_json is False


def test_response_json_on_non_json_matches_flask(apps: tuple[Kolba, flask.Flask]) -> None:
    outcomes = []
    for app in apps:
        rv = app.test_client().get("/set")
        try:
            outcomes.append(("value", rv.get_json()))
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            outcomes.append(("error", type(e).__name__))
    assert outcomes[0] == outcomes[1]


def test_bad_file_tuple(client: t.Any) -> None:
    with pytest.raises(TypeError):
        client.post("/", data={"f": (io.BytesIO(b"x"), "a", "b", "c")})


def test_json_and_data_together(client: t.Any) -> None:
    with pytest.raises(TypeError):
        client.post("/", json={}, data="x")
