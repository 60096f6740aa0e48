"""The harness's own parts: the import rewrite is the migration, so it must be exact."""

from __future__ import annotations

from typing import Any

import pytest

from .harness import (
    Case,
    Req,
    Result,
    _assert_same,
    _send_all,
    asgiref_missing,
    build_environ,
    get,
    load_app,
    multipart_request,
    rewrite_source,
    run_client,
    run_wsgi,
)


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


def _all_tables() -> list[tuple[str, Case]]:
    from . import test_api_app, test_hooks_app, test_routing_app

    return [
        (module.APP, case)
        for module in (test_routing_app, test_api_app, test_hooks_app)
        for case in module.CASES
    ]


@pytest.mark.parametrize("app_name, case", _all_tables(), ids=lambda v: getattr(v, "id", v))
def test_flask_against_itself_is_identical(app_name: str, case: Case) -> None:
    """Two independent Flask loads compare equal on every case, both ways of sending.

    This proves the comparison is deterministic (no clock, hash-order or per-load noise
    survives normalisation), so any Kolba mismatch is a real difference.
    """
    if case.needs_async and asgiref_missing():
        pytest.skip("Flask runs async views only with asgiref")

    # The WSGI side runs unvalidated: the validator itself is exercised by test_wsgi_contract.
    def unvalidated(app: Any, req: Req) -> Result:
        return run_wsgi(app, req, False)

    for send in (run_client, unvalidated):
        first = _send_all(load_app(app_name, "flask"), case, send)
        second = _send_all(load_app(app_name, "flask"), case, send)
        _assert_same(app_name, case, first, second)


def test_comparison_catches_each_kind_of_difference() -> None:
    case = Case("x", get("/"), 200)
    base = Result(200, (("content-type", "text/plain"),), b"ok", {"status_line": "200 OK"})
    variants = [
        Result(201, base.headers, base.body, base.extra),
        Result(200, (("content-type", "text/html"),), base.body, base.extra),
        Result(200, base.headers, b"ok!", base.extra),
        Result(200, base.headers, base.body, {"status_line": "200 Ok"}),
    ]
    for variant in variants:
        with pytest.raises(AssertionError):
            _assert_same("routing_app", case, base, variant)
