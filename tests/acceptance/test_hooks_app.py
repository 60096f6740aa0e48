"""Hooks, errors, cookies, streaming and async acceptance.

Each case runs on Flask (asserting the table's expectation) and, once ``kolba.Kolba`` imports,
on the migrated app, asserting the identical status, headers and body.
"""

from __future__ import annotations

import pytest

from .harness import Case, Framework, check_flask, check_kolba_matches_flask, check_wsgi, get
from .harness import request as req

APP = "hooks_app"

CASES = [
    Case("hooks-and-g", get("/"), 200, b"app=hooks trail=before>view"),
    Case("before-request-short-circuit", get("/blocked"), 451, b"blocked by before_request"),
    Case("after-this-request", get("/later"), 200, b"later"),
    Case("head-runs-hooks", req("HEAD", "/later"), 200),
    Case(
        "teardown",
        get("/teardown-log"),
        200,
        b'["/:None","/storage:None","/nope:None","/teapot:None"]',
        prior=(get("/"), get("/storage"), get("/nope"), get("/teapot")),
    ),
    Case("errorhandler-404", get("/nope"), 404, b'{"error":"not found","path":"/nope"}'),
    Case("errorhandler-404-405-is-http", req("POST", "/"), 405, b"405 Method Not Allowed"),
    Case("abort-403-generic-handler", get("/forbidden"), 403, b"403 Forbidden: You don't"),
    Case("abort-description", get("/gone"), 410, b"410 Gone: This resource is gone for good."),
    Case("abort-response", get("/teapot"), 418, b"I am a teapot"),
    Case("custom-exception", get("/storage"), 507, b'"needed":42'),
    Case("redirect", get("/go"), 302, b"/?ref=go"),
    Case("redirect-external-303", get("/go-302-external"), 303, b"http://localhost/"),
    Case("set-cookies", get("/set-cookies"), 200, b"cookies set"),
    Case(
        "read-cookies",
        get("/read-cookies", ("Cookie", 'username=ada; theme="dark blue"; empty=')),
        200,
        b'"username":"ada"',
    ),
    Case("read-no-cookies", get("/read-cookies"), 200, b'"missing":"none"'),
    Case("stream-generator", get("/stream"), 200, b"line 0\nline 1\nline 2\n"),
    Case("stream-with-context", get("/stream-context?name=Ada"), 200, b"Hello Ada!"),
    Case("stream-response-class", get("/stream-response"), 200, b"a,b\n1,2\n"),
    Case("async-view", get("/async?x=1"), 200, b'{"arg":"1","async":true}', needs_async=True),
    Case("async-abort", get("/async-error"), 409, b"409 Conflict", needs_async=True),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_flask_answers_as_tabled(case: Case) -> None:
    check_flask(APP, case)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_kolba_matches_flask(case: Case) -> None:
    check_kolba_matches_flask(APP, case)


@pytest.mark.parametrize("framework", ["flask", "kolba"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_wsgi_contract(case: Case, framework: Framework) -> None:
    check_wsgi(APP, case, framework)
