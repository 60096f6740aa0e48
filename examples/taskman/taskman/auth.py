"""Accounts: sign up, sign in, sign out, and who the current user is.

The signed-in user's id lives in Kolba's signed session cookie; API clients may instead send
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import functools
import re
import typing as t

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kolba import Blueprint, flash, g, redirect, request, session, url_for
from kolba.http.exceptions import Unauthorized
from kolba.templating import render_template

from .db import get_session
from .models import User
from .security import dummy_hash, hash_password, verify_password

bp = Blueprint("auth", __name__, url_prefix="/auth")

USERNAME_MIN = 3
USERNAME_MAX = 80
PASSWORD_MIN = 8
# scrypt hashes whatever it gets: a bound keeps a megabyte "password" from costing CPU.
PASSWORD_MAX = 1024

_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def _unauthorized(message: str) -> Unauthorized:
    """401 that tells the client which scheme to use (RFC 6750)."""
    return Unauthorized(message, www_authenticate="Bearer")


def _bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, ``""`` for any other value, and
    ``None`` when the header is absent."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def load_user() -> None:
    """Set ``g.user`` for this request (before the CSRF check, so an API request without any
    credentials gets 401 rather than a CSRF error).

    When an ``Authorization`` header is sent only the token counts: a browser never adds one on
    its own, and that is what makes such requests safe to exempt from CSRF.
    """
    g.user = None
    token = _bearer_token()
    if token is not None:
        if request.blueprint != "api":
            return
        user = None
        # Only well-formed tokens reach the database (a NUL byte would be an error there).
        if _TOKEN_RE.fullmatch(token):
            user = get_session().scalars(select(User).where(User.api_token == token)).first()
        if user is None:
            raise _unauthorized("The API token is missing or invalid.")
        g.user = user
        return
    user_id = session.get("user_id")
    if isinstance(user_id, int):
        g.user = get_session().get(User, user_id)
    if g.user is None and request.blueprint == "api" and request.endpoint != "api.status":
        raise _unauthorized("Sign in or send an API token.")


def current_user() -> User:
    user = g.user
    assert isinstance(user, User)
    return user


def login_required(view: F) -> F:
    """Send signed-out visitors to the sign-in page."""

    @functools.wraps(view)
    def wrapped(*args: t.Any, **kwargs: t.Any) -> t.Any:
        if g.user is None:
            return redirect(url_for("auth.login"))
        return view(*args, **kwargs)

    return t.cast(F, wrapped)


def validate_registration(username: str, password: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(username) < USERNAME_MIN:
        errors["username"] = f"Username must be at least {USERNAME_MIN} characters."
    elif len(username) > USERNAME_MAX:
        errors["username"] = f"Username must be at most {USERNAME_MAX} characters."
    elif not username.isprintable() or any(c.isspace() for c in username):
        errors["username"] = "Username must not contain spaces or control characters."
    if len(password) < PASSWORD_MIN:
        errors["password"] = f"Password must be at least {PASSWORD_MIN} characters."
    elif len(password) > PASSWORD_MAX:
        errors["password"] = f"Password must be at most {PASSWORD_MAX} characters."
    return errors


@bp.route("/register", methods=["GET", "POST"])
def register() -> t.Any:
    if request.method == "GET":
        return render_template("auth/register.html", username="", errors={})
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    errors = validate_registration(username, password)
    db = get_session()
    if not errors:
        if db.scalars(select(User.id).where(User.username == username)).first() is not None:
            errors["username"] = "That username is already taken."
        else:
            db.add(User(username=username, password_hash=hash_password(password)))
            try:
                db.commit()
            except IntegrityError:
                # Two sign-ups raced for the name: the unique index decided.
                db.rollback()
                errors["username"] = "That username is already taken."
    if errors:
        page = render_template("auth/register.html", username=username, errors=errors)
        return page, 400
    flash("Account created. Please sign in.")
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> t.Any:
    if request.method == "GET":
        return render_template("auth/login.html", username="", error=None)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")[:PASSWORD_MAX]
    user = None
    if username.isprintable():  # (no valid username has control characters)
        user = get_session().scalars(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(dummy_hash(), password)
    elif verify_password(user.password_hash, password):
        # A fresh session on sign-in: nothing planted before it (a fixed session) survives.
        session.clear()
        session["user_id"] = user.id
        return redirect(url_for("index"))
    page = render_template(
        "auth/login.html", username=username, error="Incorrect username or password."
    )
    return page, 400


@bp.route("/logout", methods=["POST"])
def logout() -> t.Any:
    session.clear()
    flash("You have been signed out.")
    return redirect(url_for("auth.login"))
