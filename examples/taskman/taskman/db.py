"""The database: one engine per app, one ORM session per app context, and ``init-db``.

The engine lives in ``app.extensions["taskman"]`` rather than in a module global, so several
apps (tests against SQLite and PostgreSQL, say) can live in one process.
"""

from __future__ import annotations

import typing as t

import click
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from kolba import Kolba, current_app, g
from kolba.cli import with_appcontext

from .models import Base


class Database:
    """The engine and session factory of one app."""

    __slots__ = ("engine", "sessions", "backend")

    def __init__(self, url: str) -> None:
        url = normalize_url(url)
        self.engine: Engine = create_engine(url)
        self.backend: str = self.engine.dialect.name
        if self.backend == "sqlite":
            event.listen(self.engine, "connect", _sqlite_on_connect)
        # expire_on_commit=False: a view may still read an object it just committed (to
        # render it or turn it into JSON) without another round trip.
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)


def normalize_url(url: str) -> str:
    """Send plain ``postgresql://`` (and Heroku-style ``postgres://``) URLs through psycopg 3.

    SQLAlchemy's default PostgreSQL driver is psycopg2, which this app does not depend on.
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_on_connect(dbapi_connection: t.Any, connection_record: t.Any) -> None:
    """SQLite ignores foreign keys unless asked, per connection: ask, so deleting a user
    deletes their tasks and a task never points at a missing user."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def get_database(app: Kolba | None = None) -> Database:
    db = (app or current_app).extensions["taskman"]
    assert isinstance(db, Database)
    return db


def get_session() -> Session:
    """The ORM session of the current app context, opened on first use."""
    session: Session | None = g.get("db_session")
    if session is None:
        session = get_database().sessions()
        g.db_session = session
    return session


def close_session(exc: BaseException | None = None) -> None:
    """Close the context's session at teardown, rolling back anything left uncommitted."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def create_tables(app: Kolba, *, drop: bool = False) -> None:
    engine = get_database(app).engine
    if drop:
        Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)


@click.command("init-db")
@click.option("--drop", is_flag=True, help="Drop the existing tables first (loses all data).")
@with_appcontext
def init_db_command(drop: bool) -> None:
    """Create the database tables (existing ones are kept unless --drop is given)."""
    create_tables(current_app, drop=drop)
    click.echo("Dropped and recreated the tables." if drop else "Initialized the database.")


def init_app(app: Kolba) -> None:
    app.extensions["taskman"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)
    app.cli.add_command(init_db_command)
