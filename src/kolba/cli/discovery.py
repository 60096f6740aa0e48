"""Finding the user's application: the ``--app`` import string, ``wsgi.py``/``app.py``, factories.

The rules are Flask's, word for word, so a project moves over without renaming anything: a
module, ``module:name``, ``module:factory(args)`` (arguments parsed as literals by :mod:`ast`,
never evaluated), a file path or a package folder. Every failure is a :class:`NoAppException`
that says what was tried, because "no app found" with no hint is the most common first-run
problem of a CLI like this.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
import traceback
import typing as t
from types import ModuleType

import click

if t.TYPE_CHECKING:
    from kolba.app import Kolba


class NoAppException(click.UsageError):
    """The application could not be found or loaded; the message says what was tried."""


def _kolba_class() -> type[Kolba]:
    # Imported late: kolba.app imports this package lazily for ``Scaffold.cli``.
    from kolba.app import Kolba

    return Kolba


def find_best_app(module: ModuleType) -> Kolba:
    """Find the app in ``module`` by Flask's conventions: ``app`` or ``application``, else
    the only :class:`~kolba.Kolba` instance, else a ``create_app`` or ``make_app`` factory
    called without arguments.
    """
    kolba_cls = _kolba_class()
    for attr_name in ("app", "application"):
        app = getattr(module, attr_name, None)
        if isinstance(app, kolba_cls):
            return app

    matches = [v for v in module.__dict__.values() if isinstance(v, kolba_cls)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise NoAppException(
            f"Detected multiple Kolba applications in module '{module.__name__}'."
            f" Use '{module.__name__}:name' to specify the correct one."
        )

    for attr_name in ("create_app", "make_app"):
        factory = getattr(module, attr_name, None)
        if not inspect.isfunction(factory):
            continue
        try:
            app = factory()
        except TypeError as e:
            if not _called_with_wrong_args(factory):
                raise
            raise NoAppException(
                f"Detected factory '{attr_name}' in module '{module.__name__}', but could"
                f" not call it without arguments. Use '{module.__name__}:{attr_name}(args)'"
                " to specify arguments."
            ) from e
        if isinstance(app, kolba_cls):
            return app

    raise NoAppException(
        f"Failed to find Kolba application or factory in module '{module.__name__}'."
        f" Use '{module.__name__}:name' to specify one."
    )


def _called_with_wrong_args(f: t.Callable[..., t.Any]) -> bool:
    """Whether the ``TypeError`` being handled came from calling ``f`` (wrong arguments)
    rather than from inside it: a factory's own bug must show as itself, not as a bad call.
    """
    tb = sys.exc_info()[2]
    try:
        while tb is not None:
            if tb.tb_frame.f_code is f.__code__:
                return False
            tb = tb.tb_next
        return True
    finally:
        # The traceback references this frame; drop it to break the cycle.
        del tb


def _parse_app_name(app_name: str) -> tuple[str, list[t.Any], dict[str, t.Any]]:
    """Split ``name`` or ``name(args)`` into the name and literal arguments.

    :mod:`ast` is used so that the string is never executed: ``--app`` may come from an
    environment variable or a ``.kolbaenv`` file.
    """
    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(
            f"Failed to parse {app_name!r} as an attribute name or function call."
        ) from None
    if isinstance(expr, ast.Name):
        return expr.id, [], {}
    if not isinstance(expr, ast.Call):
        raise NoAppException(f"Failed to parse {app_name!r} as an attribute name or function call.")
    if not isinstance(expr.func, ast.Name):
        raise NoAppException(f"Function reference must be a simple name: {app_name!r}.")
    try:
        args = [ast.literal_eval(arg) for arg in expr.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg is not None}
    except ValueError:
        # literal_eval's own messages name a node type; the whole expression is clearer.
        raise NoAppException(
            f"Failed to parse arguments as literal values: {app_name!r}."
        ) from None
    return expr.func.id, args, kwargs


def find_app_by_string(module: ModuleType, app_name: str) -> Kolba:
    """The app named by ``app_name`` in ``module``: an attribute, or a factory called with the
    literal arguments written after its name.
    """
    name, args, kwargs = _parse_app_name(app_name)
    try:
        attr = getattr(module, name)
    except AttributeError as e:
        raise NoAppException(f"Failed to find attribute {name!r} in {module.__name__!r}.") from e

    if inspect.isfunction(attr):
        try:
            app = attr(*args, **kwargs)
        except TypeError as e:
            if not _called_with_wrong_args(attr):
                raise
            raise NoAppException(
                f"The factory {app_name!r} in module {module.__name__!r} could not be called"
                " with the specified arguments."
            ) from e
    else:
        app = attr

    if isinstance(app, _kolba_class()):
        return app
    raise NoAppException(
        f"A valid Kolba application was not obtained from '{module.__name__}:{app_name}'."
    )


def prepare_import(path: str) -> str:
    """The module name for a file or package path, with its root folder put first on
    ``sys.path`` so that the import finds it (and not a same-named installed module).
    """
    path = os.path.realpath(path)
    fname, ext = os.path.splitext(path)
    if ext == ".py":
        path = fname
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)

    module_name = []
    # Climb while the folder is a package, so ``pkg/sub/mod.py`` imports as ``pkg.sub.mod``.
    while True:
        path, name = os.path.split(path)
        module_name.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break

    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(module_name))


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> Kolba: ...


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = ...
) -> Kolba | None: ...


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> Kolba | None:
    """Import ``module_name`` and find the app in it (by ``app_name`` when given).

    An ImportError raised *inside* the user's module (a missing dependency, a typo) is shown
    with its traceback; only the module itself being absent reads "Could not import".
    """
    try:
        __import__(module_name)
    except ImportError:
        tb = sys.exc_info()[2]
        # A traceback deeper than this frame means the module was found and failed inside.
        if tb is not None and tb.tb_next is not None:
            raise NoAppException(
                f"While importing {module_name!r}, an ImportError was raised:"
                f"\n\n{traceback.format_exc()}"
            ) from None
        if raise_if_not_found:
            raise NoAppException(f"Could not import {module_name!r}.") from None
        return None

    module = sys.modules[module_name]
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def get_load_dotenv(default: bool = True) -> bool:
    """Whether to load ``.env`` files: ``KOLBA_SKIP_DOTENV`` turns it off, as
    ``FLASK_SKIP_DOTENV`` does for Flask (useful when a deployment sets the real environment).
    """
    val = os.environ.get("KOLBA_SKIP_DOTENV")
    if not val:
        return default
    return val.lower() in ("0", "false", "no")


def _debug_flag() -> bool:
    from kolba.helpers import get_debug_flag

    return get_debug_flag()


class ScriptInfo:
    """What the ``kolba`` command knows about the app to load, passed to commands as the
    click context's ``obj``. Loading is lazy and done once, so ``kolba --help`` and built-in
    commands work even when the app cannot be imported.

    :param app_import_path: The ``--app`` value (``module:name``, a file path...).
    :param create_app: A function returning the app; takes precedence over the import path.
    :param set_debug_flag: Set ``app.debug`` from ``KOLBA_DEBUG`` after loading.
    :param load_dotenv_defaults: Whether ``.env`` and ``.kolbaenv`` should be loaded
        (``KOLBA_SKIP_DOTENV`` overrides it); read by the ``--env-file`` handling.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., Kolba] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        #: Free storage for commands and extensions sharing state during one invocation.
        self.data: dict[t.Any, t.Any] = {}
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = get_load_dotenv(load_dotenv_defaults)
        self._loaded_app: Kolba | None = None

    def load_app(self) -> Kolba:
        """Load the app the first time, then return the same one."""
        if self._loaded_app is not None:
            return self._loaded_app
        app: Kolba | None = None
        if self.create_app is not None:
            app = self.create_app()
        elif self.app_import_path:
            # Split at the last-but-not-drive colon: ``C:\\app.py`` is a path, not ``C`` + name.
            parts = re.split(r":(?![\\/])", self.app_import_path, maxsplit=1)
            path = parts[0]
            name_or_none = parts[1] if len(parts) > 1 else None
            app = locate_app(prepare_import(path), name_or_none)
        else:
            for path in ("wsgi.py", "app.py"):
                app = locate_app(prepare_import(path), None, raise_if_not_found=False)
                if app is not None:
                    break

        if app is None:
            raise NoAppException(
                "Could not locate a Kolba application. Use the 'kolba --app' option,"
                " 'KOLBA_APP' environment variable, or a 'wsgi.py' or 'app.py' file in the"
                " current directory."
            )
        if self.set_debug_flag:
            # Through the property, so settings derived from debug follow it.
            app.debug = _debug_flag()
        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)
