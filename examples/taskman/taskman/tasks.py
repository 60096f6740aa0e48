"""The HTML side: the dashboard, task actions and the account page.

Every state change is a POST (CSRF-checked) answered by a redirect, so reloading a page never
repeats an action.
"""

from __future__ import annotations

import typing as t

from kolba import Blueprint, current_app, flash, redirect, request, url_for
from kolba.templating import render_template

from .auth import current_user, login_required
from .db import get_session
from .models import Task
from .queries import (
    clean_query,
    clean_title,
    counts,
    get_owned_task,
    paginate,
    purge_done,
    user_tasks,
)
from .security import new_api_token

bp = Blueprint("tasks", __name__)


def _page_arg() -> int:
    """The ``page`` query argument; anything that is not a positive number means page 1."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 10 and int(raw) > 0 else 1


def render_dashboard(*, title: str = "", errors: dict[str, str] | None = None) -> str:
    user = current_user()
    db = get_session()
    q = clean_query(request.args.get("q", ""))
    per_page = int(current_app.config["TASKS_PER_PAGE"])
    stmt = user_tasks(user, q=q)
    page = paginate(db, stmt, _page_arg(), per_page, newest_first=True)
    if page.page > page.pages:
        # Past the end (a stale link after deletions): show the last page instead.
        page = paginate(db, stmt, page.pages, per_page, newest_first=True)
    return render_template(
        "tasks/dashboard.html",
        page=page,
        counts=counts(db, user),
        q=q,
        title=title,
        errors=errors or {},
    )


@login_required
def index() -> t.Any:
    """The dashboard (registered on the app as ``index``: the site's root)."""
    return render_dashboard()


@bp.route("/tasks", methods=["POST"])
@login_required
def create() -> t.Any:
    title, error = clean_title(request.form.get("title", ""))
    if error:
        return render_dashboard(title=title, errors={"title": error}), 400
    db = get_session()
    db.add(Task(user_id=current_user().id, title=title))
    db.commit()
    flash("Task added.")
    return redirect(url_for("index"))


@bp.route("/tasks/<int:task_id>/toggle", methods=["POST"])
@login_required
def toggle(task_id: int) -> t.Any:
    db = get_session()
    task = get_owned_task(db, current_user(), task_id)
    task.done = not task.done
    db.commit()
    return redirect(url_for("index"))


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@login_required
def edit(task_id: int) -> t.Any:
    db = get_session()
    task = get_owned_task(db, current_user(), task_id)
    if request.method == "GET":
        return render_template("tasks/edit.html", task=task, title=task.title, errors={})
    title, error = clean_title(request.form.get("title", ""))
    if error:
        page = render_template("tasks/edit.html", task=task, title=title, errors={"title": error})
        return page, 400
    task.title = title
    db.commit()
    flash("Task updated.")
    return redirect(url_for("index"))


@bp.route("/tasks/<int:task_id>/delete", methods=["GET", "POST"])
@login_required
def delete(task_id: int) -> t.Any:
    db = get_session()
    task = get_owned_task(db, current_user(), task_id)
    if request.method == "GET":
        # The confirmation page for browsers without JavaScript.
        return render_template("tasks/delete.html", task=task)
    db.delete(task)
    db.commit()
    flash("Task deleted.")
    return redirect(url_for("index"))


@bp.route("/tasks/purge", methods=["POST"])
@login_required
def purge() -> t.Any:
    removed = purge_done(get_session(), current_user())
    flash(f"Removed {removed} completed tasks.")
    return redirect(url_for("index"))


@bp.route("/account")
@login_required
def account() -> t.Any:
    return render_template("account.html", user=current_user())


@bp.route("/account/token", methods=["POST"])
@login_required
def new_token() -> t.Any:
    user = current_user()
    user.api_token = new_api_token()
    get_session().commit()
    flash("A new API token was made; the old one no longer works.")
    return redirect(url_for("tasks.account"))
