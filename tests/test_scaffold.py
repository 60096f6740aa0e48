"""What the app and blueprints share (:mod:`kolba.scaffold`), compared with Flask's scaffold.

Registration mistakes must fail loudly and at once, with Flask's exception types, and the
package-location helpers must find the same folders Flask finds (instance paths and static
folders depend on them).
"""

# The shared Flask/Kolba builders take Any, so their route decorators are untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import os
import sys
import typing as t

import flask
import pytest
from flask.helpers import get_root_path as flask_get_root_path
from flask.sansio.scaffold import find_package as flask_find_package

from kolba import Kolba
from kolba.http.exceptions import NotFound
from kolba.scaffold import find_package, get_root_path


def both(tmp_path: t.Any, **kwargs: t.Any) -> list[t.Any]:
    root = os.fspath(tmp_path)
    return [Kolba("scaf", root_path=root, **kwargs), flask.Flask("scaf", root_path=root, **kwargs)]


# -- registration errors -----------------------------------------------------------------------


def test_errorhandler_with_an_instance(tmp_path: t.Any) -> None:
    for app in both(tmp_path):
        with pytest.raises(TypeError, match="is an instance, not a class"):
            app.errorhandler(ValueError("x"))(lambda e: "")


def test_errorhandler_with_a_non_exception_class(tmp_path: t.Any) -> None:
    for app in both(tmp_path):
        with pytest.raises(ValueError, match="'int' is not a subclass of Exception"):
            app.register_error_handler(int, lambda e: "")


@pytest.mark.parametrize("code", [999, 200, 302])
def test_errorhandler_with_an_unknown_code(tmp_path: t.Any, code: int) -> None:
    for app in both(tmp_path):
        with pytest.raises(ValueError, match=f"'{code}' is not a recognized HTTP error code"):
            app.errorhandler(code)(lambda e: "")


def test_errorhandler_registry_layout_matches_flask(tmp_path: t.Any) -> None:
    class MyError(Exception):
        pass

    def handler(e: Exception) -> str:
        return "h"

    specs = []
    for app in both(tmp_path):
        app.register_error_handler(404, handler)
        app.register_error_handler(MyError, handler)
        specs.append({k: dict(v) for k, v in app.error_handler_spec[None].items()})
    assert specs[0][None] == specs[1][None] == {MyError: handler}
    assert list(specs[0][404]) == [NotFound]
    assert list(specs[1][404])[0].__name__ == "NotFound"


@pytest.mark.parametrize("method", ["get", "post", "put", "delete", "patch"])
def test_method_shortcut_refuses_methods(tmp_path: t.Any, method: str) -> None:
    for app in both(tmp_path):
        with pytest.raises(TypeError, match="Use the 'route' decorator"):
            getattr(app, method)("/", methods=["GET"])


@pytest.mark.parametrize("method", ["get", "post", "put", "delete", "patch"])
def test_method_shortcuts_route_one_method(tmp_path: t.Any, method: str) -> None:
    app = Kolba("scaf", root_path=os.fspath(tmp_path))
    getattr(app, method)("/r")(lambda: method)
    client = app.test_client()
    assert client.open("/r", method=method.upper()).text == method
    other = "POST" if method != "post" else "PUT"
    assert client.open("/r", method=other).status_code == 405


def test_endpoint_decorator(tmp_path: t.Any) -> None:
    for app in both(tmp_path):
        app.add_url_rule("/later", endpoint="later")

        @app.endpoint("later")
        def view() -> str:
            return "bound later"

        assert app.view_functions["later"] is view
        assert app.test_client().get("/later").text == "bound later"


def test_setup_after_first_request_fails(tmp_path: t.Any) -> None:
    app = Kolba("scaf", root_path=os.fspath(tmp_path))
    app.get("/")(lambda: "ok")
    app.test_client().get("/")
    with pytest.raises(AssertionError, match="setup method 'route' can no longer be called"):
        app.route("/late")
    with pytest.raises(AssertionError, match="'before_request'"):
        app.before_request(lambda: None)


def test_repr(tmp_path: t.Any) -> None:
    assert repr(Kolba("scaf", root_path=os.fspath(tmp_path))) == "<Kolba 'scaf'>"


# -- static folder and URL path -------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"static_folder": "assets/"},
        {"static_folder": "nested/files"},
        {"static_folder": None},
        {"static_folder": "assets", "static_url_path": "/s/"},
        {"static_folder": "assets", "static_url_path": ""},
        {"static_url_path": "/public"},
    ],
)
def test_static_folder_and_url_path_match_flask(tmp_path: t.Any, kwargs: dict[str, t.Any]) -> None:
    kolba_app, flask_app = both(tmp_path, **kwargs)
    assert kolba_app.static_folder == flask_app.static_folder
    assert kolba_app.static_url_path == flask_app.static_url_path
    assert kolba_app.has_static_folder == flask_app.has_static_folder


def test_static_setters(tmp_path: t.Any) -> None:
    kolba_app, flask_app = both(tmp_path)
    for app in (kolba_app, flask_app):
        app.static_folder = tmp_path / "other\\"
        app.static_url_path = "/other/"
    assert kolba_app.static_folder == flask_app.static_folder == os.fspath(tmp_path / "other")
    assert kolba_app.static_url_path == flask_app.static_url_path == "/other"
    kolba_app.static_folder = None
    assert kolba_app.static_folder is None
    assert kolba_app.has_static_folder is False


# -- open_resource -----------------------------------------------------------------------------


def test_open_resource_modes(tmp_path: t.Any) -> None:
    (tmp_path / "data.txt").write_bytes("héllo\n".encode())
    (tmp_path / "latin.txt").write_bytes("héllo".encode("latin-1"))
    for app in both(tmp_path):
        with app.open_resource("data.txt") as f:
            assert f.read() == "héllo\n".encode()
        with app.open_resource("data.txt", "rb") as f:
            assert f.read() == "héllo\n".encode()
        with app.open_resource("data.txt", "r", encoding="utf-8") as f:
            assert f.read() == "héllo\n"
        with app.open_resource("latin.txt", "rt", encoding="latin-1") as f:
            assert f.read() == "héllo"


@pytest.mark.parametrize("mode", ["w", "wb", "a", "r+", "x", "rb+"])
def test_open_resource_refuses_writing(tmp_path: t.Any, mode: str) -> None:
    (tmp_path / "data.txt").write_text("keep")
    for app in both(tmp_path):
        with pytest.raises(ValueError, match="Resources can only be opened for reading"):
            app.open_resource("data.txt", mode)
    assert (tmp_path / "data.txt").read_text() == "keep"


def test_open_resource_missing_file(tmp_path: t.Any) -> None:
    app = Kolba("scaf", root_path=os.fspath(tmp_path))
    with pytest.raises(FileNotFoundError):
        app.open_resource("missing.txt")


# -- find_package / get_root_path ----------------------------------------------------------------


@pytest.fixture
def fresh_imports(monkeypatch: pytest.MonkeyPatch) -> t.Iterator[list[str]]:
    """Names of packages a test creates; they are dropped from ``sys.modules`` afterwards."""
    names: list[str] = []
    yield names
    for mod in list(sys.modules):
        if any(mod == n or mod.startswith(n + ".") for n in names):
            del sys.modules[mod]


def _touch(path: t.Any, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_find_package_plain_package(
    tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch, fresh_imports: list[str]
) -> None:
    fresh_imports.append("scaf_plain")
    _touch(tmp_path / "src" / "scaf_plain" / "__init__.py")
    _touch(tmp_path / "src" / "scaf_plain" / "sub.py")
    monkeypatch.syspath_prepend(os.fspath(tmp_path / "src"))
    for name in ("scaf_plain", "scaf_plain.sub"):
        assert find_package(name) == flask_find_package(name)
        assert find_package(name) == (None, os.fspath(tmp_path / "src"))
    assert get_root_path("scaf_plain") == flask_get_root_path("scaf_plain")
    assert get_root_path("scaf_plain") == os.fspath(tmp_path / "src" / "scaf_plain")
    assert get_root_path("scaf_plain.sub") == os.fspath(tmp_path / "src" / "scaf_plain")


def test_find_package_single_module(
    tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch, fresh_imports: list[str]
) -> None:
    fresh_imports.append("scaf_module")
    _touch(tmp_path / "mods" / "scaf_module.py")
    monkeypatch.syspath_prepend(os.fspath(tmp_path / "mods"))
    assert find_package("scaf_module") == flask_find_package("scaf_module")
    assert find_package("scaf_module") == (None, os.fspath(tmp_path / "mods"))
    # Not imported yet: found through its spec, without importing it.
    assert get_root_path("scaf_module") == os.fspath(tmp_path / "mods")
    assert "scaf_module" not in sys.modules


@pytest.mark.parametrize(
    "layout",
    [
        ("lib", "python3.11", "site-packages"),
        ("Lib", "site-packages"),
        ("site-packages",),
    ],
)
def test_find_package_installed_layout(
    tmp_path: t.Any,
    monkeypatch: pytest.MonkeyPatch,
    fresh_imports: list[str],
    layout: tuple[str, ...],
) -> None:
    name = "scaf_installed_" + str(len(layout))
    fresh_imports.append(name)
    prefix = tmp_path / "venv"
    site = prefix.joinpath(*layout)
    _touch(site / name / "__init__.py")
    monkeypatch.syspath_prepend(os.fspath(site))
    assert find_package(name) == flask_find_package(name)
    assert find_package(name) == (os.fspath(prefix), os.fspath(site))


def test_find_package_under_sys_prefix(
    tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch, fresh_imports: list[str]
) -> None:
    fresh_imports.append("scaf_prefixed")
    monkeypatch.setattr(sys, "prefix", os.fspath(tmp_path))
    folder = tmp_path / "anywhere"
    _touch(folder / "scaf_prefixed" / "__init__.py")
    monkeypatch.syspath_prepend(os.fspath(folder))
    assert find_package("scaf_prefixed") == flask_find_package("scaf_prefixed")
    assert find_package("scaf_prefixed") == (os.fspath(tmp_path), os.fspath(folder))


def test_find_package_namespace_package(
    tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch, fresh_imports: list[str]
) -> None:
    fresh_imports.append("scaf_ns")
    _touch(tmp_path / "one" / "scaf_ns" / "first" / "__init__.py")
    monkeypatch.syspath_prepend(os.fspath(tmp_path / "one"))
    assert find_package("scaf_ns.first") == flask_find_package("scaf_ns.first")
    assert find_package("scaf_ns.first") == (None, os.fspath(tmp_path / "one"))
    assert find_package("scaf_ns") == flask_find_package("scaf_ns")
    assert get_root_path("scaf_ns.first") == os.fspath(tmp_path / "one" / "scaf_ns" / "first")


def test_find_package_namespace_split_over_two_folders(
    tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch, fresh_imports: list[str]
) -> None:
    fresh_imports.append("scaf_split")
    _touch(tmp_path / "one" / "scaf_split" / "first" / "__init__.py")
    _touch(tmp_path / "two" / "scaf_split" / "second" / "__init__.py")
    monkeypatch.syspath_prepend(os.fspath(tmp_path / "two"))
    monkeypatch.syspath_prepend(os.fspath(tmp_path / "one"))
    for name, where in (("scaf_split.first", "one"), ("scaf_split.second", "two")):
        assert flask_find_package(name) == (None, os.fspath(tmp_path / where))
        assert find_package(name) == (None, os.fspath(tmp_path / where))


def _outcome(func: t.Callable[[str], t.Any], name: str) -> t.Any:
    sys.modules.pop(name, None)
    try:
        return func(name)
    except Exception as e:  # noqa: BLE001 - the outcome is what is compared
        return type(e)


def test_get_root_path_of_namespace_package_matches_flask(
    tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch, fresh_imports: list[str]
) -> None:
    fresh_imports.append("scaf_ns_root")
    _touch(tmp_path / "scaf_ns_root" / "child" / "__init__.py")
    monkeypatch.syspath_prepend(os.fspath(tmp_path))
    monkeypatch.chdir(tmp_path / "scaf_ns_root")
    ours = _outcome(get_root_path, "scaf_ns_root")
    assert ours == _outcome(flask_get_root_path, "scaf_ns_root")
    # A namespace package has no file: either the cwd or an error that says to pass root_path.
    assert ours in (os.fspath(tmp_path / "scaf_ns_root"), RuntimeError)


def test_unknown_module_falls_back_to_cwd(tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_package("scaf_does_not_exist") == (None, os.fspath(tmp_path))
    assert get_root_path("scaf_does_not_exist") == os.fspath(tmp_path)
    assert get_root_path("__main__") == flask_get_root_path("__main__")


def test_instance_path_uses_find_package(
    tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch, fresh_imports: list[str]
) -> None:
    fresh_imports.append("scaf_inst")
    prefix = tmp_path / "venv"
    site = prefix / "lib" / "python3.11" / "site-packages"
    _touch(site / "scaf_inst" / "__init__.py")
    monkeypatch.syspath_prepend(os.fspath(site))
    app = Kolba("scaf_inst")
    assert app.root_path == os.fspath(site / "scaf_inst")
    assert app.instance_path == flask.Flask("scaf_inst").instance_path
    assert app.instance_path == os.fspath(prefix / "var" / "scaf_inst-instance")
