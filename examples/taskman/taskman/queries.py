"""Task queries shared by the HTML views and the JSON API: ownership, search, counts, pages."""

from __future__ import annotations

import math
import typing as t

from sqlalchemy import Select, case, delete, func, select
from sqlalchemy.orm import Session

from kolba import abort

from .models import TITLE_MAX, Task, User

#: The largest value an INTEGER primary key holds on every backend.
MAX_ID = 2**31 - 1


def clean_query(text: str) -> str:
    """A search text as it can match: stripped, without control characters (titles never
    contain them, and PostgreSQL refuses NUL in a query parameter)."""
    return "".join(ch for ch in text if ch.isprintable()).strip()


class Page(t.NamedTuple):
    items: list[Task]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


class Counts(t.NamedTuple):
    total: int
    pending: int
    done: int


def escape_like(text: str) -> str:
    """Escape LIKE's wildcards so a search for ``50%`` finds "50%" and not "50 apples"."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def user_tasks(user: User, *, q: str = "", done: bool | None = None) -> Select[Task]:
    stmt = select(Task).where(Task.user_id == user.id)
    if q:
        stmt = stmt.where(Task.title.ilike(f"%{escape_like(q)}%", escape="\\"))
    if done is not None:
        stmt = stmt.where(Task.done.is_(done))
    return stmt


def paginate(
    db: Session, stmt: Select[Task], page: int, per_page: int, *, newest_first: bool
) -> Page:
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    order = Task.id.desc() if newest_first else Task.id.asc()
    items = list(db.scalars(stmt.order_by(order).limit(per_page).offset((page - 1) * per_page)))
    return Page(items, page, per_page, total)


def counts(db: Session, user: User) -> Counts:
    """Total, pending and done in one query."""
    done_sum = func.coalesce(func.sum(case((Task.done.is_(True), 1), else_=0)), 0)
    row = db.execute(select(func.count(Task.id), done_sum).where(Task.user_id == user.id)).one()
    total, done = int(row[0]), int(row[1])
    return Counts(total, total - done, done)


def get_owned_task(db: Session, user: User, task_id: int) -> Task:
    """The user's task, or 404: another user's task is indistinguishable from a missing one,
    so ids cannot be probed."""
    # An id beyond a 32-bit column would be a database error (a 500) on PostgreSQL.
    task = db.get(Task, task_id) if 0 < task_id <= MAX_ID else None
    if task is None or task.user_id != user.id:
        abort(404)
    return task


def purge_done(db: Session, user: User) -> int:
    result = db.execute(delete(Task).where(Task.user_id == user.id, Task.done.is_(True)))
    db.commit()
    return int(getattr(result, "rowcount", 0))


def clean_title(value: object) -> tuple[str, str | None]:
    """The stripped title and an error message, or ``None`` when it is valid."""
    if not isinstance(value, str):
        return "", "Title must be a string."
    title = value.strip()
    if not title:
        return title, "Title must not be empty."
    if len(title) > TITLE_MAX:
        return title, f"Title must be at most {TITLE_MAX} characters."
    if not title.isprintable():
        return title, "Title must not contain control characters."
    return title, None
