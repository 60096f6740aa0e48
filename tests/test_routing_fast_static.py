"""The application's shortcut for static URLs answers exactly as ``Map.match`` does.

``Map._build_fast_static`` lists the static rules that ``match`` would return with no values and
no redirect; the app looks requests up there first. These tests compare the table with ``match``
over every path and method, and check the app through its test client when the map changes.
"""

from __future__ import annotations

import typing as t

import pytest

from kolba import Kolba
from kolba.http.exceptions import HTTPException
from kolba.routing import Map, RequestRedirect, Rule

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "get")


def _rules() -> list[Rule]:
    get = ["GET"]
    return [
        Rule("/", endpoint="index", methods=get),
        Rule("/split", endpoint="split_get", methods=get),
        Rule("/split", endpoint="split_post", methods=["POST"]),
        Rule("/defaults", endpoint="with_defaults", defaults={"page": 1}, methods=get),
        Rule("/page/<int:page>", endpoint="with_defaults", methods=get),
        Rule("/old", endpoint="old", redirect_to="/new", methods=get),
        Rule("/new", endpoint="new", methods=get),
        Rule("/alias", endpoint="aliased", alias=True, methods=get),
        Rule("/aliased-canonical", endpoint="aliased", methods=get),
        Rule("/ws", endpoint="ws", websocket=True),
        Rule("/ws", endpoint="ws_http", methods=get),
        Rule("/slash/", endpoint="slash", methods=get),
        Rule("/var/<name>", endpoint="var", methods=get),
        Rule("/sub", endpoint="on_sub", subdomain="api", methods=get),
        # No methods: every method matches, which the table cannot list; match() answers.
        Rule("/any", endpoint="any"),
    ]


def _outcome(m: Map, path: str, method: str) -> t.Any:
    try:
        return m.match(path, method, "")
    except (HTTPException, RequestRedirect) as e:
        return type(e)


PATHS = [
    "/",
    "/split",
    "/defaults",
    "/old",
    "/new",
    "/alias",
    "/aliased-canonical",
    "/ws",
    "/slash/",
    "/slash",
    "/var/x",
    "/sub",
    "/any",
    "/missing",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", METHODS)
def test_every_table_entry_is_what_match_returns(path: str, method: str) -> None:
    m = Map(_rules())
    hit = m._build_fast_static().get(path, {}).get(method)
    expected = _outcome(m, path, method)
    if hit is not None:
        assert expected == (hit, {})
    else:
        # Left to match(): a redirect, values, an error, or a rule match() finds another way.
        assert expected is not None


def test_the_table_holds_the_plain_static_rules_only() -> None:
    m = Map(_rules())
    table = m._build_fast_static()
    assert table["/split"]["GET"].endpoint == "split_get"
    assert table["/split"]["POST"].endpoint == "split_post"
    assert table["/ws"]["GET"].endpoint == "ws_http"
    assert table["/new"]["GET"].endpoint == "new"
    assert table["/new"]["HEAD"].endpoint == "new"
    assert table["/"]["GET"].endpoint == "index"
    assert table["/aliased-canonical"]["GET"].endpoint == "aliased"
    for path in ("/defaults", "/old", "/alias", "/var/x", "/sub", "/any"):
        assert not table.get(path), path


def test_adding_a_rule_rebuilds_the_table() -> None:
    app = Kolba(__name__)

    @app.route("/a")
    def a() -> str:
        return "a"

    client = app.test_client()
    assert client.get("/a").data == b"a"
    assert client.get("/b").status_code == 404
    app.url_map.add(Rule("/b", endpoint="a"))
    assert app.url_map._fast_static is None
    assert client.get("/b").data == b"a"


def test_the_app_answers_static_urls_as_before() -> None:
    app = Kolba(__name__)

    @app.get("/split")
    def split_get() -> str:
        return "get"

    @app.post("/split")
    def split_post() -> str:
        return "post"

    @app.route("/list", defaults={"page": 1})
    @app.route("/list/<int:page>")
    def listing(page: int) -> str:
        return f"page {page}"

    client = app.test_client()
    assert client.get("/split").data == b"get"
    assert client.post("/split").data == b"post"
    assert client.head("/split").status_code == 200
    assert client.put("/split").status_code == 405
    assert client.put("/split").headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert client.get("/list").data == b"page 1"
    redirect = client.get("/list/1")
    assert redirect.status_code == 308
    assert redirect.headers["Location"] == "http://localhost/list"
    with app.test_request_context("/split", method="POST"):
        from kolba import request

        assert request.endpoint == "split_post"
