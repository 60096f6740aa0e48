"""The view helpers (``abort``, ``redirect``, ``make_response``, ``stream_with_context``,
``url_for``) inside and outside contexts, compared with Flask's.
"""

# The apps are built on either framework through ``t.Any``, so their decorators are untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import typing as t
from types import ModuleType

import flask
import pytest
import werkzeug.exceptions
import werkzeug.routing

import kolba
from kolba.http.exceptions import Forbidden, HTTPException, NotFound
from kolba.routing import BuildError

FRAMEWORKS = [kolba, flask]
IDS = ["kolba", "flask"]


def _app(mod: ModuleType, name: str = "helpers") -> t.Any:
    return (flask.Flask if mod is flask else kolba.Kolba)(name)


# --- abort ---------------------------------------------------------------------------------------


def test_abort_outside_any_context_uses_the_plain_aborter() -> None:
    with pytest.raises(NotFound) as ke:
        kolba.abort(404)
    with pytest.raises(werkzeug.exceptions.NotFound) as fe:
        flask.abort(404)
    assert ke.value.code == fe.value.code == 404
    assert str(ke.value) == str(fe.value)
    with pytest.raises(Forbidden, match="no entry"):
        kolba.abort(403, "no entry")


def test_abort_with_a_response_outside_a_context() -> None:
    with pytest.raises(HTTPException) as ke:
        kolba.abort(kolba.Response("teapot", 418))
    assert ke.value.response is not None
    assert ke.value.response.status_code == 418
    assert ke.value.get_response().get_data() == b"teapot"


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_custom_aborter_is_used_inside_a_context(mod: ModuleType) -> None:
    calls: list[tuple[t.Any, ...]] = []

    class Aborter:
        def __call__(self, code: int, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
            calls.append((code, *args))
            raise LookupError(f"custom {code}")

    app = _app(mod)
    app.aborter = Aborter()
    with app.app_context(), pytest.raises(LookupError, match="custom 403"):
        mod.abort(403, "why")
    assert calls == [(403, "why")]
    # Outside the context the app's aborter is not reachable: the plain one answers.
    with pytest.raises(HTTPException if mod is kolba else werkzeug.exceptions.Forbidden):
        mod.abort(403)


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_aborter_mapping_extended_through_the_client(mod: ModuleType) -> None:
    base = Forbidden if mod is kolba else werkzeug.exceptions.Forbidden
    app = _app(mod)

    class Unavailable(base):  # type: ignore[valid-type,misc]
        code = 451
        description = "Gone for legal reasons."

    app.aborter.mapping[451] = Unavailable

    @app.route("/")
    def index() -> str:
        mod.abort(451)
        return "not reached"

    r = app.test_client().get("/")
    assert r.status_code == 451
    assert b"Gone for legal reasons." in r.data


# --- redirect and make_response ------------------------------------------------------------------


def test_redirect_outside_a_context_matches_flask() -> None:
    k = kolba.redirect("/a?b=<c>", 301)
    f = flask.redirect("/a?b=<c>", 301)
    assert isinstance(k, kolba.Response)
    assert (k.status_code, k.headers["Location"], k.get_data()) == (
        f.status_code,
        f.headers["Location"],
        f.get_data(),
    )
    assert k.headers["Location"] == "/a?b=<c>"
    assert b'href="/a?b=&lt;c&gt;"' in k.get_data()


def test_redirect_uses_the_apps_response_class_in_a_context() -> None:
    class MyResponse(kolba.Response):
        pass

    app = kolba.Kolba("r")
    app.response_class = MyResponse
    with app.app_context():
        assert type(kolba.redirect("/x")) is MyResponse
        assert type(kolba.redirect("/x", Response=kolba.Response)) is kolba.Response
    assert type(kolba.redirect("/x")) is kolba.Response


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_make_response_with_no_arguments(mod: ModuleType) -> None:
    with _app(mod).app_context():
        r = mod.make_response()
        assert (r.status_code, r.get_data(), r.mimetype) == (200, b"", "text/html")
        r = mod.make_response("a", 201, {"X": "1"})
        assert (r.status_code, r.headers["X"]) == (201, "1")
        r = mod.make_response(("b", 202))
        assert (r.status_code, r.get_data()) == (202, b"b")


# --- stream_with_context -------------------------------------------------------------------------


def stream_app(mod: ModuleType) -> t.Any:
    app = _app(mod)

    @app.route("/gen")
    def gen_view() -> t.Any:
        @mod.stream_with_context
        def generate(prefix: str) -> t.Iterator[str]:
            yield prefix
            yield mod.request.args["x"]
            yield mod.g.get("tag", "-")

        mod.g.tag = "t"
        return app.response_class(generate("p:"))

    @app.route("/iter")
    def iter_view() -> t.Any:
        def generate() -> t.Iterator[str]:
            yield mod.request.path

        return app.response_class(mod.stream_with_context(generate()))

    return app


@pytest.mark.parametrize(("path", "body"), [("/gen?x=1", b"p:1t"), ("/iter", b"/iter")])
def test_stream_with_context_keeps_the_request(path: str, body: bytes) -> None:
    k = stream_app(kolba).test_client().get(path)
    f = stream_app(flask).test_client().get(path)
    assert k.status_code == f.status_code == 200
    assert k.data == f.data == body


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_stream_with_context_outside_a_request(mod: ModuleType) -> None:
    message = "'stream_with_context' can only be used when a request context is active"
    with pytest.raises(RuntimeError, match=message):
        mod.stream_with_context(iter(["a"]))

    @mod.stream_with_context
    def generate() -> t.Iterator[str]:
        yield "x"

    assert generate.__name__ == "generate"
    with pytest.raises(RuntimeError, match=message):
        generate()
    # An app context alone is not enough.
    with _app(mod).app_context(), pytest.raises(RuntimeError, match=message):
        generate()


def test_stream_with_context_closes_the_generator() -> None:
    closed: list[bool] = []

    def generate() -> t.Iterator[str]:
        try:
            yield "a"
            yield "b"
        finally:
            closed.append(True)

    app = kolba.Kolba("s")
    with app.test_request_context("/"):
        stream = kolba.stream_with_context(generate())
    assert next(stream) == "a"
    stream.close()  # type: ignore[attr-defined]
    assert closed == [True]


# --- url_for -------------------------------------------------------------------------------------


def url_app(mod: ModuleType) -> t.Any:
    app = _app(mod)

    @app.route("/")
    def index() -> str:
        return "i"

    return app


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_relative_endpoint_outside_a_blueprint(mod: ModuleType) -> None:
    with url_app(mod).test_request_context("/"):
        assert mod.url_for(".index") == "/"
        assert mod.url_for(".index", q="1") == "/?q=1"


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_scheme_needs_external(mod: ModuleType) -> None:
    app = url_app(mod)
    with app.test_request_context("/"):
        assert mod.url_for("index", _scheme="https") == "https://localhost/"
        with pytest.raises(
            ValueError, match="When specifying '_scheme', '_external' must be True."
        ):
            mod.url_for("index", _scheme="https", _external=False)
    app.config["SERVER_NAME"] = "srv.test"
    with app.app_context():
        assert mod.url_for("index", _scheme="https") == "https://srv.test/"
        with pytest.raises(ValueError, match="'_external' must be True"):
            mod.url_for("index", _scheme="https", _external=False)


def test_outside_a_request_without_server_name_is_flasks_runtime_error() -> None:
    messages = []
    for mod in FRAMEWORKS:
        with url_app(mod).app_context(), pytest.raises(RuntimeError) as e:
            mod.url_for("index")
        messages.append(str(e.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith(
        "Unable to build URLs outside an active request without 'SERVER_NAME' configured."
    )


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_url_for_outside_any_context(mod: ModuleType) -> None:
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        mod.url_for("index")


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_outside_a_request_with_server_name(mod: ModuleType) -> None:
    app = url_app(mod)
    app.config.update(
        SERVER_NAME="srv.test", APPLICATION_ROOT="/root", PREFERRED_URL_SCHEME="https"
    )
    with app.app_context():
        assert mod.url_for("index") == "https://srv.test/root/"
        assert mod.url_for("index", _external=False) == "/root/"
        assert mod.url_for("index", _anchor="a b") == "https://srv.test/root/#a%20b"


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_url_build_error_handler_returning_a_value(mod: ModuleType) -> None:
    app = url_app(mod)
    seen: list[tuple[str, str, list[str]]] = []

    def declines(error: Exception, endpoint: str, values: dict[str, t.Any]) -> None:
        seen.append(("declines", endpoint, sorted(values)))

    def answers(error: Exception, endpoint: str, values: dict[str, t.Any]) -> str | None:
        seen.append(("answers", endpoint, sorted(values)))
        return f"/fallback/{endpoint}?a={values['a']}" if endpoint == "nope" else None

    app.url_build_error_handlers.extend([declines, answers])
    with app.test_request_context("/"):
        assert mod.url_for("nope", a=1) == "/fallback/nope?a=1"
        build_error = BuildError if mod is kolba else werkzeug.routing.BuildError
        with pytest.raises(build_error):
            mod.url_for("other")
    keys = ["_anchor", "_external", "_method", "_scheme", "a"]
    assert seen[:2] == [("declines", "nope", keys), ("answers", "nope", keys)]
    assert len(seen) == 4


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_url_build_error_handler_may_raise_another_build_error(mod: ModuleType) -> None:
    app = url_app(mod)
    build_error = BuildError if mod is kolba else werkzeug.routing.BuildError

    def reraise(error: Exception, endpoint: str, values: dict[str, t.Any]) -> str:
        raise build_error("replacement", {}, None)

    app.url_build_error_handlers.append(reraise)
    with app.test_request_context("/"), pytest.raises(build_error) as e:
        mod.url_for("nope")
    assert t.cast(t.Any, e.value).endpoint == "replacement"


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_relative_endpoint_inside_a_dotted_endpoint(mod: ModuleType) -> None:
    # An endpoint with dots is treated as in a blueprint named by its prefix, as in Flask.
    app = url_app(mod)
    app.add_url_rule("/a/view", endpoint="a.b.view", view_func=lambda: "v")
    app.add_url_rule("/a/other", endpoint="a.b.other", view_func=lambda: "o")
    with app.test_request_context("/a/view"):
        assert mod.request.endpoint == "a.b.view"
        assert mod.url_for(".other") == "/a/other"
        assert mod.url_for("index") == "/"


def test_redirect_to_a_non_ascii_target_is_sent_encoded_like_flask() -> None:
    locations = []
    for mod in FRAMEWORKS:
        app = _app(mod)

        @app.route("/")
        def index(mod: ModuleType = mod) -> t.Any:
            return mod.redirect("/é?q=a b")

        r = app.test_client().get("/")
        locations.append((r.status_code, r.headers["Location"]))
    assert locations[0] == locations[1] == (302, "/%C3%A9?q=a%20b")


def test_redirect_target_with_control_characters_is_encoded_not_split() -> None:
    # Werkzeug refuses such a header with ValueError (an unexpected 500); Kolba encodes it.
    r = kolba.redirect("/a\r\nSet-Cookie: x=1\x7f")
    assert r.headers["Location"] == "/a%0D%0ASet-Cookie: x=1%7F"
    assert "Set-Cookie" not in [k for k, _ in r.headers.items() if k != "Location"]
    assert b'href="/a%0D%0ASet-Cookie: x=1%7F"' in r.get_data()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("On", True), ("0", False), ("", False), ("no", False)],
)
def test_get_debug_flag(value: str, expected: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from kolba.helpers import get_debug_flag

    monkeypatch.setenv("KOLBA_DEBUG", value)
    assert get_debug_flag() is expected
