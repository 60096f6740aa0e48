"""The blog: reading, the login and author checks, and each change reaching the database."""

from __future__ import annotations

import types
from typing import Any

import pytest

from .conftest import AuthActions


def _post_count(app: Any, flaskr: types.ModuleType) -> int:
    with app.app_context():
        count: int = flaskr.db.get_db().execute("SELECT COUNT(id) FROM post").fetchone()[0]
    return count


def test_index(client: Any, auth: AuthActions) -> None:
    response = client.get("/")
    assert b"Log In" in response.data
    assert b"Register" in response.data
    # Anonymous visitors read posts but get no edit link and no "New".
    assert b"test title" in response.data
    assert b'href="/1/update"' not in response.data
    assert b'href="/create"' not in response.data

    auth.login()
    response = client.get("/")
    assert b"Log Out" in response.data
    assert b"test title" in response.data
    assert b"by test on 2018-01-01" in response.data
    assert b"test\nbody" in response.data
    assert b'href="/1/update"' in response.data
    assert b'href="/create"' in response.data
    assert b'href="/static/style.css"' in response.data


def test_index_newest_first(client: Any, auth: AuthActions) -> None:
    auth.login()
    client.post("/create", data={"title": "later post", "body": "x"})
    page = client.get("/").data
    assert page.index(b"later post") < page.index(b"test title")


@pytest.mark.parametrize("path", ("/create", "/1/update", "/1/delete"))
def test_login_required(client: Any, path: str) -> None:
    response = client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"


def test_author_required(
    app: Any, client: Any, auth: AuthActions, flaskr: types.ModuleType
) -> None:
    # Give the post to the other user.
    with app.app_context():
        db = flaskr.db.get_db()
        db.execute("UPDATE post SET author_id = 2 WHERE id = 1")
        db.commit()

    auth.login()
    # The current user may not change another user's post...
    assert client.post("/1/update").status_code == 403
    assert client.post("/1/delete").status_code == 403
    # ...and is not offered the link.
    assert b'href="/1/update"' not in client.get("/").data
    assert _post_count(app, flaskr) == 1


@pytest.mark.parametrize("path", ("/2/update", "/2/delete"))
def test_exists_required(client: Any, auth: AuthActions, path: str) -> None:
    auth.login()
    response = client.post(path)
    assert response.status_code == 404
    # abort()'s description reaches the error page.
    assert b"Post id 2 doesn&#39;t exist." in response.data


def test_create(client: Any, auth: AuthActions, app: Any, flaskr: types.ModuleType) -> None:
    auth.login()
    assert client.get("/create").status_code == 200
    response = client.post("/create", data={"title": "created", "body": ""})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _post_count(app, flaskr) == 2


def test_update(client: Any, auth: AuthActions, app: Any, flaskr: types.ModuleType) -> None:
    auth.login()
    page = client.get("/1/update")
    assert page.status_code == 200
    assert b'Edit "test title"' in page.data
    assert b'action="/1/delete"' in page.data
    response = client.post("/1/update", data={"title": "updated", "body": ""})
    assert response.headers["Location"] == "/"

    with app.app_context():
        post = flaskr.db.get_db().execute("SELECT * FROM post WHERE id = 1").fetchone()
    assert post["title"] == "updated"


@pytest.mark.parametrize("path", ("/create", "/1/update"))
def test_create_update_validate(client: Any, auth: AuthActions, path: str) -> None:
    auth.login()
    response = client.post(path, data={"title": "", "body": "kept"})
    assert response.status_code == 200
    assert b"Title is required." in response.data
    # The form comes back with what was typed.
    assert b">kept</textarea>" in response.data


def test_delete(client: Any, auth: AuthActions, app: Any, flaskr: types.ModuleType) -> None:
    auth.login()
    response = client.post("/1/delete")
    assert response.headers["Location"] == "/"

    with app.app_context():
        post = flaskr.db.get_db().execute("SELECT * FROM post WHERE id = 1").fetchone()
    assert post is None


def test_delete_is_post_only(client: Any, auth: AuthActions) -> None:
    auth.login()
    response = client.get("/1/delete")
    assert response.status_code == 405
    assert sorted(response.headers["Allow"].split(", ")) == ["OPTIONS", "POST"]


def test_bad_post_id_is_404(client: Any, auth: AuthActions) -> None:
    auth.login()
    assert client.get("/abc/update").status_code == 404
    assert client.get("/-1/update").status_code == 404


def test_markup_is_escaped(client: Any, auth: AuthActions) -> None:
    auth.login()
    client.post("/create", data={"title": "<script>x</script>", "body": "a & b"})
    page = client.get("/").data
    assert b"<script>x</script>" not in page
    assert b"&lt;script&gt;x&lt;/script&gt;" in page
    assert b"a &amp; b" in page
