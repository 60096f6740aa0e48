"""Flash messages, session_transaction, and session behaviour users see, compared with Flask."""

# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import os
import typing as t
from datetime import timedelta
from types import ModuleType

import flask
import pytest

import kolba

FRAMEWORKS = [flask, kolba]
IDS = ["flask", "kolba"]


def make(mod: ModuleType, **config: t.Any) -> t.Any:
    cls = mod.Flask if mod is flask else mod.Kolba
    app = cls("web_app", static_folder=None)
    app.config.update(TESTING=True, SECRET_KEY="secret", **config)
    return app


def build_flash(mod: ModuleType) -> t.Any:
    app = make(mod)

    @app.post("/add")
    def add() -> t.Any:
        mod.flash("Saved.")
        mod.flash("Careful!", "warning")
        return mod.redirect(mod.url_for("show"))

    @app.get("/show")
    def show() -> str:
        everything = mod.get_flashed_messages(with_categories=True)
        again = mod.get_flashed_messages()
        warnings = mod.get_flashed_messages(category_filter=["warning"])
        return f"{everything}|{again}|{warnings}"

    return app


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_flash_across_a_redirect(mod: ModuleType) -> None:
    client = build_flash(mod).test_client()
    rv = client.post("/add", follow_redirects=True)
    assert rv.get_data(as_text=True) == (
        "[('message', 'Saved.'), ('warning', 'Careful!')]|['Saved.', 'Careful!']|['Careful!']"
    )
    # Taken out of the session once read: the next page has none.
    assert client.get("/show").get_data(as_text=True) == "[]|[]|[]"


def test_flash_matches_flask_byte_for_byte() -> None:
    out = []
    for mod in FRAMEWORKS:
        client = build_flash(mod).test_client()
        first = client.post("/add")
        second = client.get("/show")
        out.append((first.status_code, first.headers["Location"], second.data))
    assert out[0] == out[1]


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_message_flashed_signal(mod: ModuleType) -> None:
    app = build_flash(mod)
    seen: list[tuple[str, str]] = []

    def record(sender: t.Any, message: str, category: str) -> None:
        seen.append((message, category))

    with mod.message_flashed.connected_to(record, app):
        app.test_client().post("/add")
    assert seen == [("Saved.", "message"), ("Careful!", "warning")]


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_session_transaction(mod: ModuleType) -> None:
    app = make(mod)

    @app.get("/")
    def index() -> str:
        return repr(sorted(mod.session.items()))

    client = app.test_client()
    with client.session_transaction() as sess:
        sess["user_id"] = 42
    assert client.get("/").get_data(as_text=True) == "[('user_id', 42)]"
    with client.session_transaction() as sess:
        assert sess["user_id"] == 42
        del sess["user_id"]
    assert client.get("/").get_data(as_text=True) == "[]"
    with pytest.raises(TypeError, match="Cookies are disabled"):
        with app.test_client(use_cookies=False).session_transaction():
            pass


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_session_cookie_attributes_and_lifetime(mod: ModuleType) -> None:
    app = make(
        mod,
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_PATH="/app",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=1),
    )

    @app.get("/app/login")
    def login() -> str:
        mod.session.permanent = True
        mod.session["u"] = "ann"
        return "in"

    rv = app.test_client().get("/app/login")
    cookie = rv.headers["Set-Cookie"]
    assert cookie.startswith("sid=")
    for part in ("Secure", "HttpOnly", "Path=/app", "SameSite=Lax", "Expires="):
        assert part in cookie
    assert rv.headers["Vary"] == "Cookie"


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_untouched_session_sets_nothing_and_tampered_cookie_is_empty(mod: ModuleType) -> None:
    app = make(mod)

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    @app.get("/read")
    def read() -> str:
        return repr(mod.session.get("u"))

    client = app.test_client()
    rv = client.get("/plain")
    assert "Set-Cookie" not in rv.headers and "Vary" not in rv.headers
    client.set_cookie("session", "eyJ1IjoiZXZlIn0.forged.signature")
    rv = client.get("/read")
    assert (rv.status_code, rv.data) == (200, b"None")
    assert rv.headers["Vary"] == "Cookie"


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_oversized_session_cookie_warns(mod: ModuleType) -> None:
    app = make(mod)

    @app.get("/big")
    def big() -> str:
        # Random text: a repeated one would shrink under the cookie's compression.
        mod.session["blob"] = os.urandom(3000).hex()
        return "ok"

    with pytest.warns(UserWarning, match="cookie is too large"):
        app.test_client().get("/big")


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_writing_a_session_without_a_secret_key_explains(mod: ModuleType) -> None:
    app = make(mod)
    app.config["SECRET_KEY"] = None

    @app.get("/write")
    def write() -> str:
        mod.session["x"] = 1
        return "no"

    with pytest.raises(RuntimeError, match="no secret key was set"):
        app.test_client().get("/write")


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_key_rotation_with_fallbacks(mod: ModuleType) -> None:
    old = make(mod)
    old.config["SECRET_KEY"] = "old"

    @old.get("/set")
    def set_() -> str:
        mod.session["u"] = "ann"
        return ""

    cookie = old.test_client().get("/set").headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    new = make(mod, SECRET_KEY_FALLBACKS=["old"])
    new.config["SECRET_KEY"] = "new"

    @new.get("/get")
    def get() -> str:
        return repr(mod.session.get("u"))

    client = new.test_client()
    client.set_cookie("session", cookie)
    assert client.get("/get").data == b"'ann'"
    plain = make(mod)
    plain.config["SECRET_KEY"] = "new"
    plain.add_url_rule("/get", view_func=get)
    client = plain.test_client()
    client.set_cookie("session", cookie)
    assert client.get("/get").data == b"None"


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
@pytest.mark.parametrize(
    "read",
    [
        lambda s: "x" in s,
        lambda s: s.get("x"),
        lambda s: list(s),
        lambda s: len(s),
        lambda s: list(s.items()),
        lambda s: s.setdefault("y", 1) and None,
    ],
    ids=["in", "get", "iter", "len", "items", "setdefault"],
)
def test_any_read_of_the_session_varies_by_cookie(mod: ModuleType, read: t.Any) -> None:
    app = make(mod)

    @app.get("/")
    def index() -> str:
        read(mod.session)
        return "ok"

    rv = app.test_client().get("/")
    assert rv.headers.get("Vary") == "Cookie"
