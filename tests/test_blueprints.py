"""Blueprints, compared with Flask's: prefixes, names, nesting, hooks, handlers, url_for."""

# The apps are built on either framework through ``t.Any``, so their decorators are untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import typing as t
from types import ModuleType

import flask
import pytest

import kolba

FRAMEWORKS = [flask, kolba]
IDS = ["flask", "kolba"]


def make(mod: ModuleType) -> t.Any:
    cls = mod.Flask if mod is flask else mod.Kolba
    app = cls("bp_app", static_folder=None)
    app.config.update(TESTING=True, SECRET_KEY="k")
    return app


def answers(
    mod: ModuleType, build: t.Callable[[ModuleType, t.Any], None], paths: list[str]
) -> list[t.Any]:
    app = make(mod)
    build(mod, app)
    client = app.test_client()
    out = []
    for path in paths:
        method, _, path = path.rpartition(" ")
        rv = client.open(path, method=method or "GET")
        out.append((rv.status_code, rv.get_data(as_text=True), rv.headers.get("Location")))
    return out


def same(build: t.Callable[[ModuleType, t.Any], None], paths: list[str]) -> list[t.Any]:
    expected = answers(flask, build, paths)
    got = answers(kolba, build, paths)
    assert got == expected
    return got


def test_prefix_endpoint_names_and_url_for() -> None:
    def build(mod: ModuleType, app: t.Any) -> None:
        bp = mod.Blueprint("admin", __name__, url_prefix="/admin")

        @bp.route("/")
        def index() -> str:
            return f"{mod.request.endpoint} {mod.request.blueprint} {mod.url_for('.user', uid=3)}"

        @bp.route("/user/<int:uid>")
        def user(uid: int) -> str:
            return f"{mod.url_for('admin.index')}|{uid}|{mod.url_for('home')}"

        @app.route("/")
        def home() -> str:
            return str(mod.url_for("admin.user", uid=1, q="x"))

        app.register_blueprint(bp)

    got = same(build, ["/admin/", "/admin/user/7", "/", "/admin", "/nope"])
    assert got[0] == (200, "admin.index admin /admin/user/3", None)
    assert got[1][1] == "/admin/|7|/"
    assert got[2][1] == "/admin/user/1?q=x"
    assert got[3][0] == 308


def test_register_twice_under_another_name_and_url_defaults() -> None:
    def build(mod: ModuleType, app: t.Any) -> None:
        bp = mod.Blueprint("pages", __name__, url_defaults={"lang": "en"})

        @bp.route("/hello")
        def hello(lang: str) -> str:
            return f"{mod.request.blueprint}:{lang}:{mod.url_for('.hello')}"

        app.register_blueprint(bp, url_prefix="/en")
        app.register_blueprint(bp, url_prefix="/de", name="pages_de", url_defaults={"lang": "de"})

    got = same(build, ["/en/hello", "/de/hello"])
    assert got == [(200, "pages:en:/en/hello", None), (200, "pages_de:de:/de/hello", None)]


def test_name_clash_errors_match_flask() -> None:
    messages = []
    for mod in FRAMEWORKS:
        app = make(mod)
        bp = mod.Blueprint("x", __name__)
        other = mod.Blueprint("x", __name__)
        app.register_blueprint(bp)
        with pytest.raises(ValueError) as same_bp:
            app.register_blueprint(bp)
        with pytest.raises(ValueError) as other_bp:
            app.register_blueprint(other)
        messages.append((str(same_bp.value), str(other_bp.value)))
        with pytest.raises(ValueError, match="may not contain a dot"):
            mod.Blueprint("a.b", __name__)
        with pytest.raises(ValueError, match="may not be empty"):
            mod.Blueprint("", __name__)
        with pytest.raises(ValueError, match="endpoint"):
            bp2 = mod.Blueprint("y", __name__)
            bp2.add_url_rule("/z", endpoint="a.b", view_func=lambda: "")
    assert messages[0] == messages[1]


def test_nested_blueprints_prefixes_names_and_hooks() -> None:
    def build(mod: ModuleType, app: t.Any) -> None:
        trace: list[str] = []
        parent = mod.Blueprint("parent", __name__, url_prefix="/p")
        child = mod.Blueprint("child", __name__, url_prefix="/c")

        @parent.before_request
        def parent_before() -> None:
            trace.append("parent")

        @child.before_request
        def child_before() -> None:
            trace.append("child")

        @app.before_request
        def app_before() -> None:
            trace.clear()
            trace.append("app")

        @child.route("/leaf")
        def leaf() -> str:
            return f"{mod.request.endpoint} {mod.request.blueprints} {trace} {mod.url_for('.leaf')}"

        @child.errorhandler(404)
        def child_404(e: t.Any) -> tuple[str, int]:
            return "child 404", 404

        @parent.errorhandler(ValueError)
        def parent_value(e: t.Any) -> tuple[str, int]:
            return "parent handled", 400

        @child.route("/boom")
        def boom() -> str:
            raise ValueError("x")

        @child.route("/missing")
        def missing() -> t.Any:
            return mod.abort(404)

        parent.register_blueprint(child)
        app.register_blueprint(parent)

    got = same(build, ["/p/c/leaf", "/p/c/boom", "/p/c/missing", "/p/c/nothing"])
    assert got[0][1] == (
        "parent.child.leaf ['parent.child', 'parent'] ['app', 'parent', 'child'] /p/c/leaf"
    )
    assert got[1] == (400, "parent handled", None)
    assert got[2] == (404, "child 404", None)
    assert got[3][0] == 404 and "child 404" not in got[3][1]


def test_blueprint_and_app_wide_hooks_run_in_flask_order() -> None:
    def build(mod: ModuleType, app: t.Any) -> None:
        trace: list[str] = []
        bp = mod.Blueprint("bp", __name__)

        @bp.before_app_request
        def before_app() -> None:
            trace.append("before_app_request")

        @bp.before_request
        def before_bp() -> None:
            trace.append("bp.before_request")

        @bp.after_request
        def after_bp(r: t.Any) -> t.Any:
            trace.append("bp.after_request")
            return r

        @bp.after_app_request
        def after_app(r: t.Any) -> t.Any:
            trace.append("after_app_request")
            r.headers["X-Trace"] = ",".join(trace)
            trace.clear()
            return r

        @bp.teardown_request
        def teardown_bp(exc: t.Any) -> None:
            trace.append("bp.teardown")

        @bp.app_errorhandler(418)
        def teapot(e: t.Any) -> tuple[str, int]:
            return "app-wide teapot", 418

        @bp.route("/in")
        def inside() -> str:
            return "in"

        @app.route("/out")
        def outside() -> t.Any:
            return mod.abort(418)

        app.register_blueprint(bp)

    for mod in FRAMEWORKS:
        app = make(mod)
        build(mod, app)
        client = app.test_client()
        inside = client.get("/in")
        outside = client.get("/out")
        if mod is flask:
            expected = (inside.headers["X-Trace"], outside.headers["X-Trace"], outside.data)
        else:
            got = (inside.headers["X-Trace"], outside.headers["X-Trace"], outside.data)
    assert got == expected
    assert got[0] == "before_app_request,bp.before_request,bp.after_request,after_app_request"
    assert got[2] == b"app-wide teapot"


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_record_and_record_once(mod: ModuleType) -> None:
    calls: list[tuple[str, bool]] = []
    bp = mod.Blueprint("rec", __name__)
    bp.record(lambda s: calls.append(("record", s.first_registration)))
    bp.record_once(lambda s: calls.append(("once", s.first_registration)))
    app = make(mod)
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="rec2")
    assert calls == [("record", True), ("once", True), ("record", False)]


def test_setup_after_registration_is_refused() -> None:
    for mod in FRAMEWORKS:
        bp = mod.Blueprint("late", __name__)
        make(mod).register_blueprint(bp)
        with pytest.raises(AssertionError, match="already been registered"):
            bp.route("/late")(lambda: "")


def test_subdomain_blueprint() -> None:
    def build(mod: ModuleType, app: t.Any) -> None:
        app.config["SERVER_NAME"] = "example.test"
        bp = mod.Blueprint("api", __name__, subdomain="api")

        @bp.route("/v")
        def version() -> str:
            return str(mod.url_for(".version", _external=True))

        app.register_blueprint(bp)

    for mod in FRAMEWORKS:
        app = make(mod)
        app.subdomain_matching = True
        build(mod, app)
        client = app.test_client()
        rv = client.get("/v", base_url="http://api.example.test")
        assert rv.get_data(as_text=True) == "http://api.example.test/v"
        assert client.get("/v", base_url="http://example.test").status_code == 404


def test_url_value_preprocessor_and_defaults_on_blueprint() -> None:
    def build(mod: ModuleType, app: t.Any) -> None:
        bp = mod.Blueprint("lang", __name__, url_prefix="/<lang_code>")

        @bp.url_defaults
        def add_language_code(endpoint: str, values: dict[str, t.Any]) -> None:
            values.setdefault("lang_code", mod.g.lang_code)

        @bp.url_value_preprocessor
        def pull_lang_code(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
            assert values is not None
            mod.g.lang_code = values.pop("lang_code")

        @bp.route("/about")
        def about() -> str:
            return f"{mod.g.lang_code} {mod.url_for('.about')}"

        app.register_blueprint(bp)

    assert same(build, ["/fr/about"]) == [(200, "fr /fr/about", None)]


def test_blueprint_static_folder(tmp_path: t.Any) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.css").write_text("body{}")
    for mod in FRAMEWORKS:
        app = make(mod)
        bp = mod.Blueprint(
            "ui", __name__, static_folder="assets", root_path=str(tmp_path), url_prefix="/ui"
        )
        app.register_blueprint(bp)
        client = app.test_client()
        with app.test_request_context():
            assert mod.url_for("ui.static", filename="app.css") == "/ui/assets/app.css"
        rv = client.get("/ui/assets/app.css")
        assert (rv.status_code, rv.data) == (200, b"body{}")
        rv.close()
        assert client.get("/ui/assets/../app.css").status_code == 404
