"""Tests for kolba.config, checked against flask.config where behaviour must match."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import types
from pathlib import Path

import flask.config
import pytest

from kolba.config import Config, ConfigAttribute, ImportStringError, import_string


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def test_init_defaults_and_root_path(tmp_path: Path) -> None:
    config = Config(tmp_path, {"A": 1})
    assert config == {"A": 1}
    assert config.root_path == tmp_path
    assert Config(tmp_path) == {}


def test_repr_matches_flask() -> None:
    config = Config("/", {"A": 1})
    assert repr(config) == "<Config {'A': 1}>"
    assert repr(config) == repr(flask.config.Config("/", {"A": 1}))


def test_from_pyfile_loads_only_upper_and_relative_to_root(tmp_path: Path) -> None:
    _write(
        tmp_path / "settings.py",
        """
        import os
        SECRET_KEY = "dev"
        DEBUG = True
        lower = 1
        PATH = __file__
        """,
    )
    config = Config(tmp_path)
    assert config.from_pyfile("settings.py") is True
    assert config == {"SECRET_KEY": "dev", "DEBUG": True, "PATH": str(tmp_path / "settings.py")}


def test_from_pyfile_missing(tmp_path: Path) -> None:
    config = Config(tmp_path)
    assert config.from_pyfile("missing.py", silent=True) is False

    with pytest.raises(OSError) as kolba_info:
        config.from_pyfile("missing.py")

    with pytest.raises(OSError) as flask_info:
        flask.config.Config(tmp_path).from_pyfile("missing.py")

    assert (
        kolba_info.value.strerror == "Unable to load configuration file (No such file or directory)"
    )
    assert str(kolba_info.value) == str(flask_info.value)


def test_from_pyfile_directory_silent(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    assert Config(tmp_path).from_pyfile("dir", silent=True) is False


def test_from_envvar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "cfg.py", "FOO = 'bar'\n")
    monkeypatch.setenv("KOLBA_TEST_SETTINGS", str(tmp_path / "cfg.py"))
    config = Config(tmp_path)
    assert config.from_envvar("KOLBA_TEST_SETTINGS") is True
    assert config["FOO"] == "bar"


def test_from_envvar_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOLBA_UNSET", raising=False)
    config = Config("/")
    assert config.from_envvar("KOLBA_UNSET", silent=True) is False

    with pytest.raises(RuntimeError) as kolba_info:
        config.from_envvar("KOLBA_UNSET")

    with pytest.raises(RuntimeError) as flask_info:
        flask.config.Config("/").from_envvar("KOLBA_UNSET")

    assert str(kolba_info.value) == str(flask_info.value)
    assert "'KOLBA_UNSET' is not set" in str(kolba_info.value)


def test_from_envvar_missing_file_silent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KOLBA_MISSING", str(tmp_path / "nope.py"))
    assert Config(tmp_path).from_envvar("KOLBA_MISSING", silent=True) is False


def test_from_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("KOLBA_"):
            monkeypatch.delenv(key)

    monkeypatch.setenv("KOLBA_STRING", "value")
    monkeypatch.setenv("KOLBA_BOOL", "true")
    monkeypatch.setenv("KOLBA_INT", "1")
    monkeypatch.setenv("KOLBA_LIST", "[1, 2]")
    monkeypatch.setenv("KOLBA_DB__HOST", "localhost")
    monkeypatch.setenv("KOLBA_DB__PORT", "5432")
    monkeypatch.setenv("KOLBA_A__B__C", "null")
    monkeypatch.setenv("OTHER_X", "1")

    config = Config("/")
    assert config.from_prefixed_env() is True
    assert config == {
        "STRING": "value",
        "BOOL": True,
        "INT": 1,
        "LIST": [1, 2],
        "DB": {"HOST": "localhost", "PORT": 5432},
        "A": {"B": {"C": None}},
    }

    expected = flask.config.Config("/")
    expected.from_prefixed_env("KOLBA")
    assert config == expected


def test_from_prefixed_env_custom_prefix_and_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_NUM", "5")
    monkeypatch.setenv("APP_EXISTING__NEW", "x")
    config = Config("/", {"EXISTING": {"OLD": 1}})
    config.from_prefixed_env("APP", loads=lambda s: s * 2)
    assert config["NUM"] == "55"
    assert config["EXISTING"] == {"OLD": 1, "NEW": "xx"}


def test_from_object_module_class_and_string() -> None:
    class Base:
        DEBUG = False
        SECRET = "base"
        lower = "ignored"

    class Dev(Base):
        DEBUG = True

    config = Config("/")
    config.from_object(Dev)
    assert config == {"DEBUG": True, "SECRET": "base"}

    mod = types.ModuleType("kolba_test_cfg_mod")
    mod.VALUE = 42  # type: ignore[attr-defined]
    mod.other = 1  # type: ignore[attr-defined]
    sys.modules["kolba_test_cfg_mod"] = mod

    try:
        config = Config("/")
        config.from_object("kolba_test_cfg_mod")
        assert config == {"VALUE": 42}

        config = Config("/")
        config.from_object("json:JSONDecoder")
        assert config == {}
    finally:
        del sys.modules["kolba_test_cfg_mod"]


def test_import_string() -> None:
    assert import_string("json") is json
    assert import_string("json.dumps") is json.dumps
    assert import_string("json:dumps") is json.dumps
    assert import_string("os.path") is os.path


@pytest.mark.parametrize("name", ["kolba_no_such_module", "json.no_such_attr", "json.nope.deeper"])
def test_import_string_errors(name: str) -> None:
    with pytest.raises(ImportStringError) as info:
        import_string(name)

    assert info.value.import_name == name
    assert isinstance(info.value, ImportError)
    assert name in str(info.value)


def test_from_file_json_and_binary(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"A": 1, "b": 2}')
    config = Config(tmp_path)
    assert config.from_file("c.json", load=json.load) is True
    assert config == {"A": 1}

    import tomllib

    (tmp_path / "c.toml").write_text('C = "x"\n')
    assert config.from_file("c.toml", load=tomllib.load, text=False) is True
    assert config["C"] == "x"


def test_from_file_missing(tmp_path: Path) -> None:
    config = Config(tmp_path)
    assert config.from_file("nope.json", json.load, silent=True) is False

    with pytest.raises(OSError, match=r"Unable to load configuration file \(No such file"):
        config.from_file("nope.json", json.load)


def test_from_mapping() -> None:
    config = Config("/")
    assert config.from_mapping({"A": 1, "b": 2}, C=3, d=4) is True
    assert config == {"A": 1, "C": 3}
    config.from_mapping(None, A=5)
    assert config["A"] == 5


def test_from_mapping_kwargs_override_mapping() -> None:
    config = Config("/")
    config.from_mapping({"A": 1}, A=2)
    assert config["A"] == 2


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, {"type": "fs", "path": "/tmp"}),
        ({"lowercase": False}, {"TYPE": "fs", "PATH": "/tmp"}),
        ({"trim_namespace": False}, {"image_store_type": "fs", "image_store_path": "/tmp"}),
    ],
)
def test_get_namespace(kwargs: dict[str, bool], expected: dict[str, str]) -> None:
    data = {"IMAGE_STORE_TYPE": "fs", "IMAGE_STORE_PATH": "/tmp", "OTHER": 1}
    config = Config("/", data)
    assert config.get_namespace("IMAGE_STORE_", **kwargs) == expected
    assert expected == flask.config.Config("/", data).get_namespace("IMAGE_STORE_", **kwargs)


def test_config_attribute() -> None:
    class App:
        secret_key: ConfigAttribute[str] = ConfigAttribute("SECRET_KEY")
        lifetime = ConfigAttribute("LIFETIME", get_converter=lambda v: v * 2)

        def __init__(self) -> None:
            self.config = Config("/", {"SECRET_KEY": "s", "LIFETIME": 3})

    app = App()
    assert app.secret_key == "s"
    app.secret_key = "new"
    assert app.config["SECRET_KEY"] == "new"
    assert app.lifetime == 6
    assert isinstance(App.secret_key, ConfigAttribute)
    assert App.secret_key.__name__ == "SECRET_KEY"
