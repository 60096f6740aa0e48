"""The ``kolba`` command line: Flask's ``flask.cli`` with Kolba's names.

``kolba --app module:name run`` finds the application, loads ``.kolbaenv`` and ``.env``, and
offers ``run``, ``routes``, ``shell``, plugin commands and the app's own ``app.cli`` commands.
The pieces live in :mod:`kolba.cli.discovery` (finding the app), :mod:`kolba.cli.appgroup`
(commands in the app context), :mod:`kolba.cli.envfiles` (dotenv files),
:mod:`kolba.cli.commands` (the built-in commands) and :mod:`kolba.cli.group` (the ``kolba``
group); this package gathers the public names under the one path Flask users know.
"""

from __future__ import annotations

from kolba.cli.appgroup import AppGroup, with_appcontext
from kolba.cli.commands import (
    CertParamType,
    SeparatedPathType,
    routes_command,
    run_command,
    shell_command,
    show_server_banner,
)
from kolba.cli.discovery import (
    NoAppException,
    ScriptInfo,
    find_app_by_string,
    find_best_app,
    get_load_dotenv,
    locate_app,
    pass_script_info,
    prepare_import,
)
from kolba.cli.envfiles import load_dotenv
from kolba.cli.group import KolbaGroup, cli, main, version_option

__all__ = [
    "AppGroup",
    "CertParamType",
    "KolbaGroup",
    "NoAppException",
    "ScriptInfo",
    "SeparatedPathType",
    "cli",
    "find_app_by_string",
    "find_best_app",
    "get_load_dotenv",
    "load_dotenv",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "routes_command",
    "run_command",
    "shell_command",
    "show_server_banner",
    "version_option",
    "with_appcontext",
]
