"""Tests for kolba.http.urls, compared with urllib's parse_qsl and werkzeug.urls."""

from __future__ import annotations

import functools
import typing as t
from urllib.parse import parse_qsl

import pytest
import werkzeug.datastructures
import werkzeug.urls

from kolba.http.datastructures import ImmutableMultiDict, MultiDict
from kolba.http.exceptions import BadRequest, RequestEntityTooLarge
from kolba.http.urls import iri_to_uri, uri_to_iri, url_decode, url_encode, url_quote


def _werkzeug_args(query: str) -> list[tuple[str, str]]:
    """What Werkzeug's ``request.args`` holds, in the multidict's own order."""
    items = parse_qsl(query, keep_blank_values=True)
    return list(werkzeug.datastructures.MultiDict(items).items(multi=True))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "a=1",
        "a=1&b=2&a=3",
        "a=1;b=2",
        "a",
        "a=",
        "=",
        "=x",
        "a=1&&b=2&",
        "&&&",
        "a=b=c",
        "q=hello+world&x=%2B%26%3D",
        "%C3%A9=%E2%98%83",
        "a=%zz&b=%4&c=%",
        "a=%ff%fe&%80=1",
        "sp ace=tab\there",
        "ü=ö",
    ],
)
def test_url_decode_matches_parse_qsl(query: str) -> None:
    rv = url_decode(query)
    assert isinstance(rv, MultiDict)
    assert list(rv.items(multi=True)) == _werkzeug_args(query)
    assert list(url_decode(query.encode()).items(multi=True)) == _werkzeug_args(query)


def test_url_decode_semantics() -> None:
    assert url_decode("a=1;b=2")["a"] == "1;b=2"
    assert url_decode("a+b=c+d")["a b"] == "c d"
    assert url_decode("k")["k"] == ""
    assert url_decode("a=%zz")["a"] == "%zz"
    assert url_decode("a=%ff")["a"] == "\ufffd"
    assert url_decode("a=1&a=2").getlist("a") == ["1", "2"]
    assert len(url_decode("&&a=1&&")) == 1


def test_url_decode_invalid_raw_bytes() -> None:
    assert url_decode(b"a=\xff")["a"] == "\ufffd"


def test_url_decode_keep_invalid_bytes_quoted() -> None:
    # Werkzeug's request.args behaviour, available on request.
    rv = url_decode("a=%ff%C3%A9", errors="kolba.url_quote")
    assert rv["a"] == "%FFé"


def test_url_decode_cls() -> None:
    rv = url_decode("a=1", cls=ImmutableMultiDict)
    assert isinstance(rv, ImmutableMultiDict)
    assert rv["a"] == "1"


def test_url_decode_max_fields() -> None:
    assert len(url_decode("a=1&b=2", max_fields=2)) == 2
    # Empty pairs do not count towards the limit.
    assert len(url_decode("a=1&&&&b=2&", max_fields=2)) == 2

    with pytest.raises(RequestEntityTooLarge):
        url_decode("a=1&b=2&c=3", max_fields=2)

    too_many = functools.partial(BadRequest, "Too many query parameters.")

    with pytest.raises(BadRequest) as info:
        url_decode("a&b&c", max_fields=2, on_too_many=too_many)

    assert info.value.code == 400
    assert info.value.description == "Too many query parameters."


@pytest.mark.parametrize(
    "obj",
    [
        {"a": "1", "b": "x y"},
        {"a": ["1", "2"], "b": None, "c": ("3",)},
        [("a", "1"), ("a", "2"), ("b", "é ☃")],
        {"sym": "!$'()*,/:;?@&=+#%[]<>\"", "n": 5},
        {"bytes": b"\xff"},
        {},
    ],
)
def test_url_encode_matches_werkzeug(obj: t.Any) -> None:
    assert url_encode(obj) == werkzeug.urls._urlencode(obj)


def test_url_encode_multidict_and_sort() -> None:
    md: MultiDict[str, str] = MultiDict([("b", "1"), ("a", "2"), ("b", "3")])
    assert url_encode(md) == "b=1&b=3&a=2"
    assert url_encode({"b": 1, "a": 2, "c": None}, sort=True) == "a=2&b=1"
    assert url_encode({"bb": 1, "a": 2}, sort=True, key=lambda i: -len(i[0])) == "bb=1&a=2"


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("/a b/é", {}, "/a%20b/%C3%A9"),
        ("a:b/c?d", {}, "a:b/c%3Fd"),
        ("a/b", {"safe": ""}, "a%2Fb"),
        ("a-b_c.d~e", {"unsafe": "~"}, "a-b_c.d%7Ee"),
        ("AÅ", {"unsafe": "A"}, "%41%C3%85"),
        (b"\xff/x", {}, "%FF/x"),
        (12, {}, "12"),
        ("é", {"encoding": "latin-1"}, "%E9"),
    ],
)
def test_url_quote(value: t.Any, kwargs: dict[str, str], expected: str) -> None:
    assert url_quote(value, **kwargs) == expected


@pytest.mark.parametrize(
    "iri",
    [
        "http://x/a b",
        "http://x/a%20b?q=1 2#f g",
        "/påth?x=è",
        "http://☃.net:8080/a",
        "http://user:påss@host/",
        "http://[::1]:80/x?ü",
        "/a%zz",
        "/\u2603?a=\u2603#\u2603",
        "https://bücher.example/straße?q=größe",
        "/tab\there",
        "http://user@ex.com/é",
    ],
)
def test_iri_to_uri_matches_werkzeug(iri: str) -> None:
    uri = iri_to_uri(iri)
    assert uri == werkzeug.urls.iri_to_uri(iri)
    assert uri.isascii()


@pytest.mark.parametrize(
    "url",
    [
        "http://EXAMPLE.com/Path?q=1&r=%20#frag",
        "/relative/path?x=1",
        "itms-services://?action=download",
        "http://x?",
        "mailto:someone@example.com",
        "",
    ],
)
def test_iri_to_uri_leaves_ascii_urls_alone(url: str) -> None:
    assert iri_to_uri(url) is url


@pytest.mark.parametrize(
    "uri",
    [
        "http://xn--n3h.net/p%C3%A5th?q=%C3%A8ry%DF",
        "/a%2Fb%20c?x=%26%3D%2B&y=%C3%A9#%E2%98%83",
        "http://us%C3%A9r:p%40ss@xn--bcher-kva.example:81/",
        "http://[::1]/%ff",
        "/plain",
        "http://ÿ.com/",
    ],
)
def test_uri_to_iri_matches_werkzeug(uri: str) -> None:
    assert uri_to_iri(uri) == werkzeug.urls.uri_to_iri(uri)


def test_uri_to_iri_keeps_invalid_punycode() -> None:
    # Werkzeug raises here; an undecodable label is kept as it is.
    assert uri_to_iri("http://xn--invalid-.com/a") == "http://xn--invalid-.com/a"
    assert uri_to_iri("http://xn--n3h.xn--invalid-.com/") == "http://\u2603.xn--invalid-.com/"


def test_iri_to_uri_unencodable_host() -> None:
    long_label = "\u2603" * 64
    assert (
        iri_to_uri(f"http://{long_label}.com/") == f"http://{url_quote(long_label, safe='')}.com/"
    )


def test_round_trip() -> None:
    uri = "http://xn--n3h.net/p%C3%A5th?q=%C3%A8ry%DF"
    assert uri_to_iri(uri) == "http://\u2603.net/p\xe5th?q=\xe8ry%DF"
    assert iri_to_uri(uri_to_iri(uri)) == uri
