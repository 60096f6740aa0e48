"""Hostile or odd input to taskman gives a clear 4xx (or a harmless page), never a 500, on
both databases: PostgreSQL refuses NUL bytes and 32-bit overflows that SQLite accepts."""

from __future__ import annotations

import pytest

from kolba import Kolba
from kolba.testing import KolbaClient

from .conftest import PASSWORD, Browser, add_tasks, csrf_token


@pytest.mark.parametrize(
    "path",
    ["/tasks/99999999999/edit", "/tasks/2147483648/delete", "/tasks/0/edit", "/tasks/abc/edit"],
)
def test_huge_or_bad_task_ids_are_404(signed_in: Browser, path: str) -> None:
    assert signed_in.client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/api/tasks/99999999999", "/api/tasks/-1", "/api/tasks/x"])
def test_huge_or_bad_api_ids_are_404(app: Kolba, signed_in: Browser, path: str) -> None:
    response = signed_in.client.get(path)
    assert response.status_code == 404
    assert set(response.json) == {"error"}


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("\x00", True),
        ("\x7f", True),
        ("pl\x00ain", True),
        ("a\x00b", False),
        ("🙂", False),
        ("%_%", False),
        ("\\%", False),
    ],
)
def test_search_with_odd_characters(
    app: Kolba, signed_in: Browser, alice: int, q: str, found: bool
) -> None:
    """Control characters are dropped from the search (no title contains them)."""
    add_tasks(app, alice, ["plain"])
    response = signed_in.client.get("/", query_string={"q": q})
    assert response.status_code == 200
    assert ('<span class="task-title">plain</span>' in response.text) is found


def test_nul_bytes_in_login_register_and_title(browser: Browser, alice: int) -> None:
    response = browser.login("ali\x00ce", PASSWORD)
    assert response.status_code == 400
    assert "Incorrect username or password." in response.text
    response = browser.submit(
        "/auth/register", "/auth/register", {"username": "nul\x00", "password": "longenough"}
    )
    assert response.status_code == 400
    assert browser.login("alice").status_code == 302
    response = browser.add("bad\x00title")
    assert response.status_code == 400
    assert "Title must not contain control characters." in response.text


@pytest.mark.parametrize("token", ["\x01" * 30, "a" * 5000, "abc def", "é" * 30, "a" * 43 + "\t"])
def test_odd_bearer_tokens_are_401(client: KolbaClient, token: str) -> None:
    header = f"Bearer {token}".encode().decode("latin-1")
    response = client.get("/api/tasks", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_api_title_with_nul_is_422(app: Kolba, signed_in: Browser) -> None:
    token = csrf_token(signed_in.client.get("/").text)
    response = signed_in.client.post(
        "/api/tasks", json={"title": "a\x00b"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 422
    assert response.json["fields"] == {"title": "Title must not contain control characters."}


def test_form_fields_sent_twice_or_missing(signed_in: Browser) -> None:
    token = csrf_token(signed_in.client.get("/").text)
    response = signed_in.client.post("/tasks", data={"csrf_token": token})
    assert response.status_code == 400
    assert "Title must not be empty." in response.text
    response = signed_in.client.post(
        "/tasks", data=[("csrf_token", token), ("title", "first"), ("title", "second")]
    )
    assert response.status_code == 302
