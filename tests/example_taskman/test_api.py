"""The JSON API: both ways to authenticate, every endpoint, and every error as JSON."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from taskman.db import get_database
from taskman.models import User
from taskman.security import new_api_token

from kolba import Kolba
from kolba.testing import KolbaClient

from .conftest import Browser, add_tasks, csrf_token, make_user


def give_token(app: Kolba, user_id: int) -> str:
    token = new_api_token()
    with get_database(app).sessions() as db:
        user = db.get(User, user_id)
        assert user is not None
        user.api_token = token
        db.commit()
    return token


class Api:
    """An API client using a bearer token, as a script would."""

    def __init__(self, client: KolbaClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, **kwargs: t.Any) -> t.Any:
        return self.client.open(path, method=method, headers=self.headers, **kwargs)


@pytest.fixture
def api(app: Kolba, client: KolbaClient, alice: int) -> Api:
    return Api(client, give_token(app, alice))


def test_status_needs_no_auth(app: Kolba, client: KolbaClient) -> None:
    response = client.get("/api/status")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": get_database(app).backend,
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "external_url": "http://localhost/",
    }
    assert response.json["database"] in ("sqlite", "postgresql")


def test_create_get_list_patch_delete(api: Api) -> None:
    created = api("POST", "/api/tasks", json={"title": "  Write tests "})
    assert created.status_code == 201
    task = created.json
    assert created.headers["Location"] == f"/api/tasks/{task['id']}"
    assert set(task) == {"id", "title", "done", "created_at"}
    assert (task["title"], task["done"]) == ("Write tests", False)
    stamp = dt.datetime.fromisoformat(task["created_at"])
    assert stamp.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.timezone.utc) - stamp) < dt.timedelta(minutes=5)

    assert api("GET", f"/api/tasks/{task['id']}").json == task
    listing = api("GET", "/api/tasks").json
    assert listing == {"tasks": [task], "page": 1, "per_page": 20, "total": 1, "pages": 1}

    patched = api("PATCH", f"/api/tasks/{task['id']}", json={"done": True})
    assert patched.status_code == 200
    assert patched.json == {**task, "done": True}
    patched = api("PATCH", f"/api/tasks/{task['id']}", json={"title": "Renamed"})
    assert patched.json == {**task, "done": True, "title": "Renamed"}

    deleted = api("DELETE", f"/api/tasks/{task['id']}")
    assert deleted.status_code == 204
    assert deleted.data == b""
    assert api("GET", f"/api/tasks/{task['id']}").status_code == 404


def test_create_done(api: Api) -> None:
    created = api("POST", "/api/tasks", json={"title": "already", "done": True})
    assert created.status_code == 201
    assert created.json["done"] is True


def test_filters_and_paging(app: Kolba, api: Api, alice: int) -> None:
    pending = add_tasks(app, alice, [f"p{n}" for n in range(5)])
    done = add_tasks(app, alice, [f"d{n}" for n in range(3)], done=True)
    add_tasks(app, make_user(app, "bob"), ["bob's"])

    def ids(query: str) -> list[int]:
        response = api("GET", "/api/tasks" + query)
        assert response.status_code == 200
        return [task["id"] for task in response.json["tasks"]]

    assert ids("") == pending + done
    assert ids("?done=false") == pending
    assert ids("?done=true") == done
    assert ids("?per_page=3") == (pending + done)[:3]
    assert ids("?per_page=3&page=3") == (pending + done)[6:]
    assert ids("?per_page=3&page=4") == []
    body = api("GET", "/api/tasks?done=false&per_page=2&page=2").json
    assert {k: v for k, v in body.items() if k != "tasks"} == {
        "page": 2,
        "per_page": 2,
        "total": 5,
        "pages": 3,
    }
    assert ids("?per_page=100") == pending + done


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?done=yes", "'done' must be 'true' or 'false'."),
        ("?done=", "'done' must be 'true' or 'false'."),
        ("?page=0", "'page' must be a positive integer."),
        ("?page=-1", "'page' must be a positive integer."),
        ("?page=x", "'page' must be a positive integer."),
        ("?page=99999999999", "'page' must be a positive integer."),
        ("?per_page=0", "'per_page' must be a positive integer."),
        ("?per_page=101", "'per_page' must be at most 100."),
    ],
)
def test_bad_parameters_are_400(api: Api, query: str, message: str) -> None:
    response = api("GET", "/api/tasks" + query)
    assert response.status_code == 400
    assert response.json == {"error": message}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"title": "Title is required."}),
        ({"title": ""}, {"title": "Title must not be empty."}),
        ({"title": "  "}, {"title": "Title must not be empty."}),
        ({"title": 5}, {"title": "Title must be a string."}),
        ({"title": None}, {"title": "Title must be a string."}),
        ({"title": "x" * 301}, {"title": "Title must be at most 300 characters."}),
        ({"title": "ok", "done": "yes"}, {"done": "Done must be true or false."}),
        ({"title": "ok", "done": 1}, {"done": "Done must be true or false."}),
    ],
)
def test_create_invalid_fields_are_422(api: Api, body: dict[str, t.Any], fields: object) -> None:
    response = api("POST", "/api/tasks", json=body)
    assert response.status_code == 422
    assert response.json == {"error": "The task is invalid.", "fields": fields}
    assert api("GET", "/api/tasks").json["total"] == 0


def test_patch_invalid_changes_nothing(app: Kolba, api: Api, alice: int) -> None:
    (task_id,) = add_tasks(app, alice, ["stay"])
    response = api("PATCH", f"/api/tasks/{task_id}", json={"title": "", "done": True})
    assert response.status_code == 422
    assert set(response.json["fields"]) == {"title"}
    assert api("GET", f"/api/tasks/{task_id}").json["done"] is False


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_body_errors(app: Kolba, api: Api, alice: int, method: str) -> None:
    (task_id,) = add_tasks(app, alice, ["x"])
    path = "/api/tasks" if method == "POST" else f"/api/tasks/{task_id}"
    form = api(method, path, data={"title": "form"})
    assert form.status_code == 415
    assert form.json == {"error": "The body must be JSON (Content-Type: application/json)."}
    plain = api(method, path, data='{"title": "x"}', content_type="text/plain")
    assert plain.status_code == 415
    broken = api(method, path, data='{"title": ', content_type="application/json")
    assert broken.status_code == 400
    assert broken.json == {"error": "The body must be a JSON object."}
    array = api(method, path, json=["title"])
    assert array.status_code == 400
    assert array.json == {"error": "The body must be a JSON object."}


def test_other_users_tasks_are_404(app: Kolba, api: Api) -> None:
    (task_id,) = add_tasks(app, make_user(app, "bob"), ["bob's"])
    for method, kwargs in [("GET", {}), ("PATCH", {"json": {"done": True}}), ("DELETE", {})]:
        response = api(method, f"/api/tasks/{task_id}", **kwargs)
        assert response.status_code == 404
        assert set(response.json) == {"error"}
    assert api("GET", "/api/tasks").json["total"] == 0


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong", "Basic YTpi", "Bearer  "])
def test_unauthenticated_is_401(
    app: Kolba, client: KolbaClient, alice: int, header: str | None
) -> None:
    give_token(app, alice)
    headers = {} if header is None else {"Authorization": header}
    for method, path in [("GET", "/api/tasks"), ("POST", "/api/tasks"), ("GET", "/api/tasks/1")]:
        response = client.open(path, method=method, headers=headers, json={"title": "x"})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.mimetype == "application/json"
        assert set(response.json) == {"error"}


def test_bearer_token_wins_over_the_session(app: Kolba, signed_in: Browser) -> None:
    # Signed in as alice, but a bad bearer token: only the token counts.
    response = signed_in.client.get("/api/tasks", headers={"Authorization": "Bearer bad"})
    assert response.status_code == 401
    bob = make_user(app, "bob")
    add_tasks(app, bob, ["bob's"])
    response = signed_in.client.get(
        "/api/tasks", headers={"Authorization": f"Bearer {give_token(app, bob)}"}
    )
    assert [task["title"] for task in response.json["tasks"]] == ["bob's"]


def test_session_auth_needs_the_csrf_header_for_changes(app: Kolba, signed_in: Browser) -> None:
    client = signed_in.client
    assert client.get("/api/tasks").status_code == 200
    refused = client.post("/api/tasks", json={"title": "no token"})
    assert refused.status_code == 400
    assert refused.json == {"error": "The CSRF token is missing."}
    token = csrf_token(client.get("/").text)
    created = client.post(
        "/api/tasks", json={"title": "with token"}, headers={"X-CSRFToken": token}
    )
    assert created.status_code == 201
    task_id = created.json["id"]
    assert client.patch(f"/api/tasks/{task_id}", json={"done": True}).status_code == 400
    patched = client.patch(
        f"/api/tasks/{task_id}", json={"done": True}, headers={"X-CSRFToken": token}
    )
    assert patched.json["done"] is True
    assert client.delete(f"/api/tasks/{task_id}").status_code == 400
    assert client.delete(f"/api/tasks/{task_id}", headers={"X-CSRFToken": token}).status_code == 204


def test_bearer_requests_need_no_csrf_token(api: Api) -> None:
    assert api("POST", "/api/tasks", json={"title": "scripted"}).status_code == 201


def test_api_404_and_405_are_json(api: Api) -> None:
    missing = api("GET", "/api/nothing-here")
    assert missing.status_code == 404
    assert missing.mimetype == "application/json"
    assert set(missing.json) == {"error"}
    assert api("GET", "/api/tasks/999").status_code == 404
    wrong = api("PUT", "/api/tasks")
    assert wrong.status_code == 405
    assert wrong.mimetype == "application/json"
    assert set(wrong.json) == {"error"}
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert api("POST", "/api/tasks/1", json={}).status_code == 405


def test_api_500_is_json(app: Kolba, api: Api) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/api/boom")
    def boom() -> t.Any:
        raise RuntimeError("secret detail")

    response = api("GET", "/api/boom")
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert "secret detail" not in response.text
    assert set(response.json) == {"error"}
