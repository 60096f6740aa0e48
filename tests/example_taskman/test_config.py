"""Configuration: where settings come from, the secret-key guard, proxies, and ``init-db``."""

from __future__ import annotations

import importlib
import os
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from taskman import DEV_SECRET_KEY, create_app
from taskman.db import get_database, get_session, normalize_url
from taskman.models import Task, User

from kolba import Kolba
from kolba.cli import cli

from .conftest import add_tasks, make_user

TESTING = {"TESTING": True, "SECRET_KEY": "test key"}


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test decides which configuration variables exist."""
    for name in list(os.environ):
        if name.startswith("KOLBA_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/from-env.sqlite3"
    monkeypatch.setenv("DATABASE_URL", url)
    app = create_app(TESTING)
    assert app.config["DATABASE_URL"] == url
    assert str(get_database(app).engine.url) == url
    # test_config comes last and wins.
    other = f"sqlite:///{tmp_path}/other.sqlite3"
    assert create_app({**TESTING, "DATABASE_URL": other}).config["DATABASE_URL"] == other


def test_default_database_is_sqlite_in_the_instance_folder() -> None:
    app = create_app(TESTING)
    expected = f"sqlite:///{os.path.join(app.instance_path, 'taskman.sqlite3')}"
    assert app.config["DATABASE_URL"] == expected
    assert os.path.isdir(app.instance_path)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@db:5432/tasks", "postgresql+psycopg://u:p@db:5432/tasks"),
        ("postgres://u@db/tasks", "postgresql+psycopg://u@db/tasks"),
        ("postgresql+psycopg://u@db/tasks", "postgresql+psycopg://u@db/tasks"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgresql_urls_use_psycopg3(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_plain_postgresql_url_gets_the_psycopg_driver() -> None:
    app = create_app({**TESTING, "DATABASE_URL": "postgresql://u@127.0.0.1:1/tasks"})
    database = get_database(app)
    assert database.engine.url.drivername == "postgresql+psycopg"
    assert database.backend == "postgresql"


def test_prefixed_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLBA_SECRET_KEY", "from the environment")
    monkeypatch.setenv("KOLBA_TASKS_PER_PAGE", "5")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from the environment"
    assert app.config["TASKS_PER_PAGE"] == 5
    assert not app.testing and not app.debug


def test_default_secret_key_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="set KOLBA_SECRET_KEY"):
        create_app()
    with pytest.raises(RuntimeError, match="set KOLBA_SECRET_KEY"):
        create_app({"SECRET_KEY": DEV_SECRET_KEY})
    assert create_app({"TESTING": True}).config["SECRET_KEY"] == DEV_SECRET_KEY
    assert create_app({"DEBUG": True}).debug
    monkeypatch.setenv("KOLBA_DEBUG", "1")
    assert create_app().config["SECRET_KEY"] == DEV_SECRET_KEY


def test_cli_commands_that_never_serve_work_without_a_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """The quick start runs ``kolba --app taskman init-db`` before any key is set."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    # The kolba command sets this in os.environ; monkeypatch takes it away again afterwards.
    monkeypatch.setenv("KOLBA_RUN_FROM_CLI", "false")
    runner = CliRunner()
    result = runner.invoke(cli, ["--app", "taskman", "init-db"])
    assert result.exit_code == 0, result.output
    assert "Initialized the database." in result.output
    result = runner.invoke(cli, ["--app", "taskman", "routes"])
    assert result.exit_code == 0, result.output
    assert "api.list_tasks" in result.output and "/tasks/<int:task_id>/toggle" in result.output
    # Inside a command that is not ``run``, yet any other load refuses the key.
    with pytest.raises(RuntimeError, match="set KOLBA_SECRET_KEY"):
        create_app()


def test_wsgi_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLBA_SECRET_KEY", "production key")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.delitem(sys.modules, "taskman.wsgi", raising=False)
    module = importlib.import_module("taskman.wsgi")
    assert isinstance(module.app, Kolba)
    assert module.app.config["SECRET_KEY"] == "production key"
    monkeypatch.delitem(sys.modules, "taskman.wsgi")


def status(app: Kolba, headers: dict[str, str]) -> dict[str, str]:
    response = app.test_client().get("/api/status", headers=headers)
    assert response.status_code == 200
    body: dict[str, str] = response.json
    return body


FORWARDED = {
    "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "tasks.example.com",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Prefix": "/taskman",
}


def test_forwarded_headers_ignored_without_trusted_proxies() -> None:
    body = status(create_app({**TESTING, "DATABASE_URL": "sqlite://"}), FORWARDED)
    assert body["remote_addr"] == "127.0.0.1"
    assert body["scheme"] == "http"
    assert body["external_url"] == "http://localhost/"


def test_trusted_proxies_apply_proxy_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLBA_TRUSTED_PROXIES", "1")
    app = create_app({**TESTING, "DATABASE_URL": "sqlite://"})
    body = status(app, FORWARDED)
    # One trusted proxy: only the last X-Forwarded-For value is believed.
    assert body["remote_addr"] == "203.0.113.9"
    assert body["scheme"] == "https"
    assert body["external_url"] == "https://tasks.example.com/taskman/"


@pytest.mark.parametrize("value", ["many", -1, 1.5, True])
def test_bad_trusted_proxies_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        create_app({**TESTING, "DATABASE_URL": "sqlite://", "TRUSTED_PROXIES": value})


@pytest.mark.parametrize("value", ["20", 0, 1001, None])
def test_bad_tasks_per_page_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="TASKS_PER_PAGE"):
        create_app({**TESTING, "DATABASE_URL": "sqlite://", "TASKS_PER_PAGE": value})


def test_init_db_is_idempotent_and_drop_recreates(app: Kolba) -> None:
    user = make_user(app, "alice")
    add_tasks(app, user, ["survives init-db"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert result.output == "Initialized the database.\n"
    with get_database(app).sessions() as db:
        assert db.scalars(select(Task.title)).all() == ["survives init-db"]
    result = runner.invoke(args=["init-db", "--drop"])
    assert result.exit_code == 0, result.output
    assert result.output == "Dropped and recreated the tables.\n"
    with get_database(app).sessions() as db:
        assert db.scalars(select(Task)).all() == []
        assert db.scalars(select(User)).all() == []


def test_init_db_on_a_fresh_database(tmp_path: object) -> None:
    app = create_app({**TESTING, "DATABASE_URL": f"sqlite:///{tmp_path}/fresh.sqlite3"})
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    client = app.test_client()
    assert client.get("/auth/login").status_code == 200
    get_database(app).engine.dispose()


def test_deleting_a_user_deletes_their_tasks(app: Kolba) -> None:
    """Foreign keys are enforced on both backends (SQLite needs a PRAGMA per connection)."""
    alice = make_user(app, "alice")
    bob = make_user(app, "bob")
    add_tasks(app, alice, ["a1", "a2"])
    add_tasks(app, bob, ["b1"])
    with get_database(app).engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": alice})
    with get_database(app).sessions() as db:
        assert db.scalars(select(Task.title)).all() == ["b1"]


def test_a_task_cannot_point_at_a_missing_user(app: Kolba) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), get_database(app).engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tasks (user_id, title, done, created_at)"
                " VALUES (999, 'x', false, CURRENT_TIMESTAMP)"
            )
        )


def test_one_orm_session_per_app_context_closed_at_teardown(app: Kolba) -> None:
    with app.app_context():
        session = get_session()
        assert get_session() is session
        session.execute(select(1))
        assert session.in_transaction()
    assert not session.in_transaction()
    with app.app_context():
        assert get_session() is not session
