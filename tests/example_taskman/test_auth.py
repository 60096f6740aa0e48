"""Accounts: sign up with validation, sign in, sign out, and how passwords are stored."""

from __future__ import annotations

import base64
import hashlib
import typing as t

import pytest
from sqlalchemy import select
from taskman.db import get_database
from taskman.models import User
from taskman.security import verify_password

from kolba import Kolba
from kolba.testing import KolbaClient

from .conftest import PASSWORD, Browser


def stored_hash(app: Kolba, username: str) -> str:
    with get_database(app).sessions() as db:
        user = db.scalars(select(User).where(User.username == username)).one()
        return user.password_hash


def register(browser: Browser, username: str, password: str) -> t.Any:
    return browser.submit(
        "/auth/register", "/auth/register", {"username": username, "password": password}
    )


def test_signed_out_root_redirects_to_login(client: KolbaClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"


def test_register_then_login_then_logout(app: Kolba, browser: Browser) -> None:
    response = register(browser, "bob", "longenough")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    page = browser.client.get("/auth/login").text
    assert '<p class="flash" role="status">Account created. Please sign in.</p>' in page

    response = browser.login("bob", "longenough")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    dashboard = browser.client.get("/")
    assert dashboard.status_code == 200
    assert 'id="nav-account">bob</a>' in dashboard.text

    response = browser.submit("/", "/auth/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert browser.client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("username", "password", "field", "message"),
    [
        ("ab", "longenough", "username", "Username must be at least 3 characters."),
        ("   ", "longenough", "username", "Username must be at least 3 characters."),
        ("x" * 81, "longenough", "username", "Username must be at most 80 characters."),
        ("two words", "longenough", "username", "must not contain spaces"),
        ("carol", "short", "password", "Password must be at least 8 characters."),
        ("carol", "p" * 1025, "password", "Password must be at most 1024 characters."),
    ],
)
def test_register_validation(
    app: Kolba, browser: Browser, username: str, password: str, field: str, message: str
) -> None:
    response = register(browser, username, password)
    assert response.status_code == 400
    assert f'<p class="field-error" id="{field}-error">' in response.text
    assert message in response.text
    with get_database(app).sessions() as db:
        assert db.scalars(select(User)).all() == []


def test_register_keeps_the_username_and_escapes_it(browser: Browser) -> None:
    response = register(browser, "<b>eve</b>", "short")
    assert response.status_code == 400
    assert 'value="&lt;b&gt;eve&lt;/b&gt;"' in response.text
    assert "<b>eve</b>" not in response.text


def test_register_reports_both_fields(browser: Browser) -> None:
    response = register(browser, "ab", "short")
    assert response.status_code == 400
    assert 'id="username-error"' in response.text
    assert 'id="password-error"' in response.text


def test_register_duplicate_username(app: Kolba, browser: Browser, alice: int) -> None:
    response = register(browser, "alice", "longenough")
    assert response.status_code == 400
    assert "That username is already taken." in response.text
    assert 'value="alice"' in response.text
    with get_database(app).sessions() as db:
        assert len(db.scalars(select(User)).all()) == 1


def test_register_strips_the_username(app: Kolba, browser: Browser) -> None:
    assert register(browser, "  dave  ", "longenough").status_code == 302
    assert browser.login("dave", "longenough").status_code == 302


def test_password_is_salted_scrypt_not_plaintext(app: Kolba, browser: Browser) -> None:
    register(browser, "user1", "same password")
    register(browser, "user2", "same password")
    first, second = stored_hash(app, "user1"), stored_hash(app, "user2")
    assert "same password" not in first
    scheme, n, r, p, salt_b64, hash_b64 = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    salt = base64.b64decode(salt_b64)
    assert len(salt) == 16
    expected = hashlib.scrypt(b"same password", salt=salt, n=2**14, r=8, p=1, dklen=32)
    assert base64.b64decode(hash_b64) == expected
    # Same password, different salt: different hashes.
    assert first.split("$")[4] != second.split("$")[4]
    assert first.split("$")[5] != second.split("$")[5]
    assert verify_password(first, "same password")
    assert not verify_password(first, "same passwort")


@pytest.mark.parametrize(
    "stored", ["", "plain", "md5$1$1$1$AA==$AA==", "scrypt$x$8$1$AA==$AA==", "scrypt$16$8$1$!$AA=="]
)
def test_malformed_stored_hash_never_matches(stored: str) -> None:
    assert not verify_password(stored, "anything")


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong password"), ("nobody", PASSWORD), ("", "")]
)
def test_login_failure(browser: Browser, alice: int, username: str, password: str) -> None:
    response = browser.login(username, password)
    assert response.status_code == 400
    assert "Incorrect username or password." in response.text
    assert f'value="{username}"' in response.text
    assert browser.client.get("/").status_code == 302


def test_login_success_sets_a_fresh_session(browser: Browser, alice: int) -> None:
    with browser.client.session_transaction() as session:
        session["planted"] = "by an attacker"
    assert browser.login("alice").status_code == 302
    with browser.client.session_transaction() as session:
        assert session["user_id"] == alice
        assert "planted" not in session


def test_logout_is_post_only(client: KolbaClient) -> None:
    assert client.get("/auth/logout").status_code == 405


def test_login_and_logout_need_csrf(client: KolbaClient, alice: int) -> None:
    response = client.post("/auth/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert "The CSRF token is missing." in response.text
    with client.session_transaction() as session:
        session["user_id"] = alice
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_deleted_user_session_is_signed_out(app: Kolba, client: KolbaClient) -> None:
    with client.session_transaction() as session:
        session["user_id"] = 4242
    assert client.get("/").status_code == 302
