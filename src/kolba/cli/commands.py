"""The built-in commands: ``kolba run``, ``kolba routes`` and ``kolba shell``, and the banner
shared by ``kolba run`` and ``app.run()``.
"""

from __future__ import annotations

import os
import sys
import traceback
import typing as t
from operator import itemgetter

import click

from kolba.cli.appgroup import with_appcontext
from kolba.cli.discovery import ScriptInfo, pass_script_info
from kolba.cli.envfiles import load_dotenv as _load_dotenv_files

if t.TYPE_CHECKING:
    from kolba.app import Kolba
    from kolba.testing.environ import WSGIApp

_DEV_SERVER_WARNING = (
    "WARNING: This is a development server. Do not use it in a production deployment."
    " Use a production WSGI server instead."
)


def _is_running_from_reloader() -> bool:
    # The reloader's parent process sets this for the child that actually serves.
    return os.environ.get("KOLBA_RUN_MAIN") == "true"


def show_server_banner(debug: bool, app_import_path: str | None) -> None:
    """Say which app is served, whether debug is on, and that this server is not for
    production. Printed once: not again by each process the reloader restarts.
    """
    if _is_running_from_reloader():
        return
    if app_import_path is not None:
        click.echo(f" * Serving Kolba app '{app_import_path}'")
    if debug is not None:
        click.echo(f" * Debug mode: {'on' if debug else 'off'}")
    click.secho(_DEV_SERVER_WARNING, fg="red", bold=True, err=True)


class CertParamType(click.Path):
    """``--cert``: an existing certificate file. ``adhoc`` (a throwaway certificate, which
    Werkzeug makes with the cryptography library) is refused with a message saying what to do.
    """

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False, resolve_path=True)

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        if isinstance(value, str) and value.lower() == "adhoc":
            raise click.BadParameter(
                "Ad-hoc certificates are not supported by Kolba's development server."
                " Create a certificate and key (for example with 'mkcert localhost' or"
                " 'openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem')"
                " and pass '--cert cert.pem --key key.pem'.",
                ctx,
                param,
            )
        return super().convert(value, param, ctx)


def _validate_key(ctx: click.Context, param: click.Parameter, value: t.Any) -> t.Any:
    """``--key`` goes with ``--cert``: either both or neither. Makes ``cert`` the pair that
    ``run_simple`` takes as ``ssl_context``.
    """
    cert = ctx.params.get("cert")
    if value is not None:
        if not cert:
            raise click.BadParameter('"--cert" must also be specified.', ctx, param)
        ctx.params["cert"] = cert, value
    elif cert:
        raise click.BadParameter('Required when using "--cert".', ctx, param)
    return value


class SeparatedPathType(click.Path):
    """A list of paths joined by :data:`os.pathsep` (``:``, or ``;`` on Windows), each
    checked as a :class:`click.Path`.
    """

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        items = self.split_envvar_value(value)
        convert = super().convert
        return [convert(item, param, ctx) for item in items]


def _debug_flag() -> bool:
    from kolba.helpers import get_debug_flag

    return get_debug_flag()


@click.command("run", short_help="Run a development server.")
@click.option("--host", "-h", default="127.0.0.1", help="The interface to bind to.")
@click.option("--port", "-p", default=5000, help="The port to bind to.")
@click.option(
    "--cert", type=CertParamType(), is_eager=True, help="Specify a certificate file to use HTTPS."
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="The key file to use when specifying a certificate.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Enable or disable the reloader. By default the reloader is active if debug is enabled.",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    help="Enable or disable the debugger. By default the debugger is active if debug is enabled.",
)
@click.option(
    "--with-threads/--without-threads", default=True, help="Enable or disable multithreading."
)
@click.option(
    "--extra-files",
    default=None,
    type=SeparatedPathType(),
    help=(
        "Extra files that trigger a reload on change. Multiple paths are separated by"
        f" {os.path.pathsep!r}."
    ),
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=SeparatedPathType(),
    help=(
        "Files matching these fnmatch patterns will not trigger a reload on change. Multiple"
        f" patterns are separated by {os.path.pathsep!r}."
    ),
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: tuple[str, str] | None,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Run a local development server.

    This server is for development purposes only. It does not provide
    the stability, security, or performance of production WSGI servers.

    The reloader and debugger are enabled by default with the '--debug'
    option.
    """
    app: WSGIApp
    try:
        app = info.load_app()
    except Exception as e:
        if not _is_running_from_reloader():
            raise e from None
        # Under the reloader this process is the new child of the watcher: print the error
        # and exit before serving, so the watcher keeps the last good code answering (or keeps
        # the connections waiting, on a first start) until the next change fixes it.
        traceback.print_exc()
        sys.exit(3)

    debug = _debug_flag()
    if reload is None:
        reload = debug
    if debugger is None:
        debugger = debug

    show_server_banner(debug, info.app_import_path)

    # kolba.serving is imported only by this command: other commands need no server.
    from kolba.serving import run_simple  # type: ignore[import-not-found,unused-ignore]

    run_simple(
        host,
        port,
        app,
        use_reloader=reload,
        use_debugger=debugger,
        threaded=with_threads,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
        ssl_context=cert,
    )


@click.command("shell", short_help="Run a shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """Run an interactive Python shell in the context of a given
    Kolba application.  The application will populate the default
    namespace of this shell according to its configuration.

    This is useful for executing small snippets of management code
    without having to manually configure the application.
    """
    import code

    from kolba.globals import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name}\n"
        f"Instance: {app.instance_path}"
    )
    namespace: dict[str, t.Any] = {}

    # The interpreter runs PYTHONSTARTUP for interactive sessions; so does this one.
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            eval(compile(f.read(), startup, "exec"), namespace)

    namespace.update(_shell_context(app))

    # site installs this hook (readline with history and tab completion); completion must
    # look in the shell's namespace, not in this module's __main__.
    interactive_hook = getattr(sys, "__interactivehook__", None)
    if interactive_hook is not None:
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            readline.set_completer(Completer(namespace).complete)
        interactive_hook()

    code.interact(banner=banner, local=namespace)


def _shell_context(app: t.Any) -> dict[str, t.Any]:
    """``app``, ``g`` and what the app's ``shell_context_processor`` functions return."""
    make = getattr(app, "make_shell_context", None)
    if make is not None:
        return make()  # type: ignore[no-any-return]
    from kolba.globals import g

    rv: dict[str, t.Any] = {"app": app, "g": g}
    for processor in app.shell_context_processors:
        rv.update(processor())
    return rv


@click.command("routes", short_help="Show the routes for the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    help=(
        "Method to sort routes by. 'match' is the order that Kolba will match routes"
        " when dispatching a request."
    ),
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS methods.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show all registered routes with endpoints and methods."""
    from kolba.globals import current_app

    rules = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return

    ignored_methods = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = current_app.url_map.host_matching
    has_domain = any(rule.host if host_matching else rule.subdomain for rule in rules)

    rows = []
    for rule in rules:
        row = [str(rule.endpoint), ", ".join(sorted((rule.methods or set()) - ignored_methods))]
        if has_domain:
            row.append((rule.host if host_matching else rule.subdomain) or "")
        row.append(rule.rule)
        rows.append(row)

    headers = ["Endpoint", "Methods"]
    sorts = ["endpoint", "methods"]
    if has_domain:
        headers.append("Host" if host_matching else "Subdomain")
        sorts.append("domain")
    headers.append("Rule")
    sorts.append("rule")

    # "match" keeps the map's order, which is the order rules are tried in.
    if sort in sorts:
        rows.sort(key=itemgetter(sorts.index(sort)))

    rows.insert(0, headers)
    widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]
    rows.insert(1, ["-" * w for w in widths])
    template = "  ".join(f"{{{i}:<{w}}}" for i, w in enumerate(widths))
    for row in rows:
        click.echo(template.format(*row))


def run_app(
    app: Kolba,
    host: str | None = None,
    port: int | None = None,
    debug: bool | None = None,
    load_dotenv: bool = True,
    **options: t.Any,
) -> None:
    """The body of :meth:`Kolba.run`: settle host, port and debug mode, print the banner, serve.

    Does nothing when the ``kolba`` command already serves the app (``KOLBA_RUN_FROM_CLI``).
    """
    if os.environ.get("KOLBA_RUN_FROM_CLI") == "true":
        if not os.environ.get("KOLBA_RUN_MAIN"):
            print(
                " * Ignoring a call to 'app.run()' that would block the current"
                " 'kolba' CLI command.\n   Only call 'app.run()' in an"
                " 'if __name__ == \"__main__\"' guard.",
                file=sys.stderr,
            )
        return
    if load_dotenv:
        _load_dotenv_files()
        if "KOLBA_DEBUG" in os.environ:
            app.debug = _debug_flag()
    if debug is not None:
        app.debug = bool(debug)
    server_name = app.config.get("SERVER_NAME")
    sn_host = sn_port = None
    if server_name:
        sn_host, _, sn_port = server_name.partition(":")
    if not host:
        host = sn_host or "127.0.0.1"
    if port or port == 0:
        port = int(port)
    elif sn_port:
        port = int(sn_port)
    else:
        port = 5000
    options.setdefault("use_reloader", app.debug)
    options.setdefault("use_debugger", app.debug)
    options.setdefault("threaded", True)
    show_server_banner(app.debug, app.name)

    from kolba.serving import run_simple  # type: ignore[import-not-found,unused-ignore]

    try:
        run_simple(host, port, app, **options)
    finally:
        # A later request (e.g. in tests after app.run) may set the app up again.
        app._got_first_request = False
