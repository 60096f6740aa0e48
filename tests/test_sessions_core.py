"""The signed-cookie session, through the test client, beside Flask's where they must agree.

The cookie format is Flask's on purpose: a user signed in to a Flask app stays signed in after
the app moves to Kolba, and a rollback does not log everyone out.
"""

# The shared Flask/Kolba builder takes Any, so its route decorators are untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import os
import time
import typing as t
from datetime import datetime, timedelta, timezone

import flask
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from kolba import Kolba, session
from kolba.sessions import (
    NullSession,
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    session_json_serializer,
)

SECRET = "shared secret"


def build(framework: str, tmp_path: t.Any, **config: t.Any) -> t.Any:
    """The same small session app on either framework."""
    app: t.Any
    if framework == "kolba":
        app = Kolba("sess_app", root_path=os.fspath(tmp_path))
        sess: t.Any = session
    else:
        app = flask.Flask("sess_app", root_path=os.fspath(tmp_path))
        sess = flask.session
    app.config.update(TESTING=True, SECRET_KEY=SECRET, **config)

    @app.route("/set/<key>/<value>")
    def set_value(key: str, value: str) -> str:
        sess[key] = value
        return "set"

    @app.route("/get/<key>")
    def get_value(key: str) -> str:
        return repr(sess.get(key))

    @app.route("/untouched")
    def untouched() -> str:
        return "nothing"

    @app.route("/permanent")
    def permanent() -> str:
        sess.permanent = True
        sess["p"] = "yes"
        return "perm"

    @app.route("/clear")
    def clear() -> str:
        sess.clear()
        return "cleared"

    @app.route("/types")
    def types() -> str:
        sess["t"] = (1, b"x", datetime(2020, 1, 2, tzinfo=timezone.utc))
        return "types"

    @app.route("/read-types")
    def read_types() -> str:
        value = sess.get("t")
        return f"{type(value).__name__}:{value!r}"

    return app


@pytest.fixture(params=["kolba", "flask"])
def framework(request: pytest.FixtureRequest) -> str:
    return t.cast(str, request.param)


def session_cookie(client: t.Any) -> str | None:
    cookie = client.get_cookie("session")
    return None if cookie is None else t.cast(str, cookie.value)


def test_write_then_read_across_requests(framework: str, tmp_path: t.Any) -> None:
    client = build(framework, tmp_path).test_client()
    assert client.get("/get/a").text == "None"
    response = client.get("/set/a/1")
    assert "Cookie" in response.headers.get("Vary", "")
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith("session=")
    assert "; HttpOnly; Path=/" in set_cookie
    assert "Expires" not in set_cookie
    assert client.get("/get/a").text == "'1'"
    client.get("/set/b/2")
    assert client.get("/get/a").text == "'1'"
    assert client.get("/get/b").text == "'2'"


def test_reading_varies_by_cookie_without_setting_it(framework: str, tmp_path: t.Any) -> None:
    client = build(framework, tmp_path).test_client()
    client.get("/set/a/1")
    response = client.get("/get/a")
    assert response.headers["Vary"] == "Cookie"
    assert "Set-Cookie" not in response.headers


def test_untouched_session_sends_nothing(framework: str, tmp_path: t.Any) -> None:
    client = build(framework, tmp_path).test_client()
    client.get("/set/a/1")
    response = client.get("/untouched")
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


def test_empty_session_read_sets_no_cookie(framework: str, tmp_path: t.Any) -> None:
    client = build(framework, tmp_path).test_client()
    response = client.get("/get/a")
    assert response.headers["Vary"] == "Cookie"
    assert "Set-Cookie" not in response.headers


def test_tampered_cookie_is_an_empty_session(framework: str, tmp_path: t.Any) -> None:
    client = build(framework, tmp_path).test_client()
    client.get("/set/a/1")
    value = session_cookie(client)
    assert value is not None
    client.set_cookie("session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    response = client.get("/get/a")
    assert response.status_code == 200
    assert response.text == "None"


@pytest.mark.parametrize("garbage", ["", "x", "a.b.c", "!!!", "e30.AAAA.BBBB"])
def test_garbage_cookie_is_an_empty_session(framework: str, tmp_path: t.Any, garbage: str) -> None:
    client = build(framework, tmp_path).test_client()
    client.set_cookie("session", garbage)
    response = client.get("/get/a")
    assert (response.status_code, response.text) == (200, "None")


def test_signed_non_dict_payload_is_an_empty_session(tmp_path: t.Any) -> None:
    app = build("kolba", tmp_path)
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    client = app.test_client()
    client.set_cookie("session", serializer.dumps([1, 2]))
    assert client.get("/get/a").text == "None"


def test_expired_cookie_is_an_empty_session(framework: str, tmp_path: t.Any) -> None:
    class OldSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - int(timedelta(days=32).total_seconds())

    old = URLSafeTimedSerializer(
        SECRET,
        salt="cookie-session",
        serializer=session_json_serializer,
        signer=OldSigner,
        signer_kwargs={
            "key_derivation": "hmac",
            "digest_method": SecureCookieSessionInterface.digest_method,
        },
    )
    client = build(framework, tmp_path).test_client()
    client.set_cookie("session", old.dumps({"a": "old"}))
    assert client.get("/get/a").text == "None"


def test_clearing_deletes_the_cookie(framework: str, tmp_path: t.Any) -> None:
    client = build(framework, tmp_path).test_client()
    client.get("/set/a/1")
    response = client.get("/clear")
    header = response.headers["Set-Cookie"]
    assert header.startswith("session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0;")
    assert response.headers["Vary"] == "Cookie"
    assert session_cookie(client) is None


def test_null_session_without_secret_key(tmp_path: t.Any) -> None:
    app = build("kolba", tmp_path)
    app.config["SECRET_KEY"] = None
    client = app.test_client()
    assert client.get("/get/a").text == "None"
    with pytest.raises(RuntimeError, match="no secret key was set"):
        client.get("/set/a/1")
    with app.test_request_context("/"):
        assert isinstance(session._get_current_object(), NullSession)  # type: ignore[attr-defined]
        for action in (
            lambda: session.__setitem__("a", 1),
            lambda: session.__delitem__("a"),
            lambda: session.update(a=1),
            lambda: session.pop("a"),
            lambda: session.setdefault("a", 1),
            session.clear,
            session.popitem,
        ):
            with pytest.raises(RuntimeError, match="no secret key was set"):
                action()


def test_null_session_message_matches_flask(tmp_path: t.Any) -> None:
    messages = []
    for framework in ("kolba", "flask"):
        app = build(framework, tmp_path)
        app.config["SECRET_KEY"] = None
        with pytest.raises(RuntimeError) as info:
            app.test_client().get("/set/a/1")
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_types_round_trip_through_the_cookie(framework: str, tmp_path: t.Any) -> None:
    client = build(framework, tmp_path).test_client()
    client.get("/types")
    text = client.get("/read-types").text
    assert text == (
        "tuple:(1, b'x', datetime.datetime(2020, 1, 2, 0, 0, tzinfo=datetime.timezone.utc))"
    )


@pytest.mark.parametrize(("writer", "reader"), [("flask", "kolba"), ("kolba", "flask")])
def test_cookie_carries_between_frameworks(writer: str, reader: str, tmp_path: t.Any) -> None:
    write_client = build(writer, tmp_path).test_client()
    write_client.get("/set/user/ada")
    write_client.get("/types")
    value = session_cookie(write_client)
    assert value is not None
    read_client = build(reader, tmp_path).test_client()
    read_client.set_cookie("session", value)
    assert read_client.get("/get/user").text == "'ada'"
    assert read_client.get("/read-types").text.startswith("tuple:(1, b'x', datetime")


def test_payload_is_flask_text(tmp_path: t.Any) -> None:
    # The signed part is the same JSON Flask writes; only the timestamp/signature may differ.
    values = []
    for framework in ("kolba", "flask"):
        client = build(framework, tmp_path).test_client()
        client.get("/set/a/1")
        client.get("/types")
        value = session_cookie(client)
        assert value is not None
        values.append(value.split(".")[0])
    assert values[0] == values[1]


def test_permanent_session_sets_expiry(framework: str, tmp_path: t.Any) -> None:
    app = build(framework, tmp_path, PERMANENT_SESSION_LIFETIME=timedelta(days=2))
    client = app.test_client()
    response = client.get("/permanent")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    expected = datetime.now(timezone.utc) + timedelta(days=2)
    assert abs((cookie.expires - expected).total_seconds()) < 5
    assert "Expires=" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("refresh", [True, False])
def test_refresh_each_request(framework: str, tmp_path: t.Any, refresh: bool) -> None:
    app = build(framework, tmp_path, SESSION_REFRESH_EACH_REQUEST=refresh)
    client = app.test_client()
    client.get("/permanent")
    # A request that never touches the session still re-sends a permanent one to refresh it.
    untouched = client.get("/untouched")
    assert ("Set-Cookie" in untouched.headers) is refresh
    read = client.get("/get/p")
    assert read.text == "'yes'"
    assert ("Set-Cookie" in read.headers) is refresh


def test_non_permanent_session_not_refreshed(framework: str, tmp_path: t.Any) -> None:
    client = build(framework, tmp_path).test_client()
    client.get("/set/a/1")
    assert "Set-Cookie" not in client.get("/get/a").headers


def test_secret_key_fallbacks_rotation(framework: str, tmp_path: t.Any) -> None:
    old_app = build(framework, tmp_path)
    old_app.config["SECRET_KEY"] = "old key"
    old_client = old_app.test_client()
    old_client.get("/set/a/1")
    old_cookie = session_cookie(old_client)
    assert old_cookie is not None

    new_app = build(framework, tmp_path)
    new_app.config["SECRET_KEY"] = "new key"
    no_fallback = new_app.test_client()
    no_fallback.set_cookie("session", old_cookie)
    assert no_fallback.get("/get/a").text == "None"

    new_app.config["SECRET_KEY_FALLBACKS"] = ["older key", "old key"]
    client = new_app.test_client()
    client.set_cookie("session", old_cookie)
    assert client.get("/get/a").text == "'1'"
    # A cookie written now is signed with the current key only.
    client.get("/set/b/2")
    new_cookie = session_cookie(client)
    assert new_cookie is not None
    only_new = build(framework, tmp_path)
    only_new.config["SECRET_KEY"] = "new key"
    check = only_new.test_client()
    check.set_cookie("session", new_cookie)
    assert check.get("/get/b").text == "'2'"


def test_cookie_options_match_flask(tmp_path: t.Any) -> None:
    config = {
        "SESSION_COOKIE_NAME": "sid",
        "SESSION_COOKIE_DOMAIN": "example.com",
        "SESSION_COOKIE_PATH": "/app",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_PARTITIONED": True,
        "SESSION_COOKIE_HTTPONLY": False,
    }
    headers = []
    for framework in ("kolba", "flask"):
        client = build(framework, tmp_path, **config).test_client()
        header = client.get("/set/a/1", base_url="https://example.com").headers["Set-Cookie"]
        name_value, _, attributes = header.partition("; ")
        assert name_value.startswith("sid=")
        headers.append(attributes)
    assert headers[0] == headers[1]
    assert headers[0] == "Domain=example.com; Secure; Path=/app; SameSite=Lax; Partitioned"


def test_session_mixin_flags() -> None:
    s = SecureCookieSession({"a": 1})
    assert (s.modified, s.accessed) == (False, False)
    assert "a" in s
    assert s.accessed and not s.modified
    s2 = SecureCookieSession()
    for read in (len, list, bool, lambda x: x.keys(), lambda x: x.values(), lambda x: x.items()):
        s2.accessed = False
        read(s2)
        assert s2.accessed, read
    s2.setdefault("k", 1)
    assert s2.modified
    s3 = SecureCookieSession()
    s3.permanent = True
    assert s3.permanent is True and s3["_permanent"] is True and s3.modified


def test_base_interface_is_abstract(tmp_path: t.Any) -> None:
    app = build("kolba", tmp_path)
    interface = SessionInterface()
    with app.test_request_context("/"):
        with pytest.raises(NotImplementedError):
            interface.open_session(app, t.cast(t.Any, None))
        with pytest.raises(NotImplementedError):
            interface.save_session(app, SecureCookieSession(), t.cast(t.Any, None))
    assert interface.is_null_session(interface.make_null_session(app))
    assert not interface.is_null_session(SecureCookieSession())
