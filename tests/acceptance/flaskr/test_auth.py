"""Registration, login and logout, through the forms and the session a browser would see."""

from __future__ import annotations

import types
from typing import Any

import pytest

from .conftest import AuthActions


def test_register(client: Any, app: Any, flaskr: types.ModuleType) -> None:
    assert client.get("/auth/register").status_code == 200

    response = client.post("/auth/register", data={"username": "a", "password": "a"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"

    with app.app_context():
        user = flaskr.db.get_db().execute("SELECT * FROM user WHERE username = 'a'").fetchone()
    assert user is not None
    # Stored hashed, and the hash verifies.
    assert user["password"] != "a"
    assert flaskr.auth.check_password_hash(user["password"], "a")
    assert not flaskr.auth.check_password_hash(user["password"], "b")


@pytest.mark.parametrize(
    ("username", "password", "message"),
    (
        ("", "", b"Username is required."),
        ("a", "", b"Password is required."),
        ("test", "test", b"already registered"),
    ),
)
def test_register_validate_input(client: Any, username: str, password: str, message: bytes) -> None:
    response = client.post("/auth/register", data={"username": username, "password": password})
    assert response.status_code == 200
    assert message in response.data
    # The message was flashed for this page and consumed by it.
    assert message not in client.get("/auth/register").data


def test_register_missing_field(client: Any) -> None:
    """A form without the field is the client's fault: 400, not a server error."""
    response = client.post("/auth/register", data={"username": "a"})
    assert response.status_code == 400


def test_login(client: Any, auth: AuthActions, web: types.ModuleType) -> None:
    assert client.get("/auth/login").status_code == 200
    response = auth.login()
    assert response.headers["Location"] == "/"

    with client:
        client.get("/")
        assert web.session["user_id"] == 1
        assert web.g.user["username"] == "test"


@pytest.mark.parametrize(
    ("username", "password", "message"),
    (("a", "test", b"Incorrect username."), ("test", "a", b"Incorrect password.")),
)
def test_login_validate_input(
    client: Any,
    auth: AuthActions,
    web: types.ModuleType,
    username: str,
    password: str,
    message: bytes,
) -> None:
    response = auth.login(username, password)
    assert response.status_code == 200
    assert message in response.data
    with client:
        client.get("/")
        assert "user_id" not in web.session


def test_logout(client: Any, auth: AuthActions, web: types.ModuleType) -> None:
    auth.login()

    with client:
        response = auth.logout()
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
        assert "user_id" not in web.session
    assert b"Log In" in client.get("/").data


def test_login_replaces_session(client: Any, auth: AuthActions) -> None:
    """Logging in clears what the session held before, as the tutorial's login does."""
    with client.session_transaction() as sess:
        sess["stale"] = "from before"
    auth.login()
    with client.session_transaction() as sess:
        assert dict(sess) == {"user_id": 1}


def test_register_then_login(client: Any, auth: AuthActions) -> None:
    client.post("/auth/register", data={"username": "new", "password": "pw"})
    assert auth.login("new", "pw").headers["Location"] == "/"
    page = client.get("/").data
    assert b"<span>new</span>" in page
    assert b"Log Out" in page


def test_tampered_session_is_anonymous(client: Any, auth: AuthActions) -> None:
    """A session cookie signed with another key is ignored, not trusted and not a 500."""
    client.set_cookie("session", "eyJ1c2VyX2lkIjoxfQ.AAAAAA.forged")
    response = client.get("/")
    assert response.status_code == 200
    assert b"Log In" in response.data
