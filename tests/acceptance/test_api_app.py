"""Request and response data acceptance: query args, JSON, forms, uploads, headers, auth.

Each case runs on Flask (asserting the table's expectation) and, once ``kolba.Kolba`` imports,
on the migrated app, asserting the identical status, headers and body.
"""

from __future__ import annotations

import base64

import pytest

from .harness import (
    Case,
    Framework,
    check_flask,
    check_kolba_matches_flask,
    check_wsgi,
    form_request,
    get,
    json_request,
    multipart_request,
)
from .harness import request as req

APP = "api_app"
BASIC = "Basic " + base64.b64encode(b"admin:s3cret").decode()
BASIC_WRONG = "Basic " + base64.b64encode(b"admin:nope").decode()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))

CASES = [
    # Query strings.
    Case("args-default", get("/search"), 200, b"q='' page=1 tags=[] n=0"),
    Case("args-typed", get("/search?q=x&page=2"), 200, b"q='x' page=2 tags=[] n=2"),
    Case("args-bad-type", get("/search?page=two"), 200, b"page=1"),
    Case("args-getlist", get("/search?tag=a&tag=b&tag=c"), 200, b"tags=['a', 'b', 'c'] n=1"),
    Case("args-encoded", get("/search?q=caf%C3%A9+au+lait&page=%33"), 200, "café au lait".encode()),
    Case("args-blank-and-bare", get("/search?q=&page=&flag"), 200, b"q='' page=1"),
    Case("args-semicolon", get("/search?q=a;page=3"), 200, b"q='a;page=3'"),
    # JSON out.
    Case("json-list", get("/users"), 200, b'[{"id":1,"name":"Ada"},{"id":2,"name":"Grace"}]'),
    Case("json-dict", get("/users/2"), 200, b'{"id":2,"name":"Grace"}'),
    Case("json-tuple-404", get("/users/9"), 404, b'"error":"not found"'),
    Case("jsonify-list", get("/jsonify-forms?kind=list"), 200, b"[1,2,3]"),
    Case("jsonify-args", get("/jsonify-forms?kind=args"), 200, b'[1,"two",null]'),
    Case("jsonify-scalar", get("/jsonify-forms?kind=scalar"), 200, b'"text"'),
    Case("jsonify-sorted", get("/jsonify-forms?kind=dict"), 200, b'{"a":[true,false,null],"b":1'),
    Case("missing-arg-400", get("/jsonify-forms"), 400, b"Bad Request"),
    # JSON in.
    Case("json-create", json_request("POST", "/users", {"name": "Linus"}), 201, b'"id":3'),
    Case("json-create-invalid", json_request("POST", "/users", {"nom": "x"}), 400),
    Case("json-create-list", json_request("POST", "/users", ["Linus"]), 400),
    Case("json-echo", json_request("POST", "/echo-json", {"a": [1, 2.5, "é"]}), 200),
    Case("json-echo-null", json_request("POST", "/echo-json", None), 200, b"null"),
    Case(
        "json-malformed",
        req("POST", "/echo-json", body=b'{"a": ', content_type="application/json"),
        400,
        b"could not understand",
    ),
    Case(
        "json-not-utf8",
        req("POST", "/echo-json", body=b'{"a": "\xff"}', content_type="application/json"),
        400,
    ),
    Case(
        "json-wrong-type-415",
        req("POST", "/echo-json", body=b'{"a": 1}', content_type="text/plain"),
        415,
        b"Unsupported Media Type",
    ),
    Case("json-no-body-415", req("POST", "/echo-json"), 415),
    Case(
        "json-suffix-type",
        req("POST", "/echo-json", body=b'{"a": 1}', content_type="application/vnd.api+json"),
        200,
        b'{"a":1}',
    ),
    Case(
        "json-silent-bad",
        req("POST", "/echo-json-silent", body=b"{", content_type="application/json"),
        200,
        b'{"is_json":true,"received":null}',
    ),
    Case(
        "json-silent-wrong-type",
        req("POST", "/echo-json-silent", body=b"{}", content_type="text/plain"),
        200,
        b'{"is_json":false,"received":null}',
    ),
    Case(
        "json-force",
        req("POST", "/echo-json-force", body=b'{"f": 1}', content_type="text/plain"),
        200,
        b'{"f":1}',
    ),
    # Forms and uploads.
    Case(
        "form",
        form_request("POST", "/form", [("name", "Ada"), ("colour", "red"), ("colour", "blue")]),
        200,
        b"name=Ada colours=red,blue age=n/a",
    ),
    Case("form-missing-field", form_request("POST", "/form", [("age", "3")]), 400),
    Case(
        "form-multipart",
        multipart_request("POST", "/form", [("name", "Żaneta"), ("age", "30")]),
        200,
        "name=Żaneta colours= age=30".encode(),
    ),
    Case(
        "upload",
        multipart_request(
            "POST", "/upload", [("note", "a picture")], [("f", "pic.png", "image/png", PNG)]
        ),
        200,
        b'"filename":"pic.png"',
    ),
    Case(
        "upload-empty-file",
        multipart_request("POST", "/upload", files=[("f", "empty.txt", "text/plain", b"")]),
        200,
        b'"size":0',
    ),
    Case(
        "upload-missing-file",
        multipart_request("POST", "/upload", [("note", "no file")]),
        400,
    ),
    Case(
        "too-large-413",
        form_request("POST", "/form", [("name", "x" * 2000)]),
        413,
        b"Request Entity Too Large",
    ),
    Case(
        "too-large-upload-413",
        multipart_request("POST", "/upload", files=[("f", "big.bin", "x/y", b"\0" * 4096)]),
        413,
    ),
    Case("body-within-limit", req("POST", "/body", body=b"x" * 1024), 200, b'"length":1024'),
    Case("body-over-limit", req("POST", "/body", body=b"x" * 1025), 413),
    # Response shapes.
    Case("tuple-status-headers", get("/tuple-headers"), 202, b"made"),
    Case("tuple-status-text", get("/tuple-status-text"), 418, b"teapot"),
    Case("tuple-headers-only", get("/tuple-only-headers"), 200, b"with headers"),
    Case("bytes", get("/bytes"), 200, b"\x00\x01binary"),
    Case("make-response", get("/made"), 200, b"made with make_response"),
    Case("make-response-json", get("/made-json"), 418, b'{"ok":true}'),
    Case("config", get("/config"), 200, b'"debug":false,"greeting":"Hi","max":1024'),
    # Request metadata.
    Case(
        "headers",
        get(
            "/headers?a=1&b=%20",
            ("User-Agent", "acceptance/1.0"),
            ("X-Custom", "custom value"),
            ("Accept", "application/json"),
        ),
        200,
        b'"custom":"custom value","custom_lower":"custom value"',
    ),
    Case("basic-auth", get("/secret", ("Authorization", BASIC)), 200, b"welcome admin"),
    Case("basic-auth-wrong", get("/secret", ("Authorization", BASIC_WRONG)), 401),
    Case("basic-auth-missing", get("/secret"), 401, b"login required"),
    Case("basic-auth-garbage", get("/secret", ("Authorization", "Basic !!!")), 401),
    Case("bearer", get("/token", ("Authorization", "Bearer abc.def")), 200, b"bearer abc.def"),
    Case("token-missing", get("/token"), 401),
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
