"""Registration, login and logout, and the ``g.user`` every other view relies on."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from .db import get_db

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("auth", __name__, url_prefix="/auth")

# The tutorial hashes with werkzeug.security, which Kolba does not ship; these two functions
# keep its "method$salt$hash" shape on top of the standard library's scrypt. The parameters
# travel inside the stored hash, so raising them later still verifies older passwords.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def generate_password_hash(password: str) -> str:
    """Hash ``password`` with a fresh random salt, in a string that names how it was made."""
    salt = secrets.token_hex(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt.encode(), n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P
    )
    return f"scrypt:{_SCRYPT_N}:{_SCRYPT_R}:{_SCRYPT_P}${salt}${digest.hex()}"


def check_password_hash(pwhash: str, password: str) -> bool:
    """Say whether ``password`` produced ``pwhash``; a malformed hash matches nothing."""
    try:
        method, salt, expected = pwhash.split("$", 2)
        name, n, r, p = method.split(":")
        if name != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    # Constant time, so the comparison does not tell an attacker how much of a guess matched.
    return hmac.compare_digest(digest.hex(), expected)


def login_required(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """Send anonymous visitors to the login page instead of running ``view``."""

    @functools.wraps(view)
    def wrapped_view(**kwargs: Any) -> ResponseReturnValue:
        if g.user is None:
            return redirect(url_for("auth.login"))

        return view(**kwargs)

    return wrapped_view


@bp.before_app_request
def load_logged_in_user() -> None:
    """Load the session's user into ``g.user`` (``None`` when nobody is logged in).

    It runs before every request of the app, not only this blueprint's, because the blog and
    the navigation bar need to know the user too.
    """
    user_id = session.get("user_id")

    if user_id is None:
        g.user = None
    else:
        g.user = get_db().execute("SELECT * FROM user WHERE id = ?", (user_id,)).fetchone()


@bp.route("/register", methods=("GET", "POST"))
def register() -> ResponseReturnValue:
    """Create an account; a taken name is reported as a message, not a server error."""
    if request.method == "POST":
        username = request.form["username"]
        password = request.form["password"]
        db = get_db()
        error = None

        if not username:
            error = "Username is required."
        elif not password:
            error = "Password is required."

        if error is None:
            try:
                db.execute(
                    "INSERT INTO user (username, password) VALUES (?, ?)",
                    (username, generate_password_hash(password)),
                )
                db.commit()
            except db.IntegrityError:
                # The UNIQUE constraint decides whether a name is free, so two registrations
                # racing for one name cannot both win.
                error = f"User {username} is already registered."
            else:
                return redirect(url_for("auth.login"))

        flash(error)

    return render_template("auth/register.html")


@bp.route("/login", methods=("GET", "POST"))
def login() -> ResponseReturnValue:
    """Check the credentials and keep the user's id in the signed session cookie."""
    if request.method == "POST":
        username = request.form["username"]
        password = request.form["password"]
        db = get_db()
        error = None
        user = db.execute("SELECT * FROM user WHERE username = ?", (username,)).fetchone()

        if user is None:
            error = "Incorrect username."
        elif not check_password_hash(user["password"], password):
            error = "Incorrect password."

        if error is None:
            # A fresh session, so nothing from before the login carries over into it.
            session.clear()
            session["user_id"] = user["id"]
            return redirect(url_for("index"))

        flash(error)

    return render_template("auth/login.html")


@bp.route("/logout")
def logout() -> ResponseReturnValue:
    """Forget the user by emptying the session."""
    session.clear()
    return redirect(url_for("index"))
