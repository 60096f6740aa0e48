"""The ORM models: users and their tasks.

Plain SQLAlchemy 2.0 declarative classes, so the same schema works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: The longest task title the app accepts (the column is sized to match).
TITLE_MAX = 300


def utcnow() -> dt.datetime:
    """Timestamps are stored in UTC, so the API reports the same instant on every backend."""
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    #: ``scrypt$n$r$p$salt$hash``: the parameters travel with the hash, so they can be raised
    #: later without breaking existing accounts.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: The API token is shown on the account page, so it is kept as is; it is random and long
    #: (32 bytes), and making a new one replaces it.
    api_token: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)

    tasks: Mapped[list[Task]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class Task(Base):
    __tablename__ = "tasks"
    # Every listing filters by owner and orders by id: one index serves them all.
    __table_args__ = (Index("ix_tasks_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="tasks")

    def created_at_iso(self) -> str:
        """The creation time as ISO 8601 in UTC.

        SQLite hands back naive datetimes and PostgreSQL aware ones in the session's time
        zone: both are normalised here so the API answers alike.
        """
        value = self.created_at
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat()

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "done": self.done,
            "created_at": self.created_at_iso(),
        }
