"""The ``kolba`` command: app discovery in every form Flask accepts, the global options,
app, blueprint and plugin commands, and dotenv files. The built-in commands are in
``test_cli_commands.py``.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import typing as t
from importlib.metadata import EntryPoint
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kolba import Blueprint, Kolba, current_app
from kolba.cli import (
    AppGroup,
    KolbaGroup,
    NoAppException,
    ScriptInfo,
    cli,
    find_best_app,
    load_dotenv,
    prepare_import,
    with_appcontext,
)
from kolba.testing.cli import KolbaCliRunner

TESTS = Path(__file__).parent
CLI_APPS = TESTS / "cli_apps"


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch) -> t.Iterator[None]:
    """Discovery edits sys.path, imports modules and sets environment variables (that is its
    job): put all three back so tests stay independent of each other and of the order.
    """
    environ = dict(os.environ)
    path = list(sys.path)
    modules = set(sys.modules)
    monkeypatch.chdir(TESTS)
    for name in ("KOLBA_APP", "KOLBA_DEBUG", "KOLBA_RUN_FROM_CLI", "KOLBA_SKIP_DOTENV"):
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        sys.path[:] = path
        for name in set(sys.modules) - modules:
            del sys.modules[name]


def load(import_path: str) -> Kolba:
    return ScriptInfo(import_path).load_app()


# -- discovery ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("import_path", "name"),
    [
        ("cli_apps.simple", "cli_apps.simple"),
        ("cli_apps.simple:app", "cli_apps.simple"),
        (str(CLI_APPS / "simple.py"), "cli_apps.simple"),
        ("cli_apps/simple.py", "cli_apps.simple"),
        (str(CLI_APPS / "pkg"), "cli_apps.pkg"),
        (str(CLI_APPS / "pkg" / "__init__.py"), "cli_apps.pkg"),
        ("cli_apps.pkg", "cli_apps.pkg"),
        ("cli_apps.application_attr", "application_attr_app"),
        ("cli_apps.application_attr:other", "other_app"),
        ("cli_apps.single", "single_instance"),
        ("cli_apps.multi:two", "multi_two"),
        ("cli_apps.factory", "factory_default"),
        ("cli_apps.factory:create_app()", "factory_default"),
        ("cli_apps.factory:create_app_with('x')", "factory_x_0_False"),
        ("cli_apps.factory:create_app_with('y', bar=2, baz=True)", "factory_y_2_True"),
        ("cli_apps.factory:create_app_with( 'z' , 3 )", "factory_z_3_False"),
        ("cli_apps.make_factory", "made_by_make_app"),
    ],
)
def test_app_is_found(import_path: str, name: str) -> None:
    assert load(import_path).name == name


@pytest.mark.parametrize(
    ("import_path", "message"),
    [
        (
            "cli_apps.multi",
            "Detected multiple Kolba applications in module 'cli_apps.multi'. Use"
            " 'cli_apps.multi:name' to specify the correct one.",
        ),
        ("cli_apps.does_not_exist", "Could not import 'cli_apps.does_not_exist'."),
        ("cli_apps/does_not_exist.py", "Could not import 'cli_apps.does_not_exist'."),
        (
            "cli_apps.noapp",
            "Failed to find Kolba application or factory in module 'cli_apps.noapp'. Use"
            " 'cli_apps.noapp:name' to specify one.",
        ),
        (
            "cli_apps.factory_needs_args",
            "Detected factory 'create_app' in module 'cli_apps.factory_needs_args', but could"
            " not call it without arguments. Use 'cli_apps.factory_needs_args:create_app(args)'"
            " to specify arguments.",
        ),
        ("cli_apps.factory:nope", "Failed to find attribute 'nope' in 'cli_apps.factory'."),
        (
            "cli_apps.factory:not_an_app",
            "A valid Kolba application was not obtained from 'cli_apps.factory:not_an_app'.",
        ),
        (
            "cli_apps.factory:not_a_factory",
            "A valid Kolba application was not obtained from 'cli_apps.factory:not_a_factory'.",
        ),
        (
            "cli_apps.factory:create_app_with()",
            "The factory 'create_app_with()' in module 'cli_apps.factory' could not be called"
            " with the specified arguments.",
        ),
        (
            "cli_apps.factory:create_app_with(x)",
            "Failed to parse arguments as literal values: 'create_app_with(x)'.",
        ),
        (
            "cli_apps.factory:create_app_with(__import__('os').getcwd())",
            "Failed to parse arguments as literal values:",
        ),
        ("cli_apps.factory:a.b", "Failed to parse 'a.b' as an attribute name or function call."),
        ("cli_apps.factory:(", "Failed to parse '(' as an attribute name or function call."),
        ("cli_apps.factory:x.y()", "Function reference must be a simple name: 'x.y()'."),
    ],
)
def test_discovery_errors_say_what_was_tried(import_path: str, message: str) -> None:
    with pytest.raises(NoAppException) as exc_info:
        load(import_path)
    assert exc_info.value.format_message().startswith(message)


def test_import_error_inside_module_shows_its_traceback() -> None:
    with pytest.raises(NoAppException) as exc_info:
        load("cli_apps.importerror")
    message = exc_info.value.format_message()
    assert message.startswith("While importing 'cli_apps.importerror', an ImportError was raised")
    assert "Traceback (most recent call last)" in message
    assert "importerror.py" in message
    assert "No module named 'kolba_cli_test_missing_dependency'" in message
    assert "Could not import" not in message


@pytest.mark.parametrize(
    "import_path", ["cli_apps.factory_typeerror", "cli_apps.factory:raises_type_error"]
)
def test_type_error_inside_factory_is_not_hidden(import_path: str) -> None:
    with pytest.raises(TypeError):
        load(import_path)


def test_find_best_app_takes_a_module() -> None:
    import types

    module = types.ModuleType("made_up")
    app = Kolba("made_up")
    module.application = app  # type: ignore[attr-defined]
    assert find_best_app(module) is app


def test_prepare_import_climbs_packages_and_puts_the_root_first() -> None:
    assert prepare_import(str(CLI_APPS / "pkg" / "__init__.py")) == "cli_apps.pkg"
    assert sys.path[0] == str(TESTS.resolve())
    assert prepare_import(str(CLI_APPS / "cwd_app" / "app.py")) == "app"
    assert sys.path[0] == str((CLI_APPS / "cwd_app").resolve())


def test_load_app_is_done_once() -> None:
    info = ScriptInfo("cli_apps.factory")
    assert info.load_app() is info.load_app()


def test_create_app_wins_over_the_import_path() -> None:
    app = Kolba("given")
    assert ScriptInfo("cli_apps.simple", create_app=lambda: app).load_app() is app


@pytest.mark.parametrize(
    ("folder", "name"), [("cwd_wsgi", "from_wsgi_py"), ("cwd_app", "from_app_py")]
)
def test_wsgi_py_or_app_py_in_cwd(monkeypatch: pytest.MonkeyPatch, folder: str, name: str) -> None:
    monkeypatch.chdir(CLI_APPS / folder)
    assert ScriptInfo().load_app().name == name


def test_wsgi_py_comes_before_app_py(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "wsgi.py").write_text("from kolba import Kolba\napp = Kolba('w')\n")
    (tmp_path / "app.py").write_text("from kolba import Kolba\napp = Kolba('a')\n")
    monkeypatch.chdir(tmp_path)
    assert ScriptInfo().load_app().name == "w"


def test_nothing_in_cwd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NoAppException, match="Could not locate a Kolba application. Use the"):
        ScriptInfo().load_app()


def test_kolba_app_variable() -> None:
    result = CliRunner().invoke(cli, ["hello"], env={"KOLBA_APP": "cli_apps.simple"})
    assert result.exit_code == 0, result.output
    assert result.output == "Hello, World from cli_apps.simple!\n"


@pytest.mark.parametrize(("value", "debug"), [("1", True), ("0", False), (None, False)])
def test_debug_flag_set_from_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, debug: bool
) -> None:
    if value is not None:
        monkeypatch.setenv("KOLBA_DEBUG", value)
    assert load("cli_apps.factory").debug is debug


def test_set_debug_flag_false_leaves_the_app_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLBA_DEBUG", "1")
    app = Kolba("quiet")
    app.debug = False
    assert ScriptInfo(create_app=lambda: app, set_debug_flag=False).load_app().debug is False
    assert ScriptInfo(create_app=lambda: app).load_app().debug is True


# -- the group ------------------------------------------------------------------------------


def invoke(*args: str, **kwargs: t.Any) -> t.Any:
    return CliRunner().invoke(cli, list(args), **kwargs)


def test_app_command_with_options_and_arguments() -> None:
    result = invoke("--app", "cli_apps.context_cmds", "greet", "ann", "-n", "2")
    assert result.exit_code == 0, result.output
    assert result.output == "hi ann\nhi ann\n"
    result = invoke("-A", "cli_apps.simple", "hello", "--name", "Bo")
    assert result.output == "Hello, Bo from cli_apps.simple!\n"


def test_app_command_runs_in_app_context() -> None:
    result = invoke("--app", "cli_apps.context_cmds", "tools", "where")
    assert result.exit_code == 0, result.output
    assert result.output == "in context_cmds\n"


def test_help_lists_app_and_builtin_commands() -> None:
    result = invoke("--app", "cli_apps.context_cmds", "--help")
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:")[1].split()
    for name in ("greet", "tools", "users", "top-level", "admin", "routes", "run", "shell"):
        assert name in commands


def test_help_with_broken_app_still_lists_builtins() -> None:
    result = invoke("--app", "cli_apps.does_not_exist", "--help")
    assert result.exit_code == 0
    assert "Error: Could not import 'cli_apps.does_not_exist'." in result.stderr
    assert "routes" in result.stdout


def test_help_with_app_raising_shows_traceback() -> None:
    result = invoke("--app", "cli_apps.factory_typeerror", "--help")
    assert result.exit_code == 0
    assert "Traceback" in result.stderr
    assert "TypeError" in result.stderr


def test_no_args_shows_help_with_app_commands_from_environment() -> None:
    result = invoke(env={"KOLBA_APP": "cli_apps.simple"})
    assert "hello" in result.output.split("Commands:")[1]


def test_unknown_command_without_app() -> None:
    result = invoke("--app", "cli_apps.noapp", "nope")
    assert result.exit_code == 2
    assert "Error: Failed to find Kolba application or factory" in result.stderr
    assert "No such command 'nope'" in result.stderr


def test_version() -> None:
    import platform

    from kolba import __version__

    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"Python {platform.python_version()}\nKolba {__version__}\n"
    assert "Werkzeug" not in result.output


@pytest.mark.parametrize(
    ("args", "env", "debug"),
    [
        (["--debug"], "1", "True"),
        (["--no-debug"], "0", "False"),
        ([], None, "False"),
    ],
)
def test_debug_option(args: list[str], env: str | None, debug: str) -> None:
    result = invoke("--app", "cli_apps.context_cmds", *args, "debug-state")
    assert result.exit_code == 0, result.output
    assert result.output == f"debug={debug}\n"
    assert os.environ.get("KOLBA_DEBUG") == env


def test_kolba_debug_variable_without_option() -> None:
    result = invoke("--app", "cli_apps.context_cmds", "debug-state", env={"KOLBA_DEBUG": "1"})
    assert result.output == "debug=True\n"


def test_stray_app_run_in_module_does_not_block() -> None:
    result = invoke("--app", "cli_apps.stray_run", "routes")
    assert result.exit_code == 0, result.output
    assert "Ignoring a call to 'app.run()'" in result.stderr
    assert os.environ["KOLBA_RUN_FROM_CLI"] == "true"


needs_blueprint_cli = pytest.mark.skipif(
    not hasattr(Blueprint("probe", __name__), "cli_group"),
    reason="blueprint cli groups are not registered by the app yet",
)


@needs_blueprint_cli
@pytest.mark.parametrize(
    ("args", "output"),
    [
        (["users", "create", "zoe"], "created zoe in context_cmds\n"),
        (["top-level"], "top-level ran\n"),
        (["admin", "audit"], "audit ran\n"),
    ],
)
def test_blueprint_commands(args: list[str], output: str) -> None:
    result = invoke("--app", "cli_apps.context_cmds", *args)
    assert result.exit_code == 0, result.output
    assert result.output == output


@needs_blueprint_cli
def test_blueprint_cli_group_given_at_registration() -> None:
    app = Kolba("reg")
    bp = Blueprint("bp", __name__)

    @bp.cli.command("ping")
    def ping() -> None:
        click.echo("pong")

    app.register_blueprint(bp, cli_group="ops")
    result = app.test_cli_runner().invoke(args=["ops", "ping"])
    assert result.output == "pong\n"


def test_plugin_commands_from_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def entry_points(group: str) -> list[EntryPoint]:
        seen.append(group)
        return [EntryPoint("plugged", "cli_apps.plugin:command", group)]

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    group = KolbaGroup(create_app=lambda: Kolba("plugins"))
    result = CliRunner().invoke(group, ["plugged"])
    assert result.output == "plugin command ran\n"
    assert seen == ["kolba.commands"]
    assert "plugged" in CliRunner().invoke(group, ["--help"]).stdout


def test_custom_script_group() -> None:
    """A project script: its own group with a factory, options and the default commands."""

    def create_app() -> Kolba:
        app = Kolba("scripted")
        app.config["GREETING"] = "hey"
        return app

    @click.group(cls=KolbaGroup, create_app=create_app)
    @click.option("--loud", is_flag=True)
    @click.pass_context
    def manage(ctx: click.Context, loud: bool) -> None:
        ctx.meta["loud"] = loud

    @manage.command()
    @click.argument("name")
    @click.pass_context
    def greet(ctx: click.Context, name: str) -> None:
        text = f"{current_app.config['GREETING']} {name}"
        click.echo(text.upper() if ctx.meta["loud"] else text)

    assert CliRunner().invoke(manage, ["greet", "al"]).output == "hey al\n"
    assert CliRunner().invoke(manage, ["--loud", "greet", "al"]).output == "HEY AL\n"
    assert "Endpoint" in CliRunner().invoke(manage, ["routes"]).output
    bare = KolbaGroup(add_default_commands=False, add_version_option=False, create_app=create_app)
    result = CliRunner().invoke(bare, ["--help"])
    assert "routes" not in result.stdout
    assert "--version" not in result.stdout


# -- AppGroup and with_appcontext ----------------------------------------------------------


def test_with_appcontext_on_a_plain_command() -> None:
    @click.command()
    @with_appcontext
    def name() -> None:
        click.echo(current_app.name)

    app = Kolba("plain")
    result = CliRunner().invoke(name, obj=ScriptInfo(create_app=lambda: app))
    assert result.output == "plain\n"


def test_app_group_commands_and_nested_groups() -> None:
    app = Kolba("grouped")
    group = AppGroup("things")
    inner = group.group("inner")(lambda: None)
    assert isinstance(inner, AppGroup)

    @inner.command("name")
    def name() -> None:
        click.echo(current_app.name)

    @group.command("bare", with_appcontext=False)
    def bare() -> None:
        click.echo(str(bool(current_app)))

    runner = KolbaCliRunner(app)
    assert runner.invoke(group, ["inner", "name"]).output == "grouped\n"
    assert runner.invoke(group, ["bare"]).output == "False\n"


def test_app_cli_is_an_app_group() -> None:
    assert isinstance(Kolba("x").cli, AppGroup)
    assert isinstance(Blueprint("b", __name__).cli, AppGroup)


# -- dotenv files ---------------------------------------------------------------------------


@pytest.fixture
def env_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".kolbaenv").write_text("FROM_KOLBAENV=k\nSHARED=kolbaenv\nOVERRIDE=kolbaenv\n")
    (tmp_path / ".env").write_text("FROM_ENV=e\nSHARED=env\n")
    (tmp_path / "custom.env").write_text("SHARED=custom\nFROM_CUSTOM=c\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)  # the files are found upwards from the cwd
    for name in ("FROM_KOLBAENV", "FROM_ENV", "FROM_CUSTOM", "SHARED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OVERRIDE", "real")
    return tmp_path


def test_load_dotenv_precedence(env_dir: Path) -> None:
    assert load_dotenv(env_dir / "custom.env") is True
    assert os.environ["FROM_KOLBAENV"] == "k"
    assert os.environ["FROM_ENV"] == "e"
    assert os.environ["FROM_CUSTOM"] == "c"
    assert os.environ["SHARED"] == "custom"
    assert os.environ["OVERRIDE"] == "real"  # the real environment wins


def test_load_dotenv_defaults_only(env_dir: Path) -> None:
    assert load_dotenv() is True
    assert os.environ["SHARED"] == "env"


def test_load_dotenv_without_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_dotenv(load_defaults=False) is False
    assert load_dotenv(tmp_path / "missing.env", load_defaults=False) is False


def test_env_file_option(env_dir: Path) -> None:
    args = ["--app", str(CLI_APPS / "context_cmds.py"), "-e", str(env_dir / "custom.env")]
    result = invoke(*args, "show-env", "SHARED", "FROM_KOLBAENV", "OVERRIDE")
    assert result.exit_code == 0, result.output
    assert result.output == "SHARED=custom\nFROM_KOLBAENV=k\nOVERRIDE=real\n"


def test_env_file_sets_app_and_debug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".kolbaenv").write_text(
        f"KOLBA_APP={CLI_APPS / 'context_cmds.py'}\nKOLBA_DEBUG=1\n"
    )
    monkeypatch.chdir(tmp_path)
    result = invoke("debug-state")
    assert result.exit_code == 0, result.output
    assert result.output == "debug=True\n"


def test_skip_dotenv(env_dir: Path) -> None:
    result = invoke(
        "--app", str(CLI_APPS / "context_cmds.py"), "show-env", "FROM_ENV",
        env={"KOLBA_SKIP_DOTENV": "1"},
    )  # fmt: skip
    assert result.output == "FROM_ENV=None\n"


def test_without_python_dotenv(env_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dotenv", None)  # makes ``import dotenv`` fail
    result = invoke("--app", str(CLI_APPS / "context_cmds.py"), "show-env", "FROM_ENV")
    assert result.exit_code == 0, result.output
    assert result.stdout == "FROM_ENV=None\n"
    # The hint looks in the cwd, as Flask's does.
    monkeypatch.chdir(env_dir)
    result = invoke("--app", str(CLI_APPS / "context_cmds.py"), "show-env", "FROM_ENV")
    assert "Tip: There are .env files present. Install python-dotenv" in result.stderr
    result = invoke("-e", str(env_dir / "custom.env"), "routes")
    assert result.exit_code == 2
    assert "python-dotenv must be installed to load an env file." in result.stderr
