"""Application configuration: Flask's ``Config`` dict and ``ConfigAttribute`` descriptor."""

from __future__ import annotations

import errno
import importlib
import json
import os
import sys
import types
import typing as t
from collections.abc import Callable, Mapping
from datetime import timedelta

if t.TYPE_CHECKING:
    from typing_extensions import Self

from .http.immutable import ImmutableDict

__all__ = ["DEFAULT_CONFIG", "Config", "ConfigAttribute", "ImportStringError", "import_string"]

T = t.TypeVar("T")


class _HasConfig(t.Protocol):
    config: Config


class ConfigAttribute(t.Generic[T]):
    """Forward an app attribute (``app.secret_key``) to ``app.config[name]``.

    The config stays the single source of truth, so setting either spelling
    changes both.

    :param name: The config key.
    :param get_converter: Applied on read, e.g. ``timedelta`` for lifetimes
        that may be configured as seconds.
    """

    def __init__(self, name: str, get_converter: Callable[[t.Any], T] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @t.overload
    def __get__(self, obj: None, owner: type[t.Any] | None = None) -> Self: ...

    @t.overload
    def __get__(self, obj: _HasConfig, owner: type[t.Any] | None = None) -> T: ...

    def __get__(self, obj: _HasConfig | None, owner: type[t.Any] | None = None) -> T | Self:
        if obj is None:
            return self

        rv = obj.config[self.__name__]

        if self.get_converter is not None:
            rv = self.get_converter(rv)

        return rv  # type: ignore[no-any-return]

    def __set__(self, obj: _HasConfig, value: t.Any) -> None:
        obj.config[self.__name__] = value


class ImportStringError(ImportError):
    """An import string named no importable object.

    :param import_name: The string that failed.
    :param exception: What went wrong importing it.
    """

    def __init__(self, import_name: str, exception: BaseException) -> None:
        self.import_name = import_name
        self.exception = exception
        super().__init__(f"import_string() failed for {import_name!r}. Reason: {exception}")


def import_string(import_name: str) -> t.Any:
    """Import an object from a dotted path (``pkg.mod.obj``) or ``pkg.mod:obj``.

    Lets configuration name objects as text, e.g. ``from_object("app.settings")``.

    :param import_name: Where the object lives.
    :raises ImportStringError: If the module or attribute does not exist.
    """
    import_name = import_name.replace(":", ".")

    try:
        try:
            __import__(import_name)
        except ImportError:
            if "." not in import_name:
                raise
        else:
            return sys.modules[import_name]

        module_name, _, obj_name = import_name.rpartition(".")
        module = importlib.import_module(module_name)

        try:
            return getattr(module, obj_name)
        except AttributeError as e:
            raise ImportError(e) from None
    except ImportError as e:
        raise ImportStringError(import_name, e).with_traceback(sys.exc_info()[2]) from None


class Config(dict[str, t.Any]):
    """A dict of settings with loaders for files, objects and the environment.

    Only UPPERCASE keys are taken from files and objects, so helper names and
    imports in a config module do not leak into the configuration.

    :param root_path: Relative file names are resolved against this, usually
        the application's root, so loading does not depend on the cwd.
    :param defaults: Initial values.
    """

    def __init__(
        self,
        root_path: str | os.PathLike[str],
        defaults: Mapping[str, t.Any] | None = None,
    ) -> None:
        super().__init__(defaults or {})
        self.root_path = root_path

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by an environment variable.

        :param variable_name: The environment variable holding the file path.
        :param silent: Return ``False`` instead of raising if it is unset or
            the file is missing.
        """
        rv = os.environ.get(variable_name)

        if not rv:
            if silent:
                return False

            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set"
                " and as such configuration could not be loaded. Set"
                " this variable and make it point to a configuration"
                " file"
            )

        return self.from_pyfile(rv, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "KOLBA", *, loads: Callable[[str], t.Any] = json.loads
    ) -> bool:
        """Load every ``{prefix}_*`` environment variable, for twelve-factor deployments.

        Values go through ``loads`` so ``KOLBA_DEBUG=true`` becomes ``True``;
        values it cannot parse stay strings. ``__`` in a key nests into dicts:
        ``KOLBA_DB__HOST`` sets ``config["DB"]["HOST"]``.

        :param prefix: The variable name prefix, without the underscore.
        :param loads: Parses each value.
        """
        prefix = f"{prefix}_"

        # Sorted so that nesting is applied in a stable order.
        for key in sorted(os.environ):
            if not key.startswith(prefix):
                continue

            value: t.Any = os.environ[key]
            key = key[len(prefix) :]

            try:
                value = loads(value)
            except Exception:
                # Not valid for loads: keep the raw string.
                pass

            if "__" not in key:
                self[key] = value
                continue

            current: dict[str, t.Any] = self
            *parts, tail = key.split("__")

            for part in parts:
                if part not in current:
                    current[part] = {}

                current = current[part]

            current[tail] = value

        return True

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file as a module and load its UPPERCASE names.

        :param filename: Relative to :attr:`root_path` unless absolute.
        :param silent: Return ``False`` instead of raising if the file is missing.
        """
        filename = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = filename

        try:
            with open(filename, mode="rb") as config_file:
                exec(compile(config_file.read(), filename, "exec"), module.__dict__)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False

            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise

        self.from_object(module)
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the UPPERCASE attributes of a module, class or object.

        Classes allow config inheritance (``class Dev(Base)``) without
        instantiating anything.

        :param obj: The object, or an import string naming it.
        """
        if isinstance(obj, str):
            obj = import_string(obj)

        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[t.IO[t.Any]], Mapping[str, t.Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a data file (JSON, TOML, ...) with the given loader.

        :param filename: Relative to :attr:`root_path` unless absolute.
        :param load: Reads the open file into a mapping, e.g. ``json.load``
            or ``tomllib.load`` (with ``text=False``).
        :param silent: Return ``False`` instead of raising if the file is missing.
        :param text: Open in text mode; binary for loaders like ``tomllib``.
        """
        filename = os.path.join(self.root_path, filename)

        try:
            with open(filename, "r" if text else "rb") as f:
                obj = load(f)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR):
                return False

            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise

        return self.from_mapping(obj)

    def from_mapping(self, mapping: Mapping[str, t.Any] | None = None, **kwargs: t.Any) -> bool:
        """Load the UPPERCASE keys of a mapping and keyword arguments.

        :param mapping: Keys to load.
        :param kwargs: More keys, applied after ``mapping``.
        """
        mappings: dict[str, t.Any] = {}

        if mapping is not None:
            mappings.update(mapping)

        mappings.update(kwargs)

        for key, value in mappings.items():
            if key.isupper():
                self[key] = value

        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """Collect the keys sharing a prefix, e.g. to pass as keyword arguments.

        ``config.get_namespace("IMAGE_STORE_")`` turns ``IMAGE_STORE_TYPE`` into
        ``{"type": ...}``.

        :param namespace: The key prefix.
        :param lowercase: Lowercase the resulting keys.
        :param trim_namespace: Strip the prefix from the resulting keys.
        """
        rv = {}

        for k, v in self.items():
            if not k.startswith(namespace):
                continue

            key = k[len(namespace) :] if trim_namespace else k

            if lowercase:
                key = key.lower()

            rv[key] = v

        return rv

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


#: The configuration every app starts with: Flask 3.1's keys and defaults, except for
#: ``MAX_CONTENT_LENGTH``, which Kolba limits by default (see docs/differences.md).
DEFAULT_CONFIG: Mapping[str, t.Any] = ImmutableDict(
    {
        "DEBUG": None,
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": None,
        "SECRET_KEY": None,
        "SECRET_KEY_FALLBACKS": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
        "USE_X_SENDFILE": False,
        "TRUSTED_HOSTS": None,
        "SERVER_NAME": None,
        "APPLICATION_ROOT": "/",
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_PARTITIONED": False,
        "SESSION_COOKIE_SAMESITE": None,
        "SESSION_REFRESH_EACH_REQUEST": True,
        # Kolba: a body limit by default (Flask has none); set None to lift it.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 1_000,
        # Kolba: at most this many query-string fields (400 beyond); None lifts it.
        "MAX_QUERY_FIELDS": 10_000,
        "SEND_FILE_MAX_AGE_DEFAULT": None,
        "TRAP_BAD_REQUEST_ERRORS": None,
        "TRAP_HTTP_EXCEPTIONS": False,
        "EXPLAIN_TEMPLATE_LOADING": False,
        "PREFERRED_URL_SCHEME": "http",
        "TEMPLATES_AUTO_RELOAD": None,
        "MAX_COOKIE_SIZE": 4093,
        "PROVIDE_AUTOMATIC_OPTIONS": True,
    }
)
