"""Fixtures for the taskman tests: the app on SQLite and on PostgreSQL, and helpers that act as
a browser does (reading the CSRF token from the page it just rendered)."""

from __future__ import annotations

import functools
import re
import shutil
import typing as t

import jinja2
import jinja2.bccache
import pytest
from sqlalchemy import text
from taskman import create_app
from taskman.db import create_tables, get_database
from taskman.models import Base, User
from taskman.security import hash_password

from kolba import Kolba
from kolba.testing import KolbaClient

from . import pgserver

PASSWORD = "correct horse battery"
_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def postgres_url() -> t.Iterator[str]:
    reason = pgserver.missing_reason()
    if reason is not None:
        pytest.skip(reason)
    server = pgserver.PostgresServer()
    try:
        server.start()
        yield server.url
    finally:
        server.stop()


def _reset_postgres(app: Kolba) -> None:
    """Empty every table between tests: faster than recreating them."""
    engine = get_database(app).engine
    Base.metadata.create_all(engine)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates shared by the apps of the whole run: each test builds a new app (so a
    new Jinja environment), and compiling the templates again for each was a third of the
    suite's time."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CACHE = _MemoryBytecodeCache()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with the tables made once; each test starts from a copy (creating the
    tables costs several synced writes)."""
    path = tmp_path_factory.mktemp("taskman-sqlite") / "template.sqlite3"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}"})
    create_tables(app)
    get_database(app).engine.dispose()
    return str(path)


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: t.Any) -> t.Iterator[Kolba]:
    """The taskman app in testing mode, with empty tables, on each database."""
    if request.param == "sqlite":
        path = tmp_path / "taskman.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
    app = create_app({"TESTING": True, "SECRET_KEY": "test key", "DATABASE_URL": url})
    app.jinja_env.bytecode_cache = _TEMPLATE_CACHE
    if request.param == "postgresql":
        _reset_postgres(app)
    try:
        yield app
    finally:
        get_database(app).engine.dispose()


@pytest.fixture
def client(app: Kolba) -> KolbaClient:
    return app.test_client()


@functools.cache
def password_hash() -> str:
    """One scrypt hash for the whole run: fixtures make users without paying scrypt's cost."""
    return hash_password(PASSWORD)


def make_user(app: Kolba, username: str) -> int:
    """Insert a user whose password is :data:`PASSWORD`; returns the id."""
    with get_database(app).sessions() as db:
        user = User(username=username, password_hash=password_hash())
        db.add(user)
        db.commit()
        return user.id


def csrf_token(html: str) -> str:
    """The CSRF token a page carries in its forms, as a browser would submit it."""
    match = _TOKEN_RE.search(html)
    assert match is not None, "no csrf_token field on the page"
    return match.group(1)


class Browser:
    """A test client used the way a person uses the site: open a page, submit one of its
    forms (with the page's CSRF token)."""

    def __init__(self, client: KolbaClient) -> None:
        self.client = client

    def submit(
        self, page: str, action: str, data: dict[str, str] | None = None, **kwargs: t.Any
    ) -> t.Any:
        html = self.client.get(page).text
        assert f'action="{action}"' in html, f"no form for {action} on {page}"
        form = {"csrf_token": csrf_token(html), **(data or {})}
        return self.client.post(action, data=form, **kwargs)

    def login(self, username: str, password: str = PASSWORD) -> t.Any:
        return self.submit(
            "/auth/login", "/auth/login", {"username": username, "password": password}
        )

    def add(self, title: str) -> t.Any:
        return self.submit("/", "/tasks", {"title": title})


@pytest.fixture
def browser(client: KolbaClient) -> Browser:
    return Browser(client)


@pytest.fixture
def alice(app: Kolba) -> int:
    return make_user(app, "alice")


@pytest.fixture
def signed_in(app: Kolba, client: KolbaClient, alice: int) -> Browser:
    """A browser signed in as alice (through the session, skipping scrypt: the sign-in form has
    its own tests)."""
    with client.session_transaction() as session:
        session["user_id"] = alice
    return Browser(client)


def add_tasks(app: Kolba, user_id: int, titles: t.Iterable[str], done: bool = False) -> list[int]:
    """Insert tasks directly (fast setup for listing tests); returns their ids in order."""
    from taskman.models import Task

    with get_database(app).sessions() as db:
        tasks = [Task(user_id=user_id, title=title, done=done) for title in titles]
        db.add_all(tasks)
        db.commit()
        return [task.id for task in tasks]
