"""The built-in commands ``run``, ``routes`` and ``shell``, the server banner, and the
:class:`~kolba.testing.cli.KolbaCliRunner`.
"""

from __future__ import annotations

import os
import sys
import types
import typing as t
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kolba import Blueprint, Kolba, current_app, g
from kolba.cli import ScriptInfo, cli, show_server_banner
from kolba.testing.cli import KolbaCliRunner

CLI_APPS = Path(__file__).parent / "cli_apps"


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch) -> t.Iterator[None]:
    environ = dict(os.environ)
    path = list(sys.path)
    for name in ("KOLBA_APP", "KOLBA_DEBUG", "KOLBA_RUN_FROM_CLI", "KOLBA_RUN_MAIN"):
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        sys.path[:] = path


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[t.Any, ...], dict[str, t.Any]]]:
    """Stand in for ``kolba.serving`` (the development server) and record each call."""
    calls: list[tuple[tuple[t.Any, ...], dict[str, t.Any]]] = []
    module = types.ModuleType("kolba.serving")

    def run_simple(*args: t.Any, **kwargs: t.Any) -> None:
        calls.append((args, kwargs))

    module.run_simple = run_simple  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kolba.serving", module)
    return calls


def run(*args: str, **kwargs: t.Any) -> t.Any:
    return CliRunner().invoke(cli, ["--app", str(CLI_APPS / "simple.py"), *args], **kwargs)


# -- run -----------------------------------------------------------------------------------


def test_run_defaults(served: list[t.Any]) -> None:
    result = run("run")
    assert result.exit_code == 0, result.output
    [(args, kwargs)] = served
    assert args[:2] == ("127.0.0.1", 5000)
    assert isinstance(args[2], Kolba) and args[2].name == "cli_apps.simple"
    assert kwargs == {
        "use_reloader": False,
        "use_debugger": False,
        "threaded": True,
        "extra_files": None,
        "exclude_patterns": None,
        "ssl_context": None,
    }
    assert result.stdout == (
        f" * Serving Kolba app '{CLI_APPS / 'simple.py'}'\n * Debug mode: off\n"
    )
    assert "WARNING: This is a development server." in result.stderr
    assert os.environ["KOLBA_RUN_FROM_CLI"] == "true"


@pytest.mark.parametrize(
    ("args", "reloader", "debugger"),
    [
        (["--debug", "run"], True, True),
        (["run", "--debug"], True, True),
        (["--debug", "run", "--no-reload"], False, True),
        (["--debug", "run", "--no-debugger"], True, False),
        (["run", "--reload", "--debugger"], True, True),
    ],
)
def test_run_debug_turns_on_reloader_and_debugger(
    served: list[t.Any], args: list[str], reloader: bool, debugger: bool
) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.output
    kwargs = served[0][1]
    assert (kwargs["use_reloader"], kwargs["use_debugger"]) == (reloader, debugger)


def test_run_options(served: list[t.Any], tmp_path: Path) -> None:
    a, b = tmp_path / "a.cfg", tmp_path / "b.cfg"
    a.write_text("")
    b.write_text("")
    result = run(
        "run", "-h", "0.0.0.0", "-p", "8123", "--without-threads",
        "--extra-files", f"{a}{os.pathsep}{b}", "--exclude-patterns", f"*.tmp{os.pathsep}*~",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    args, kwargs = served[0]
    assert args[:2] == ("0.0.0.0", 8123)
    assert kwargs["threaded"] is False
    assert kwargs["extra_files"] == [str(a), str(b)]
    assert kwargs["exclude_patterns"] == ["*.tmp", "*~"]


def test_run_options_from_environment(served: list[t.Any]) -> None:
    result = run("run", env={"KOLBA_RUN_PORT": "8765", "KOLBA_RUN_HOST": "::1"})
    assert result.exit_code == 0, result.output
    assert served[0][0][:2] == ("::1", 8765)


def test_run_with_cert_and_key(served: list[t.Any], tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("cert")
    key.write_text("key")
    result = run("run", "--cert", str(cert), "--key", str(key))
    assert result.exit_code == 0, result.output
    assert served[0][1]["ssl_context"] == (str(cert.resolve()), str(key.resolve()))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cert", "adhoc"], "Ad-hoc certificates are not supported"),
        (["--cert", "ADHOC"], "Ad-hoc certificates are not supported"),
        (["--cert", "{cert}"], 'Required when using "--cert".'),
        (["--key", "{key}"], '"--cert" must also be specified.'),
        (["--cert", "{missing}", "--key", "{key}"], "does not exist"),
    ],
)
def test_run_cert_errors(
    served: list[t.Any], tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "cert.pem").write_text("cert")
    (tmp_path / "key.pem").write_text("key")
    paths = {"cert": tmp_path / "cert.pem", "key": tmp_path / "key.pem", "missing": tmp_path / "x"}
    result = run("run", *(arg.format(**paths) for arg in args))
    assert result.exit_code == 2
    assert message in result.stderr
    assert served == []


def test_run_when_the_app_does_not_load(served: list[t.Any]) -> None:
    result = CliRunner().invoke(cli, ["--app", "cli_apps_nothing_here", "run"])
    assert result.exit_code == 2
    assert "Could not import 'cli_apps_nothing_here'." in result.stderr
    assert served == []


def test_run_under_reloader_exits_before_serving_a_broken_app(
    served: list[t.Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reloader's child exits (code 3) instead of serving, so the watcher keeps the last
    good code answering until the next change."""
    monkeypatch.setenv("KOLBA_RUN_MAIN", "true")
    result = CliRunner().invoke(cli, ["--app", "cli_apps_nothing_here", "run"])
    assert result.exit_code == 3, result.output
    assert "Could not import 'cli_apps_nothing_here'." in result.stderr
    assert "Serving" not in result.stdout  # the banner is shown once, by the parent
    assert served == []


def test_show_server_banner(capsys: pytest.CaptureFixture[str]) -> None:
    show_server_banner(True, "myapp")
    out, err = capsys.readouterr()
    assert out == " * Serving Kolba app 'myapp'\n * Debug mode: on\n"
    assert "WARNING: This is a development server. Do not use it in a production" in err
    show_server_banner(False, None)
    assert capsys.readouterr().out == " * Debug mode: off\n"


def test_app_run_goes_through_banner_and_serving(
    served: list[t.Any], capsys: pytest.CaptureFixture[str]
) -> None:
    app = Kolba("direct")
    app.run(port=5123, load_dotenv=False)
    assert served[0][0] == ("127.0.0.1", 5123, app)
    assert " * Serving Kolba app 'direct'" in capsys.readouterr().out


# -- routes --------------------------------------------------------------------------------


def _build(cls: t.Any, bp_cls: t.Any, **kwargs: t.Any) -> t.Any:
    app = cls("routes_app", **kwargs)
    app.add_url_rule("/", "index", lambda: "")
    app.add_url_rule("/u/<int:id>", "user", lambda id: "", methods=["GET", "POST", "DELETE"])
    app.add_url_rule("/a", "zz_last", lambda: "", methods=["PUT"])
    if kwargs.get("subdomain_matching"):
        app.add_url_rule("/s", "sub", lambda: "", subdomain="api")
    if kwargs.get("host_matching"):
        app.add_url_rule("/h", "hosted", lambda: "", host="h.example")
    bp = bp_cls("bp", __name__, url_prefix="/bp")
    bp.add_url_rule("/z", "z", lambda: "")
    app.register_blueprint(bp)
    return app


@pytest.mark.parametrize("sort", ["endpoint", "methods", "domain", "rule", "match"])
@pytest.mark.parametrize("all_methods", [False, True])
@pytest.mark.parametrize(
    "app_kwargs",
    [{}, {"subdomain_matching": True}, {"host_matching": True, "static_host": "s.example"}],
)
def test_routes_output_is_flasks(
    sort: str, all_methods: bool, app_kwargs: dict[str, t.Any]
) -> None:
    import flask
    import flask.cli

    args = ["routes", "--sort", sort] + (["--all-methods"] if all_methods else [])
    flask_app = _build(flask.Flask, flask.Blueprint, **app_kwargs)
    expected = flask_app.test_cli_runner().invoke(flask.cli.cli, args)
    kolba_app = _build(Kolba, Blueprint, **app_kwargs)
    result = kolba_app.test_cli_runner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output == expected.output


def test_routes_short_sort_option() -> None:
    app = _build(Kolba, Blueprint)
    lines = app.test_cli_runner().invoke(cli, ["routes", "-s", "rule"]).output.splitlines()
    rules = [line.split()[-1] for line in lines[2:]]
    assert rules == sorted(rules)


def test_routes_when_none() -> None:
    app = Kolba("empty", static_folder=None)
    result = app.test_cli_runner().invoke(cli, ["routes"])
    assert result.exit_code == 0
    assert result.output == "No routes were registered.\n"


def test_routes_bad_sort() -> None:
    result = Kolba("x").test_cli_runner().invoke(cli, ["routes", "-s", "size"])
    assert result.exit_code == 2
    assert "Invalid value for '--sort' / '-s'" in result.output


# -- shell ---------------------------------------------------------------------------------


@pytest.fixture
def shell_app(tmp_path: Path) -> Kolba:
    app = Kolba("shell_app", instance_path=str(tmp_path / "instance"))

    @app.shell_context_processor
    def extra() -> dict[str, t.Any]:
        return {"answer": 42}

    return app


def test_shell_namespace_and_banner(
    shell_app: Kolba, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import code

    startup = tmp_path / "startup.py"
    startup.write_text("from_startup = 'yes'\nanswer = 'overridden by the app'\n")
    monkeypatch.setenv("PYTHONSTARTUP", str(startup))
    monkeypatch.delattr(sys, "__interactivehook__", raising=False)
    seen: dict[str, t.Any] = {}

    def interact(banner: str, local: dict[str, t.Any]) -> None:
        seen.update(banner=banner, local=local, app_name=current_app.name)

    monkeypatch.setattr(code, "interact", interact)
    result = shell_app.test_cli_runner().invoke(cli, ["shell"])
    assert result.exit_code == 0, result.output
    assert seen["app_name"] == "shell_app"
    local = seen["local"]
    assert local["app"] is shell_app
    assert local["g"] is g
    assert local["answer"] == 42
    assert local["from_startup"] == "yes"
    assert seen["banner"] == (
        f"Python {sys.version} on {sys.platform}\nApp: shell_app\nInstance: {tmp_path / 'instance'}"
    )


def test_shell_reads_stdin(shell_app: Kolba, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "__interactivehook__", raising=False)
    monkeypatch.delenv("PYTHONSTARTUP", raising=False)
    result = shell_app.test_cli_runner().invoke(
        cli,
        ["shell"],
        input="from kolba import current_app\nprint(app.name, answer, current_app.name)\n",
    )
    assert result.exit_code == 0, result.output
    assert "shell_app 42 shell_app" in result.output


def test_shell_interactive_hook(shell_app: Kolba, monkeypatch: pytest.MonkeyPatch) -> None:
    import code

    calls: list[str] = []
    monkeypatch.setattr(sys, "__interactivehook__", lambda: calls.append("hook"), raising=False)
    monkeypatch.setattr(code, "interact", lambda banner, local: calls.append("interact"))
    result = shell_app.test_cli_runner().invoke(cli, ["shell"])
    assert result.exit_code == 0, result.output
    assert calls == ["hook", "interact"]


# -- the runner ----------------------------------------------------------------------------


def test_runner_invokes_app_commands() -> None:
    app = Kolba("runner_app")

    @app.cli.command("hello")
    @click.argument("name")
    def hello(name: str) -> None:
        click.echo(f"{current_app.name} says hi to {name}")

    runner = app.test_cli_runner()
    assert isinstance(runner, KolbaCliRunner)
    result = runner.invoke(args=["hello", "ann"])
    assert result.exit_code == 0, result.output
    assert result.output == "runner_app says hi to ann\n"


def test_runner_with_command_and_obj() -> None:
    app = Kolba("runner_app")
    other = Kolba("other_app")

    @click.command()
    @click.pass_obj
    def which(info: ScriptInfo) -> None:
        click.echo(info.load_app().name)

    runner = KolbaCliRunner(app)
    assert runner.invoke(which).output == "runner_app\n"
    obj = ScriptInfo(create_app=lambda: other)
    assert runner.invoke(which, obj=obj).output == "other_app\n"


def test_custom_runner_class() -> None:
    class Runner(KolbaCliRunner):
        pass

    app = Kolba("x")
    app.test_cli_runner_class = Runner
    assert isinstance(app.test_cli_runner(), Runner)
