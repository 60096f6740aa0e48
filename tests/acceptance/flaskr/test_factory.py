"""The app factory: configuration from the caller or the instance folder, and a first route."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..harness import Framework
from .loader import flaskr_package


def test_config(make_app: Callable[..., Any]) -> None:
    assert not make_app().testing
    assert make_app({"TESTING": True}).testing


def test_defaults(make_app: Callable[..., Any], tmp_path: Path) -> None:
    """Without test settings the database sits in the instance folder beside the package,
    and the factory has created that folder (SQLite would not)."""
    app = make_app()
    instance = tmp_path / "src" / "instance"
    assert Path(app.instance_path) == instance
    assert instance.is_dir()
    assert app.config["DATABASE"] == str(instance / "flaskr.sqlite")
    assert app.config["SECRET_KEY"] == "dev"


def test_instance_config_file(make_app: Callable[..., Any], tmp_path: Path) -> None:
    """``instance_relative_config`` makes ``from_pyfile("config.py")`` read the instance one."""
    instance = tmp_path / "src" / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('SECRET_KEY = "from the instance"\n')
    assert make_app().config["SECRET_KEY"] == "from the instance"
    # Test settings replace the file: it is not read at all.
    assert make_app({"TESTING": True}).config["SECRET_KEY"] == "dev"


def test_hello(client: Any) -> None:
    response = client.get("/hello")
    assert response.status_code == 200
    assert response.data == b"Hello, World!"


def test_static_stylesheet(client: Any) -> None:
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert b".flash" in response.data
    response.close()


@pytest.mark.parametrize("framework", ["flask", "kolba"])
def test_index_alias_rule(framework: Framework, tmp_path: Path) -> None:
    """The tutorial names ``/`` twice: ``blog.index`` (the view) and ``index`` (a rule with no
    view function, used by ``url_for("index")``); a request to ``/`` reaches the view."""
    with flaskr_package(framework, tmp_path) as flaskr:
        app = flaskr.create_app({"TESTING": True, "DATABASE": str(tmp_path / "db.sqlite")})
        with app.app_context():
            flaskr.db.init_db()
        with app.test_request_context():
            assert flaskr.auth.url_for("index") == "/"
            assert flaskr.auth.url_for("blog.index") == "/"
        response = app.test_client().get("/")
        assert response.status_code == 200
        assert b"<title>Posts - Flaskr</title>" in response.data
