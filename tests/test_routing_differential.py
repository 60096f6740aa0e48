"""Differential tests: the same generated rules in Kolba's and Werkzeug's maps must give
the same outcome for every generated path and method.

Known, documented differences are kept out of the generator: converters whose
``to_python`` can reject a regex match (``int(min=...)`` etc.), where Kolba keeps looking
and Werkzeug answers 404, and rules Kolba rejects as conflicts.
"""

from __future__ import annotations

import random
import typing as t

import pytest
from werkzeug import routing as wz
from werkzeug.exceptions import HTTPException as WzHTTPException

from kolba.http.exceptions import HTTPException, MethodNotAllowed
from kolba.routing import BuildError, Map, RequestRedirect, Rule, compiler

STATIC = ["a", "b", "users", "x", "ab"]
DYNAMIC = [
    "<{v}>",
    "<int:{v}>",
    "<path:{v}>",
    "<any(a, b, zz):{v}>",
    "<string(length=2):{v}>",
    "<float:{v}>",
    "v-<{v}>",
    "<{v}>.json",
    "<int(signed=True):{v}>",
    "<uuid:{v}>",
]
PATH_SEGMENTS = [
    "a",
    "b",
    "users",
    "x",
    "ab",
    "zz",
    "12",
    "-3",
    "1.5",
    "abc",
    "v-1",
    "f.json",
    "",
    "ü",
    "12345678-1234-1234-1234-123456789abc",
]
METHODS: list[list[str] | None] = [None, ["GET"], ["POST"], ["GET", "POST"], ["PUT"]]


def _gen_rule(rng: random.Random) -> str:
    parts = []
    variable = 0
    for _ in range(rng.randint(0, 4)):
        if rng.random() < 0.55:
            parts.append(rng.choice(STATIC))
        else:
            parts.append(rng.choice(DYNAMIC).format(v=f"v{variable}"))
            variable += 1
    rule = "/" + "/".join(parts)
    if parts and rng.random() < 0.3:
        rule += "/"
    return rule


def _gen_path(rng: random.Random) -> str:
    path = "/" + "/".join(rng.choice(PATH_SEGMENTS) for _ in range(rng.randint(0, 5)))
    if rng.random() < 0.2:
        path += "/"
    if rng.random() < 0.1:
        path = path.replace("/", "//", 1)
    return path


def _build_maps(seed: int, count: int) -> tuple[Map, wz.Map, list[Rule]]:
    rng = random.Random(seed)
    ours = Map()
    theirs = wz.Map()
    added: list[Rule] = []
    for i in range(count):
        string = _gen_rule(rng)
        methods = rng.choice(METHODS)
        strict = rng.choice([None, None, False])
        kwargs: dict[str, t.Any] = {
            "endpoint": f"ep{i}",
            "methods": methods,
            "strict_slashes": strict,
        }
        rule = Rule(string, **kwargs)
        try:
            ours.add(rule)
        except ValueError:
            continue  # a conflict Kolba rejects and Werkzeug would accept
        theirs.add(wz.Rule(string, **kwargs))
        added.append(rule)
    return ours, theirs, added


def _ours(m: Map, path: str, method: str) -> tuple[t.Any, ...]:
    try:
        rule, values = m.match(path, method)
    except RequestRedirect as e:
        return ("redirect", e.new_url)
    except MethodNotAllowed as e:
        return ("405", sorted(e.valid_methods or ()))
    except HTTPException as e:
        return (e.code,)
    return ("ok", rule.endpoint, values)


def _theirs(adapter: wz.MapAdapter, path: str, method: str) -> tuple[t.Any, ...]:
    try:
        rule, values = adapter.match(path, method, return_rule=True)
    except wz.RequestRedirect as e:
        return ("redirect", e.new_url.removeprefix("http://example.com"))
    except WzHTTPException as e:
        if e.code == 405:
            return ("405", sorted(e.valid_methods or ()))  # type: ignore[attr-defined]
        return (e.code,)
    return ("ok", rule.endpoint, dict(values))


# The compiled matcher writes up to FANOUT static ways on as an if-chain and DEPTH levels into
# one function; the small settings force the dict lookups and the hand-overs between functions.
COMPILER_SETTINGS = [(8, 10), (0, 1), (1, 2)]


@pytest.mark.parametrize(("fanout", "depth"), COMPILER_SETTINGS)
@pytest.mark.parametrize("seed", range(8))
def test_match_same_as_werkzeug(
    seed: int, fanout: int, depth: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiler, "FANOUT", fanout)
    monkeypatch.setattr(compiler, "DEPTH", depth)
    ours, theirs, added = _build_maps(seed, 60)
    assert len(added) > 20
    adapter = theirs.bind("example.com", "/")
    rng = random.Random(1000 + seed)
    # Paths built from the rules themselves hit far more interesting cases than
    # random ones; use both.
    paths = [_gen_path(rng) for _ in range(300)]
    for rule in added:
        paths.append(rule.rule.replace("<", "").replace(">", ""))
    checked = 0
    for path in paths:
        for method in ("GET", "POST", "HEAD"):
            expected = _theirs(adapter, path, method)
            got = _ours(ours, path, method)
            assert got == expected, (path, method, ours)
            checked += 1
    assert checked >= 900


@pytest.mark.parametrize("seed", range(4))
def test_build_same_as_werkzeug(seed: int) -> None:
    ours, theirs, added = _build_maps(100 + seed, 40)
    adapter = theirs.bind("example.com", "/")
    rng = random.Random(seed)
    built = 0
    for rule in added:
        # Values that match the rule's converters, plus an extra for the query.
        values: dict[str, t.Any] = {}
        for name, conv in rule._converters.items():
            kind = type(conv).__name__
            values[name] = {
                "IntegerConverter": rng.randint(0, 99),
                "FloatConverter": 1.5,
                "PathConverter": "p/ü q",
                "AnyConverter": "zz",
                "UUIDConverter": "12345678-1234-1234-1234-123456789abc",
            }.get(kind, "s t/ü?")
        values["extra"] = rng.choice(["x y", ["1", "2"], None, "&="])
        try:
            expected: t.Any = adapter.build(rule.endpoint, values)
        except (wz.BuildError, ValueError) as e:
            expected = type(e).__name__
        try:
            got: t.Any = ours.build(rule.endpoint, values)[1]
        except BuildError:
            got = "BuildError"
        except ValueError:
            got = "ValueError"
        assert got == expected, (rule, values)
        built += 1
    assert built > 20


@pytest.mark.parametrize(("fanout", "depth"), COMPILER_SETTINGS)
def test_subdomains_defaults_and_aliases_same_as_werkzeug(
    fanout: int, depth: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiler, "FANOUT", fanout)
    monkeypatch.setattr(compiler, "DEPTH", depth)
    specs: list[tuple[str, dict[str, t.Any]]] = [
        ("/", {"endpoint": "index"}),
        ("/", {"endpoint": "api", "subdomain": "api"}),
        ("/u/<int:id>", {"endpoint": "user", "subdomain": "<name>"}),
        ("/all/", {"endpoint": "all", "defaults": {"page": 1}}),
        ("/all/page/<int:page>", {"endpoint": "all"}),
        ("/users/<int:id>", {"endpoint": "profile"}),
        ("/u/<int:id>", {"endpoint": "profile", "alias": True}),
        ("/docs/<path:p>/", {"endpoint": "docs"}),
        ("/x", {"endpoint": "x", "methods": ["POST"]}),
    ]
    ours = Map([Rule(s, **kw) for s, kw in specs])
    theirs = wz.Map([wz.Rule(s, **kw) for s, kw in specs])
    paths = ["/", "/u/1", "/all/", "/all/page/1", "/all/page/3", "/users/4", "/u/4"]
    paths += ["/docs/a/b", "/docs/a/b/", "/x", "/x/", "//all//page//2", ""]
    for subdomain in ("", "api", "bob"):
        adapter = theirs.bind("example.com", "/", subdomain=subdomain)
        for path in paths:
            for method in ("GET", "POST"):
                expected = _theirs(adapter, path, method)
                if expected[0] == "redirect":
                    host = f"{subdomain}.example.com" if subdomain else "example.com"
                    expected = ("redirect", expected[1].replace(f"http://{host}", ""))
                got = _ours_sub(ours, path, method, subdomain)
                if path == "":
                    # Kolba treats an empty path as "/", Werkzeug redirects to "/".
                    assert got == _ours_sub(ours, "/", method, subdomain)
                    continue
                assert got == expected, (subdomain, path, method)


def _ours_sub(m: Map, path: str, method: str, subdomain: str) -> tuple[t.Any, ...]:
    try:
        rule, values = m.match(path, method, subdomain=subdomain)
    except RequestRedirect as e:
        return ("redirect", e.new_url)
    except MethodNotAllowed as e:
        return ("405", sorted(e.valid_methods or ()))
    except HTTPException as e:
        return (e.code,)
    return ("ok", rule.endpoint, values)


def test_garbage_paths_only_raise_http_errors() -> None:
    m = Map(
        [
            Rule("/", endpoint="i"),
            Rule("/<int:n>", endpoint="n"),
            Rule("/f/<float:x>/<uuid:u>", endpoint="f"),
            Rule("/p/<path:p>/", endpoint="p"),
            Rule("/<any(a, b):c>/<string(length=3):s>", endpoint="s"),
        ]
    )
    rng = random.Random(7)
    alphabet = "/a0.-%\n\x00 ü\ud800" + "9" * 5
    outcomes = set()
    for _ in range(3000):
        path = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        try:
            rule, _ = m.match(path, rng.choice(["GET", "POST", "get", "", "X\n"]))
            outcomes.add(rule.endpoint)
        except HTTPException as e:
            outcomes.add(e.code)
    assert {404, "n", "i"} <= outcomes
