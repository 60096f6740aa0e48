"""The HTML task pages: every action, its page, ownership, search, pagination and CSRF."""

from __future__ import annotations

import re
import typing as t

import pytest
from sqlalchemy import select
from taskman.db import get_database
from taskman.models import Task

from kolba import Kolba
from kolba.testing import KolbaClient

from .conftest import Browser, add_tasks, csrf_token, make_user


def titles(html: str) -> list[str]:
    return re.findall(r'<span class="task-title">([^<]*)</span>', html)


def counter(html: str, name: str) -> int:
    match = re.search(rf'id="count-{name}">(\d+)<', html)
    assert match is not None
    return int(match.group(1))


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash" role="status">([^<]*)</p>', html)


def all_tasks(app: Kolba) -> list[tuple[str, bool]]:
    with get_database(app).sessions() as db:
        return [(task.title, task.done) for task in db.scalars(select(Task).order_by(Task.id))]


def test_empty_dashboard(signed_in: Browser) -> None:
    html = signed_in.client.get("/").text
    assert [counter(html, n) for n in ("total", "pending", "done")] == [0, 0, 0]
    assert 'id="no-tasks"' in html
    assert '<form method="post" action="/tasks" id="new-task"' in html
    assert '<form method="get" action="/" id="search"' in html
    assert 'id="purge" data-confirm="Remove all completed tasks?"' in html
    assert '<span class="page-current">Page 1 of 1</span>' in html
    assert "page-prev" not in html and "page-next" not in html


def test_add_task(app: Kolba, signed_in: Browser) -> None:
    response = signed_in.add("  Water the plants  ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    html = signed_in.client.get("/").text
    assert flashes(html) == ["Task added."]
    assert titles(html) == ["Water the plants"]
    assert [counter(html, n) for n in ("total", "pending", "done")] == [1, 1, 0]
    (task_id,) = re.findall(r'<li class="task" data-id="(\d+)">', html)
    assert f'action="/tasks/{task_id}/toggle"' in html
    assert f'<a class="edit" href="/tasks/{task_id}/edit">' in html
    assert (
        f'action="/tasks/{task_id}/delete" class="inline delete-form"'
        ' data-confirm="Delete this task?"' in html
    )
    assert '<button type="submit" class="delete">' in html
    assert all_tasks(app) == [("Water the plants", False)]


def test_task_title_is_escaped(signed_in: Browser) -> None:
    signed_in.add("<script>alert(1)</script> & co")
    html = signed_in.client.get("/").text
    assert titles(html) == ["&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"]
    assert "<script>alert(1)" not in html


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "Title must not be empty."),
        ("   ", "Title must not be empty."),
        ("x" * 301, "Title must be at most 300 characters."),
        ("bell\x07", "Title must not contain control characters."),
    ],
)
def test_add_task_invalid(app: Kolba, signed_in: Browser, title: str, message: str) -> None:
    response = signed_in.add(title)
    assert response.status_code == 400
    assert '<p class="field-error" id="title-error">' + message in response.text
    assert 'id="count-total">0<' in response.text
    assert all_tasks(app) == []


def test_title_of_300_characters_is_accepted(app: Kolba, signed_in: Browser) -> None:
    assert signed_in.add("é" * 300).status_code == 302
    assert all_tasks(app) == [("é" * 300, False)]


def test_toggle_and_counters(app: Kolba, signed_in: Browser, alice: int) -> None:
    first, second, _third = add_tasks(app, alice, ["one", "two", "three"])
    for task_id in (first, second, first):
        response = signed_in.submit("/", f"/tasks/{task_id}/toggle")
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
    html = signed_in.client.get("/").text
    assert [counter(html, n) for n in ("total", "pending", "done")] == [3, 2, 1]
    assert f'<li class="task done" data-id="{second}">' in html
    assert f'<li class="task" data-id="{first}">' in html
    assert all_tasks(app) == [("one", False), ("two", True), ("three", False)]


def test_edit(app: Kolba, signed_in: Browser, alice: int) -> None:
    (task_id,) = add_tasks(app, alice, ["old title"])
    form = signed_in.client.get(f"/tasks/{task_id}/edit")
    assert form.status_code == 200
    assert 'value="old title"' in form.text
    url = f"/tasks/{task_id}/edit"
    response = signed_in.submit(url, url, {"title": " new title "})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert flashes(signed_in.client.get("/").text) == ["Task updated."]
    assert all_tasks(app) == [("new title", False)]


def test_edit_invalid_keeps_the_task(app: Kolba, signed_in: Browser, alice: int) -> None:
    (task_id,) = add_tasks(app, alice, ["keep me"])
    url = f"/tasks/{task_id}/edit"
    response = signed_in.submit(url, url, {"title": "y" * 301})
    assert response.status_code == 400
    assert "Title must be at most 300 characters." in response.text
    assert all_tasks(app) == [("keep me", False)]


def test_delete_with_confirmation_page(app: Kolba, signed_in: Browser, alice: int) -> None:
    keep, gone = add_tasks(app, alice, ["keep", "gone"])
    page = signed_in.client.get(f"/tasks/{gone}/delete")
    assert page.status_code == 200
    assert "Delete this task?" in page.text
    assert '<p class="task-title">gone</p>' in page.text
    url = f"/tasks/{gone}/delete"
    response = signed_in.submit(url, url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    html = signed_in.client.get("/").text
    assert flashes(html) == ["Task deleted."]
    assert titles(html) == ["keep"]
    assert all_tasks(app) == [("keep", False)]
    assert signed_in.client.get(f"/tasks/{gone}/edit").status_code == 404


def test_purge_completed(app: Kolba, signed_in: Browser, alice: int) -> None:
    add_tasks(app, alice, ["a", "b", "c"], done=True)
    add_tasks(app, alice, ["d"])
    bob = make_user(app, "bob")
    add_tasks(app, bob, ["bob's done"], done=True)
    response = signed_in.submit("/", "/tasks/purge")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    html = signed_in.client.get("/").text
    assert flashes(html) == ["Removed 3 completed tasks."]
    assert titles(html) == ["d"]
    assert [counter(html, n) for n in ("total", "pending", "done")] == [1, 1, 0]
    # Another user's completed tasks are not touched.
    assert ("bob's done", True) in all_tasks(app)
    signed_in.submit("/", "/tasks/purge")
    assert flashes(signed_in.client.get("/").text) == ["Removed 0 completed tasks."]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/tasks/{id}/toggle"),
        ("GET", "/tasks/{id}/edit"),
        ("POST", "/tasks/{id}/edit"),
        ("GET", "/tasks/{id}/delete"),
        ("POST", "/tasks/{id}/delete"),
    ],
)
def test_other_users_task_is_404(app: Kolba, signed_in: Browser, method: str, path: str) -> None:
    bob = make_user(app, "bob")
    (task_id,) = add_tasks(app, bob, ["bob's secret"])
    token = csrf_token(signed_in.client.get("/").text)
    url = path.format(id=task_id)
    response = signed_in.client.open(
        url, method=method, data={"csrf_token": token, "title": "hijacked"}
    )
    assert response.status_code == 404
    assert '<span id="error-code">404</span> Not Found' in response.text
    assert "bob&#39;s secret" not in response.text and "bob's secret" not in response.text
    assert all_tasks(app) == [("bob's secret", False)]


def test_missing_task_is_404(signed_in: Browser) -> None:
    assert signed_in.client.get("/tasks/999/edit").status_code == 404


def test_dashboard_lists_only_own_tasks(app: Kolba, signed_in: Browser, alice: int) -> None:
    add_tasks(app, make_user(app, "bob"), ["bob's"])
    add_tasks(app, alice, ["mine"])
    html = signed_in.client.get("/").text
    assert titles(html) == ["mine"]
    assert counter(html, "total") == 1


def test_search(app: Kolba, signed_in: Browser, alice: int) -> None:
    add_tasks(app, alice, ["Buy MILK", "buy bread", "Call mum", "100% done", "1000 done", "a_b"])
    add_tasks(app, make_user(app, "bob"), ["buy a boat"])

    def search(q: str) -> list[str]:
        response = signed_in.client.get("/", query_string={"q": q})
        assert response.status_code == 200
        return titles(response.text)

    assert search("buy") == ["buy bread", "Buy MILK"]
    assert search("MILK") == ["Buy MILK"]
    assert search("%") == ["100% done"]
    assert search("0%") == ["100% done"]
    assert search("_") == ["a_b"]
    assert search("nothing") == []
    assert search("  bread  ") == ["buy bread"]
    html = signed_in.client.get("/?q=nothing").text
    assert "No tasks match “nothing”." in html
    assert 'value="nothing"' in html
    # The counters always cover every task.
    assert counter(html, "total") == 6


def test_search_with_backslash(app: Kolba, signed_in: Browser, alice: int) -> None:
    add_tasks(app, alice, [r"C:\temp", "Ctemp"])
    assert titles(signed_in.client.get("/", query_string={"q": "\\"}).text) == [r"C:\temp"]


def test_pagination(app: Kolba, signed_in: Browser, alice: int) -> None:
    add_tasks(app, alice, [f"task {n:02}" for n in range(1, 46)])
    first = signed_in.client.get("/").text
    # Newest first, 20 a page.
    assert titles(first) == [f"task {n:02}" for n in range(45, 25, -1)]
    assert '<span class="page-current">Page 1 of 3</span>' in first
    assert "page-prev" not in first
    assert '<a class="page-next" href="/?page=2">' in first
    second = signed_in.client.get("/?page=2").text
    assert titles(second)[0] == "task 25"
    assert '<a class="page-prev" href="/?page=1">' in second
    assert '<a class="page-next" href="/?page=3">' in second
    third = signed_in.client.get("/?page=3").text
    assert titles(third) == [f"task {n:02}" for n in range(5, 0, -1)]
    assert "page-next" not in third
    # Past the end: the last page; nonsense: the first.
    assert titles(signed_in.client.get("/?page=99").text) == titles(third)
    for bad in ("0", "-1", "abc", "1e3", "99999999999999999999"):
        assert titles(signed_in.client.get(f"/?page={bad}").text) == titles(first)


def test_pagination_keeps_the_search(app: Kolba, signed_in: Browser, alice: int) -> None:
    add_tasks(app, alice, [f"match {n}" for n in range(25)] + ["other"])
    html = signed_in.client.get("/?q=match").text
    assert '<a class="page-next" href="/?q=match&amp;page=2">' in html
    assert len(titles(signed_in.client.get("/?q=match&page=2").text)) == 5


def test_tasks_per_page_config(app: Kolba, signed_in: Browser, alice: int) -> None:
    app.config["TASKS_PER_PAGE"] = 2
    add_tasks(app, alice, ["a", "b", "c"])
    assert titles(signed_in.client.get("/").text) == ["c", "b"]
    assert "Page 1 of 2" in signed_in.client.get("/").text


@pytest.mark.parametrize(
    "path",
    [
        "/tasks",
        "/tasks/{id}/toggle",
        "/tasks/{id}/edit",
        "/tasks/{id}/delete",
        "/tasks/purge",
        "/account/token",
    ],
)
@pytest.mark.parametrize("token", [None, "forged"])
def test_state_changes_refuse_missing_or_bad_csrf(
    app: Kolba, signed_in: Browser, alice: int, path: str, token: str | None
) -> None:
    (task_id,) = add_tasks(app, alice, ["safe"], done=True)
    signed_in.client.get("/")  # the session now holds a CSRF secret, as after any page view
    data = {"title": "changed"}
    if token is not None:
        data["csrf_token"] = token
    response = signed_in.client.post(path.format(id=task_id), data=data)
    assert response.status_code == 400
    expected = "missing" if token is None else "invalid"
    assert f"The CSRF token is {expected}." in response.text
    assert '<span id="error-code">400</span>' in response.text
    assert all_tasks(app) == [("safe", True)]


def test_csrf_token_of_another_session_is_refused(
    app: Kolba, signed_in: Browser, alice: int
) -> None:
    other = app.test_client()
    foreign = csrf_token(other.get("/auth/login").text)
    response = signed_in.client.post("/tasks", data={"title": "x", "csrf_token": foreign})
    assert response.status_code == 400
    assert all_tasks(app) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/account"), ("GET", "/tasks/1/edit"), ("POST", "/tasks")],
)
def test_signed_out_pages_redirect_to_login(client: KolbaClient, method: str, path: str) -> None:
    token = csrf_token(client.get("/auth/login").text)
    response = client.open(path, method=method, data={"csrf_token": token, "title": "x"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"


def test_account_token(app: Kolba, signed_in: Browser) -> None:
    html = signed_in.client.get("/account").text
    assert '<code id="api-token"></code>' in html
    response = signed_in.submit("/account", "/account/token")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    token_re = re.compile(r'<code id="api-token">([^<]+)</code>')
    first = token_re.search(signed_in.client.get("/account").text)
    assert first is not None and len(first.group(1)) >= 40
    signed_in.submit("/account", "/account/token")
    second = re.search(
        r'<code id="api-token">([^<]+)</code>', signed_in.client.get("/account").text
    )
    assert second is not None and second.group(1) != first.group(1)
    api = app.test_client()
    old = api.get("/api/tasks", headers={"Authorization": f"Bearer {first.group(1)}"})
    assert old.status_code == 401
    new = api.get("/api/tasks", headers={"Authorization": f"Bearer {second.group(1)}"})
    assert new.status_code == 200


def test_html_error_pages_use_the_layout(client: KolbaClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert '<link rel="stylesheet" href="/static/style.css">' in response.text
    assert '<span id="error-code">404</span> Not Found' in response.text
    response = client.put("/auth/login")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert '<span id="error-code">405</span>' in response.text


def test_html_500_page(app: Kolba, client: KolbaClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom() -> t.Any:
        raise RuntimeError("secret detail")

    response = client.get("/boom")
    assert response.status_code == 500
    assert '<span id="error-code">500</span> Internal Server Error' in response.text
    assert "secret detail" not in response.text


def test_static_files_and_security_headers(client: KolbaClient) -> None:
    css = client.get("/static/style.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    assert "system-ui" in css.text and "http" not in css.text
    js = client.get("/static/app.js")
    assert js.status_code == 200
    assert "data-confirm" in js.text and "confirm(" in js.text
    page = client.get("/auth/login")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert "onclick" not in page.text and "<script>" not in page.text
