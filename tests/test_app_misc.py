"""Less travelled paths of the application core, each compared with Flask where Flask has an
answer: foreign response objects, returned HTTP errors, the app's name, instance-relative config,
trusted hosts, default OPTIONS answers, errors while finalizing an error, and teardown overrides.
"""

# The apps are built on either framework through ``t.Any``, so their decorators are untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import logging
import os
import sys
import types
import typing as t
from pathlib import Path
from types import ModuleType

import flask
import pytest
import werkzeug
import werkzeug.exceptions

import kolba
import kolba.http.exceptions
from kolba.http.response import Response as HTTPResponse

FRAMEWORKS = [kolba, flask]
IDS = ["kolba", "flask"]


def _app_class(mod: ModuleType) -> t.Any:
    return flask.Flask if mod is flask else kolba.Kolba


def _exceptions(mod: ModuleType) -> t.Any:
    return werkzeug.exceptions if mod is flask else kolba.http.exceptions


def _result(r: t.Any) -> tuple[int, bytes, str | None, str | None]:
    return r.status_code, r.data, r.headers.get("Content-Type"), r.headers.get("X")


# --- what a view returns ----------------------------------------------------------------------


def returns_app(mod: ModuleType) -> t.Any:
    app = _app_class(mod)("returns")
    ex = _exceptions(mod)
    seen: list[type] = []
    app.config["seen"] = seen

    @app.route("/base")
    def base() -> t.Any:
        cls = werkzeug.Response if mod is flask else HTTPResponse
        return cls("b", 201, headers={"X": "1"})

    @app.route("/raised-not")
    def returned_error() -> t.Any:
        return ex.Forbidden("nope")

    @app.route("/error-status")
    def error_with_status() -> t.Any:
        return ex.NotFound(), 410

    @app.after_request
    def record(response: t.Any) -> t.Any:
        seen.append(type(response))
        return response

    return app


@pytest.mark.parametrize("path", ["/base", "/raised-not", "/error-status"])
def test_returned_responses_match_flask(path: str) -> None:
    k = _result(returns_app(kolba).test_client().get(path))
    f = _result(returns_app(flask).test_client().get(path))
    assert k == f
    expected_status = {"/base": 201, "/raised-not": 403, "/error-status": 410}[path]
    assert k[0] == expected_status


def test_http_layer_response_becomes_the_app_class() -> None:
    app = returns_app(kolba)
    r = app.test_client().get("/base")
    assert (r.status_code, r.data, r.headers["X"]) == (201, b"b", "1")
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert app.config["seen"] == [kolba.Response]


def test_returned_http_exception_becomes_its_page() -> None:
    app = returns_app(kolba)
    r = app.test_client().get("/raised-not")
    assert r.data.endswith(b"<h1>Forbidden</h1>\n<p>nope</p>\n")
    assert app.config["seen"] == [kolba.Response]


# --- name and config --------------------------------------------------------------------------


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_name_of_a_main_script(
    mod: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = types.ModuleType("__main__")
    fake.__file__ = "/somewhere/my_script.py"
    monkeypatch.setitem(sys.modules, "__main__", fake)
    kwargs = {"root_path": os.fspath(tmp_path), "instance_path": os.fspath(tmp_path / "i")}
    assert _app_class(mod)("__main__", **kwargs).name == "my_script"
    del fake.__file__
    assert _app_class(mod)("__main__", **kwargs).name == "__main__"


def test_name_is_the_import_name(tmp_path: Path) -> None:
    assert kolba.Kolba("pkg.mod", root_path=os.fspath(tmp_path)).name == "pkg.mod"


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
@pytest.mark.parametrize("relative", [True, False])
def test_instance_relative_config(mod: ModuleType, relative: bool, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "app.cfg").write_text("WHERE = 'instance'\n")
    (tmp_path / "app.cfg").write_text("WHERE = 'root'\n")
    app = _app_class(mod)(
        "cfgapp",
        root_path=os.fspath(tmp_path),
        instance_path=os.fspath(instance),
        instance_relative_config=relative,
    )
    assert app.config.root_path == os.fspath(instance if relative else tmp_path)
    assert app.config.from_pyfile("app.cfg") is True
    assert app.config["WHERE"] == ("instance" if relative else "root")


# --- trusted hosts ----------------------------------------------------------------------------


def trusted_app(mod: ModuleType) -> t.Any:
    app = _app_class(mod)("trusted")
    app.config["TRUSTED_HOSTS"] = ["good.test", ".sub.test"]

    @app.route("/")
    def index() -> str:
        return "ok"

    return app


@pytest.mark.parametrize(
    ("base", "status"),
    [
        ("http://good.test", 200),
        ("http://good.test:8080", 200),
        ("http://a.sub.test", 200),
        ("http://sub.test", 200),
        ("http://bad.test", 400),
        ("http://good.test.evil", 400),
    ],
)
def test_trusted_hosts_like_flask(base: str, status: int) -> None:
    k = _result(trusted_app(kolba).test_client().get("/", base_url=base))
    f = _result(trusted_app(flask).test_client().get("/", base_url=base))
    assert k == f
    assert k[0] == status
    if status == 400:
        host = base.split("//")[1]
        assert f"<p>Host &#39;{host}&#39; is not trusted.</p>".encode() in k[1]


def test_untrusted_host_reaches_the_400_handler() -> None:
    app = trusted_app(kolba)

    @app.errorhandler(400)
    def bad(e: Exception) -> tuple[str, int]:
        return "handled", 400

    r = app.test_client().get("/", base_url="http://bad.test")
    assert (r.status_code, r.data) == (400, b"handled")


# --- default OPTIONS --------------------------------------------------------------------------


def options_app(mod: ModuleType) -> t.Any:
    app = _app_class(mod)("opts")

    @app.route("/p", methods=["GET", "PUT"])
    def p() -> str:
        return "p"

    return app


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_make_default_options_response(mod: ModuleType) -> None:
    app = options_app(mod)
    with app.test_request_context("/p"):
        r = app.make_default_options_response()
    assert isinstance(r, app.response_class)
    assert (r.status_code, r.get_data()) == (200, b"")
    assert set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}


def test_default_options_for_an_unknown_path_has_no_allow() -> None:
    results = []
    for mod in FRAMEWORKS:
        app = options_app(mod)
        with app.test_request_context("/nothere"):
            r = app.make_default_options_response()
        results.append((r.status_code, r.headers.get("Allow")))
    assert results == [(200, None), (200, None)]


def test_options_request_through_the_client() -> None:
    for mod in FRAMEWORKS:
        r = options_app(mod).test_client().options("/p")
        assert (r.status_code, r.data) == (200, b"")
        assert set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}


# --- errors while finishing an error ------------------------------------------------------------


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        self.records.append((record.getMessage(), exc))


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_error_in_after_request_while_handling_an_error_is_logged(
    mod: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app_class(mod)(f"finalizing_{mod.__name__}")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    handler = _Records()
    monkeypatch.setattr(app.logger, "handlers", [handler])
    monkeypatch.setattr(app.logger, "propagate", False)

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("view")

    @app.after_request
    def after(response: t.Any) -> t.Any:
        if response.status_code == 500:
            raise KeyError("after")
        return response

    r = app.test_client().get("/boom")
    assert r.status_code == 500
    assert b"Internal Server Error" in r.data
    assert handler.records == [
        ("Exception on /boom [GET]", "ValueError"),
        ("Request finalizing failed with an error while handling an error", "KeyError"),
    ]


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_error_in_after_request_on_success_is_not_swallowed(mod: ModuleType) -> None:
    app = _app_class(mod)("after_ok")
    app.testing = True

    @app.route("/")
    def index() -> str:
        return "ok"

    @app.after_request
    def after(response: t.Any) -> t.Any:
        raise KeyError("after")

    with pytest.raises(KeyError, match="after"):
        app.test_client().get("/")


# --- teardown overrides -------------------------------------------------------------------------


def teardown_app(mod: ModuleType, seen: list[tuple[str, str]], register: bool) -> t.Any:
    class Sub(_app_class(mod)):  # type: ignore[misc]
        def should_ignore_error(self, error: BaseException | None) -> bool:
            return isinstance(error, ValueError)

        def do_teardown_request(self, exc: BaseException | None = None) -> None:
            seen.append(("request", repr(exc)))
            super().do_teardown_request(exc)

        def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
            seen.append(("appcontext", repr(exc)))
            super().do_teardown_appcontext(exc)

    app = Sub("teardown")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True

    if register:

        @app.teardown_request
        def td(exc: BaseException | None) -> None:
            seen.append(("hook", repr(exc)))

    @app.route("/")
    def ok() -> str:
        return "ok"

    @app.route("/value")
    def value() -> str:
        raise ValueError("hidden")

    @app.route("/key")
    def key() -> str:
        raise KeyError("shown")

    return app


@pytest.mark.parametrize("register", [True, False], ids=["hook", "no-hook"])
@pytest.mark.parametrize(
    ("path", "exc"),
    [("/", "None"), ("/value", "None"), ("/key", "KeyError('shown')")],
)
def test_overridden_teardown_runs_and_ignored_errors_are_hidden(
    path: str, exc: str, register: bool
) -> None:
    recordings = []
    for mod in FRAMEWORKS:
        seen: list[tuple[str, str]] = []
        r = teardown_app(mod, seen, register).test_client().get(path)
        recordings.append((r.status_code, seen))
    assert recordings[0] == recordings[1]
    expected = [("request", exc), ("appcontext", exc)]
    if register:
        expected.insert(1, ("hook", exc))
    assert recordings[0][1] == expected


# --- entry points called by hand ------------------------------------------------------------------


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_dispatch_and_process_response_find_the_current_context(mod: ModuleType) -> None:
    app = _app_class(mod)("by_hand")

    @app.route("/")
    def index() -> str:
        return "i"

    @app.after_request
    def mark(response: t.Any) -> t.Any:
        response.headers["X"] = "after"
        return response

    with app.test_request_context("/"):
        r = app.full_dispatch_request()
        assert (r.status_code, r.get_data(), r.headers["X"]) == (200, b"i", "after")
    with app.test_request_context("/"):
        r = app.process_response(app.response_class("z"))
        assert (r.get_data(), r.headers["X"]) == (b"z", "after")


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=IDS)
def test_permanent_session_lifetime_from_seconds(mod: ModuleType) -> None:
    from datetime import timedelta

    app = _app_class(mod)("lifetime")
    app.config["PERMANENT_SESSION_LIFETIME"] = 60
    assert app.permanent_session_lifetime == timedelta(seconds=60)


def test_status_given_as_bytes() -> None:
    # Werkzeug fails on a bytes status (str/bytes mix-up in its status parser); Kolba decodes it.
    app = kolba.Kolba("bytes_status")

    @app.route("/")
    def index() -> t.Any:
        return kolba.Response("b"), b"202 Accepted Thing"

    r = app.test_client().get("/")
    assert (r.status, r.data) == ("202 Accepted Thing", b"b")
