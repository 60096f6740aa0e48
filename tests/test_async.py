"""``async def`` views, hooks, error handlers and teardown under WSGI, compared with Flask.

Flask runs coroutines through asgiref (its ``async`` extra); Kolba runs them on an event loop
per call. What the client sees must be the same.
"""

# The apps are built on either framework through ``t.Any``, so their decorators are untyped.
# mypy: disable-error-code="untyped-decorator, attr-defined"
from __future__ import annotations

import asyncio
import logging
import typing as t
from types import ModuleType

import flask
import pytest
import werkzeug.exceptions

import kolba
import kolba.http.exceptions as kexc
from kolba import Kolba, g, request

pytest.importorskip("asgiref", reason="Flask runs async views only with asgiref installed")


def build(mod: ModuleType, trace: list[str]) -> t.Any:
    app = flask.Flask("async_app") if mod is flask else Kolba("async_app", root_path="/none")
    exc = werkzeug.exceptions if mod is flask else kexc

    @app.before_request
    async def before() -> t.Any:
        await asyncio.sleep(0)
        mod.g.who = mod.request.headers.get("X-User", "anon")
        trace.append(f"before {mod.request.path}")
        if mod.request.args.get("stop"):
            return "stopped", 299
        return None

    @app.after_request
    async def after(response: t.Any) -> t.Any:
        await asyncio.sleep(0)
        trace.append(f"after {response.status_code}")
        response.headers["X-Who"] = mod.g.who
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        trace.append(f"teardown {type(exc).__name__}")

    @app.errorhandler(exc.NotFound)
    async def not_found(e: t.Any) -> t.Any:
        await asyncio.sleep(0)
        return {"error": e.name, "path": mod.request.path}, 404

    @app.errorhandler(ZeroDivisionError)
    async def zero(e: ZeroDivisionError) -> t.Any:
        return "divided by zero", 400

    @app.route("/hello/<name>")
    async def hello(name: str) -> t.Any:
        await asyncio.sleep(0)
        return {"name": name, "who": mod.g.who, "q": mod.request.args.get("q")}

    @app.route("/abort")
    async def abort() -> t.Any:
        await asyncio.sleep(0)
        mod.abort(403)

    @app.route("/gone")
    async def gone() -> t.Any:
        raise exc.NotFound()

    @app.route("/divide")
    async def divide() -> t.Any:
        return str(1 / 0)

    @app.route("/post", methods=["POST"])
    async def post() -> t.Any:
        return {"json": mod.request.get_json(silent=True), "form": mod.request.form.to_dict()}

    return app


def both(requests: list[tuple[str, str, dict[str, t.Any]]]) -> t.Any:
    results = []
    for mod in (flask, kolba):
        trace: list[str] = []
        client = build(mod, trace).test_client()
        out = []
        for method, path, kwargs in requests:
            rv = client.open(path, method=method, **kwargs)
            out.append((rv.status_code, sorted(rv.headers.items()), rv.get_data()))
        results.append((trace, out))
    assert results[1] == results[0]
    return results[1]


def test_async_view_and_hooks() -> None:
    trace, [(status, headers, body)] = both(
        [("GET", "/hello/ann?q=1", {"headers": {"X-User": "bob"}})]
    )
    assert status == 200
    assert kolba.json.loads(body) == {"name": "ann", "who": "bob", "q": "1"}
    assert ("X-Who", "bob") in headers
    assert trace == ["before /hello/ann", "after 200", "teardown NoneType"]


def test_async_before_request_short_circuits() -> None:
    trace, [(status, _, body)] = both([("GET", "/hello/ann?stop=1", {})])
    assert (status, body) == (299, b"stopped")
    assert trace == ["before /hello/ann", "after 299", "teardown NoneType"]


def test_async_view_raising_http_exception() -> None:
    _, [(abort_status, _, abort_body), (gone_status, _, gone_body)] = both(
        [("GET", "/abort", {}), ("GET", "/gone", {})]
    )
    assert abort_status == 403
    assert abort_body.startswith(b"<!doctype html>\n<html lang=en>\n<title>403 Forbidden")
    assert gone_status == 404
    assert kolba.json.loads(gone_body) == {"error": "Not Found", "path": "/gone"}


def test_async_error_handlers() -> None:
    trace, results = both([("GET", "/missing", {}), ("GET", "/divide", {})])
    assert [(s, b) for s, _, b in results] == [
        (404, b'{"error":"Not Found","path":"/missing"}\n'),
        (400, b"divided by zero"),
    ]
    assert trace == [
        "before /missing",
        "after 404",
        "teardown NoneType",
        "before /divide",
        "after 400",
        "teardown NoneType",
    ]


def test_async_view_reads_body() -> None:
    _, [(_, _, json_body), (_, _, form_body)] = both(
        [("POST", "/post", {"json": {"a": 1}}), ("POST", "/post", {"data": {"f": "v"}})]
    )
    assert kolba.json.loads(json_body) == {"json": {"a": 1}, "form": {}}
    assert kolba.json.loads(form_body)["form"] == {"f": "v"}


def test_async_unhandled_error_gives_teardown_the_exception(
    app: Kolba, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["TESTING"] = False
    seen: list[BaseException | None] = []

    @app.teardown_appcontext
    async def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.route("/")
    async def index() -> str:
        raise LookupError("async failure")

    with caplog.at_level(logging.CRITICAL):
        rv = app.test_client().get("/")
    assert rv.status_code == 500
    assert b"async failure" not in rv.data
    assert len(seen) == 1 and isinstance(seen[0], LookupError)


def test_async_view_propagates_when_testing(app: Kolba, client: t.Any) -> None:
    @app.route("/")
    async def index() -> str:
        raise LookupError("async failure")

    with pytest.raises(LookupError, match="async failure"):
        client.get("/")


def test_async_view_sees_context_after_await(app: Kolba, client: t.Any) -> None:
    @app.route("/<int:n>")
    async def index(n: int) -> t.Any:
        g.before = request.path
        await asyncio.gather(asyncio.sleep(0), asyncio.sleep(0))
        return {"path": request.path, "g": g.before, "n": n}

    assert client.get("/3").get_json() == {"path": "/3", "g": "/3", "n": 3}


def test_async_after_this_request(app: Kolba, client: t.Any) -> None:
    from kolba import after_this_request

    @app.route("/")
    async def index() -> str:
        @after_this_request
        async def add_cookie(response: t.Any) -> t.Any:
            response.set_cookie("flavour", "async")
            return response

        return "ok"

    rv = client.get("/")
    assert rv.data == b"ok"
    assert rv.headers["Set-Cookie"].startswith("flavour=async;")


def test_ensure_sync_runs_coroutine_function(app: Kolba) -> None:
    async def add(a: int, b: int) -> int:
        await asyncio.sleep(0)
        return a + b

    assert app.ensure_sync(add)(2, 3) == 5
    assert app.async_to_sync(add)(4, 5) == 9
