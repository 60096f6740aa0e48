"""The application object: construction, config, folders, resources, WSGI, setup checks.

Each behaviour is checked through the test client or the WSGI callable and, where a value can
be compared, against ``flask.Flask`` built the same way.
"""

from __future__ import annotations

import io
import json
import logging
import os
import typing as t
from collections.abc import Callable, Iterable
from pathlib import Path

import flask
import pytest

import kolba
from kolba import Kolba

# Differences Kolba makes on purpose (documented): Flask has no body limit by default.
KOLBA_ONLY_DEFAULTS = {"MAX_CONTENT_LENGTH": 16 * 1024 * 1024}


def _both(tmp_path: Path, **kwargs: t.Any) -> tuple[Kolba, flask.Flask]:
    """The same app on both frameworks, rooted in ``tmp_path``, so values can be compared."""
    return (
        Kolba("kolba_app", root_path=os.fspath(tmp_path), **kwargs),
        flask.Flask("kolba_app", root_path=os.fspath(tmp_path), **kwargs),
    )


# --- construction and folders -----------------------------------------------------------------


#: Config keys Kolba has and Flask does not (docs/differences.md).
KOLBA_ONLY_KEYS = {"MAX_QUERY_FIELDS"}


def test_default_config_has_flasks_keys() -> None:
    assert set(Kolba.default_config) == set(flask.Flask.default_config) | KOLBA_ONLY_KEYS


def test_default_config_values_match_flask_except_documented() -> None:
    for key, value in flask.Flask.default_config.items():
        expected = KOLBA_ONLY_DEFAULTS.get(key, value)
        assert Kolba.default_config[key] == expected, key


def test_folders_default_like_flask(tmp_path: Path) -> None:
    k, f = _both(tmp_path)
    assert k.root_path == f.root_path == os.fspath(tmp_path)
    assert k.static_folder == f.static_folder == os.path.join(tmp_path, "static")
    assert k.template_folder == f.template_folder == "templates"
    assert k.static_url_path == f.static_url_path == "/static"


def test_folders_given(tmp_path: Path) -> None:
    inst = os.fspath(tmp_path / "inst")
    k, f = _both(tmp_path, static_folder="assets", template_folder="tpl", instance_path=inst)
    assert k.static_folder == f.static_folder == os.path.join(tmp_path, "assets")
    assert k.static_url_path == f.static_url_path == "/assets"
    assert k.template_folder == f.template_folder == "tpl"
    assert k.instance_path == f.instance_path == inst


def test_instance_path_default_beside_module() -> None:
    k = Kolba(__name__)
    f = flask.Flask(__name__)
    assert k.root_path == f.root_path == os.path.dirname(os.path.abspath(__file__))
    assert k.instance_path == f.instance_path == os.path.join(k.root_path, "instance")


def test_instance_path_must_be_absolute() -> None:
    with pytest.raises(ValueError, match="must be absolute"):
        Kolba(__name__, instance_path="relative/instance")


def test_name_and_logger(app: Kolba) -> None:
    assert app.name == "test_app"
    assert isinstance(app.logger, logging.Logger)
    assert app.logger.name == "test_app"
    assert app.logger is app.logger


def test_extensions_is_a_dict_per_app(tmp_path: Path) -> None:
    a, b = Kolba("a", root_path=os.fspath(tmp_path)), Kolba("b", root_path=os.fspath(tmp_path))
    a.extensions["thing"] = 1
    assert a.extensions == {"thing": 1}
    assert b.extensions == {}


def test_secret_key_debug_testing_are_config_views(app: Kolba) -> None:
    assert app.secret_key == "test key"
    app.secret_key = "other"
    assert app.config["SECRET_KEY"] == "other"
    assert app.testing is True
    app.testing = False
    assert app.config["TESTING"] is False
    assert app.debug is False
    app.debug = True
    assert app.config["DEBUG"] is True
    assert app.debug is True


def test_open_resource(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("root data")
    k, f = _both(tmp_path)
    with k.open_resource("data.txt") as fk, f.open_resource("data.txt") as ff:
        data = [t.cast(bytes, fk.read()), t.cast(bytes, ff.read())]
    assert data == [b"root data", b"root data"]
    with k.open_resource("data.txt", "r") as fk:
        assert fk.read() == "root data"


def test_open_resource_refuses_write(app: Kolba) -> None:
    with pytest.raises(ValueError):
        app.open_resource("x.txt", "w")


def test_open_instance_resource(tmp_path: Path) -> None:
    inst = tmp_path / "instance"
    inst.mkdir()
    app = Kolba("x", root_path=os.fspath(tmp_path), instance_path=os.fspath(inst))
    with app.open_instance_resource("secret.cfg", "w") as fh:
        fh.write("written")
    with app.open_instance_resource("secret.cfg") as fh:
        assert t.cast(bytes, fh.read()) == b"written"
    assert (inst / "secret.cfg").read_text() == "written"


# --- config loaders ----------------------------------------------------------------------------


class _ConfigObject:
    DEBUG_LEVEL = 3
    FEATURE = "on"
    lower_is_ignored = True


def test_config_from_mapping_and_object(app: Kolba) -> None:
    assert app.config.from_mapping({"A_KEY": 1}, B_KEY=2, lower=3) is True
    app.config.from_object(_ConfigObject)
    assert app.config["A_KEY"] == 1
    assert app.config["B_KEY"] == 2
    assert "lower" not in app.config
    assert app.config["DEBUG_LEVEL"] == 3
    assert "lower_is_ignored" not in app.config


def test_config_from_object_import_string(app: Kolba) -> None:
    app.config.from_object(f"{__name__}._ConfigObject")
    assert app.config["FEATURE"] == "on"


def test_config_from_pyfile(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text("SECRET = 'py'\nlower = 1\nNUM = 2 * 21\n")
    k, f = _both(tmp_path)
    assert k.config.from_pyfile("settings.py") is True
    f.config.from_pyfile("settings.py")
    assert k.config["SECRET"] == f.config["SECRET"] == "py"
    assert k.config["NUM"] == 42
    assert "lower" not in k.config


def test_config_from_pyfile_missing(app: Kolba) -> None:
    assert app.config.from_pyfile("nope.py", silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        app.config.from_pyfile("nope.py")


def test_config_from_pyfile_instance_relative(tmp_path: Path) -> None:
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "cfg.py").write_text("WHERE = 'instance'\n")
    app = Kolba(
        "x",
        root_path=os.fspath(tmp_path),
        instance_path=os.fspath(inst),
        instance_relative_config=True,
    )
    app.config.from_pyfile("cfg.py")
    assert app.config["WHERE"] == "instance"


def test_config_from_file_json(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"FROM_JSON": [1, 2], "lower": 0}))
    k, f = _both(tmp_path)
    assert k.config.from_file("c.json", load=json.load) is True
    f.config.from_file("c.json", load=json.load)
    assert k.config["FROM_JSON"] == f.config["FROM_JSON"] == [1, 2]
    assert "lower" not in k.config
    assert k.config.from_file("missing.json", load=json.load, silent=True) is False


def test_config_from_envvar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "env.py"
    path.write_text("FROM_ENV = 'yes'\n")
    app = Kolba("x", root_path=os.fspath(tmp_path))
    monkeypatch.setenv("KOLBA_TEST_SETTINGS", os.fspath(path))
    assert app.config.from_envvar("KOLBA_TEST_SETTINGS") is True
    assert app.config["FROM_ENV"] == "yes"
    monkeypatch.delenv("KOLBA_TEST_SETTINGS")
    assert app.config.from_envvar("KOLBA_TEST_SETTINGS", silent=True) is False
    with pytest.raises(RuntimeError, match="KOLBA_TEST_SETTINGS"):
        app.config.from_envvar("KOLBA_TEST_SETTINGS")


def test_config_from_prefixed_env(app: Kolba, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLBA_SECRET_KEY", "envsecret")
    monkeypatch.setenv("KOLBA_NUMBER", "42")
    monkeypatch.setenv("KOLBA_FLAG", "true")
    monkeypatch.setenv("KOLBA_DB__HOST", "db.local")
    monkeypatch.setenv("OTHER_THING", "no")
    app.config["DB"] = {}
    app.config.from_prefixed_env()
    assert app.config["SECRET_KEY"] == "envsecret"
    assert app.config["NUMBER"] == 42
    assert app.config["FLAG"] is True
    assert app.config["DB"] == {"HOST": "db.local"}
    assert "THING" not in app.config
    monkeypatch.setenv("MYAPP_X", "[1]")
    app.config.from_prefixed_env("MYAPP")
    assert app.config["X"] == [1]


def test_config_get_namespace(app: Kolba) -> None:
    app.config.from_mapping(IMAGE_STORE_TYPE="fs", IMAGE_STORE_PATH="/var", OTHER=1)
    assert app.config.get_namespace("IMAGE_STORE_") == {"type": "fs", "path": "/var"}
    assert app.config.get_namespace("IMAGE_STORE_", lowercase=False) == {
        "TYPE": "fs",
        "PATH": "/var",
    }
    assert app.config.get_namespace("IMAGE_STORE_", trim_namespace=False) == {
        "image_store_type": "fs",
        "image_store_path": "/var",
    }


def test_config_class_is_exported() -> None:
    assert isinstance(Kolba("x").config, kolba.Config)


# --- WSGI --------------------------------------------------------------------------------------


def _call(
    app: Callable[..., Iterable[bytes]], path: str
) -> tuple[str, list[tuple[str, str]], bytes]:
    seen: dict[str, t.Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Any:
        seen["status"], seen["headers"] = status, headers
        return lambda data: None

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    body_iter = app(environ, start_response)
    try:
        body = b"".join(body_iter)
    finally:
        close = getattr(body_iter, "close", None)
        if close is not None:
            close()
    return seen["status"], seen["headers"], body


def test_app_is_a_wsgi_callable(app: Kolba) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    status, headers, body = _call(app, "/")
    assert status == "200 OK"
    assert ("Content-Type", "text/html; charset=utf-8") in headers
    assert ("Content-Length", "5") in headers
    assert body == b"hello"


def test_wsgi_app_middleware_wrapping(app: Kolba) -> None:
    app.add_url_rule("/", "index", lambda: "hello")

    class Middleware:
        def __init__(self, wsgi_app: t.Any) -> None:
            self.wsgi_app = wsgi_app

        def __call__(self, environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
            environ["PATH_INFO"] = "/"  # rewrite every path to the index

            def sr(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> t.Any:
                return start_response(status, [*headers, ("X-Wrapped", "1")], exc_info)

            return self.wsgi_app(environ, sr)

    app.wsgi_app = Middleware(app.wsgi_app)  # type: ignore[method-assign]
    rv = app.test_client().get("/anything")
    assert rv.status_code == 200
    assert rv.data == b"hello"
    assert rv.headers["X-Wrapped"] == "1"


def test_wsgi_app_replaced_on_one_instance_only() -> None:
    # __call__ is wsgi_app itself until middleware replaces wsgi_app on an instance; then that
    # instance (only) calls through the replacement, and still looks like the same class.
    first, second = Kolba("first"), Kolba("second")
    for app in (first, second):
        app.add_url_rule("/", "index", lambda: "plain")
    seen: list[str] = []
    original = first.wsgi_app

    def middleware(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        seen.append(environ["PATH_INFO"])
        return original(environ, start_response)

    first.wsgi_app = middleware  # type: ignore[method-assign]
    assert _call(first, "/")[2] == b"plain"
    assert seen == ["/"]
    assert _call(second, "/")[2] == b"plain"
    assert seen == ["/"]
    assert isinstance(first, Kolba)
    assert type(first).__name__ == "Kolba"
    assert type(second) is Kolba
    # Putting the original back (or wrapping again) keeps working.
    first.wsgi_app = original  # type: ignore[method-assign]
    assert _call(first, "/")[2] == b"plain"
    assert seen == ["/"]
    third = Kolba("third")
    third.add_url_rule("/", "index", lambda: "plain")
    third.wsgi_app = middleware  # type: ignore[method-assign]
    assert type(third) is type(first)  # one delegating class per application class


def test_subclass_overriding_wsgi_app_gets_every_request() -> None:
    class Counting(Kolba):
        calls = 0

        def wsgi_app(self, environ: t.Any, start_response: t.Any) -> t.Any:
            type(self).calls += 1
            return super().wsgi_app(environ, start_response)

    class OwnCall(Kolba):
        def __call__(self, environ: t.Any, start_response: t.Any) -> t.Any:
            environ["PATH_INFO"] = "/"
            return self.wsgi_app(environ, start_response)

    counting = Counting("counting")
    counting.add_url_rule("/", "index", lambda: "counted")
    assert counting.test_client().get("/").data == b"counted"
    assert _call(counting, "/")[2] == b"counted"
    assert Counting.calls == 2

    own = OwnCall("own")
    own.add_url_rule("/", "index", lambda: "own")
    assert _call(own, "/elsewhere")[2] == b"own"
    own.wsgi_app = own.wsgi_app  # type: ignore[method-assign]
    assert type(own) is OwnCall  # its own __call__ is left alone
    assert _call(own, "/elsewhere")[2] == b"own"


# --- setup after first request -----------------------------------------------------------------


@pytest.mark.parametrize(
    "register",
    [
        lambda a: a.add_url_rule("/late", "late", lambda: "x"),
        lambda a: a.route("/late")(lambda: "x"),
        lambda a: a.before_request(lambda: None),
        lambda a: a.after_request(lambda r: r),
        lambda a: a.teardown_request(lambda e: None),
        lambda a: a.errorhandler(404)(lambda e: "x"),
        lambda a: a.url_defaults(lambda e, v: None),
    ],
    ids=["add_url_rule", "route", "before", "after", "teardown", "errorhandler", "url_defaults"],
)
def test_setup_after_first_request_raises(app: Kolba, register: Callable[[Kolba], object]) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    assert app.test_client().get("/").status_code == 200
    with pytest.raises(AssertionError, match="can no longer be called"):
        register(app)


def test_setup_before_first_request_is_fine(app: Kolba) -> None:
    app.add_url_rule("/", "index", lambda: "hello")
    app.add_url_rule("/two", "two", lambda: "two")
    assert app.test_client().get("/two").data == b"two"


def test_repr_names_app(app: Kolba) -> None:
    assert "test_app" in repr(app)
