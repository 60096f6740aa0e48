"""Two small apps written the way Flask's quickstart and API docs write them, run on both
frameworks with the same requests; every response (status, headers, body) must be equal.
"""

# mypy: disable-error-code="untyped-decorator, attr-defined"
from __future__ import annotations

import typing as t
from types import ModuleType

import flask
import werkzeug.exceptions

import kolba
import kolba.http.exceptions


def framework(mod: ModuleType) -> tuple[t.Any, ModuleType]:
    if mod is flask:
        return flask.Flask("docs_app"), werkzeug.exceptions
    return kolba.Kolba("docs_app", root_path="/none"), kolba.http.exceptions


# -- an in-memory todo JSON API ------------------------------------------------------------------


class ValidationError(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid")
        self.errors = errors


def todo_app(mod: ModuleType) -> t.Any:
    app, exceptions = framework(mod)
    request, jsonify, abort = mod.request, mod.jsonify, mod.abort
    todos: dict[int, dict[str, t.Any]] = {}
    next_id = [1]

    def validate(data: t.Any, partial: bool = False) -> dict[str, t.Any]:
        if not isinstance(data, dict):
            raise ValidationError({"_": "expected a JSON object"})
        errors = {}
        if "title" in data or not partial:
            title = data.get("title")
            if not isinstance(title, str) or not title.strip():
                errors["title"] = "must be a non-empty string"
        if "done" in data and not isinstance(data["done"], bool):
            errors["done"] = "must be a boolean"
        if errors:
            raise ValidationError(errors)
        return {k: data[k] for k in ("title", "done") if k in data}

    @app.errorhandler(exceptions.BadRequest)
    def bad_request(e: t.Any) -> t.Any:
        return jsonify(error="bad request", detail=e.description), 400

    @app.errorhandler(404)
    def not_found(e: t.Any) -> t.Any:
        return jsonify(error="not found"), 404

    @app.errorhandler(exceptions.MethodNotAllowed)
    def method_not_allowed(e: t.Any) -> t.Any:
        return jsonify(error="method not allowed"), 405

    @app.errorhandler(ValidationError)
    def invalid(e: ValidationError) -> t.Any:
        return {"error": "validation failed", "fields": e.errors}, 422

    @app.get("/todos")
    def list_todos() -> t.Any:
        items = list(todos.values())
        if request.args.get("done") is not None:
            want = request.args["done"] == "true"
            items = [item for item in items if item["done"] is want]
        return jsonify(items)

    @app.post("/todos")
    def create_todo() -> t.Any:
        data = validate(request.get_json())
        todo = {"id": next_id[0], "title": data["title"], "done": data.get("done", False)}
        todos[todo["id"]] = todo
        next_id[0] += 1
        return todo, 201, {"Location": mod.url_for("get_todo", todo_id=todo["id"])}

    @app.get("/todos/<int:todo_id>")
    def get_todo(todo_id: int) -> t.Any:
        if todo_id not in todos:
            abort(404)
        return todos[todo_id]

    @app.patch("/todos/<int:todo_id>")
    def update_todo(todo_id: int) -> t.Any:
        todo = todos.get(todo_id) or abort(404)
        todo.update(validate(request.get_json(), partial=True))
        return todo

    @app.delete("/todos/<int:todo_id>")
    def delete_todo(todo_id: int) -> t.Any:
        todos.pop(todo_id, None) or abort(404)
        return "", 204

    return app


def run_both(
    build: t.Callable[[ModuleType], t.Any], requests: list[tuple[str, str, dict[str, t.Any]]]
) -> list[tuple[int, list[tuple[str, str]], bytes]]:
    results = []
    for mod in (flask, kolba):
        client = build(mod).test_client()
        out = []
        for method, path, kwargs in requests:
            rv = client.open(path, method=method, **kwargs)
            # Flask lists Allow in set order (varies with hash seeds); Kolba sorts it.
            headers = sorted(
                (k, ", ".join(sorted(v.split(", "))) if k == "Allow" else v)
                for k, v in rv.headers.items()
            )
            if rv.status_code == 204:
                # Kolba drops Content-Type on 204 on purpose (PEP 3333's validator refuses it);
                # Werkzeug keeps it.
                headers = [(k, v) for k, v in headers if k != "Content-Type"]
            out.append((rv.status_code, headers, rv.get_data()))
        results.append(out)
    flask_results, kolba_results = results
    for req, expected, got in zip(requests, flask_results, kolba_results, strict=True):
        assert got == expected, req
    return kolba_results


def test_todo_api_matches_flask() -> None:
    requests: list[tuple[str, str, dict[str, t.Any]]] = [
        ("GET", "/todos", {}),
        ("POST", "/todos", {"json": {"title": "write tests"}}),
        ("POST", "/todos", {"json": {"title": "ship", "done": True}}),
        ("POST", "/todos", {"json": {"title": ""}}),
        ("POST", "/todos", {"json": {"title": "x", "done": "yes"}}),
        ("POST", "/todos", {"json": [1, 2]}),
        ("POST", "/todos", {"data": "{not json", "content_type": "application/json"}),
        ("POST", "/todos", {"data": "title=x"}),
        ("GET", "/todos/1", {}),
        ("GET", "/todos/99", {}),
        ("GET", "/todos/abc", {}),
        ("PATCH", "/todos/1", {"json": {"done": True}}),
        ("PATCH", "/todos/1", {"json": {"done": 1}}),
        ("PATCH", "/todos/42", {"json": {"done": True}}),
        ("GET", "/todos?done=true", {}),
        ("PUT", "/todos/1", {"json": {}}),
        ("DELETE", "/todos/2", {}),
        ("DELETE", "/todos/2", {}),
        ("GET", "/todos", {}),
        ("HEAD", "/todos/1", {}),
        ("OPTIONS", "/todos/1", {}),
    ]
    results = run_both(todo_app, requests)
    statuses = [status for status, _, _ in results]
    assert statuses[:14] == [200, 201, 201, 422, 422, 422, 400, 415, 200, 404, 404, 200, 422, 404]
    assert statuses[14:] == [200, 405, 204, 404, 200, 200, 200]
    assert kolba.json.loads(results[1][2]) == {"id": 1, "title": "write tests", "done": False}
    assert ("Location", "/todos/1") in results[1][1]
    assert kolba.json.loads(results[3][2]) == {
        "error": "validation failed",
        "fields": {"title": "must be a non-empty string"},
    }
    assert kolba.json.loads(results[9][2]) == {"error": "not found"}
    assert kolba.json.loads(results[15][2]) == {"error": "method not allowed"}
    assert kolba.json.loads(results[18][2]) == [{"id": 1, "title": "write tests", "done": True}]
    assert ("Allow", "DELETE, GET, HEAD, OPTIONS, PATCH") in results[20][1]


# -- hooks, a g-based current user, after_this_request cookies ----------------------------------

USERS = {"token-ann": "ann", "token-bob": "bob"}


def hooks_app(mod: ModuleType) -> t.Any:
    app, _ = framework(mod)
    app.config["SECRET_KEY"] = "docs secret"
    request, g, session = mod.request, mod.g, mod.session
    log: list[str] = []

    @app.before_request
    def load_user() -> t.Any:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        g.user = USERS.get(token)
        log.append(f"user={g.user}")
        if request.endpoint == "admin" and g.user != "ann":
            return {"error": "forbidden"}, 403
        return None

    @app.after_request
    def add_headers(response: t.Any) -> t.Any:
        response.headers["X-User"] = g.get("user") or "anonymous"
        response.headers["X-Request-Count"] = str(len(log))
        return response

    @app.teardown_request
    def forget_user(exc: BaseException | None) -> None:
        g.pop("user", None)

    @app.route("/")
    def index() -> t.Any:
        if g.user is None:
            return "Hello, stranger!"
        return f"Hello, {g.user}!"

    @app.route("/admin")
    def admin() -> t.Any:
        return {"admin": g.user}

    @app.route("/theme/<name>", methods=["POST"])
    def set_theme(name: str) -> t.Any:
        @mod.after_this_request
        def remember_theme(response: t.Any) -> t.Any:
            response.set_cookie("theme", name, max_age=3600, httponly=True)
            return response

        session["visits"] = session.get("visits", 0) + 1
        return mod.redirect(mod.url_for("index"))

    @app.route("/theme")
    def show_theme() -> t.Any:
        return {
            "theme": request.cookies.get("theme", "light"),
            "visits": session.get("visits", 0),
        }

    return app


def test_hooks_app_matches_flask() -> None:
    ann = {"headers": {"Authorization": "Bearer token-ann"}}
    bob = {"headers": {"Authorization": "Bearer token-bob"}}
    requests: list[tuple[str, str, dict[str, t.Any]]] = [
        ("GET", "/", {}),
        ("GET", "/", ann),
        ("GET", "/admin", bob),
        ("GET", "/admin", ann),
        ("GET", "/admin", {}),
        ("GET", "/theme", {}),
        ("POST", "/theme/dark", ann),
        ("GET", "/theme", {}),
        ("POST", "/theme/blue", {}),
        ("GET", "/theme", {}),
        ("GET", "/missing", bob),
    ]
    results = run_both(hooks_app, requests)
    assert [(s, b) for s, _, b in results[:2]] == [
        (200, b"Hello, stranger!"),
        (200, b"Hello, ann!"),
    ]
    assert results[2][0] == 403 and kolba.json.loads(results[2][2]) == {"error": "forbidden"}
    assert kolba.json.loads(results[3][2]) == {"admin": "ann"}
    assert dict(results[3][1])["X-User"] == "ann"
    assert dict(results[4][1])["X-User"] == "anonymous"
    status, headers, _ = results[6]
    assert status == 302 and dict(headers)["Location"] == "/"
    cookies = [v for k, v in headers if k == "Set-Cookie"]
    assert any(c.startswith("theme=dark; Expires=") and "Max-Age=3600" in c for c in cookies)
    assert any(c.startswith("session=") for c in cookies)
    assert kolba.json.loads(results[7][2]) == {"theme": "dark", "visits": 1}
    assert kolba.json.loads(results[9][2]) == {"theme": "blue", "visits": 2}
    assert results[10][0] == 404 and dict(results[10][1])["X-User"] == "bob"
