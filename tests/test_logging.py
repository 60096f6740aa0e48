"""The application logger (:mod:`kolba.logging`), checked against Flask's where they overlap."""

from __future__ import annotations

import io
import logging
import os
import sys
import typing as t

import flask
import pytest

from kolba import Kolba
from kolba.ctx import RequestContext
from kolba.http.scope import SimpleScope
from kolba.logging import default_handler, has_level_handler, wsgi_errors_stream


@pytest.fixture
def name(request: pytest.FixtureRequest) -> t.Iterator[str]:
    """A logger name no other test uses; its logger is reset afterwards (loggers are global)."""
    value = f"kolba_log_test.{request.node.name}"
    yield value
    logger = logging.getLogger(value)
    logger.handlers.clear()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True


@pytest.fixture
def parent(monkeypatch: pytest.MonkeyPatch) -> t.Iterator[logging.Logger]:
    """The parent of every test logger, cut off from the root: an unconfigured logging setup.

    (The root logger cannot be emptied for a test: pytest adds its capture handlers to it
    around each test call.)
    """
    logger = logging.getLogger("kolba_log_test")
    monkeypatch.setattr(logger, "propagate", False)

    # pytest >= 9.1 also attaches its capture handlers to loggers that do not propagate;
    # keep them off this one so it stays unconfigured.
    def add_handler(handler: logging.Handler) -> None:
        if type(handler).__module__ != "_pytest.logging":
            logging.Logger.addHandler(logger, handler)

    monkeypatch.setattr(logger, "addHandler", add_handler)
    yield logger
    logger.handlers.clear()


def make_app(name: str, tmp_path: t.Any, **config: t.Any) -> Kolba:
    app = Kolba(name, root_path=os.fspath(tmp_path))
    app.config.update(config)
    return app


def test_logger_named_after_app(name: str, tmp_path: t.Any) -> None:
    app = make_app(name, tmp_path)
    assert app.logger.name == name
    assert app.logger is logging.getLogger(name)
    assert app.logger is app.logger
    flask_app = flask.Flask(name + ".flask", root_path=os.fspath(tmp_path))
    assert flask_app.logger.name == flask_app.name


def test_default_handler_added_when_nothing_would_emit(
    name: str, tmp_path: t.Any, parent: logging.Logger
) -> None:
    logger = make_app(name, tmp_path).logger
    assert logger.handlers == [default_handler]
    assert default_handler.stream is wsgi_errors_stream


def test_no_default_handler_when_logging_is_configured(
    name: str, tmp_path: t.Any, parent: logging.Logger
) -> None:
    parent.addHandler(logging.NullHandler())
    assert make_app(name, tmp_path).logger.handlers == []


def test_default_handler_added_when_handlers_are_too_strict(
    name: str, tmp_path: t.Any, parent: logging.Logger
) -> None:
    parent.addHandler(logging.NullHandler(logging.CRITICAL))
    logger = make_app(name, tmp_path).logger
    assert logger.handlers == [default_handler]


def test_has_level_handler_stops_at_non_propagating_logger(
    name: str, parent: logging.Logger
) -> None:
    logger = logging.getLogger(name)
    assert not has_level_handler(logger)
    parent.addHandler(logging.NullHandler())
    assert has_level_handler(logger)
    logger.propagate = False
    assert not has_level_handler(logger)
    logger.addHandler(logging.NullHandler(logging.DEBUG))
    assert has_level_handler(logger)


@pytest.mark.parametrize("framework", ["kolba", "flask"])
def test_debug_sets_debug_level(name: str, tmp_path: t.Any, framework: str) -> None:
    app: t.Any
    if framework == "kolba":
        app = make_app(name, tmp_path)
    else:
        app = flask.Flask(name, root_path=os.fspath(tmp_path))
    app.debug = True
    assert app.logger.level == logging.DEBUG


def test_debug_keeps_a_level_set_by_the_user(name: str, tmp_path: t.Any) -> None:
    logging.getLogger(name).setLevel(logging.WARNING)
    app = make_app(name, tmp_path)
    app.debug = True
    assert app.logger.level == logging.WARNING


def test_not_debug_leaves_level_unset(name: str, tmp_path: t.Any) -> None:
    assert make_app(name, tmp_path).logger.level == logging.NOTSET


def test_messages_go_to_wsgi_errors_during_a_request(
    name: str, tmp_path: t.Any, parent: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(name, tmp_path)

    @app.get("/")
    def index() -> str:
        app.logger.warning("inside the request")
        return "ok"

    errors = io.StringIO()
    response = app.test_client().get("/", errors_stream=errors)
    assert response.status_code == 200
    assert "WARNING in test_logging: inside the request" in errors.getvalue()
    app.logger.warning("outside any request")
    captured = capsys.readouterr()
    assert "inside the request" not in captured.err
    assert "WARNING in test_logging: outside any request" in captured.err
    assert "outside" not in errors.getvalue()


def test_stream_falls_back_to_stderr_without_wsgi_errors(
    name: str, tmp_path: t.Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(name, tmp_path)
    # A request from a non-WSGI adapter: its scope has no environ at all.
    with RequestContext(app, SimpleScope()):
        wsgi_errors_stream.write("no environ\n")
        wsgi_errors_stream.flush()
    # A WSGI environ that lacks wsgi.errors (a minimal hand-made one).
    with app.request_context({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}):
        wsgi_errors_stream.write("no wsgi.errors\n")
    with app.app_context():
        wsgi_errors_stream.write("app ctx only\n")
    assert capsys.readouterr().err == "no environ\nno wsgi.errors\napp ctx only\n"


def test_stream_writes_to_the_request_wsgi_errors(
    name: str, tmp_path: t.Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(name, tmp_path)
    errors = io.StringIO()
    with app.test_request_context("/", errors_stream=errors):
        assert wsgi_errors_stream.write("to the server\n") == len("to the server\n")
        wsgi_errors_stream.flush()
    assert errors.getvalue() == "to the server\n"
    assert capsys.readouterr().err == ""


def test_unhandled_exception_logged_once_with_traceback(
    name: str, tmp_path: t.Any, parent: logging.Logger
) -> None:
    app = make_app(name, tmp_path, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom() -> str:
        raise ValueError("kaboom")

    errors = io.StringIO()
    response = app.test_client().get("/boom", errors_stream=errors)
    assert response.status_code == 500
    log = errors.getvalue()
    assert log.count("ERROR in app: Exception on /boom [GET]") == 1
    assert log.count("Traceback (most recent call last):") == 1
    assert "ValueError: kaboom" in log
    # The client never sees the detail.
    assert b"kaboom" not in response.data


def test_log_exception_outside_a_request(
    name: str, tmp_path: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(name, tmp_path)
    try:
        raise KeyError("k")
    except KeyError:
        exc_info = sys.exc_info()
    with caplog.at_level(logging.ERROR, logger=name):
        app.log_exception(exc_info)
    [record] = [r for r in caplog.records if r.name == name]
    assert record.getMessage() == "Exception"
    assert record.exc_info is not None and record.exc_info[0] is KeyError
