from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kolba.http.headers import (
    Accept,
    Authorization,
    CharsetAccept,
    HeaderSet,
    LanguageAccept,
    MIMEAccept,
    RequestCacheControl,
    ResponseCacheControl,
    UserAgent,
    WWWAuthenticate,
    dump_header,
    dump_options_header,
    parse_accept_header,
    parse_cache_control_header,
    parse_dict_header,
    parse_list_header,
    parse_options_header,
    parse_set_header,
    quote_header_value,
    unquote_header_value,
)

OPTIONS = [
    "text/html; charset=UTF-8",
    'attachment; filename="a \\"b\\".txt"',
    "attachment; filename*=UTF-8''%E2%82%AC%20rates.txt",
    'a; b*0="x"; b*1="y"',
    "a; b*0*=UTF-8''%E2%82; b*1*=%AC",
    "x; a=",
    'x;;a=1; b="unterminated',
    'form-data; name="f%22"',
    "",
    " ; a=1",
    "x; A=1; a=2",
    "x; t*=iso-8859-1''%A3",
    "x; t*=koi8-r''%A3",
    'x; a="1;2"; b=3',
]


@pytest.mark.parametrize("value", OPTIONS)
def test_parse_options_header_matches_werkzeug(value: str) -> None:
    from werkzeug.http import parse_options_header as w

    assert parse_options_header(value) == w(value)


def test_parse_options_header_examples() -> None:
    assert parse_options_header(None) == ("", {})
    assert parse_options_header("text/html; Charset=utf-8") == ("text/html", {"charset": "utf-8"})
    assert parse_options_header("attachment; filename*=UTF-8''%E2%82%AC.txt") == (
        "attachment",
        {"filename": "€.txt"},
    )


@given(st.text(max_size=80))
def test_parse_options_header_never_raises_and_matches(value: str) -> None:
    from werkzeug.http import parse_options_header as w

    assert parse_options_header(value) == w(value)


def test_dump_options_header_round_trip() -> None:
    header = dump_options_header("form-data", {"name": "a b", "x": None, "filename*": "UTF-8''%E2"})
    assert header == "form-data; name=\"a b\"; filename*=UTF-8''%E2"
    assert parse_options_header(header) == ("form-data", {"name": "a b", "filename": "\ufffd"})


@pytest.mark.parametrize(
    "value",
    ["a, b", 'a, "b, c", d', '"unclosed, x', ",,a,,", 'a="b, c", "x\\"y"', "", 'a"b,c"d, e'],
)
def test_list_and_dict_headers_match_werkzeug(value: str) -> None:
    from werkzeug import http as w

    assert parse_list_header(value) == w.parse_list_header(value)
    assert parse_dict_header(value) == w.parse_dict_header(value)


@given(st.text(max_size=60))
def test_list_and_dict_property(value: str) -> None:
    from werkzeug import http as w

    assert parse_list_header(value) == w.parse_list_header(value)
    assert parse_dict_header(value) == w.parse_dict_header(value)


@given(st.lists(st.text(min_size=1, max_size=10).filter(lambda s: s.strip() == s), max_size=5))
def test_dump_header_list_round_trip(items: list[str]) -> None:
    assert parse_list_header(dump_header(items)) == items


def test_dict_header_rfc2231_and_quoting() -> None:
    assert parse_dict_header("a*=UTF-8''%C3%A9, b=\"x, y\", c") == {
        "a": "é",
        "b": "x, y",
        "c": None,
    }
    assert dump_header({"a": "x y", "b": None, "c*": "UTF-8''x"}) == "a=\"x y\", b, c*=UTF-8''x"
    assert quote_header_value("") == '""'
    assert quote_header_value("tok") == "tok"
    assert quote_header_value("tok", allow_token=False) == '"tok"'
    assert quote_header_value('a"\\') == '"a\\"\\\\"'
    assert unquote_header_value('"a\\"\\\\"') == 'a"\\'
    assert unquote_header_value("plain") == "plain"


def test_hostile_headers_are_linear() -> None:
    start = time.perf_counter()
    parse_options_header("x; " + 'a="\\"; ' * 20_000)
    parse_list_header('"' + "\\" * 200_000)
    parse_list_header("a," * 100_000)
    parse_accept_header("a;q=0.5," * 20_000)
    parse_options_header("x" + "; a=1" * 50_000)
    assert time.perf_counter() - start < 3


def test_header_set() -> None:
    updates: list[HeaderSet] = []
    hs = parse_set_header('Accept-Encoding, "quoted value", accept-encoding', updates.append)
    assert list(hs) == ["Accept-Encoding", "quoted value"]
    assert "ACCEPT-ENCODING" in hs and "x" not in hs
    assert hs.find("QUOTED VALUE") == 1 and hs.find("nope") == -1
    with pytest.raises(IndexError):
        hs.index("nope")
    hs.add("Cookie")
    hs.remove("accept-encoding")
    assert hs.to_header() == '"quoted value", Cookie'
    assert len(updates) == 2
    hs.discard("missing")
    with pytest.raises(KeyError):
        hs.remove("missing")
    hs[0] = "Origin"
    assert hs.as_set() == {"origin", "cookie"}
    del hs[0]
    assert str(hs) == "Cookie" and repr(hs) == "HeaderSet(['Cookie'])"
    hs.clear()
    assert not hs and len(updates) == 5
    assert not parse_set_header(None)


def b64(text: bytes) -> str:
    return base64.b64encode(text).decode()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Basic " + b64(b"foo:bar"), ("basic", {"username": "foo", "password": "bar"}, None)),
        ("basic " + b64(b"foo:b:r"), ("basic", {"username": "foo", "password": "b:r"}, None)),
        ("Basic " + b64("jü:pä".encode()), ("basic", {"username": "jü", "password": "pä"}, None)),
        (
            "Basic " + b64("jü:pä".encode("latin-1")),
            ("basic", {"username": "jü", "password": "pä"}, None),
        ),
        ("Basic " + b64(b"nocolon"), ("basic", {"username": "nocolon", "password": ""}, None)),
        ("Bearer abc==", ("bearer", {}, "abc==")),
        (
            'Digest username="a", realm=x, nonce="n, m"',
            ("digest", {"username": "a", "realm": "x", "nonce": "n, m"}, None),
        ),
    ],
)
def test_authorization_from_header(
    header: str, expected: tuple[str, dict[str, str], str | None]
) -> None:
    auth = Authorization.from_header(header)
    assert auth is not None
    assert (auth.type, auth.parameters, auth.token) == expected


@pytest.mark.parametrize("header", [None, "", "Basic é", "Basic Zm9", "Basic Zm9vOmJhcg"])
def test_authorization_malformed_is_none(header: str | None) -> None:
    assert Authorization.from_header(header) is None


def test_authorization_junk_basic_is_empty_credentials_as_in_werkzeug() -> None:
    auth = Authorization.from_header("Basic !!!")
    assert auth is not None
    assert (auth.type, auth.username, auth.password) == ("basic", "", "")


def test_authorization_access_and_to_header() -> None:
    auth = Authorization("basic", {"username": "u", "password": "p"})
    assert auth.username == "u" and auth.password == "p" and auth.realm is None
    assert auth["username"] == "u" and auth.get("nope", "d") == "d" and "username" in auth
    assert auth.to_header() == "Basic " + b64(b"u:p")
    assert Authorization.from_header(auth.to_header()) == auth
    assert Authorization("bearer", token="t").to_header() == "Bearer t"
    assert Authorization("digest", {"realm": "a b"}).to_header() == 'Digest realm="a b"'
    from werkzeug.datastructures import Authorization as W

    for header in ["Basic " + b64(b"a:b"), "Bearer xyz", 'Digest username="a", qop=auth']:
        ours, theirs = Authorization.from_header(header), W.from_header(header)
        assert ours is not None and theirs is not None
        assert ours.to_header() == theirs.to_header()


def test_www_authenticate() -> None:
    seen: list[str] = []
    www = WWWAuthenticate("Basic", {"realm": "Login Required"})
    assert www.to_header() == 'Basic realm="Login Required"'
    www._on_update = lambda w: seen.append(w.to_header())
    www.realm = "x"
    www["charset"] = "UTF-8"
    del www.charset
    www.type = "digest"
    www.parameters = {"realm": "r", "nonce": "n", "algorithm": "MD5"}
    assert seen[-1] == 'Digest realm="r", nonce="n", algorithm=MD5'
    assert len(seen) == 5
    assert WWWAuthenticate("bearer").to_header() == "Bearer"
    assert WWWAuthenticate("bearer", token="t").to_header() == "Bearer t"
    parsed = WWWAuthenticate.from_header('Basic realm="a, b"')
    assert parsed is not None and parsed.realm == "a, b" and "realm" in parsed
    assert WWWAuthenticate.from_header("") is None


def test_cache_control_request_is_immutable() -> None:
    cc = parse_cache_control_header("no-cache, max-age=10, max-stale, min-fresh=x, junk")
    assert isinstance(cc, RequestCacheControl)
    assert cc.no_cache is True and cc.max_age == 10 and cc.max_stale is True
    assert cc.min_fresh is None and cc.no_store is False and cc.provided
    with pytest.raises(TypeError):
        cc["x"] = "1"
    with pytest.raises(TypeError):
        cc.max_age = 5
    assert not parse_cache_control_header(None)


def test_cache_control_response_on_update() -> None:
    headers: list[str] = []
    cc = parse_cache_control_header(
        'private="set-cookie", s-maxage=5',
        lambda c: headers.append(c.to_header()),
        cls=ResponseCacheControl,
    )
    assert cc.private == "set-cookie" and cc.s_maxage == 5 and cc.public is False
    cc.max_age = 60
    cc.public = True
    cc.private = None
    cc.no_cache = True
    cc.immutable = True
    del cc.s_maxage
    assert headers[-1] == "max-age=60, public, no-cache, immutable"
    assert len(headers) == 6
    assert cc.no_cache is True and cc.must_revalidate is False
    cc.stale_while_revalidate = 30
    assert cc["stale-while-revalidate"] == "30" and cc.stale_while_revalidate == 30
    from werkzeug.datastructures import ResponseCacheControl as W

    theirs = W()
    theirs.max_age = 60
    theirs.public = True
    theirs.no_cache = True
    theirs.immutable = True
    theirs.stale_while_revalidate = 30
    assert cc.to_header() == theirs.to_header()


ACCEPTS = [
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "a/b;q=2, c/d;q=x, e/f;q=0.5, g/h;q=-0.1, i/j;q=0",
    "text/*;q=0.3, text/html;level=1, text/html;q=0.7, */*;q=0.5",
    "application/json",
    "*/*",
    "",
]


@pytest.mark.parametrize("value", ACCEPTS)
def test_mime_accept_matches_werkzeug(value: str) -> None:
    from werkzeug.datastructures import MIMEAccept as W
    from werkzeug.http import parse_accept_header as w

    ours = parse_accept_header(value, MIMEAccept)
    theirs = w(value, W)
    assert list(ours) == list(theirs)
    assert ours.to_header() == theirs.to_header()
    for offered in (["text/html", "application/json"], ["application/json"], ["image/png"]):
        assert ours.best_match(offered) == theirs.best_match(offered)
    assert (ours.accept_html, ours.accept_json, ours.accept_xhtml) == (
        theirs.accept_html,
        theirs.accept_json,
        theirs.accept_xhtml,
    )
    assert ours.best == theirs.best
    assert ours.quality("text/html") == theirs.quality("text/html")


def test_accept_behaviour() -> None:
    acc = parse_accept_header("a;q=0.5, b, c;q=0")
    assert list(acc.values()) == ["b", "a", "c"]
    assert acc["a"] == 0.5 and acc["z"] == 0 and acc[0] == ("b", 1)
    assert "A" in acc and "z" not in acc  # type: ignore[comparison-overlap]
    assert acc.best_match(["c", "a"]) == "a"
    assert acc.best_match(["c"], default="x") == "x"
    assert acc.find("b") == 0 and acc.find("z") == -1
    with pytest.raises(TypeError):
        acc.append(("d", 1))
    absent = parse_accept_header(None)
    assert not absent.provided and absent.best is None and isinstance(absent, Accept)
    assert parse_accept_header("text/html", MIMEAccept).best_match(["text/html"]) == "text/html"
    with pytest.raises(ValueError):
        parse_accept_header("text/html", MIMEAccept).best_match(["html"])


def test_language_and_charset_accept() -> None:
    lang = parse_accept_header("en-US,de;q=0.5", LanguageAccept)
    assert lang.best_match(["en", "de"]) == "de"  # an exact match beats a primary-tag one
    assert lang.best_match(["en", "fr"]) == "en"
    assert lang.best_match(["fr", "de-AT"]) == "de-AT"
    assert lang.best_match(["fr"], default="it") == "it"
    assert "en_us" in lang  # type: ignore[comparison-overlap]
    charset = parse_accept_header("ISO-8859-1, utf-8;q=0.7", CharsetAccept)
    assert "latin1" in charset and charset["UTF8"] == 0.7 and "utf7" not in charset  # type: ignore[comparison-overlap]


@given(st.text(max_size=80))
def test_accept_never_raises(value: str) -> None:
    for cls in (Accept, MIMEAccept, LanguageAccept, CharsetAccept):
        acc: Any = parse_accept_header(value, cls)
        assert all(0 <= q <= 1 for _, q in acc)


def test_user_agent() -> None:
    ua = UserAgent("Mozilla/5.0 (X11)")
    assert ua.string == str(ua) == ua.to_header() == "Mozilla/5.0 (X11)"
    assert (ua.platform, ua.browser, ua.version, ua.language) == (None, None, None, None)
    assert not ua
    from werkzeug.user_agent import UserAgent as W

    assert bool(W("Mozilla/5.0")) is bool(ua)
