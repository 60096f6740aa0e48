"""The SQLite connection: one per application context, opened on first use."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import click
from flask import Flask, current_app, g


def get_db() -> sqlite3.Connection:
    """Connect on first use in a context and hand back that same connection afterwards.

    Keeping it on ``g`` means the views of one request share one connection, and requests that
    never touch the database never open it.
    """
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"], detect_types=sqlite3.PARSE_DECLTYPES)
        # Rows addressable by column name, as the templates use them.
        g.db.row_factory = sqlite3.Row
    db: sqlite3.Connection = g.db
    return db


def close_db(e: BaseException | None = None) -> None:
    """Close the context's connection, if it opened one; runs when the context ends."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_db() -> None:
    """Drop and recreate the tables from ``schema.sql``."""
    db = get_db()
    with current_app.open_resource("schema.sql") as f:
        db.executescript(f.read().decode("utf8"))


@click.command("init-db")
def init_db_command() -> None:
    """Clear the existing data and create new tables."""
    init_db()
    click.echo("Initialized the database.")


# SQLite stores timestamps as ISO text; columns declared "timestamp" come back as datetimes.
sqlite3.register_converter("timestamp", lambda v: datetime.fromisoformat(v.decode()))


def init_app(app: Flask) -> None:
    """Attach the database to an app: the factory has no app at import time to decorate."""
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
