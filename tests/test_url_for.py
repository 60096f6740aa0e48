"""``url_for`` through the app: query strings, externals, anchors, methods, roots, hooks, errors.

Views return the URLs they build as JSON; the same app runs on Flask and the two answers must
be equal, so every URL below is Flask's URL.
"""

# The same builder runs on Kolba and Flask, so ``app`` is typed Any and its decorators too.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import io
import typing as t
from collections.abc import Callable
from types import ModuleType

import flask
import pytest
import werkzeug.routing

import kolba
from kolba import Kolba
from kolba.routing import BuildError

Build = Callable[[t.Any, ModuleType], None]


def _apps(build: Build, **config: t.Any) -> tuple[Kolba, flask.Flask]:
    k = Kolba("url_app")
    f = flask.Flask("url_app")
    for app, mod in ((k, kolba), (f, flask)):
        app.config.update(TESTING=True, **config)
        build(app, mod)
    return k, f


def _same_json(apps: tuple[Kolba, flask.Flask], path: str, **kwargs: t.Any) -> t.Any:
    rk = apps[0].test_client().get(path, **kwargs)
    rf = apps[1].test_client().get(path, **kwargs)
    assert rk.status == rf.status
    assert rk.get_json() == rf.get_json()
    return rk.get_json()


def _build_errors(fw: ModuleType, calls: list[Callable[[], str]]) -> list[str]:
    out = []
    for call in calls:
        try:
            out.append(call())
        except Exception as e:
            out.append(f"{type(e).__name__}: {e}")
    return out


def _urls(app: t.Any, fw: ModuleType) -> None:
    @app.route("/u/<int:id>")
    def user(id: int) -> str:
        return "user"

    @app.route("/p/<path:rest>")
    def pathy(rest: str) -> str:
        return rest

    @app.route("/", methods=["GET", "POST"])
    def index() -> t.Any:
        uf = fw.url_for
        return _build_errors(
            fw,
            [
                lambda: uf("user", id=3),
                lambda: uf("user", id=3, q="a b", z=["1", "2"], e="é", none=None),
                lambda: uf("user", id=3, _external=True),
                lambda: uf("user", id=3, _scheme="https", _external=True),
                lambda: uf("user", id=3, _scheme="https"),
                lambda: uf("user", id=3, _anchor="a b#c"),
                lambda: uf("user", id=3, _external=True, _anchor="top"),
                lambda: uf("index", _method="POST"),
                lambda: uf("index", _method="DELETE"),
                lambda: uf("pathy", rest="a b/ü/c?d"),
                lambda: uf("nope"),
                lambda: uf("user"),
                lambda: uf("user", id="x"),
                lambda: uf(".user", id=1),
            ],
        )


@pytest.fixture(scope="module")
def url_apps() -> tuple[Kolba, flask.Flask]:
    return _apps(_urls)


def test_url_for_forms_match_flask(url_apps: tuple[Kolba, flask.Flask]) -> None:
    urls = _same_json(url_apps, "/")
    assert urls[0] == "/u/3"
    assert urls[1] == "/u/3?q=a+b&z=1&z=2&e=%C3%A9"
    assert urls[2] == "http://localhost/u/3"
    assert urls[3] == "https://localhost/u/3"
    assert urls[5] == "/u/3#a%20b#c"
    assert urls[6] == "http://localhost/u/3#top"
    assert urls[7] == "/"


def test_build_error_messages_match_flask(url_apps: tuple[Kolba, flask.Flask]) -> None:
    urls = _same_json(url_apps, "/")
    assert (
        urls[10]
        == "BuildError: Could not build url for endpoint 'nope'. Did you mean 'index' instead?"
    )
    assert "Did you forget to specify values ['id']?" in urls[11]
    assert "('DELETE')" in urls[8]


def test_script_name_prefix_via_base_url(url_apps: tuple[Kolba, flask.Flask]) -> None:
    urls = _same_json(url_apps, "/", base_url="https://example.org/pre/")
    assert urls[0] == "/pre/u/3"
    assert urls[2] == "https://example.org/pre/u/3"


def _wsgi_json(app: t.Any, environ: dict[str, t.Any]) -> t.Any:
    seen: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Any:
        seen.append(status)
        return lambda data: None

    body_iter = app(environ, start_response)
    try:
        body = b"".join(body_iter)
    finally:
        getattr(body_iter, "close", lambda: None)()
    assert seen == ["200 OK"]
    return flask.json.loads(body)


def test_script_name_prefix_via_environ(url_apps: tuple[Kolba, flask.Flask]) -> None:
    def environ() -> dict[str, t.Any]:
        return {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "/mount",
            "PATH_INFO": "/",
            "QUERY_STRING": "",
            "SERVER_NAME": "internal",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "public.example",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": io.StringIO(),
        }

    urls = _wsgi_json(url_apps[0], environ())
    assert urls == _wsgi_json(url_apps[1], environ())
    assert urls[0] == "/mount/u/3"
    assert urls[2] == "http://public.example/mount/u/3"


def test_server_name_outside_request() -> None:
    config = {
        "SERVER_NAME": "srv.example:8080",
        "APPLICATION_ROOT": "/root",
        "PREFERRED_URL_SCHEME": "https",
    }
    k, f = _apps(_urls, **config)
    for app, fw in ((k, kolba), (f, flask)):
        with app.app_context():
            assert fw.url_for("user", id=1) == "https://srv.example:8080/root/u/1"
            assert fw.url_for("user", id=1, _external=False) == "/root/u/1"
            assert fw.url_for("user", id=1, _scheme="http") == "http://srv.example:8080/root/u/1"


def test_outside_request_without_server_name_raises(app: Kolba) -> None:
    app.add_url_rule("/a", "a", lambda: "a")
    with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        kolba.url_for("a")


def test_outside_any_context_raises() -> None:
    with pytest.raises(RuntimeError):
        kolba.url_for("a")


def test_url_for_in_test_request_context(app: Kolba) -> None:
    app.add_url_rule("/a/<x>", "a", lambda x: x)
    with app.test_request_context("/", base_url="http://h.example/app/"):
        assert kolba.url_for("a", x="1") == "/app/a/1"
        assert kolba.url_for("a", x="1", _external=True) == "http://h.example/app/a/1"


def _lang(app: t.Any, fw: ModuleType) -> None:
    """The lang_code example from Flask's "URL processors" documentation."""

    @app.url_defaults
    def add_language_code(endpoint: str, values: dict[str, t.Any]) -> None:
        if "lang_code" in values or not fw.g.get("lang_code"):
            return
        if app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
            values["lang_code"] = fw.g.lang_code

    @app.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        fw.g.lang_code = values.pop("lang_code", None) if values else None

    @app.route("/<lang_code>/")
    def index() -> t.Any:
        return {"lang": fw.g.lang_code, "about": fw.url_for("about"), "plain": fw.url_for("plain")}

    @app.route("/<lang_code>/about")
    def about() -> t.Any:
        return {
            "lang": fw.g.lang_code,
            "index": fw.url_for("index"),
            "de": fw.url_for("index", lang_code="de"),
        }

    @app.route("/plain")
    def plain() -> t.Any:
        return {"lang": fw.g.lang_code}


def test_url_defaults_and_value_preprocessor() -> None:
    apps = _apps(_lang)
    assert _same_json(apps, "/en/") == {"lang": "en", "about": "/en/about", "plain": "/plain"}
    assert _same_json(apps, "/fr/about") == {"lang": "fr", "index": "/fr/", "de": "/de/"}
    assert _same_json(apps, "/plain") == {"lang": None}


def test_url_build_error_handlers() -> None:
    def build(app: t.Any, fw: ModuleType) -> None:
        def fallback(error: Exception, endpoint: str, values: dict[str, t.Any]) -> str:
            if endpoint == "external":
                return f"https://other.example/{values.get('x', '')}"
            raise error

        app.url_build_error_handlers.append(fallback)

        @app.route("/")
        def index() -> t.Any:
            return _build_errors(
                fw, [lambda: fw.url_for("external", x="y"), lambda: fw.url_for("missing")]
            )

    urls = _same_json(_apps(build), "/")
    assert urls[0] == "https://other.example/y"
    assert urls[1].startswith("BuildError: Could not build url for endpoint 'missing'")


def test_build_error_type_and_message(app: Kolba) -> None:
    app.add_url_rule("/a/<int:n>", "a", lambda n: "a")
    with app.test_request_context("/"):
        with pytest.raises(BuildError) as info:
            kolba.url_for("b")
        # Flask gives the same suggestion: its 'static' endpoint scores higher than 'a'.
        assert (
            str(info.value)
            == "Could not build url for endpoint 'b'. Did you mean 'static' instead?"
        )
        assert info.value.endpoint == "b"
        with pytest.raises(BuildError, match=r"Did you forget to specify values \['n'\]"):
            kolba.url_for("a")


def test_build_error_is_werkzeug_compatible_name() -> None:
    assert BuildError.__name__ == werkzeug.routing.BuildError.__name__
    assert issubclass(BuildError, LookupError)


def test_app_url_for_method(app: Kolba) -> None:
    app.add_url_rule("/a", "a", lambda: "a")
    with app.test_request_context("/"):
        assert app.url_for("a", _external=True) == "http://localhost/a"


def test_static_endpoint(app: Kolba) -> None:
    with app.test_request_context("/"):
        assert kolba.url_for("static", filename="x y.css") == "/static/x%20y.css"
