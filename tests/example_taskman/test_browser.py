"""taskman in a real browser: what a user sees and clicks, end to end.

The test client checks the server's answers; only a browser shows that the pieces work
together: the CSRF token travels in real forms, ``static/app.js`` is served and its
``confirm()`` really guards deletion, cookies survive redirects, and the stylesheet lays the
page out without horizontal scrolling on a phone. The app runs with ``TESTING`` and debug off
(as deployed) on the development server in a thread; Debian's Chromium drives it through
Playwright. Every wait is Playwright's own auto-waiting on a condition: no sleeps.
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .browser import ACTION_TIMEOUT_MS, launch, missing_browser_reason, save_screenshot, serve

_reason = missing_browser_reason()
if _reason is not None:  # pragma: no cover - only on machines without the tools
    pytest.skip(_reason, allow_module_level=True)

import taskman  # noqa: E402
from playwright.sync_api import (  # noqa: E402
    Browser,
    Dialog,
    Locator,
    Page,
    Response,
    ViewportSize,
    expect,
    sync_playwright,
)
from taskman.db import get_database  # noqa: E402

USERNAME = "ada"
PASSWORD = "correct horse battery"
#: Wide enough for the desktop layout the README shows.
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
#: An iPhone SE's CSS width: the narrowest phone still common.
PHONE: ViewportSize = {"width": 375, "height": 667}
#: What an API token looks like on the account page: one long run of URL-safe characters.
TOKEN = re.compile(r"^\s*[A-Za-z0-9_-]{20,}\s*$")
LONG_TITLE = (
    "Read https://example.org/a/rather/long/address/without/a/single/space/in/it/index.html"
    " and summarise the internationalisation requirements"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module (starting it is the slowest step); each test gets a fresh
    context, so no cookies or storage leak between tests."""
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    """taskman as deployed (debug and testing off, CSRF on) over a fresh SQLite file."""
    app = taskman.create_app(
        {
            "TESTING": False,
            "DEBUG": False,
            "SECRET_KEY": "browser test secret key",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'taskman.sqlite3'}",
        }
    )
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    try:
        with serve(app) as url:
            yield url
    finally:
        get_database(app).engine.dispose()


def new_page(browser: Browser, base_url: str, viewport: ViewportSize) -> Page:
    """A page in a fresh context (its own cookies), with relative URLs against the app."""
    context = browser.new_context(base_url=base_url, viewport=viewport)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    page = new_page(browser, base_url, DESKTOP)
    try:
        yield page
    finally:
        page.context.close()


def submit_credentials(page: Page, username: str, password: str) -> None:
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=password]").press("Enter")


def register_and_sign_in(page: Page, username: str = USERNAME) -> None:
    """The shortest path to a signed-in dashboard, for tests about what comes after."""
    page.goto("/auth/register")
    submit_credentials(page, username, PASSWORD)
    expect(page).to_have_url(_ends_with("/auth/login"))
    submit_credentials(page, username, PASSWORD)
    expect(page.locator("#count-total")).to_have_text("0")


def add_task(page: Page, title: str) -> None:
    form = page.locator("form#new-task")
    form.locator("input[name=title]").fill(title)
    form.locator("input[name=title]").press("Enter")
    # The new task's row, not the flash: the page before may already say "Task added.".
    expect(task(page, title)).to_have_count(1)
    expect(page.locator("#flashes .flash")).to_have_text("Task added.")


def task(page: Page, title: str) -> Locator:
    """The ``li.task`` whose title is exactly ``title``."""
    return page.locator("ul#tasks li.task").filter(
        has=page.locator(".task-title", has_text=_exact(title))
    )


def expect_counters(page: Page, total: int, pending: int, done: int) -> None:
    expect(page.locator("#count-total")).to_have_text(str(total))
    expect(page.locator("#count-pending")).to_have_text(str(pending))
    expect(page.locator("#count-done")).to_have_text(str(done))


def expect_csrf_tokens(page: Page) -> None:
    """Every form that POSTs carries the CSRF token (the contract; CSRF is on)."""
    expect(page.locator("form[method=post i]").first).to_be_attached()
    missing = page.locator("form[method=post i]:not(:has(input[type=hidden][name=csrf_token]))")
    expect(missing).to_have_count(0)


def _ends_with(path: str) -> re.Pattern[str]:
    return re.compile(re.escape(path) + r"$")


def _exact(text: str) -> re.Pattern[str]:
    return re.compile(r"^\s*" + re.escape(text) + r"\s*$")


def test_a_user_signs_up_manages_tasks_and_signs_out(page: Page) -> None:
    # Only a browser sees these: a script that throws, or a stylesheet or script not served.
    problems: list[str] = []
    static: set[str] = set()

    def on_response(response: Response) -> None:
        path = urlsplit(response.url).path
        if path.startswith("/static/"):
            static.add(path)
            if response.status not in (200, 304):
                problems.append(f"{response.status} for {path}")

    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("response", on_response)

    # Signed out, the dashboard sends you to sign in.
    page.goto("/")
    expect(page).to_have_url(_ends_with("/auth/login"))

    # Sign up: a short password is refused next to the field, the username is kept.
    page.goto("/auth/register")
    submit_credentials(page, USERNAME, "short")
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator(".field-error")).to_contain_text("8")
    expect(page.locator("input[name=username]")).to_have_value(USERNAME)
    expect_csrf_tokens(page)
    submit_credentials(page, USERNAME, PASSWORD)
    expect(page).to_have_url(_ends_with("/auth/login"))
    expect(page.locator("#flashes .flash")).to_be_visible()

    # Sign in: a wrong password first.
    submit_credentials(page, USERNAME, "not the password")
    expect(page.get_by_text("Incorrect username or password.")).to_be_visible()
    expect_csrf_tokens(page)
    submit_credentials(page, USERNAME, PASSWORD)
    expect(page).to_have_url(_ends_with("/"))
    expect_counters(page, 0, 0, 0)

    # Add tasks. An empty title is stopped by the browser (the input is ``required``); one of
    # only spaces gets past it and is refused by the server, with the error on the dashboard.
    for title in ["Buy milk", "Write the report", "Call the bank", "Water the plants"]:
        add_task(page, title)
    expect(page.locator("ul#tasks li.task")).to_have_count(4)
    title_input = page.locator("form#new-task input[name=title]")
    title_input.fill("")
    title_input.press("Enter")
    assert title_input.evaluate("input => input.validationMessage") != ""
    expect(page.locator(".field-error")).to_have_count(0)
    title_input.fill("   ")
    title_input.press("Enter")
    expect(page.locator(".field-error")).to_be_visible()
    expect(page.locator("ul#tasks li.task")).to_have_count(4)
    expect_counters(page, 4, 4, 0)
    expect_csrf_tokens(page)

    # Toggle one done: its class and the counters follow.
    task(page, "Write the report").locator("button.toggle").click()
    expect(task(page, "Write the report")).to_have_class(_has_class("done"))
    expect(task(page, "Buy milk")).not_to_have_class(_has_class("done"))
    expect_counters(page, 4, 3, 1)

    # Edit a title on its own page.
    task(page, "Call the bank").locator("a.edit").click()
    edit_title = page.locator("input[name=title]")
    expect(edit_title).to_have_value("Call the bank")
    expect_csrf_tokens(page)
    edit_title.fill("Call the bank about the loan")
    edit_title.press("Enter")
    expect(task(page, "Call the bank about the loan")).to_have_count(1)
    expect(page.locator("#flashes .flash")).to_have_text("Task updated.")
    expect(task(page, "Call the bank")).to_have_count(0)

    # Search narrows the list (newest first, as the whole list is); clearing it shows all.
    search = page.locator("form#search input[name=q]")
    search.fill("the")
    search.press("Enter")
    expect(page).to_have_url(_ends_with("/?q=the"))
    expect(page.locator("ul#tasks .task-title")).to_have_text(
        [
            _exact("Water the plants"),
            _exact("Call the bank about the loan"),
            _exact("Write the report"),
        ]
    )
    search.fill("")
    search.press("Enter")
    expect(page.locator("ul#tasks li.task")).to_have_count(4)

    # Delete asks first: dismissing keeps the task, accepting removes it.
    dialogs: list[str] = []

    def answer(accept: bool) -> t.Callable[[Dialog], None]:
        def handle(dialog: Dialog) -> None:
            dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    task(page, "Buy milk").locator("button.delete").click()
    assert dialogs == ["confirm: Delete this task?"]
    page.once("dialog", answer(True))
    task(page, "Call the bank about the loan").locator("button.delete").click()
    expect(task(page, "Call the bank about the loan")).to_have_count(0)
    assert dialogs == ["confirm: Delete this task?"] * 2
    expect(task(page, "Buy milk")).to_have_count(1)
    expect_counters(page, 3, 2, 1)

    # Purge the completed tasks, after confirming.
    page.once("dialog", answer(True))
    page.locator("form#purge").locator("button, input[type=submit]").click()
    expect(page.locator("#flashes .flash")).to_have_text("Removed 1 completed tasks.")
    assert len(dialogs) == 3 and dialogs[2].startswith("confirm: "), dialogs
    expect(task(page, "Write the report")).to_have_count(0)
    expect_counters(page, 2, 2, 0)

    # The account page makes an API token; a new one replaces it, and with a Bearer header
    # only the token counts (the browser's session cookie travels too).
    page.goto("/account")
    expect(page.locator("#api-token")).to_have_text("")
    expect_csrf_tokens(page)
    make_token = page.locator("form[action$='/account/token']").locator("button")
    make_token.click()
    expect(page.locator("#api-token")).to_have_text(TOKEN)
    old_token = page.locator("#api-token").inner_text()
    make_token.click()
    expect(page.locator("#api-token")).not_to_have_text(old_token)
    expect(page.locator("#api-token")).to_have_text(TOKEN)
    new_token = page.locator("#api-token").inner_text()
    api = page.request.get("/api/tasks", headers={"Authorization": f"Bearer {new_token}"})
    assert api.status == 200
    assert sorted(item["title"] for item in api.json()["tasks"]) == ["Buy milk", "Water the plants"]
    api = page.request.get("/api/tasks", headers={"Authorization": f"Bearer {old_token}"})
    assert api.status == 401
    assert api.headers.get("www-authenticate", "").startswith("Bearer")

    # Sign out: back to the sign-in page, and the dashboard is closed again.
    page.locator("form[action$='/auth/logout']").locator("button, input[type=submit]").click()
    expect(page).to_have_url(_ends_with("/auth/login"))
    expect(page.locator("#flashes .flash")).to_have_text("You have been signed out.")
    page.goto("/")
    expect(page).to_have_url(_ends_with("/auth/login"))

    assert static == {"/static/style.css", "/static/app.js"}
    assert problems == []


def _has_class(name: str) -> re.Pattern[str]:
    return re.compile(r"(^|\s)" + re.escape(name) + r"(\s|$)")


def seed_dashboard(page: Page) -> None:
    """A signed-in dashboard with a few tasks, one of them done: what the README shows."""
    register_and_sign_in(page)
    for title in ["Plan the sprint", "Review pull requests", "Write release notes", "Book travel"]:
        add_task(page, title)
    task(page, "Review pull requests").locator("button.toggle").click()
    expect_counters(page, 4, 3, 1)


def test_dashboard_screenshot(page: Page, tmp_path: Path) -> None:
    seed_dashboard(page)
    page.goto("/")  # a clean dashboard, without the last flash message
    expect(page.locator("ul#tasks li.task.done")).to_have_count(1)
    path = save_screenshot(page, tmp_path)
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert page.viewport_size == DESKTOP


def test_phone_width_does_not_scroll_sideways(browser: Browser, base_url: str) -> None:
    page = new_page(browser, base_url, PHONE)
    try:
        overflowing = {}
        for path in ["/auth/login", "/auth/register", "/", "/account"]:
            if path == "/":
                seed_dashboard(page)
                # Long words and URLs are what push a narrow page sideways.
                add_task(page, LONG_TITLE)
            page.goto(path)
            expect(page.locator("body")).to_be_visible()
            scroll, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert inner == PHONE["width"]
            if scroll > inner:
                overflowing[path] = scroll
        assert overflowing == {}, f"pages wider than the {PHONE['width']} px screen"
    finally:
        page.context.close()
