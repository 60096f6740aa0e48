"""The ``kolba`` command: :class:`KolbaGroup`, its global options and the ``main`` entry point.

Every global option is handled in a click callback rather than in the group's own callback,
so a project that builds its own group (``KolbaGroup(...)`` with a callback) keeps them. The
app is loaded only when a command that is not built in is looked up: ``kolba --help`` and
``kolba run --help`` work in a folder with a broken app.
"""

from __future__ import annotations

import os
import platform
import traceback
import typing as t
from importlib import metadata

import click
from click.core import ParameterSource

from kolba.cli.appgroup import AppGroup
from kolba.cli.commands import routes_command, run_command, shell_command
from kolba.cli.discovery import NoAppException, ScriptInfo
from kolba.cli.envfiles import load_dotenv

if t.TYPE_CHECKING:
    from kolba.app import Kolba


def _get_version(ctx: click.Context, param: click.Parameter, value: t.Any) -> None:
    if not value or ctx.resilient_parsing:
        return
    from kolba import __version__

    # Flask also names its Werkzeug here; Kolba has no Werkzeug underneath.
    click.echo(f"Python {platform.python_version()}\nKolba {__version__}", color=ctx.color)
    ctx.exit()


version_option = click.Option(
    ["--version"],
    help="Show the Kolba version.",
    expose_value=False,
    callback=_get_version,
    is_flag=True,
    is_eager=True,
)


def _set_app(ctx: click.Context, param: click.Option, value: str | None) -> str | None:
    if value is None:
        return None
    ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


# Eager so that the app's commands show in ``--help`` (also eager: it must come after).
_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    help=(
        "The Kolba application or factory function to load, in the form 'module:name'."
        " Module can be a dotted import or file path. Name is not required if it is"
        " 'app', 'application', 'create_app', or 'make_app', and can be 'name(args)' to"
        " pass arguments."
    ),
    is_eager=True,
    expose_value=False,
    callback=_set_app,
)


def _set_debug(ctx: click.Context, param: click.Option, value: bool | None) -> bool | None:
    # Left alone when not given, so KOLBA_DEBUG from the environment or a .env file counts.
    # NOTE: click 8.4 records the parameter source only after this callback, so the default
    # is None rather than relying on the source (Flask does, and so sets FLASK_DEBUG=0).
    source = ctx.get_parameter_source(param.name)
    if value is None or source in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
        return None
    # An environment variable rather than ScriptInfo: a factory may read it while loading.
    os.environ["KOLBA_DEBUG"] = "1" if value else "0"
    return value


_debug_option = click.Option(
    ["--debug/--no-debug"],
    default=None,
    help="Set debug mode.",
    expose_value=False,
    callback=_set_debug,
)


def _env_file_callback(ctx: click.Context, param: click.Option, value: str | None) -> str | None:
    try:
        import dotenv  # noqa: F401
    except ImportError:
        # Only an explicit file is an error; the default files just get load_dotenv's hint.
        if value is not None:
            raise click.BadParameter(
                "python-dotenv must be installed to load an env file.", ctx=ctx, param=param
            ) from None
    info = ctx.ensure_object(ScriptInfo)
    if value is not None or info.load_dotenv_defaults:
        load_dotenv(value, load_defaults=info.load_dotenv_defaults)
    return value


# Eager and first, so variables it sets (KOLBA_APP, KOLBA_DEBUG...) reach the other options.
_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    help=(
        "Load environment variables from this file, taking precedence over those set by"
        " '.env' and '.kolbaenv'. Variables set directly in the environment take highest"
        " precedence. python-dotenv must be installed."
    ),
    is_eager=True,
    expose_value=False,
    callback=_env_file_callback,
)


class KolbaGroup(AppGroup):
    """The ``kolba`` command group (Flask's ``FlaskGroup``): global options, the built-in
    commands, plugin commands from the ``kolba.commands`` entry points, and the loaded app's
    own ``app.cli`` commands. Make one to write a project-specific script.

    :param add_default_commands: Add ``run``, ``shell`` and ``routes``.
    :param create_app: A function returning the app, instead of discovering it.
    :param add_version_option: Add ``--version``.
    :param load_dotenv: Load ``.env`` and ``.kolbaenv`` files.
    :param set_debug_flag: Set ``app.debug`` from ``KOLBA_DEBUG``.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., Kolba] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params: list[click.Parameter] = list(extra.pop("params", None) or ())
        # --env-file must be first: it is eager and the next ones read what it sets.
        params.extend((_env_file_option, _app_option, _debug_option))
        if add_version_option:
            params.append(version_option)
        extra.setdefault("context_settings", {})
        extra["context_settings"].setdefault("auto_envvar_prefix", "KOLBA")
        super().__init__(params=params, **extra)

        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)
        self._loaded_plugin_commands = False

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        for ep in metadata.entry_points(group="kolba.commands"):
            self.add_command(ep.load(), ep.name)
        self._loaded_plugin_commands = True

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._load_plugin_commands()
        # Built-in and plugin commands work even when the app does not load.
        rv = super().get_command(ctx, name)
        if rv is not None:
            return rv

        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
            return None

        # The app context is pushed for the command's lookup, parameters and callback, so
        # app.cli commands need no @with_appcontext.
        from kolba.globals import current_app

        if not current_app or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
            ctx.with_resource(app.app_context())
        return app.cli.get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        rv = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            rv.update(info.load_app().cli.list_commands(ctx))
        except NoAppException as e:
            # Help still lists the built-in commands; the reason the app's are missing shows.
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(rv)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        # A module-level app.run() (outside an ``if __name__ == "__main__"`` guard) would
        # block whatever command imports it; this makes it return at once.
        os.environ["KOLBA_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            # no_args_is_help skips eager options; handle these so KOLBA_APP and env files
            # still bring the app's commands into the help.
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        try:
            return super().parse_args(ctx, args)
        except BaseException:
            # Help listing the app's commands pushed its app context onto ``ctx``; click
            # does not close a context whose parsing failed, so pop it here.
            ctx.close()
            raise


# ``run`` takes --debug too, so ``kolba run --debug`` works as ``kolba --debug run`` does.
run_command.params.insert(0, _debug_option)

cli = KolbaGroup(
    name="kolba",
    help="""\
A general utility script for Kolba applications.

An application to load must be given with the '--app' option,
'KOLBA_APP' environment variable, or with a 'wsgi.py' or 'app.py' file
in the current directory.
""",
)


def main() -> None:
    """The ``kolba`` console script."""
    cli.main()
