"""Templates: the same app built on Flask and on Kolba renders the same bytes.

Each test writes its templates into a temporary root folder, builds the app on both frameworks
through :func:`build`, and compares what the test client returns (status, type and body), and
checks the expected text too, so a change on both sides together still fails.
"""

# The apps are built on either framework through ``t.Any``, so their decorators are untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import logging
import os
import pathlib
import typing as t
from types import SimpleNamespace

import flask
import jinja2
import pytest

import kolba
import kolba.signals
from kolba import templating

FLASK = SimpleNamespace(
    App=flask.Flask,
    Blueprint=flask.Blueprint,
    render_template=flask.render_template,
    render_template_string=flask.render_template_string,
    stream_template=flask.stream_template,
    stream_template_string=flask.stream_template_string,
    get_template_attribute=flask.get_template_attribute,
    flash=flask.flash,
    g=flask.g,
    session=flask.session,
    signals=flask.signals,
)
KOLBA = SimpleNamespace(
    App=kolba.Kolba,
    Blueprint=getattr(kolba, "Blueprint", None),
    render_template=templating.render_template,
    render_template_string=templating.render_template_string,
    stream_template=templating.stream_template,
    stream_template_string=templating.stream_template_string,
    get_template_attribute=templating.get_template_attribute,
    flash=getattr(kolba, "flash", None),
    g=kolba.g,
    session=kolba.session,
    signals=kolba.signals,
)
BOTH = pytest.mark.parametrize("fw", [FLASK, KOLBA], ids=["flask", "kolba"])

needs_blueprint = pytest.mark.skipif(
    KOLBA.Blueprint is None, reason="MISSING: kolba.Blueprint (the lead is adding it)"
)
needs_flash = pytest.mark.skipif(
    KOLBA.flash is None, reason="MISSING: kolba.flash (the lead is adding it)"
)


def write(root: pathlib.Path, files: dict[str, str]) -> None:
    """Write ``files`` (path relative to ``root``: text) under ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def build(fw: SimpleNamespace, root: pathlib.Path, **kwargs: t.Any) -> t.Any:
    app = fw.App("tmpl_app", root_path=os.fspath(root), **kwargs)
    app.config.update(SECRET_KEY="test key")
    return app


def fetch(app: t.Any, path: str = "/", **kwargs: t.Any) -> tuple[int, str, str]:
    response = app.test_client().get(path, **kwargs)
    return response.status_code, response.mimetype, response.get_data(as_text=True)


def compare(
    setup: t.Callable[[SimpleNamespace, t.Any], None],
    root: pathlib.Path,
    path: str = "/",
    **kwargs: t.Any,
) -> tuple[int, str, str]:
    """Build the app on both frameworks, run ``setup(fw, app)``, GET ``path``; equal results."""
    results = []
    for fw in (FLASK, KOLBA):
        app = build(fw, root)
        setup(fw, app)
        results.append(fetch(app, path, **kwargs))
    assert results[1] == results[0]
    return results[1]


# -- Autoescaping -------------------------------------------------------------------------------

ESCAPED = "&lt;b&gt;x&amp;y&lt;/b&gt;"


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("page.html", True),
        ("page.htm", True),
        ("page.xml", True),
        ("page.xhtml", True),
        ("page.svg", True),
        ("page.txt", False),
        ("page.HTML", False),
        ("page.jinja", False),
    ],
)
def test_autoescape_by_extension(tmp_path: pathlib.Path, name: str, escaped: bool) -> None:
    write(tmp_path, {f"templates/{name}": "{{ value }}|{{ value|safe }}"})

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        @app.route("/")
        def index() -> str:
            return t.cast(str, fw.render_template(name, value="<b>x&y</b>"))

    _, _, body = compare(setup, tmp_path)
    assert body == (f"{ESCAPED}|<b>x&y</b>" if escaped else "<b>x&y</b>|<b>x&y</b>")


def test_autoescape_strings_and_autoescape_block(tmp_path: pathlib.Path) -> None:
    source = (
        "{{ v }}|{% autoescape false %}{{ v }}{% endautoescape %}|{{ v|e }}|{{ m }}"
        "{% set x = '<i>' %}{{ x }}"
    )

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        @app.route("/")
        def index() -> str:
            from markupsafe import Markup

            return t.cast(str, fw.render_template_string(source, v="<b>x&y</b>", m=Markup("<u>")))

    _, _, body = compare(setup, tmp_path)
    assert body == f"{ESCAPED}|<b>x&y</b>|{ESCAPED}|<u>&lt;i&gt;"


def test_select_jinja_autoescape(app: kolba.Kolba) -> None:
    for name in ("a.html", "a.htm", "a.xml", "a.xhtml", "a.svg", None):
        assert app.select_jinja_autoescape(name) is True
    for name in ("a.txt", "a.js", "html", "a.html.j2"):
        assert app.select_jinja_autoescape(name) is False


# -- Folders ------------------------------------------------------------------------------------


def test_app_template_folder_and_subfolders(tmp_path: pathlib.Path) -> None:
    write(
        tmp_path,
        {
            "templates/index.html": "Hello {{ name }}!",
            "templates/sub/page.html": "sub {{ name }}",
            "custom/other.html": "custom",
        },
    )

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        @app.route("/")
        def index() -> str:
            return t.cast(str, fw.render_template("index.html", name="<W>"))

        @app.route("/sub")
        def sub() -> str:
            return t.cast(str, fw.render_template("sub/page.html", name="x"))

    assert compare(setup, tmp_path) == (200, "text/html", "Hello &lt;W&gt;!")
    assert compare(setup, tmp_path, "/sub")[2] == "sub x"

    for fw in (FLASK, KOLBA):
        app = build(fw, tmp_path, template_folder="custom")
        with app.app_context():
            assert fw.render_template("other.html") == "custom"
            with pytest.raises(jinja2.TemplateNotFound):
                fw.render_template("index.html")


def test_no_template_folder(tmp_path: pathlib.Path) -> None:
    write(tmp_path, {"templates/index.html": "x"})
    app = build(KOLBA, tmp_path, template_folder=None)
    assert app.jinja_loader is None
    with app.app_context():
        assert templating.render_template_string("{{ 1 + 1 }}") == "2"
        with pytest.raises(jinja2.TemplateNotFound):
            templating.render_template("index.html")
    assert app.jinja_env.loader.list_templates() == []


def test_list_of_names_first_existing_wins(tmp_path: pathlib.Path) -> None:
    write(tmp_path, {"templates/b.html": "B", "templates/c.html": "C"})

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        @app.route("/")
        def index() -> str:
            return t.cast(str, fw.render_template(["a.html", "b.html", "c.html"]))

        @app.route("/none")
        def none() -> str:
            return t.cast(str, fw.render_template(["x.html", "y.html"]))

    assert compare(setup, tmp_path)[2] == "B"
    assert compare(setup, tmp_path, "/none")[0] == 500
    for fw in (FLASK, KOLBA):
        app = build(fw, tmp_path)
        with app.app_context():
            template = app.jinja_env.get_template("c.html")
            assert fw.render_template([template, "b.html"]) == "C"
            with pytest.raises(jinja2.TemplatesNotFound) as exc_info:
                fw.render_template(["x.html", "y.html"])
            assert exc_info.value.templates == ["x.html", "y.html"]


def test_template_not_found(tmp_path: pathlib.Path) -> None:
    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        @app.route("/")
        def index() -> str:
            return t.cast(str, fw.render_template("missing.html"))

    status, _, body = compare(setup, tmp_path)
    assert status == 500 and "Internal Server Error" in body
    app = build(KOLBA, tmp_path)
    app.config["TESTING"] = True
    setup(KOLBA, app)
    with pytest.raises(jinja2.TemplateNotFound, match="missing.html"):
        app.test_client().get("/")


def test_rendering_outside_app_context_fails() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        templating.render_template_string("x")
    with pytest.raises(RuntimeError, match="application context"):
        templating.render_template("x.html")
    with pytest.raises(RuntimeError, match="application context"):
        templating.stream_template_string("x")


# -- Blueprints ---------------------------------------------------------------------------------


def _blueprint_files(root: pathlib.Path) -> None:
    write(
        root,
        {
            "templates/shared.html": "app shared",
            "bp1/templates/shared.html": "bp1 shared",
            "bp1/templates/bp1/page.html": "bp1 page {{ x }}",
            "bp2/templates/shared.html": "bp2 shared",
            "bp2/templates/only2.html": "only in bp2",
            "bp2/templates/both.html": "bp2 both",
            "bp1/templates/both.html": "bp1 both",
        },
    )


@needs_blueprint
def test_blueprint_template_folders(tmp_path: pathlib.Path) -> None:
    _blueprint_files(tmp_path)

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        bp1 = fw.Blueprint("bp1", __name__, root_path=os.fspath(tmp_path / "bp1"))
        bp1.template_folder = "templates"
        bp2 = fw.Blueprint(
            "bp2", __name__, template_folder="templates", root_path=os.fspath(tmp_path / "bp2")
        )

        @bp1.route("/<path:name>")
        def page(name: str) -> str:
            return t.cast(str, fw.render_template(name, x=1))

        app.register_blueprint(bp1, url_prefix="/1")
        app.register_blueprint(bp2, url_prefix="/2")

    # The app's folder first, then the blueprints in registration order.
    assert compare(setup, tmp_path, "/1/shared.html")[2] == "app shared"
    assert compare(setup, tmp_path, "/1/only2.html")[2] == "only in bp2"
    assert compare(setup, tmp_path, "/1/both.html")[2] == "bp1 both"
    assert compare(setup, tmp_path, "/1/bp1/page.html")[2] == "bp1 page 1"
    assert compare(setup, tmp_path, "/1/nope.html")[0] == 500

    for fw in (FLASK, KOLBA):
        app = build(fw, tmp_path)
        setup(fw, app)
        assert sorted(app.jinja_env.list_templates()) == [
            "both.html",
            "bp1/page.html",
            "only2.html",
            "shared.html",
        ]


@needs_blueprint
def test_blueprint_registered_after_environment(tmp_path: pathlib.Path) -> None:
    _blueprint_files(tmp_path)
    app = build(KOLBA, tmp_path)
    with app.app_context():
        with pytest.raises(jinja2.TemplateNotFound):
            templating.render_template("only2.html")
    bp2 = KOLBA.Blueprint(
        "bp2", __name__, template_folder="templates", root_path=os.fspath(tmp_path / "bp2")
    )
    app.register_blueprint(bp2)
    with app.app_context():
        assert templating.render_template("only2.html") == "only in bp2"


def test_explain_template_loading(tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path, {"templates/index.html": "hi"})
    app = build(KOLBA, tmp_path)
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    with caplog.at_level(logging.INFO, logger=app.logger.name), app.app_context():
        assert templating.render_template("index.html") == "hi"
        with pytest.raises(jinja2.TemplateNotFound):
            templating.render_template("missing.html")
    found, missing = (r.getMessage() for r in caplog.records)
    folder = os.fspath(tmp_path / "templates")
    assert found.splitlines() == [
        "Locating template 'index.html':",
        "    1: trying loader of application 'tmpl_app'",
        "       class: jinja2.loaders.FileSystemLoader",
        "       encoding: 'utf-8'",
        "       followlinks: False",
        "       searchpath:",
        f"         - {folder}",
        f"       -> found ({os.path.join(folder, 'index.html')!r})",
    ]
    assert missing.splitlines()[-2:] == [
        "       -> no match",
        "Error: the template could not be found.",
    ]


@needs_blueprint
def test_explain_template_loading_blueprints(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    _blueprint_files(tmp_path)
    logs = []
    for fw in (FLASK, KOLBA):
        app = build(fw, tmp_path)
        app.config["EXPLAIN_TEMPLATE_LOADING"] = True
        bp1 = fw.Blueprint(
            "bp1", "bp1mod", template_folder="templates", root_path=os.fspath(tmp_path / "bp1")
        )
        bp2 = fw.Blueprint(
            "bp2", "bp2mod", template_folder="templates", root_path=os.fspath(tmp_path / "bp2")
        )

        @bp1.route("/<path:name>")
        def page(name: str, fw: SimpleNamespace = fw) -> str:
            return t.cast(str, fw.render_template(name))

        app.register_blueprint(bp1)
        app.register_blueprint(bp2)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger=app.logger.name):
            assert fetch(app, "/both.html")[2] == "bp1 both"
        logs.append("\n".join(r.getMessage() for r in caplog.records))
    # Flask adds a link to its documentation; the rest is the same.
    flask_log = logs[0].replace(
        "\n  See https://flask.palletsprojects.com/blueprints/#templates", ""
    )
    assert logs[1] == flask_log
    assert "Warning: multiple loaders returned a match for the template." in logs[1]
    assert "trying loader of blueprint 'bp2' (bp2mod)" in logs[1]
    assert "belongs to the blueprint 'bp1'" in logs[1]


# -- What templates see -------------------------------------------------------------------------


def test_config_request_session_g_url_for(tmp_path: pathlib.Path) -> None:
    source = (
        "{{ config.NAME }}|{{ request.path }}|{{ request.args.q }}|{{ session.user }}"
        "|{{ g.x }}|{{ url_for('index', a=1) }}|{{ url_for('index', _external=True) }}"
    )

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        app.config["NAME"] = "<cfg>"

        @app.route("/")
        def index() -> str:
            fw.session["user"] = "ann"
            fw.g.x = "gee"
            return t.cast(str, fw.render_template_string(source))

    body = compare(setup, tmp_path, "/?q=query")[2]
    assert body == "&lt;cfg&gt;|/|query|ann|gee|/?a=1|http://localhost/"


@needs_flash
def test_get_flashed_messages(tmp_path: pathlib.Path) -> None:
    source = (
        "{% for c, m in get_flashed_messages(with_categories=true) %}[{{ c }}:{{ m }}]{% endfor %}"
    )

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        @app.route("/")
        def index() -> str:
            fw.flash("<hi>")
            fw.flash("bad", "error")
            return t.cast(str, fw.render_template_string(source))

    assert compare(setup, tmp_path)[2] == "[message:&lt;hi&gt;][error:bad]"


def test_imported_macros_see_request_and_g(tmp_path: pathlib.Path) -> None:
    # Imported templates do not get the render context: request, session and g are globals.
    write(
        tmp_path,
        {
            "templates/macros.html": (
                "{% macro where() %}{{ request.path }} {{ g.x }} {{ session.k }}{% endmacro %}"
            ),
            "templates/page.html": "{% import 'macros.html' as m %}{{ m.where() }}",
        },
    )

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        @app.route("/here")
        def here() -> str:
            fw.g.x = 5
            fw.session["k"] = "v"
            return t.cast(str, fw.render_template("page.html"))

    assert compare(setup, tmp_path, "/here")[2] == "/here 5 v"


def test_app_context_only(tmp_path: pathlib.Path) -> None:
    source = "{{ g.x }}|{{ config.X }}|{{ 'req' if request else 'no req' }}|{{ url_for('i') }}"
    out = []
    for fw in (FLASK, KOLBA):
        app = build(fw, tmp_path)
        app.config.update(X="y", SERVER_NAME="example.test")
        app.add_url_rule("/i", "i", lambda: "")
        with app.app_context():
            fw.g.x = 1
            out.append(fw.render_template_string(source))
    assert out[0] == out[1] == "1|y|no req|http://example.test/i"


def test_context_processors_app(tmp_path: pathlib.Path) -> None:
    source = "{{ a }}|{{ b }}|{{ shadow }}|{{ fn(2) }}"

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        @app.context_processor
        def first() -> dict[str, t.Any]:
            return {"a": "A", "shadow": "processor", "fn": lambda n: n * 21}

        @app.context_processor
        def second() -> dict[str, t.Any]:
            return {"b": "B", "a": "A2"}

        @app.route("/")
        def index() -> str:
            return t.cast(str, fw.render_template_string(source, shadow="caller"))

    assert compare(setup, tmp_path)[2] == "A2|B|caller|42"


async def _async_processor() -> dict[str, t.Any]:
    return {"from_async": "yes"}


def test_async_context_processor(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("asgiref")

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        app.context_processor(_async_processor)

        @app.route("/")
        def index() -> str:
            return t.cast(str, fw.render_template_string("{{ from_async }}"))

    assert compare(setup, tmp_path)[2] == "yes"


@needs_blueprint
def test_context_processors_blueprint_scoped(tmp_path: pathlib.Path) -> None:
    source = "{{ app_v }}|{{ bp_v }}|{{ everywhere }}|{{ child_v }}"

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        bp = fw.Blueprint("bp", __name__)
        child = fw.Blueprint("child", __name__)

        @app.context_processor
        def app_proc() -> dict[str, t.Any]:
            return {"app_v": "app", "bp_v": "app-bp"}

        @bp.context_processor
        def bp_proc() -> dict[str, t.Any]:
            return {"bp_v": "bp"}

        @bp.app_context_processor
        def everywhere() -> dict[str, t.Any]:
            return {"everywhere": "all"}

        @child.context_processor
        def child_proc() -> dict[str, t.Any]:
            return {"child_v": "child", "bp_v": "from child"}

        def view() -> str:
            return t.cast(str, fw.render_template_string(source))

        app.add_url_rule("/", "index", view)
        bp.add_url_rule("/", "index", view)
        child.add_url_rule("/", "index", view)
        bp.register_blueprint(child, url_prefix="/child")
        app.register_blueprint(bp, url_prefix="/bp")

    assert compare(setup, tmp_path)[2] == "app|app-bp|all|"
    assert compare(setup, tmp_path, "/bp/")[2] == "app|bp|all|"
    # Nested: the app's, then the parent's, then the child's; the innermost wins.
    assert compare(setup, tmp_path, "/bp/child/")[2] == "app|from child|all|child"


# -- Filters, globals, tests --------------------------------------------------------------------


def test_filters_globals_tests_on_app(tmp_path: pathlib.Path) -> None:
    source = (
        "{{ 'ab'|rev }}|{{ 'ab'|twice }}|{{ answer() }}|{{ hi() }}"
        "|{{ 4 is even_num }}{{ 3 is odd_num }}{{ 3 is odd_num2 }}"
    )

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        @app.template_filter("rev")
        def reverse(s: str) -> str:
            return s[::-1]

        app.add_template_filter(lambda s: s * 2, "twice")

        @app.template_global()
        def answer() -> int:
            return 42

        app.add_template_global(lambda: "hi!", "hi")

        @app.template_test("even_num")
        def even(n: int) -> bool:
            return n % 2 == 0

        app.add_template_test(lambda n: n % 2 == 1, "odd_num")

        @app.template_test()
        def odd_num2(n: int) -> bool:
            return n % 2 == 1

        @app.route("/")
        def index() -> str:
            return t.cast(str, fw.render_template_string(source))

    assert compare(setup, tmp_path)[2] == "ba|abab|42|hi!|TrueTrueTrue"


def test_filters_registered_after_environment(tmp_path: pathlib.Path) -> None:
    app = build(KOLBA, tmp_path)
    env = app.jinja_env

    @app.template_filter()
    def shout(s: str) -> str:
        return s.upper()

    assert env.filters["shout"] is shout
    with app.app_context():
        assert templating.render_template_string("{{ 'a'|shout }}") == "A"


@needs_blueprint
def test_filters_globals_tests_on_blueprint(tmp_path: pathlib.Path) -> None:
    source = "{{ 'ab'|bp_rev }}|{{ 'x'|bp_twice }}|{{ bp_g() }}|{{ 2 is bp_even }}{{ 2 is bp_t }}"

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        bp = fw.Blueprint("bp", __name__)

        @bp.app_template_filter("bp_rev")
        def reverse(s: str) -> str:
            return s[::-1]

        bp.add_app_template_filter(lambda s: s * 2, "bp_twice")

        @bp.app_template_global("bp_g")
        def glob() -> str:
            return "G"

        @bp.app_template_test("bp_even")
        def even(n: int) -> bool:
            return n % 2 == 0

        bp.add_app_template_test(lambda n: n == 2, "bp_t")

        @app.route("/")
        def index() -> str:
            return t.cast(str, fw.render_template_string(source))

        app.register_blueprint(bp)

    assert compare(setup, tmp_path)[2] == "ba|xx|G|TrueTrue"


# -- Environment options and reloading ----------------------------------------------------------


def test_jinja_options(tmp_path: pathlib.Path) -> None:
    write(tmp_path, {"templates/lines.html": "% for i in items\n{{ i }};\n% endfor\n<{{ v }}>"})

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        app.jinja_options = {
            "line_statement_prefix": "%",
            "trim_blocks": True,
            "autoescape": False,
            "extensions": ["jinja2.ext.loopcontrols"],
        }

        @app.route("/")
        def index() -> str:
            return t.cast(str, fw.render_template("lines.html", items=[1, 2], v="<b>"))

    assert compare(setup, tmp_path)[2] == "1;\n2;\n<<b>>"


def test_jinja_environment_class_and_loader_option(tmp_path: pathlib.Path) -> None:
    class MyEnvironment(templating.Environment):
        pass

    class MyApp(kolba.Kolba):
        jinja_environment = MyEnvironment

    app = MyApp("tmpl_app", root_path=os.fspath(tmp_path))
    app.jinja_options = {"loader": jinja2.DictLoader({"d.html": "dict {{ 1 }}"})}
    assert type(app.jinja_env) is MyEnvironment
    assert app.jinja_env.app is app
    with app.app_context():
        assert templating.render_template("d.html") == "dict 1"


def test_environment_defaults(tmp_path: pathlib.Path) -> None:
    app = build(KOLBA, tmp_path)
    env = app.jinja_env
    assert isinstance(env, templating.Environment)
    assert isinstance(env.loader, templating.DispatchingJinjaLoader)
    assert app.jinja_env is env
    assert env.auto_reload is False
    assert env.globals["config"] is app.config
    assert env.globals["url_for"] == app.url_for
    assert env.globals["request"] is kolba.request
    assert env.policies["json.dumps_function"] == app.json.dumps
    env2 = templating.create_jinja_environment(app)
    assert env2 is not env and env2.loader is not env.loader


def _touch_later(path: pathlib.Path, text: str) -> None:
    # Bump the mtime explicitly: two writes within one clock tick would look unchanged.
    before = path.stat().st_mtime
    path.write_text(text, encoding="utf-8")
    os.utime(path, (before + 10, before + 10))


@pytest.mark.parametrize(
    ("debug", "setting", "reloads"),
    [
        (False, None, False),
        (True, None, True),
        (False, True, True),
        (True, False, False),
    ],
)
def test_reload(tmp_path: pathlib.Path, debug: bool, setting: bool | None, reloads: bool) -> None:
    write(tmp_path, {"templates/page.html": "one"})
    for fw in (FLASK, KOLBA):
        write(tmp_path, {"templates/page.html": "one"})
        app = build(fw, tmp_path)
        app.config.update(DEBUG=debug, TEMPLATES_AUTO_RELOAD=setting)
        with app.app_context():
            assert fw.render_template("page.html") == "one"
            _touch_later(tmp_path / "templates/page.html", "two")
            assert fw.render_template("page.html") == ("two" if reloads else "one")
        assert app.jinja_env.auto_reload is reloads


def test_debug_toggle_turns_reload_on(tmp_path: pathlib.Path) -> None:
    write(tmp_path, {"templates/page.html": "one"})
    app = build(KOLBA, tmp_path)
    with app.app_context():
        assert templating.render_template("page.html") == "one"
        app.debug = True
        assert app.jinja_env.auto_reload is True
        _touch_later(tmp_path / "templates/page.html", "two")
        assert templating.render_template("page.html") == "two"
        app.debug = False
        assert app.jinja_env.auto_reload is False
    app2 = build(KOLBA, tmp_path)
    app2.config["TEMPLATES_AUTO_RELOAD"] = False
    app2.debug = True
    assert app2.jinja_env.auto_reload is False


# -- Template features --------------------------------------------------------------------------


def test_inheritance_macros_includes(tmp_path: pathlib.Path) -> None:
    write(
        tmp_path,
        {
            "templates/base.html": (
                "<title>{% block title %}Base{% endblock %}</title>"
                "<main>{% block body %}{% endblock %}</main>{% include 'footer.html' %}"
            ),
            "templates/footer.html": "<footer>{{ who }}</footer>",
            "templates/_macros.html": (
                "{% macro hello(name) %}Hello {{ name }}!{% endmacro %}{% set version = 3 %}"
            ),
            "templates/child.html": (
                "{% extends 'base.html' %}{% from '_macros.html' import hello %}"
                "{% block title %}Child - {{ super() }}{% endblock %}"
                "{% block body %}{{ hello(name) }}{% endblock %}"
            ),
        },
    )

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        @app.route("/")
        def index() -> str:
            return t.cast(str, fw.render_template("child.html", name="<x>", who="me"))

        @app.route("/macro")
        def macro() -> str:
            hello = fw.get_template_attribute("_macros.html", "hello")
            version = fw.get_template_attribute("_macros.html", "version")
            return f"{hello('<y>')} v{version}"

    assert compare(setup, tmp_path)[2] == (
        "<title>Child - Base</title><main>Hello &lt;x&gt;!</main><footer>me</footer>"
    )
    assert compare(setup, tmp_path, "/macro")[2] == "Hello &lt;y&gt;! v3"


def test_tojson_in_script(tmp_path: pathlib.Path) -> None:
    source = (
        "<script>var d = {{ data|tojson }};</script>"
        "<a onclick='f({{ data|tojson }})'>{{ data|tojson(indent=1) }}</a>"
    )
    data = {"b": "</script><!--", "a": "it's & <b>", "n": [1, 2.5, None, True]}

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        @app.route("/")
        def index() -> str:
            return t.cast(str, fw.render_template_string(source, data=data))

    body = compare(setup, tmp_path)[2]
    assert "</script><!--" not in body.split("</script>", 1)[1]
    assert body.startswith(
        '<script>var d = {"a": "it\\u0027s \\u0026 \\u003cb\\u003e", '
        '"b": "\\u003c/script\\u003e\\u003c!--", "n": [1, 2.5, null, true]};</script>'
    )


def test_tojson_uses_app_json_provider(tmp_path: pathlib.Path) -> None:
    from kolba.json.provider import DefaultJSONProvider

    class Provider(DefaultJSONProvider):
        def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
            return "<custom>"

    app = build(KOLBA, tmp_path)
    app.json = Provider(app)
    with app.app_context():
        assert templating.render_template_string("{{ 1|tojson }}") == "\\u003ccustom\\u003e"


def test_stream_template(tmp_path: pathlib.Path) -> None:
    write(
        tmp_path,
        {"templates/stream.html": "{% for i in range(3) %}{{ i }}{{ request.path }};{% endfor %}"},
    )

    def setup(fw: SimpleNamespace, app: t.Any) -> None:
        @app.route("/s")
        def stream() -> t.Any:
            return app.response_class(fw.stream_template("stream.html"))

        @app.route("/string")
        def string() -> t.Any:
            return app.response_class(
                fw.stream_template_string("{{ session.k }}{{ g.x }}{{ request.args.a }}")
            )

        @app.before_request
        def before() -> None:
            fw.session["k"] = "K"
            fw.g.x = "X"

    assert compare(setup, tmp_path, "/s")[2] == "0/s;1/s;2/s;"
    assert compare(setup, tmp_path, "/string?a=1")[2] == "KX1"


def test_stream_template_outside_request(tmp_path: pathlib.Path) -> None:
    app = build(KOLBA, tmp_path)
    with app.app_context():
        chunks = templating.stream_template_string(
            "{{ a }}{% for i in 'xy' %}{{ i }}{% endfor %}", a=1
        )
        assert "".join(chunks) == "1xy"


# -- Signals ------------------------------------------------------------------------------------


@BOTH
def test_signals(tmp_path: pathlib.Path, fw: SimpleNamespace) -> None:
    write(tmp_path, {"templates/page.html": "{{ x }}{{ extra }}"})
    app = build(fw, tmp_path)
    events: list[tuple[str, t.Any, str | None, dict[str, t.Any]]] = []

    @app.context_processor
    def extra() -> dict[str, t.Any]:
        return {"extra": "!"}

    def record(name: str) -> t.Callable[..., None]:
        def receiver(sender: t.Any, template: t.Any, context: dict[str, t.Any]) -> None:
            events.append((name, sender, template.name, dict(context)))

        return receiver

    before = record("before")
    rendered = record("rendered")
    with (
        fw.signals.before_render_template.connected_to(before, app),
        fw.signals.template_rendered.connected_to(rendered, app),
        app.test_request_context(),
    ):
        assert fw.render_template("page.html", x=1) == "1!"
        assert fw.render_template_string("s") == "s"
        assert "".join(fw.stream_template("page.html", x=2)) == "2!"
    names = [(e[0], e[2], e[3].get("x"), e[3].get("extra")) for e in events]
    assert names == [
        ("before", "page.html", 1, "!"),
        ("rendered", "page.html", 1, "!"),
        ("before", None, None, "!"),
        ("rendered", None, None, "!"),
        ("before", "page.html", 2, "!"),
        ("rendered", "page.html", 2, "!"),
    ]
    assert all(e[1] is app for e in events)


def test_signals_can_change_context(tmp_path: pathlib.Path) -> None:
    app = build(KOLBA, tmp_path)

    def before(sender: t.Any, template: t.Any, context: dict[str, t.Any]) -> None:
        context["x"] = "changed"

    with kolba.signals.before_render_template.connected_to(before, app), app.app_context():
        assert templating.render_template_string("{{ x }}", x="orig") == "changed"


def test_context_has_request_and_g_like_flask(tmp_path: pathlib.Path) -> None:
    keys = []
    for fw in (FLASK, KOLBA):
        app = build(fw, tmp_path)
        seen: list[set[str]] = []

        def receiver(
            sender: t.Any,
            template: t.Any,
            context: dict[str, t.Any],
            seen: list[set[str]] = seen,
        ) -> None:
            seen.append(set(context))

        with fw.signals.template_rendered.connected_to(receiver, app):
            with app.app_context():
                fw.render_template_string("", x=1)
            with app.test_request_context():
                fw.render_template_string("", x=1)
        keys.append(seen)
    assert keys[0] == [{"x", "g"}, {"x", "g", "request"}]
    assert keys[1] == keys[0]


@needs_blueprint
def test_explain_other_loaders_and_folderless_blueprint(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    logs = []
    for fw in (FLASK, KOLBA):
        app = build(fw, tmp_path)
        app.config["EXPLAIN_TEMPLATE_LOADING"] = True
        # Settings that are not plain values (a dict, a list of loaders) are left out.
        app.jinja_loader = jinja2.ChoiceLoader([jinja2.DictLoader({"a.html": "A"})])
        app.register_blueprint(fw.Blueprint("nofolder", __name__))
        caplog.clear()
        with caplog.at_level(logging.INFO, logger=app.logger.name), app.app_context():
            assert fw.render_template("a.html") == "A"
        logs.append([r.getMessage() for r in caplog.records])
    assert logs[1] == logs[0]
    assert logs[1][0].splitlines() == [
        "Locating template 'a.html':",
        "    1: trying loader of application 'tmpl_app'",
        "       class: jinja2.loaders.ChoiceLoader",
        "       -> found ('<string>')",
    ]


def test_auto_reload_option_wins(tmp_path: pathlib.Path) -> None:
    for fw in (FLASK, KOLBA):
        app = build(fw, tmp_path)
        app.config["TEMPLATES_AUTO_RELOAD"] = False
        app.jinja_options = {"auto_reload": True}
        assert app.jinja_env.auto_reload is True
