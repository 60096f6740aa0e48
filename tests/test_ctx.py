"""Application and request contexts: the proxies, ``g``, copying into threads, and isolation.

Where Flask has an observable answer (an error message, what a view sees) it is compared.
"""

# The apps are built on either framework through ``t.Any``, so their decorators are untyped.
# ``g.x = 1`` needs a ``__setattr__`` on _AppCtxGlobals for mypy (Flask's has one; Kolba's not yet).
# mypy: disable-error-code="untyped-decorator, attr-defined"
from __future__ import annotations

import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import flask
import pytest

import kolba
from kolba import (
    Kolba,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
)

FRAMEWORKS = [flask, kolba]
IDS = ["flask", "kolba"]


def make_app(mod: ModuleType) -> t.Any:
    app = flask.Flask("ctx_app") if mod is flask else Kolba("ctx_app", root_path="/nonexistent")
    app.config.update(TESTING=True, SECRET_KEY="k")
    return app


# -- outside any context ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "use"),
    [
        ("current_app", lambda m: m.current_app.name),
        ("g", lambda m: m.g.x),
        ("request", lambda m: m.request.path),
        ("session", lambda m: m.session.get("x")),
    ],
)
def test_runtime_error_messages_match_flask(name: str, use: t.Callable[[t.Any], t.Any]) -> None:
    with pytest.raises(RuntimeError) as flask_info:
        use(flask)
    with pytest.raises(RuntimeError) as kolba_info:
        use(kolba)
    assert str(kolba_info.value) == str(flask_info.value)
    expected = "application" if name in ("current_app", "g") else "request"
    assert str(kolba_info.value).startswith(f"Working outside of {expected} context.")


def test_request_outside_request_but_inside_app_context(app: Kolba) -> None:
    with flask.Flask("x").app_context(), pytest.raises(RuntimeError) as flask_info:
        flask.request.path  # noqa: B018
    with app.app_context(), pytest.raises(RuntimeError) as kolba_info:
        request.path  # noqa: B018
    assert str(kolba_info.value) == str(flask_info.value)


def test_helpers_refuse_outside_request() -> None:
    for mod in FRAMEWORKS:
        with pytest.raises(RuntimeError, match="request context is active"):
            mod.after_this_request(lambda r: r)
        with pytest.raises(RuntimeError, match="request context is active"):
            mod.copy_current_request_context(lambda: None)


def test_has_context_flags(app: Kolba) -> None:
    assert (has_app_context(), has_request_context()) == (False, False)
    with app.app_context():
        assert (has_app_context(), has_request_context()) == (True, False)
        with app.test_request_context("/"):
            assert (has_app_context(), has_request_context()) == (True, True)
        assert (has_app_context(), has_request_context()) == (True, False)
    assert (has_app_context(), has_request_context()) == (False, False)
    assert not current_app  # an unbound proxy is falsy, never raising
    assert "unbound" in repr(request)


# -- the proxies inside a request ------------------------------------------------------------------


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_proxies_inside_view(mod: ModuleType) -> None:
    app = make_app(mod)

    @app.route("/who/<name>", methods=["POST"])
    def who(name: str) -> t.Any:
        mod.session["seen"] = name
        return {
            "app": mod.current_app.name,
            "same_app": mod.current_app._get_current_object() is app,
            "path": mod.request.path,
            "method": mod.request.method,
            "args": mod.request.args.get("q"),
            "form": mod.request.form.get("f"),
            "view_args": mod.request.view_args,
            "endpoint": mod.request.endpoint,
            "has_req": mod.has_request_context(),
            "has_app": mod.has_app_context(),
        }

    client = app.test_client()
    rv = client.post("/who/ann?q=1", data={"f": "v"})
    assert rv.get_json() == {
        "app": "ctx_app",
        "same_app": True,
        "path": "/who/ann",
        "method": "POST",
        "args": "1",
        "form": "v",
        "view_args": {"name": "ann"},
        "endpoint": "who",
        "has_req": True,
        "has_app": True,
    }
    assert "session=" in rv.headers["Set-Cookie"]


def test_g_namespace_api(app: Kolba, client: t.Any) -> None:
    @app.route("/")
    def index() -> t.Any:
        g.a = 1
        assert g.get("a") == 1 and g.get("b") is None and g.get("b", 5) == 5
        assert g.setdefault("c", 3) == 3 and g.setdefault("c", 4) == 3
        assert "a" in g and "zz" not in g
        names = sorted(g)
        assert g.pop("a") == 1
        assert g.pop("a", "gone") == "gone"
        with pytest.raises(KeyError):
            g.pop("a")
        with pytest.raises(AttributeError):
            g.missing  # noqa: B018
        return {"names": names, "left": sorted(g)}

    assert client.get("/").get_json() == {"names": ["a", "c"], "left": ["c"]}


def test_g_is_fresh_per_request(app: Kolba, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        g.count = g.get("count", 0) + 1
        return str(g.count)

    assert [client.get("/").data for _ in range(3)] == [b"1", b"1", b"1"]


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_g_shared_with_request_context_inside_app_context(mod: ModuleType) -> None:
    app = make_app(mod)
    with app.app_context():
        mod.g.outer = "from app ctx"
        with app.test_request_context("/"):
            assert mod.g.outer == "from app ctx"
            mod.g.inner = "from request ctx"
        assert mod.g.inner == "from request ctx"
    with app.test_request_context("/"):
        assert "outer" not in mod.g


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_g_shared_with_a_request_served_inside_app_context(mod: ModuleType) -> None:
    # The WSGI path sets the context variable first and falls back to a full push when the
    # token shows a context was already current: g must still be the outer one.
    app = make_app(mod)

    @app.route("/g")
    def read_g() -> str:
        mod.g.seen = True
        return str(mod.g.get("outer"))

    client = app.test_client()
    with app.app_context():
        mod.g.outer = "from app ctx"
        assert client.get("/g").data == b"from app ctx"
        assert mod.g.seen is True
        assert mod.current_app._get_current_object() is app
    assert client.get("/g").data == b"None"
    assert not mod.has_app_context()


def test_test_request_context_arguments(app: Kolba) -> None:
    with app.test_request_context(
        "/submit?x=1",
        method="POST",
        data={"name": "value"},
        headers={"X-Token": "abc"},
        base_url="https://example.org/root",
    ):
        assert request.method == "POST"
        assert request.path == "/submit"
        assert request.script_root == "/root"
        assert request.args["x"] == "1"
        assert request.form["name"] == "value"
        assert request.headers["X-Token"] == "abc"
        assert request.url == "https://example.org/root/submit?x=1"
        assert request.host == "example.org"
    with app.test_request_context(json={"a": [1, 2]}, method="PUT"):
        assert request.get_json() == {"a": [1, 2]}
        assert request.path == "/"


def test_session_proxy_in_test_request_context(app: Kolba) -> None:
    with app.test_request_context("/"):
        assert dict(session) == {}
        session["k"] = "v"
        assert session["k"] == "v"


# -- threads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_copy_current_request_context_in_executor(mod: ModuleType) -> None:
    app = make_app(mod)

    @app.route("/work")
    def work() -> t.Any:
        mod.session["user"] = "ann"

        @mod.copy_current_request_context
        def job(n: int) -> str:
            assert mod.has_request_context()
            user = mod.session["user"]
            return f"{mod.request.args['q']}-{user}-{mod.current_app.name}-{n}"

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(job, [1, 2]))
        return {"results": results, "thread": threading.current_thread().name}

    rv = app.test_client().get("/work?q=z")
    assert rv.get_json()["results"] == ["z-ann-ctx_app-1", "z-ann-ctx_app-2"]


def test_copied_context_shares_g(app: Kolba, client: t.Any) -> None:
    # Kolba shares ``g`` with the copy (documented in ctx.py); Flask 3.1 gives the copy a new one.
    @app.route("/")
    def index() -> str:
        g.user = "ann"
        job = copy_current_request_context(lambda: g.user)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return str(pool.submit(job).result())

    assert client.get("/").data == b"ann"


def test_plain_thread_has_no_context(app: Kolba, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        seen: list[bool] = []
        thread = threading.Thread(target=lambda: seen.append(has_request_context()))
        thread.start()
        thread.join()
        return str(seen)

    assert client.get("/").data == b"[False]"


def test_contexts_isolated_between_threads(app: Kolba) -> None:
    barrier = threading.Barrier(2, timeout=10)
    seen: dict[str, tuple[str, str, str]] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with app.test_request_context(f"/{name}"):
                g.name = name
                barrier.wait()  # both contexts are pushed at once now
                seen[name] = (request.path, g.name, str(has_request_context()))
                barrier.wait()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert seen == {"one": ("/one", "one", "True"), "two": ("/two", "two", "True")}
    assert not has_request_context()


def test_concurrent_requests_through_client_are_isolated(app: Kolba) -> None:
    barrier = threading.Barrier(2, timeout=10)

    @app.route("/<name>")
    def view(name: str) -> str:
        g.name = name
        barrier.wait()
        return f"{request.path}:{g.name}"

    out: dict[str, bytes] = {}

    def call(name: str) -> None:
        out[name] = app.test_client().get(f"/{name}").data

    threads = [threading.Thread(target=call, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert out == {"a": b"/a:a", "b": b"/b:b"}


# -- pushing and popping ---------------------------------------------------------------------------


def test_nested_app_contexts_restore_outer(app: Kolba) -> None:
    other = Kolba("other", root_path="/nonexistent")
    with app.app_context():
        g.mark = "outer"
        with other.app_context():
            assert current_app.name == "other"
            assert "mark" not in g
        assert current_app.name == "test_app"
        assert g.mark == "outer"


def test_teardown_appcontext_runs_on_pop(app: Kolba) -> None:
    calls: list[t.Any] = []
    app.teardown_appcontext(calls.append)
    ctx = app.app_context()
    ctx.push()
    ctx.pop()
    assert calls == [None]


def test_popping_wrong_context_is_refused(app: Kolba) -> None:
    first = app.app_context()
    second = app.app_context()
    first.push()
    second.push()
    with pytest.raises(AssertionError, match="Popped wrong app context"):
        first.pop()
    # As in Flask, the refused pop has still reset the variable to before ``first``.
    assert not has_app_context()


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_test_request_context_matches_the_url_as_flask_does(mod: ModuleType) -> None:
    app = make_app(mod)

    @app.route("/u/<int:uid>", methods=["POST"])
    def user(uid: int) -> str:
        return ""

    with app.test_request_context("/u/7", method="POST"):
        assert mod.request.endpoint == "user"
        assert mod.request.view_args == {"uid": 7}
        assert mod.request.url_rule.rule == "/u/<int:uid>"
    with app.test_request_context("/u/7"):
        assert mod.request.routing_exception.code == 405
    with app.test_request_context("/nowhere"):
        assert mod.request.routing_exception.code == 404
        assert mod.request.endpoint is None
