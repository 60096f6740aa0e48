"""Tests for kolba.routing: converters, rules, matching, redirects and building."""

from __future__ import annotations

import typing as t
import uuid

import pytest
from werkzeug import routing as wz

from kolba.http.exceptions import BadRequest, HTTPException, MethodNotAllowed, NotFound
from kolba.routing import (
    DEFAULT_CONVERTERS,
    AnyConverter,
    BaseConverter,
    BuildError,
    FloatConverter,
    IntegerConverter,
    Map,
    PathConverter,
    RequestRedirect,
    RoutingException,
    Rule,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
    parse_converter_args,
)


def make(*rules: Rule, **kwargs: t.Any) -> Map:
    return Map(list(rules), **kwargs)


def outcome(m: Map, path: str, method: str = "GET", **kwargs: t.Any) -> t.Any:
    """The match as plain data, or the exception's essentials."""
    try:
        rule, values = m.match(path, method, **kwargs)
    except RequestRedirect as e:
        return ("redirect", e.new_url)
    except MethodNotAllowed as e:
        return (405, list(e.valid_methods or ()))
    except HTTPException as e:
        return e.code
    return (rule.endpoint, values)


# -- converters ----------------------------------------------------------------------


def test_default_converters_registered() -> None:
    assert DEFAULT_CONVERTERS["default"] is UnicodeConverter
    assert DEFAULT_CONVERTERS["string"] is UnicodeConverter
    assert DEFAULT_CONVERTERS["path"] is PathConverter
    assert DEFAULT_CONVERTERS["int"] is IntegerConverter
    assert DEFAULT_CONVERTERS["float"] is FloatConverter
    assert DEFAULT_CONVERTERS["uuid"] is UUIDConverter
    assert DEFAULT_CONVERTERS["any"] is AnyConverter


def test_string_converter_lengths() -> None:
    m = make(
        Rule("/len/<string(length=2):code>", endpoint="exact"),
        Rule("/min/<string(minlength=3):s>", endpoint="min"),
        Rule("/max/<string(maxlength=2):s>", endpoint="max"),
    )
    assert outcome(m, "/len/de") == ("exact", {"code": "de"})
    assert outcome(m, "/len/deu") == 404
    assert outcome(m, "/min/ab") == 404
    assert outcome(m, "/min/abc") == ("min", {"s": "abc"})
    assert outcome(m, "/max/abc") == 404
    assert outcome(m, "/max/ü") == ("max", {"s": "ü"})


def test_int_converter_options() -> None:
    m = make(
        Rule("/i/<int:n>", endpoint="i"),
        Rule("/f/<int(fixed_digits=4):n>", endpoint="fixed"),
        Rule("/r/<int(min=2, max=5):n>", endpoint="range"),
        Rule("/s/<int(signed=True):n>", endpoint="signed"),
    )
    assert outcome(m, "/i/42") == ("i", {"n": 42})
    assert outcome(m, "/i/-1") == 404
    assert outcome(m, "/i/4.2") == 404
    assert outcome(m, "/i/x") == 404
    assert outcome(m, "/f/0042") == ("fixed", {"n": 42})
    assert outcome(m, "/f/42") == 404
    assert outcome(m, "/r/2") == ("range", {"n": 2})
    assert outcome(m, "/r/6") == 404
    assert outcome(m, "/r/1") == 404
    assert outcome(m, "/s/-7") == ("signed", {"n": -7})
    assert m.build("fixed", {"n": 7}) == (None, "/f/0007")


def test_int_converter_huge_number_is_404_not_500() -> None:
    m = make(Rule("/i/<int:n>", endpoint="i"), Rule("/j/<int:a>/<int:b>", endpoint="j"))
    assert outcome(m, "/i/" + "9" * 5000) == 404
    assert outcome(m, "/j/1/" + "9" * 5000) == 404
    assert outcome(m, "/j/" + "9" * 5000 + "/1") == 404
    assert outcome(m, "/j/12/34") == ("j", {"a": 12, "b": 34})


class _BrokenConverter(BaseConverter):
    """A converter whose to_python has a bug: its ValueError is not a non-match."""

    def to_python(self, value: str) -> t.Any:
        raise ValueError("bug in the converter")


@pytest.mark.parametrize("path", ["/b/x", "/c/7/x"])
def test_a_converters_own_value_error_propagates(path: str) -> None:
    m = make(
        Rule("/b/<broken:v>", endpoint="b"),
        Rule("/c/<int:n>/<broken:v>", endpoint="c"),
        converters={"broken": _BrokenConverter},
    )
    with pytest.raises(ValueError, match="bug in the converter"):
        m.match(path, "GET")


def test_float_converter() -> None:
    m = make(
        Rule("/f/<float:x>", endpoint="f"),
        Rule("/g/<float(signed=True, max=0.5):x>", endpoint="g"),
    )
    assert outcome(m, "/f/1.5") == ("f", {"x": 1.5})
    assert outcome(m, "/f/1") == 404
    assert outcome(m, "/f/-1.5") == 404
    assert outcome(m, "/g/-1.5") == ("g", {"x": -1.5})
    assert outcome(m, "/g/0.6") == 404
    assert m.build("f", {"x": 2.25}) == (None, "/f/2.25")


def test_uuid_converter() -> None:
    m = make(Rule("/o/<uuid:id>", endpoint="o"))
    u = "12345678-1234-1234-1234-123456789ABC"
    ep, values = outcome(m, f"/o/{u}")
    assert ep == "o"
    assert values == {"id": uuid.UUID(u)}
    assert isinstance(values["id"], uuid.UUID)
    assert outcome(m, "/o/1234") == 404
    assert m.build("o", {"id": uuid.UUID(u)}) == (None, f"/o/{u.lower()}")


def test_any_converter() -> None:
    m = make(Rule('/<any(about, help, "a b", "x,y"):page>', endpoint="p"))
    assert outcome(m, "/about") == ("p", {"page": "about"})
    assert outcome(m, "/a b") == ("p", {"page": "a b"})
    assert outcome(m, "/x,y") == ("p", {"page": "x,y"})
    assert outcome(m, "/other") == 404
    assert m.build("p", {"page": "help"}) == (None, "/help")
    with pytest.raises(ValueError, match="'nope' is not one of"):
        m.build("p", {"page": "nope"})


def test_path_converter() -> None:
    m = make(Rule("/files/<path:name>", endpoint="f"))
    assert outcome(m, "/files/a/b/c.txt") == ("f", {"name": "a/b/c.txt"})
    assert outcome(m, "/files/") == 404
    assert m.build("f", {"name": "a/b c"}) == (None, "/files/a/b%20c")


def test_part_isolating_inferred_from_regex() -> None:
    class Slashy(BaseConverter):
        regex = "[a-z/]+"

    class Plain(BaseConverter):
        regex = "[a-z]+"

    class Inherits(PathConverter):
        pass

    assert Slashy.part_isolating is False
    assert Plain.part_isolating is True
    assert Inherits.part_isolating is False


def test_custom_converter_regex_with_slashes_and_args() -> None:
    class RegexConverter(BaseConverter):
        def __init__(self, url_map: Map, *items: str) -> None:
            super().__init__(url_map)
            self.regex = items[0]

    class ListConverter(BaseConverter):
        regex = r"[a-z]+(?:/[a-z]+)*"

        def to_python(self, value: str) -> list[str]:
            return value.split("/")

        def to_url(self, value: t.Any) -> str:
            return "/".join(value)

    m = Map(converters={"re": RegexConverter})
    m.converters["list"] = ListConverter
    m.add(Rule("/r/<re('[0-9]{3}'):code>", endpoint="re"))
    m.add(Rule("/l/<list:items>/end", endpoint="list"))
    assert outcome(m, "/r/123") == ("re", {"code": "123"})
    assert outcome(m, "/r/1234") == 404
    assert outcome(m, "/l/a/b/c/end") == ("list", {"items": ["a", "b", "c"]})
    assert m.build("list", {"items": ["x", "y"]}) == (None, "/l/x/y/end")
    # The map's converter dict is its own copy.
    assert "list" not in Map().converters


def test_validation_error_moves_on_to_next_candidate() -> None:
    class Even(BaseConverter):
        regex = r"\d+"
        weight = 10

        def to_python(self, value: str) -> int:
            if int(value) % 2:
                raise ValidationError()
            return int(value)

    m = Map(converters={"even": Even})
    m.add(Rule("/n/<even:n>", endpoint="even"))
    m.add(Rule("/n/<n>", endpoint="any"))
    assert outcome(m, "/n/4") == ("even", {"n": 4})
    assert outcome(m, "/n/3") == ("any", {"n": "3"})


def test_validation_error_in_to_url_skips_rule() -> None:
    class Picky(BaseConverter):
        def to_url(self, value: t.Any) -> str:
            if value == "bad":
                raise ValidationError()
            return str(value)

    m = Map(converters={"picky": Picky})
    m.add(Rule("/a/<picky:x>", endpoint="e"))
    m.add(Rule("/b/<x>", endpoint="e"))
    assert m.build("e", {"x": "ok"}) == (None, "/a/ok")
    assert m.build("e", {"x": "bad"}) == (None, "/b/bad")


def test_same_state_different_converter_args_keep_looking() -> None:
    m = make(
        Rule("/p/<int(max=5):n>", endpoint="small"),
        Rule("/p/<int(min=6):n>", endpoint="big"),
    )
    assert outcome(m, "/p/3") == ("small", {"n": 3})
    assert outcome(m, "/p/9") == ("big", {"n": 9})


def test_rejected_value_does_not_turn_404_into_405() -> None:
    m = make(Rule("/p/<int(max=5):n>", endpoint="small", methods=["POST"]))
    assert outcome(m, "/p/3") == (405, ["POST"])
    assert outcome(m, "/p/9") == 404


# -- converter arguments -------------------------------------------------------------


def test_parse_converter_args() -> None:
    assert parse_converter_args("") == ((), {})
    assert parse_converter_args("about, help") == (("about", "help"), {})
    assert parse_converter_args('"a b", c, 1, 2.5, True, None') == (
        ("a b", "c", 1, 2.5, True, None),
        {},
    )
    assert parse_converter_args("length=2, x='y'") == ((), {"length": 2, "x": "y"})


@pytest.mark.parametrize(
    "argstr",
    [
        "__import__('os').system('true')",
        "open('x')",
        "a.b",
        "*args",
        "**kw",
        "1 +",
        "x=lambda: 1",
        "a), (b",
    ],
)
def test_parse_converter_args_rejects_code(argstr: str) -> None:
    with pytest.raises(ValueError):
        parse_converter_args(argstr)


def test_bad_converter_or_argument_at_registration() -> None:
    with pytest.raises(LookupError, match="'nope' does not exist"):
        make(Rule("/<nope:x>", endpoint="x"))
    with pytest.raises(ValueError, match=r"/<int\(foo=1\):x>"):
        make(Rule("/<int(foo=1):x>", endpoint="x"))
    with pytest.raises(ValueError, match="not a literal"):
        make(Rule("/<any(open('f')):x>", endpoint="x"))
    with pytest.raises(ValueError, match="length"):
        make(Rule("/<string(length='two'):x>", endpoint="x"))


@pytest.mark.parametrize(
    ("string", "message"),
    [
        ("no-slash", "must start with a slash"),
        ("/<unclosed", "malformed"),
        ("/<a>/<a>", "used twice"),
        ("/<1bad>", "malformed"),
    ],
)
def test_malformed_rules(string: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(Rule(string, endpoint="x"))


def test_failed_add_leaves_rule_unbound_and_map_unchanged() -> None:
    m = make(Rule("/a", endpoint="a"))
    rule = Rule("/<nope:x>", endpoint="x")
    with pytest.raises(LookupError):
        m.add(rule)
    assert rule.map is None
    assert [r.rule for r in m.iter_rules()] == ["/a"]


# -- rules ---------------------------------------------------------------------------


def test_rule_attributes() -> None:
    m = Map()
    rule = Rule("/x/<int:id>", methods=["get", "options"], endpoint="ep", defaults={"v": 1})
    m.add(rule)
    assert rule.rule == "/x/<int:id>"
    assert rule.methods == {"GET", "HEAD", "OPTIONS"}
    assert rule.arguments == {"id", "v"}
    assert rule.endpoint == "ep"
    assert rule.map is m
    assert rule.strict_slashes is True
    assert rule.subdomain == ""
    assert rule.host is None
    assert rule.websocket is False
    assert rule.provide_automatic_options is False
    assert repr(rule) == "<Rule '/x/<id>' (GET, HEAD, OPTIONS) -> ep>"
    assert repr(Rule("/u")) == "<Rule (unbound)>"
    assert str(rule) == "/x/<int:id>"


def test_rule_methods_validation() -> None:
    assert Rule("/", methods=["POST"]).methods == {"POST"}
    assert Rule("/").methods is None
    with pytest.raises(TypeError):
        Rule("/", methods="GET")
    with pytest.raises(ValueError, match="WebSocket"):
        Rule("/", methods=["POST"], websocket=True)


def test_rule_bound_twice_refused() -> None:
    rule = Rule("/", endpoint="i")
    make(rule)
    with pytest.raises(RuntimeError, match="already bound"):
        make(rule)
    copy = rule.empty()
    assert copy.map is None and copy.rule == "/" and copy.endpoint == "i"
    assert make(copy).match("/", "GET")[0] is copy


def test_iter_rules_and_repr() -> None:
    m = make(Rule("/b", endpoint="b"), Rule("/a", endpoint="a"), Rule("/a2", endpoint="a"))
    assert [r.rule for r in m.iter_rules()] == ["/b", "/a", "/a2"]
    assert [r.rule for r in m.iter_rules("a")] == ["/a", "/a2"]
    assert [r.rule for r in m._rules] == ["/b", "/a", "/a2"]
    assert list(m._rules_by_endpoint) == ["b", "a"]
    assert repr(m).startswith("Map([<Rule '/b' -> b>,")
    with pytest.raises(KeyError):
        m.iter_rules("missing")
    assert m.is_endpoint_expecting("a") is True
    assert m.is_endpoint_expecting("a", "x") is False


# -- matching: priorities ------------------------------------------------------------


def test_static_before_dynamic() -> None:
    m = make(Rule("/<a>/x", endpoint="ax"), Rule("/y/<b>", endpoint="yb"))
    assert outcome(m, "/y/x") == ("yb", {"b": "x"})
    assert outcome(m, "/z/x") == ("ax", {"a": "z"})
    assert outcome(m, "/y/q") == ("yb", {"b": "q"})


def test_path_converter_with_static_suffix_beats_two_strings() -> None:
    m = make(Rule("/<path:p>/edit", endpoint="pe"), Rule("/<a>/<b>", endpoint="ab"))
    assert outcome(m, "/q/edit") == ("pe", {"p": "q"})
    assert outcome(m, "/a/b/edit") == ("pe", {"p": "a/b"})
    assert outcome(m, "/q/view") == ("ab", {"a": "q", "b": "view"})


def test_converter_weight_orders_candidates() -> None:
    m = make(
        Rule("/s/<n>", endpoint="str"),
        Rule("/s/<int:n>", endpoint="int"),
        Rule("/s/<path:n>", endpoint="path"),
    )
    assert outcome(m, "/s/5") == ("int", {"n": 5})
    assert outcome(m, "/s/x") == ("str", {"n": "x"})
    assert outcome(m, "/s/x/y") == ("path", {"n": "x/y"})


def test_more_static_text_in_segment_first() -> None:
    m = make(Rule("/f/<name>", endpoint="plain"), Rule("/f/<name>.json", endpoint="json"))
    assert outcome(m, "/f/data.json") == ("json", {"name": "data"})
    assert outcome(m, "/f/data.xml") == ("plain", {"name": "data.xml"})


def test_backtracks_after_failed_subtree() -> None:
    m = make(Rule("/a/<x>/z", endpoint="deep"), Rule("/<y>/b/c", endpoint="other"))
    assert outcome(m, "/a/b/c") == ("other", {"y": "a"})
    assert outcome(m, "/a/b/z") == ("deep", {"x": "b"})


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/y/x", "GET"),
        ("/z/x", "GET"),
        ("/q/edit", "GET"),
        ("/a/b/edit", "POST"),
        ("/s/5", "GET"),
        ("/s/5.5", "GET"),
        ("/f/data.json", "GET"),
        ("/only-post", "GET"),
        ("/branch", "GET"),
        ("/leaf/", "GET"),
    ],
)
def test_priorities_agree_with_werkzeug(path: str, method: str) -> None:
    specs: list[tuple[str, dict[str, t.Any]]] = [
        ("/<a>/x", {}),
        ("/y/<b>", {}),
        ("/<path:p>/edit", {"methods": ["GET"]}),
        ("/<a>/<b>", {}),
        ("/s/<int:n>", {}),
        ("/s/<float:n>", {}),
        ("/f/<name>.json", {}),
        ("/only-post", {"methods": ["POST"]}),
        ("/branch/", {}),
        ("/leaf", {}),
    ]
    ours = Map([Rule(s, endpoint=s, **kw) for s, kw in specs])
    theirs = wz.Map([wz.Rule(s, endpoint=s, **kw) for s, kw in specs]).bind("h", "/")
    try:
        expected: t.Any = theirs.match(path, method)
    except wz.RequestRedirect as e:
        expected = ("redirect", e.new_url.removeprefix("http://h"))
    except Exception as e:
        expected = getattr(e, "code", None)
    got = outcome(ours, path, method)
    if isinstance(got, tuple) and got[0] == 405:
        got = 405
    assert got == expected


# -- matching: 404, 405, 308 ---------------------------------------------------------


def test_not_found_and_method_not_allowed() -> None:
    m = make(
        Rule("/x", endpoint="get", methods=["GET"]),
        Rule("/x", endpoint="post", methods=["POST"]),
        Rule("/y/<int:n>", endpoint="put", methods=["PUT"]),
    )
    assert outcome(m, "/x", "GET") == ("get", {})
    assert outcome(m, "/x", "POST") == ("post", {})
    assert outcome(m, "/x", "HEAD") == ("get", {})
    assert outcome(m, "/x", "DELETE") == (405, ["GET", "HEAD", "POST"])
    assert outcome(m, "/y/1", "GET") == (405, ["PUT"])
    assert outcome(m, "/y/a", "GET") == 404
    assert outcome(m, "/z") == 404
    with pytest.raises(NotFound):
        m.match("/z", "GET")
    with pytest.raises(MethodNotAllowed) as info:
        m.match("/x", "PATCH")
    assert info.value.code == 405
    assert ("Allow", "GET, HEAD, POST") in info.value.get_headers()


def test_method_is_case_insensitive() -> None:
    m = make(Rule("/x", endpoint="x", methods=["POST"]))
    assert outcome(m, "/x", "post") == ("x", {})


def test_static_rule_method_miss_falls_back_to_dynamic() -> None:
    m = make(Rule("/foo", endpoint="static", methods=["GET"]), Rule("/<x>", endpoint="dyn"))
    assert outcome(m, "/foo", "POST") == ("dyn", {"x": "foo"})
    assert outcome(m, "/foo", "GET") == ("static", {})


def test_strict_slashes_redirect_and_404() -> None:
    m = make(Rule("/branch/", endpoint="b"), Rule("/leaf", endpoint="l"))
    assert outcome(m, "/branch") == ("redirect", "/branch/")
    assert outcome(m, "/branch/") == ("b", {})
    assert outcome(m, "/leaf/") == 404
    with pytest.raises(RequestRedirect) as info:
        m.match("/branch", "GET")
    e = info.value
    assert e.code == 308
    assert isinstance(e, HTTPException) and isinstance(e, RoutingException)
    assert ("Location", "/branch/") in e.get_headers()
    assert 'href="/branch/"' in e.get_body()


def test_redirect_url_is_quoted() -> None:
    m = make(Rule("/<name>/", endpoint="n"))
    assert outcome(m, "/ü x") == ("redirect", "/%C3%BC%20x/")


def test_strict_slashes_false_matches_both_ways() -> None:
    m = make(
        Rule("/branch/", endpoint="b", strict_slashes=False),
        Rule("/leaf", endpoint="l", strict_slashes=False),
    )
    assert outcome(m, "/branch") == ("b", {})
    assert outcome(m, "/branch/") == ("b", {})
    assert outcome(m, "/leaf") == ("l", {})
    assert outcome(m, "/leaf/") == ("l", {})
    m2 = make(Rule("/branch/", endpoint="b"), strict_slashes=False)
    assert outcome(m2, "/branch") == ("b", {})


def test_path_converter_trailing_slash_redirect() -> None:
    m = make(Rule("/p/<path:rest>/", endpoint="p"))
    assert outcome(m, "/p/a/b/") == ("p", {"rest": "a/b"})
    assert outcome(m, "/p/a/b") == ("redirect", "/p/a/b/")


def test_merge_slashes() -> None:
    m = make(Rule("/a/b", endpoint="ab"), Rule("/c/", endpoint="c"))
    assert outcome(m, "/a//b") == ("redirect", "/a/b")
    assert outcome(m, "//a/b") == ("ab", {})  # leading slashes are stripped
    assert outcome(m, "//a///b") == ("redirect", "/a/b")
    assert outcome(m, "/c//") == ("redirect", "/c/")
    assert outcome(m, "/x//y") == 404
    off = make(Rule("/a/b", endpoint="ab"), merge_slashes=False)
    assert outcome(off, "/a//b") == 404
    rule_off = make(Rule("/a/b", endpoint="ab", merge_slashes=False))
    assert outcome(rule_off, "/a//b") == 404
    keep = make(Rule("/a//b", endpoint="ab", merge_slashes=False))
    assert outcome(keep, "/a//b") == ("ab", {})


def test_empty_path_is_root() -> None:
    m = make(Rule("/", endpoint="root"))
    assert outcome(m, "") == ("root", {})
    assert outcome(m, "/") == ("root", {})


def test_match_returns_new_dict_each_time() -> None:
    m = make(Rule("/s", endpoint="s", defaults={"a": 1}), Rule("/d/<x>", endpoint="d"))
    _, first = m.match("/s", "GET")
    first["mutated"] = True
    assert m.match("/s", "GET")[1] == {"a": 1}
    _, dyn = m.match("/d/1", "GET")
    dyn["mutated"] = True
    assert m.match("/d/1", "GET")[1] == {"x": "1"}


def test_defaults_are_passed_and_redirect_to_canonical() -> None:
    m = make(
        Rule("/all/", defaults={"page": 1}, endpoint="all"),
        Rule("/all/page/<int:page>", endpoint="all"),
    )
    assert outcome(m, "/all/") == ("all", {"page": 1})
    assert outcome(m, "/all/page/2") == ("all", {"page": 2})
    assert outcome(m, "/all/page/1") == ("redirect", "/all/")
    off = make(
        Rule("/all/", defaults={"page": 1}, endpoint="all"),
        Rule("/all/page/<int:page>", endpoint="all"),
        redirect_defaults=False,
    )
    assert outcome(off, "/all/page/1") == ("all", {"page": 1})


def test_alias_redirects_to_canonical_rule() -> None:
    m = make(
        Rule("/users/<int:id>", endpoint="user"),
        Rule("/u/<int:id>", endpoint="user", alias=True),
    )
    assert outcome(m, "/u/5") == ("redirect", "/users/5")
    assert m.build("user", {"id": 5}) == (None, "/users/5")


def test_redirect_to() -> None:
    def target(map: Map, id: int) -> str:
        assert isinstance(map, Map)
        return f"/new/{id * 2}"

    m = make(
        Rule("/new/<int:id>", endpoint="new"),
        Rule("/old/<int:id>", redirect_to="new/<id>"),
        Rule("/older/<int:id>", redirect_to=target),
        Rule("/ext", redirect_to="https://example.org/x"),
        Rule("/dflt", redirect_to="d/<x>", defaults={"x": "a b"}),
    )
    assert outcome(m, "/old/3") == ("redirect", "/new/3")
    assert outcome(m, "/older/3") == ("redirect", "/new/6")
    assert outcome(m, "/ext") == ("redirect", "https://example.org/x")
    assert outcome(m, "/dflt") == ("redirect", "/d/a%20b")


def test_allowed_methods() -> None:
    m = make(
        Rule("/x", endpoint="a", methods=["GET"]),
        Rule("/x", endpoint="b", methods=["POST", "OPTIONS"]),
        Rule("/any", endpoint="any"),
    )
    assert m.allowed_methods("/x") == ["GET", "HEAD", "OPTIONS", "POST"]
    assert m.allowed_methods("/nothing") == []
    assert m.allowed_methods("/any") == []


def test_websocket_rules() -> None:
    m = make(Rule("/ws", endpoint="ws", websocket=True), Rule("/http", endpoint="http"))
    assert outcome(m, "/ws", websocket=True) == ("ws", {})
    assert outcome(m, "/http") == ("http", {})
    with pytest.raises(BadRequest):
        m.match("/ws", "GET")
    assert outcome(m, "/http", websocket=True) == 400


# -- subdomains and hosts ------------------------------------------------------------


def test_subdomain_rules() -> None:
    m = make(
        Rule("/", endpoint="index"),
        Rule("/", subdomain="api", endpoint="api"),
        Rule("/u", subdomain="<user>", endpoint="user"),
    )
    assert outcome(m, "/") == ("index", {})
    assert outcome(m, "/", subdomain="") == ("index", {})
    assert outcome(m, "/", subdomain="api") == ("api", {})
    assert outcome(m, "/u", subdomain="bob") == ("user", {"user": "bob"})
    # No subdomain matching: only default-subdomain rules exist.
    assert outcome(m, "/u") == 404
    assert m.build("api") == ("api", "/")
    assert m.build("user", {"user": "bob"}) == ("bob", "/u")
    assert m.build("index") == (None, "/")


def test_default_subdomain() -> None:
    m = Map(default_subdomain="www")
    m.add(Rule("/", endpoint="www"))
    m.add(Rule("/", subdomain="", endpoint="bare"))
    assert m.match("/", "GET")[0].endpoint == "www"
    assert outcome(m, "/", subdomain="") == ("bare", {})
    assert outcome(m, "/", subdomain="other") == 404
    with pytest.raises(ValueError, match="conflicts"):
        m.add(Rule("/", subdomain="www", endpoint="again"))


def test_host_matching() -> None:
    m = make(
        Rule("/", host="example.com", endpoint="main"),
        Rule("/", host="<sub>.example.com", endpoint="sub"),
        host_matching=True,
    )
    assert outcome(m, "/", host="Example.com") == ("main", {})
    assert outcome(m, "/", host="x.example.com") == ("sub", {"sub": "x"})
    assert outcome(m, "/", host="other.org") == 404
    assert m.build("sub", {"sub": "y"}) == ("y.example.com", "/")


# -- conflicts -----------------------------------------------------------------------


def test_conflicting_rules_rejected() -> None:
    m = make(Rule("/x/<int:id>", endpoint="a", methods=["GET"]))
    with pytest.raises(ValueError, match=r"<Rule '/x/<other>' \(GET, HEAD, POST\) -> b>.*-> a>"):
        m.add(Rule("/x/<int:other>", endpoint="b", methods=["GET", "POST"]))
    with pytest.raises(ValueError, match="conflicts"):
        m.add(Rule("/x/<int:id>", endpoint="c"))
    # The failed rules left no trace.
    assert [r.endpoint for r in m.iter_rules()] == ["a"]
    assert outcome(m, "/x/1", "POST") == (405, ["GET", "HEAD"])


def test_non_conflicting_rules_accepted() -> None:
    m = make(
        Rule("/x", endpoint="get", methods=["GET"]),
        Rule("/x", endpoint="post", methods=["POST"]),
        Rule("/x/<int:id>", endpoint="int"),
        Rule("/x/<id>", endpoint="str"),
        Rule("/x/<int(max=5):id>", endpoint="small"),
        Rule("/x", subdomain="api", endpoint="api"),
        Rule("/x", endpoint="ws", websocket=True),
        Rule("/x", endpoint="build", build_only=True),
    )
    assert len(list(m.iter_rules())) == 8


def test_automatic_options_is_not_a_conflict() -> None:
    m = Map()
    for methods, ep in ((["GET", "OPTIONS"], "get"), (["POST", "OPTIONS"], "post")):
        rule = Rule("/x", methods=methods, endpoint=ep)
        rule.provide_automatic_options = True
        m.add(rule)
    explicit = Rule("/x", methods=["OPTIONS"], endpoint="opts")
    with pytest.raises(ValueError, match="conflicts"):
        m.add(Rule("/x", methods=["POST"], endpoint="again"))
    m.add(explicit)
    assert outcome(m, "/x", "OPTIONS") == ("get", {})


# -- building ------------------------------------------------------------------------


def test_build_query_string() -> None:
    m = make(Rule("/u/<int:id>", endpoint="u"))
    assert m.build("u", {"id": 1}) == (None, "/u/1")
    assert m.build("u", {"id": 1, "b": "x y", "a": ["1", "2"], "n": None}) == (
        None,
        "/u/1?b=x+y&a=1&a=2",
    )
    assert m.build("u", {"id": 1, "q": "&=/?ü"}) == (None, "/u/1?q=%26%3D/?%C3%BC")
    assert m.build("u", {"id": 1, "q": "x"}, append_unknown=False) == (None, "/u/1")


def test_build_quotes_path_values() -> None:
    m = make(Rule("/s/<name>", endpoint="s"), Rule("/ü/static", endpoint="st"))
    assert m.build("s", {"name": "a b/ü?#%"}) == (None, "/s/a%20b/%C3%BC%3F%23%25")
    assert m.build("s", {"name": "!$&'()*+,;=:@"}) == (None, "/s/!$&'()*+,;=:@")
    assert m.build("st") == (None, "/%C3%BC/static")


def test_build_with_defaults() -> None:
    m = make(
        Rule("/all/", defaults={"page": 1}, endpoint="all"),
        Rule("/all/page/<int:page>", endpoint="all"),
        Rule("/fixed/<lang>", defaults={"lang": "en"}, endpoint="fixed"),
    )
    assert m.build("all") == (None, "/all/")
    assert m.build("all", {"page": 1}) == (None, "/all/")
    assert m.build("all", {"page": 3}) == (None, "/all/page/3")
    assert m.build("fixed") == (None, "/fixed/en")
    with pytest.raises(BuildError):
        m.build("fixed", {"lang": "de"})


def test_build_prefers_method() -> None:
    m = make(
        Rule("/post", endpoint="e", methods=["POST"]),
        Rule("/get", endpoint="e", methods=["GET"]),
    )
    assert m.build("e") == (None, "/get")
    assert m.build("e", method="POST") == (None, "/post")
    with pytest.raises(BuildError, match=r"\('PUT'\).*Did you mean to use methods"):
        m.build("e", method="PUT")


def test_build_errors_explain() -> None:
    m = make(Rule("/u/<int:id>", endpoint="user"), Rule("/", endpoint="index"))
    with pytest.raises(BuildError) as info:
        m.build("user")
    assert str(info.value) == (
        "Could not build url for endpoint 'user'. Did you forget to specify values ['id']?"
    )
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, RoutingException)
    with pytest.raises(BuildError) as info:
        m.build("usr", {"id": 1})
    assert str(info.value) == (
        "Could not build url for endpoint 'usr' with values ['id']. Did you mean 'user' instead?"
    )
    assert str(BuildError("x", {}, None)) == "Could not build url for endpoint 'x'."


def test_build_multidict_like_values() -> None:
    class Multi(dict[str, list[str]]):
        def getlist(self, key: str) -> list[str]:
            return self[key]

    m = make(Rule("/u/<id>", endpoint="u"))
    values = Multi(id=["7"], tag=["a", "b"], empty=[])
    assert m.build("u", values) == (None, "/u/7?tag=a&tag=b")


def test_build_sort_parameters() -> None:
    m = make(Rule("/", endpoint="i"), sort_parameters=True)
    assert m.build("i", {"b": 1, "a": 2}) == (None, "/?a=2&b=1")


def test_build_merges_slashes_in_rule() -> None:
    m = make(Rule("/a//b", endpoint="ab"))
    assert m.build("ab") == (None, "/a/b")
    assert outcome(m, "/a/b") == ("ab", {})


def test_build_roundtrip_many_routes() -> None:
    m = Map()
    for i in range(300):
        m.add(Rule(f"/r{i}/<int:id>/<name>", endpoint=f"e{i}"))
    for i in range(0, 300, 37):
        _, path = m.build(f"e{i}", {"id": i, "name": "n m"})
        assert path == f"/r{i}/{i}/n%20m"
        rule, values = m.match(path.replace("%20", " "), "GET")
        assert rule.endpoint == f"e{i}"
        assert values == {"id": i, "name": "n m"}
