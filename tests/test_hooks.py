"""Request hooks, compared with Flask by recording the order both frameworks call them in.

Each app appends to a trace list from every hook; the same app is built on Flask and Kolba and
the traces (and responses) must be equal, then are checked against a literal so a change on
both sides still fails.
"""

# The apps are built on either framework through ``t.Any``, so their decorators are untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

import logging
import typing as t
from types import ModuleType

import flask
import pytest

import kolba
from kolba import Kolba

Setup = t.Callable[[t.Any, ModuleType, list[str]], None]


def run(
    mod: ModuleType, setup: Setup, requests: list[tuple[str, str]], **config: t.Any
) -> tuple[list[str], list[tuple[int, bytes, str | None]]]:
    app = flask.Flask("hooks_app") if mod is flask else Kolba("hooks_app", root_path="/none")
    app.config.update(config)
    trace: list[str] = []
    setup(app, mod, trace)
    client = app.test_client()
    out = []
    for method, path in requests:
        rv = client.open(path, method=method)
        out.append((rv.status_code, rv.get_data(), rv.headers.get("X-After")))
        trace.append("|")
    return trace, out


def compare(setup: Setup, requests: list[tuple[str, str]], **config: t.Any) -> t.Any:
    expected = run(flask, setup, requests, **config)
    got = run(kolba, setup, requests, **config)
    assert got == expected
    return got


def _full_app(app: t.Any, m: ModuleType, trace: list[str]) -> None:
    @app.url_value_preprocessor
    def uvp(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        trace.append(f"uvp {endpoint} {values}")
        if values and "lang" in values:
            m.g.lang = values.pop("lang")

    @app.before_request
    def before1() -> None:
        trace.append("before1")

    @app.before_request
    def before2() -> t.Any:
        trace.append("before2")
        if m.request.args.get("stop"):
            return "stopped by before2", 203
        return None

    @app.after_request
    def after1(response: t.Any) -> t.Any:
        trace.append("after1")
        response.headers["X-After"] = response.headers.get("X-After", "") + "1"
        return response

    @app.after_request
    def after2(response: t.Any) -> t.Any:
        trace.append("after2")
        response.headers["X-After"] = response.headers.get("X-After", "") + "2"
        return response

    @app.teardown_request
    def teardown1(exc: BaseException | None) -> None:
        trace.append(f"teardown_request1 {type(exc).__name__}")

    @app.teardown_request
    def teardown2(exc: BaseException | None) -> None:
        trace.append(f"teardown_request2 {type(exc).__name__}")

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        trace.append(f"teardown_app {type(exc).__name__}")

    @app.route("/<lang>/page")
    def page() -> str:
        trace.append(f"view lang={m.g.lang}")

        @m.after_this_request
        def atr(response: t.Any) -> t.Any:
            trace.append("after_this_request")
            response.headers["X-After"] = "atr"
            return response

        return "page"

    @app.route("/boom")
    def boom() -> str:
        trace.append("view boom")
        raise KeyError("boom")

    @app.errorhandler(KeyError)
    def key_error(e: KeyError) -> t.Any:
        trace.append("handler KeyError")
        return "handled", 500


def test_hook_order_matches_flask() -> None:
    trace, responses = compare(_full_app, [("GET", "/en/page")])
    assert trace == [
        "uvp page {'lang': 'en'}",
        "before1",
        "before2",
        "view lang=en",
        "after_this_request",  # before the app's after_request hooks
        "after2",  # after_request hooks run in reverse registration order
        "after1",
        "teardown_request2 NoneType",  # teardown: reverse order, given None on success
        "teardown_request1 NoneType",
        "teardown_app NoneType",
        "|",
    ]
    assert responses == [(200, b"page", "atr21")]


def test_before_request_short_circuits_view_but_after_runs() -> None:
    trace, responses = compare(_full_app, [("GET", "/en/page?stop=1")])
    assert "view lang=en" not in trace
    assert trace[:3] == ["uvp page {'lang': 'en'}", "before1", "before2"]
    assert trace[3:5] == ["after2", "after1"]
    assert responses == [(203, b"stopped by before2", "21")]


def test_handled_exception_hooks() -> None:
    trace, responses = compare(_full_app, [("GET", "/boom")])
    assert trace == [
        "uvp boom {}",
        "before1",
        "before2",
        "view boom",
        "handler KeyError",
        "after2",
        "after1",
        # A handled exception is not given to teardown (as Flask).
        "teardown_request2 NoneType",
        "teardown_request1 NoneType",
        "teardown_app NoneType",
        "|",
    ]
    assert responses == [(500, b"handled", "21")]


def test_hooks_run_for_404() -> None:
    trace, responses = compare(_full_app, [("GET", "/nowhere")])
    assert trace[:3] == ["uvp None None", "before1", "before2"]
    assert trace[3:5] == ["after2", "after1"]
    assert responses[0][0] == 404
    assert responses[0][2] == "21"


def test_before_request_can_short_circuit_404() -> None:
    trace, responses = compare(_full_app, [("GET", "/nowhere?stop=1")])
    assert responses == [(203, b"stopped by before2", "21")]


def _raising_app(app: t.Any, m: ModuleType, trace: list[str]) -> None:
    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        trace.append(f"teardown_request {type(exc).__name__} {exc}")

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        trace.append(f"teardown_app {type(exc).__name__}")

    @app.after_request
    def after(response: t.Any) -> t.Any:
        trace.append(f"after {response.status_code}")
        return response

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("bad value")


def test_teardown_given_unhandled_exception(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.CRITICAL):
        trace, responses = compare(_raising_app, [("GET", "/boom")])
    assert trace == [
        "after 500",
        "teardown_request ValueError bad value",
        "teardown_app ValueError",
        "|",
    ]
    assert responses[0][0] == 500


@pytest.mark.parametrize("mod", [flask, kolba], ids=["flask", "kolba"])
def test_teardown_runs_when_exception_propagates(mod: ModuleType) -> None:
    trace: list[str] = []
    app = flask.Flask("x") if mod is flask else Kolba("x", root_path="/none")
    app.testing = True
    _raising_app(app, mod, trace)
    with pytest.raises(ValueError):
        app.test_client().get("/boom")
    assert trace == ["teardown_request ValueError bad value", "teardown_app ValueError"]


def test_after_request_can_replace_response() -> None:
    def setup(app: t.Any, m: ModuleType, trace: list[str]) -> None:
        @app.after_request
        def replace(response: t.Any) -> t.Any:
            trace.append(f"saw {response.get_data(as_text=True)}")
            return m.make_response(("replaced", 202, {"X-After": "new"}))

        @app.route("/")
        def index() -> str:
            return "original"

    trace, responses = compare(setup, [("GET", "/")])
    assert trace == ["saw original", "|"]
    assert responses == [(202, b"replaced", "new")]


def test_after_this_request_multiple_in_order() -> None:
    def setup(app: t.Any, m: ModuleType, trace: list[str]) -> None:
        @app.after_request
        def app_after(response: t.Any) -> t.Any:
            trace.append("app after")
            return response

        @app.route("/")
        def index() -> str:
            for name in ("first", "second"):

                @m.after_this_request
                def hook(response: t.Any, name: str = name) -> t.Any:
                    trace.append(name)
                    response.set_cookie(name, "1")
                    return response

            return "ok"

    trace, _ = compare(setup, [("GET", "/")])
    assert trace == ["first", "second", "app after", "|"]


def test_hooks_registered_with_methods_not_decorators() -> None:
    def setup(app: t.Any, m: ModuleType, trace: list[str]) -> None:
        def after(response: t.Any) -> t.Any:
            trace.append("after")
            return response

        app.before_request(lambda: trace.append("before"))
        app.after_request(after)
        app.teardown_request(lambda e: trace.append("teardown"))
        app.add_url_rule("/", "index", lambda: "ok")

    trace, responses = compare(setup, [("GET", "/"), ("GET", "/")])
    assert trace == ["before", "after", "teardown", "|"] * 2
    assert responses == [(200, b"ok", None)] * 2


def test_url_value_preprocessor_pops_value_for_view() -> None:
    def setup(app: t.Any, m: ModuleType, trace: list[str]) -> None:
        @app.url_value_preprocessor
        def pull(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
            assert values is not None
            m.g.user_id = values.pop("user_id")

        @app.route("/u/<int:user_id>/profile")
        def profile() -> str:
            return f"user {m.g.user_id} {m.request.view_args}"

    _, responses = compare(setup, [("GET", "/u/7/profile")])
    assert responses == [(200, b"user 7 {}", None)]


def test_setup_after_first_request_refused(app: Kolba, client: t.Any) -> None:
    app.add_url_rule("/", "index", lambda: "ok")
    assert client.get("/").status_code == 200
    with pytest.raises(AssertionError, match="can no longer be called"):
        app.before_request(lambda: None)
