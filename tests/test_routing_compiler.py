"""The matcher compiles the trie to Python functions; these tests cover what that adds.

Whether the compiled search answers as Werkzeug's matcher does is checked, for generated rules
and paths and with the compiler's limits forced low, in ``test_routing_differential.py``.
"""

from __future__ import annotations

import typing as t

import pytest

from kolba import Kolba
from kolba.http.exceptions import HTTPException, MethodNotAllowed
from kolba.routing import Map, RequestRedirect, Rule, compiler


def outcome(m: Map, path: str, method: str = "GET") -> t.Any:
    """The endpoint and values of the match, or the HTTP error's code, or the redirect's URL."""
    try:
        rule, values = m.match(path, method)
    except RequestRedirect as e:
        return e.new_url
    except HTTPException as e:
        return e.code
    return rule.endpoint, values


def test_a_rule_added_after_matching_is_matched() -> None:
    m = Map([Rule("/users/<int:id>", endpoint="user")])
    assert outcome(m, "/users/me") == 404
    assert outcome(m, "/users/3") == ("user", {"id": 3})
    m.add(Rule("/users/me", endpoint="me"))
    m.add(Rule("/users/<name>", endpoint="by_name"))
    assert outcome(m, "/users/me") == ("me", {})
    assert outcome(m, "/users/bob") == ("by_name", {"name": "bob"})
    assert outcome(m, "/users/3") == ("user", {"id": 3})


def test_many_siblings_are_one_lookup_and_compiled_on_first_use() -> None:
    count = compiler.FANOUT * 4
    m = Map(
        [Rule(f"/r{i}/<int:id>", endpoint=f"show{i}") for i in range(count)]
        + [Rule("/<name>/<int:id>", endpoint="fallback")]
    )
    assert outcome(m, "/r5/7") == ("show5", {"id": 7})
    assert outcome(m, f"/r{count - 1}/8") == (f"show{count - 1}", {"id": 8})
    # A static sibling that does not go on falls back to the dynamic way at its level.
    assert outcome(m, "/r5/x") == 404
    assert outcome(m, "/other/9") == ("fallback", {"name": "other", "id": 9})
    assert outcome(m, "/r5/9/") == 404
    slash = m._matcher.root.static[""].static[""]
    compiled = {name for name, state in slash.static.items() if state.fn is not None}
    assert compiled == {"r5", f"r{count - 1}"}


def test_deep_rules_hand_over_between_functions() -> None:
    depth = compiler.DEPTH * 2 + 3
    static = "/".join(f"s{i}" for i in range(depth))
    variables = "/".join(f"<int:v{i}>" for i in range(depth))
    m = Map(
        [
            Rule(f"/{static}/", endpoint="static"),
            Rule(f"/{variables}", endpoint="variables"),
            Rule(f"/{static}/<path:rest>", endpoint="rest", methods=["GET"]),
        ]
    )
    assert outcome(m, f"/{static}/") == ("static", {})
    assert outcome(m, f"/{static}") == f"/{static}/"
    numbers = "/".join(str(i) for i in range(depth))
    assert outcome(m, f"/{numbers}") == ("variables", {f"v{i}": i for i in range(depth)})
    assert outcome(m, f"/{static}/a/b") == ("rest", {"rest": "a/b"})
    with pytest.raises(MethodNotAllowed) as info:
        m.match(f"/{static}/a/b", "POST")
    assert info.value.valid_methods == ["GET", "HEAD"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/n/42", ("int", {"id": 42})),
        ("/n/007", ("int", {"id": 7})),
        # \d in a str pattern is any Unicode decimal digit, as str.isdecimal() is.
        ("/n/\u0663", ("int", {"id": 3})),
        # A superscript two is a digit to str.isdigit() but not a decimal one.
        ("/n/\u00b2", ("text", {"value": "\u00b2"})),
        ("/n/-1", ("text", {"value": "-1"})),
        ("/n/", 404),
        ("/n/" + "9" * 5000, ("text", {"value": "9" * 5000})),
    ],
)
def test_inline_converter_tests_match_the_regexes(path: str, expected: t.Any) -> None:
    m = Map([Rule("/n/<int:id>", endpoint="int"), Rule("/n/<value>", endpoint="text")])
    assert outcome(m, path) == expected


def test_generated_source_is_kept_for_debugging() -> None:
    m = Map([Rule("/users/<int:id>", endpoint="user")])
    m.match("/users/1", "GET")
    fn = m._matcher.root.static[""].fn
    source = fn.__kolba_source__  # type: ignore[union-attr]
    assert source.startswith("def match_state(")
    assert ".isdecimal()" in source
    assert "int(" in source


def test_app_matches_through_the_compiled_map() -> None:
    app = Kolba(__name__)

    @app.route("/users/<int:id>")
    def user(id: int) -> dict[str, int]:
        return {"id": id}

    @app.route("/files/<path:name>/")
    def files(name: str) -> str:
        return name

    client = app.test_client()
    assert client.get("/users/12").json == {"id": 12}
    assert client.get("/users/x").status_code == 404
    assert client.post("/users/12").status_code == 405
    assert client.get("/files/a/b/").data == b"a/b"
    rv = client.get("/files/a/b")
    assert rv.status_code == 308
    assert rv.headers["Location"].endswith("/files/a/b/")
