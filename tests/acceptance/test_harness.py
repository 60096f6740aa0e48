"""The harness's own parts: the import rewrite is the migration, so it must be exact."""

from __future__ import annotations

import pytest

from .harness import build_environ, get, load_app, multipart_request, rewrite_source, run_wsgi


def test_rewrite_renames_imports_and_class_only_in_code() -> None:
    source = (
        "from flask import Flask, request\n"
        "import flask\n"
        "from werkzeug.exceptions import HTTPException\n"
        "app = Flask(__name__)  # a Flask app\n"
        "text = 'Flask and flask stay'\n"
        "x = flask.json\n"
    )
    assert rewrite_source(source) == (
        "from kolba import Kolba, request\n"
        "import kolba\n"
        "from kolba.http.exceptions import HTTPException\n"
        "app = Kolba(__name__)  # a Flask app\n"
        "text = 'Flask and flask stay'\n"
        "x = kolba.json\n"
    )


def test_rewrite_refuses_a_werkzeug_module_without_a_kolba_home() -> None:
    with pytest.raises(ValueError, match="werkzeug.utils"):
        rewrite_source("from werkzeug.utils import secure_filename\n")


def test_each_load_is_a_fresh_app() -> None:
    first = load_app("hooks_app", "flask")
    second = load_app("hooks_app", "flask")
    assert first is not second
    run_wsgi(first, get("/"))
    log = run_wsgi(first, get("/teardown-log"))
    assert log.body == b'["/:None"]\n'
    assert run_wsgi(second, get("/teardown-log")).body == b"[]\n"


def test_environ_lets_request_headers_replace_defaults() -> None:
    environ = build_environ(get("/a%20b?x=1", ("Host", "example.org"), ("X-A", "1"), ("X-A", "2")))
    assert environ["HTTP_HOST"] == "example.org"
    assert environ["HTTP_X_A"] == "1,2"
    assert environ["PATH_INFO"] == "/a b"
    assert environ["QUERY_STRING"] == "x=1"


def test_multipart_body_is_well_formed() -> None:
    req = multipart_request("POST", "/", [("a", "1")], [("f", "n.txt", "text/plain", b"hi")])
    content_type = dict(req.headers)["Content-Type"]
    boundary = content_type.split("boundary=")[1].encode()
    assert req.body.startswith(b"--" + boundary + b"\r\n")
    assert req.body.endswith(b"--" + boundary + b"--\r\n")
    assert b'filename="n.txt"\r\nContent-Type: text/plain\r\n\r\nhi\r\n' in req.body
