"""The JSON API under ``/api/``.

Authentication is done before the CSRF check, in :func:`taskman.auth.load_user`; every view
here may therefore assume ``g.user`` (except ``status``). Errors are JSON (see
:mod:`taskman.errors`).
"""

from __future__ import annotations

import typing as t

from kolba import Blueprint, Response, jsonify, request, url_for
from kolba.http.exceptions import BadRequest, HTTPException, UnsupportedMediaType

from .auth import current_user
from .db import get_database, get_session
from .models import Task
from .queries import clean_title, get_owned_task, paginate, user_tasks

bp = Blueprint("api", __name__, url_prefix="/api")

PER_PAGE_DEFAULT = 20
PER_PAGE_MAX = 100


class ValidationFailed(HTTPException):
    """422 with the message for each bad field, so a client can show them beside its inputs."""

    code = 422
    description = "The task is invalid."

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__()
        self.fields = fields


def _int_arg(name: str, default: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise BadRequest(f"'{name}' must be a positive integer.")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise BadRequest(f"'{name}' must be at most {maximum}.")
    return value


def _done_arg() -> bool | None:
    raw = request.args.get("done")
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise BadRequest("'done' must be 'true' or 'false'.")
    return raw == "true"


def _json_body() -> dict[str, t.Any]:
    if not request.is_json:
        raise UnsupportedMediaType("The body must be JSON (Content-Type: application/json).")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return data


def _apply(task: Task, data: dict[str, t.Any], *, require_title: bool) -> None:
    """Validate every field first, then change ``task``: a bad request changes nothing."""
    fields: dict[str, str] = {}
    title: str | None = None
    if "title" in data:
        title, error = clean_title(data["title"])
        if error:
            fields["title"] = error
    elif require_title:
        fields["title"] = "Title is required."
    done = data.get("done")
    if "done" in data and not isinstance(done, bool):
        fields["done"] = "Done must be true or false."
    if fields:
        raise ValidationFailed(fields)
    if title is not None:
        task.title = title
    if isinstance(done, bool):
        task.done = done


@bp.get("/status")
def status() -> t.Any:
    """Liveness and what the app sees of the request: lets deployment tests check ProxyFix."""
    return {
        "status": "ok",
        "database": get_database().backend,
        "remote_addr": request.remote_addr,
        "scheme": request.scheme,
        "external_url": url_for("index", _external=True),
    }


@bp.get("/tasks")
def list_tasks() -> t.Any:
    page_number = _int_arg("page", 1)
    per_page = _int_arg("per_page", PER_PAGE_DEFAULT, PER_PAGE_MAX)
    stmt = user_tasks(current_user(), done=_done_arg())
    page = paginate(get_session(), stmt, page_number, per_page, newest_first=False)
    return {
        "tasks": [task.to_json() for task in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }


@bp.post("/tasks")
def create_task() -> t.Any:
    data = _json_body()
    task = Task(user_id=current_user().id, done=False)
    _apply(task, data, require_title=True)
    db = get_session()
    db.add(task)
    db.commit()
    response = jsonify(task.to_json())
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_task", task_id=task.id)
    return response


@bp.get("/tasks/<int:task_id>")
def get_task(task_id: int) -> t.Any:
    return get_owned_task(get_session(), current_user(), task_id).to_json()


@bp.patch("/tasks/<int:task_id>")
def update_task(task_id: int) -> t.Any:
    db = get_session()
    task = get_owned_task(db, current_user(), task_id)
    _apply(task, _json_body(), require_title=False)
    db.commit()
    return task.to_json()


@bp.delete("/tasks/<int:task_id>")
def delete_task(task_id: int) -> t.Any:
    db = get_session()
    db.delete(get_owned_task(db, current_user(), task_id))
    db.commit()
    return Response(status=204)
