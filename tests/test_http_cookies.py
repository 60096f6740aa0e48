from __future__ import annotations

import time
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kolba.http.cookies import dump_cookie, parse_cookie


def pairs(header: str | bytes | None) -> list[tuple[str, str]]:
    result: list[tuple[str, str]] = parse_cookie(header, list)
    return result


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; b=2", [("a", "1"), ("b", "2")]),
        ("a; b=2", [("a", ""), ("b", "2")]),
        ('a="x;y"; b', [("a", "x;y"), ("b", "")]),
        ('d="q\\"w\\054\\\\"', [("d", 'q"w,\\')]),
        ('f="\\303\\251"', [("f", "é")]),
        ('g=" a "', [("g", " a ")]),
        ("h = 1 ; i=2;;", [("h", "1"), ("i", "2")]),
        ("a=b=c", [("a", "b=c")]),
        ('a="x"y; b=1', [("a", '"x"y'), ("b", "1")]),
        ('a="unclosed; b=1', [("a", '"unclosed'), ("b", "1")]),
        ("", []),
        (None, []),
    ],
)
def test_parse_cookie(header: str | None, expected: list[tuple[str, str]]) -> None:
    assert pairs(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "=__Host-test=bad",
        '"__Host-test"=bad',
        "__Host test=bad",
        "a\\b=bad",
        "a,b=bad",
        "a\x00b=bad",
        "=bad",
    ],
)
def test_nameless_or_bad_names_are_skipped(header: str) -> None:
    result = parse_cookie(header + "; ok=1")
    assert "__Host-test" not in result
    assert pairs(header + "; ok=1") == [("ok", "1")]


def test_default_class_is_multidict_first_value_wins() -> None:
    d = parse_cookie("a=1; a=2; b=3")
    assert d["a"] == "1"
    assert d.getlist("a") == ["1", "2"]
    with pytest.raises(TypeError):
        d["c"] = "x"


def test_invalid_utf8_is_replaced() -> None:
    assert pairs('a="\\377\\376"') == [("a", "\ufffd\ufffd")]
    assert pairs(b"a=\xff") == [("a", "\ufffd")]
    assert pairs("a=\udcff") == [("a", "\udcff")]


def test_hostile_cookie_headers_are_linear() -> None:
    start = time.perf_counter()
    pairs('a="\\";' * 20_000)
    pairs("a;" * 50_000)
    pairs('"' * 100_000)
    pairs("a=" + "\\" * 100_000)
    assert time.perf_counter() - start < 2


SAFE = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_characters="\x7f"),
    max_size=30,
)


@given(SAFE)
def test_parse_cookie_matches_werkzeug(header: str) -> None:
    from werkzeug.sansio.http import parse_cookie as w_parse

    theirs = [
        (k, v)
        for k, v in w_parse(header).items(multi=True)
        if not (k.startswith('"') or any(c in k for c in ' \t",\\'))
    ]
    assert pairs(header) == theirs


@given(st.text(max_size=200))
def test_parse_cookie_never_raises(header: str) -> None:
    for key, value in pairs(header):
        assert key and isinstance(value, str)


@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='=;",\\'),
        min_size=1,
        max_size=10,
    ),
    st.text(max_size=40),
)
def test_dump_parse_round_trip(key: str, value: str) -> None:
    value = value.encode("utf-8", "replace").decode()
    header = dump_cookie(key, value).split("; ")[0]
    assert pairs(header) == [(key, value)]


CASES: list[dict[str, Any]] = [
    {"key": "a", "value": "b"},
    {"key": "a", "value": ""},
    {"key": "a", "value": 'a b;c"d\\é,\x01\x7f'},
    {"key": "s", "value": "x", "max_age": timedelta(seconds=30), "sync_expires": False},
    {"key": "s", "max_age": 0, "sync_expires": False},
    {
        "key": "s",
        "expires": datetime(2030, 1, 1),
        "samesite": "lax",
        "partitioned": True,
        "httponly": True,
        "domain": ".Example.com:80",
        "path": "/a b/%20",
    },
    {"key": "ü", "value": "v", "expires": 0, "path": None},
    {"key": "d", "expires": "Thu, 01 Jan 1970 00:00:00 GMT", "domain": "münchen.de"},
    {"key": "t", "expires": datetime(2030, 1, 1, tzinfo=timezone(timedelta(hours=3)))},
    {"key": "n", "samesite": "none", "secure": True},
    {"key": "n", "samesite": "STRICT", "path": "/x?y#z"},
    {"key": "l", "domain": "localhost", "max_age": 3.5, "sync_expires": False},
    {"key": "u", "value": "ok!#$%&'()*+-./:<=>?@[]^`{|}~"},
]


@pytest.mark.parametrize("kwargs", CASES)
def test_dump_cookie_byte_identical_to_werkzeug(kwargs: dict[str, Any]) -> None:
    from werkzeug.http import dump_cookie as w_dump

    assert dump_cookie(**kwargs) == w_dump(**kwargs)


@given(
    st.text(max_size=20).filter(lambda k: not any(c in k for c in "\r\n;\x00")),
    st.text(max_size=60),
    st.one_of(st.none(), st.integers(0, 10**6)),
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, "Lax", "strict", "None"]),
)
def test_dump_cookie_matches_werkzeug(
    key: str, value: str, max_age: int | None, secure: bool, partitioned: bool, samesite: str | None
) -> None:
    from werkzeug.http import dump_cookie as w_dump

    value = value.encode("utf-8", "replace").decode()
    key = key.encode("utf-8", "replace").decode()
    kwargs = dict(
        key=key,
        value=value,
        max_age=max_age,
        secure=secure,
        sync_expires=False,
        partitioned=partitioned,
        samesite=samesite,
    )
    assert dump_cookie(**kwargs) == w_dump(**kwargs)  # type: ignore[arg-type]


def test_max_age_syncs_expires() -> None:
    header = dump_cookie("a", max_age=60)
    assert "Max-Age=60" in header
    assert "Expires=" in header
    assert header.index("Expires") < header.index("Max-Age") < header.index("Path")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": "a\r\nSet-Cookie: x"},
        {"key": "a;b"},
        {"key": "a", "path": "/\nx"},
        {"key": "a", "path": "/;Domain=evil"},
        {"key": "a", "domain": "x.com; Secure"},
        {"key": "a", "domain": "x.com\r\n"},
        {"key": "a", "samesite": "sometimes"},
    ],
)
def test_dump_cookie_refuses(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        dump_cookie(**kwargs)


def test_partitioned_implies_secure() -> None:
    assert dump_cookie("a", partitioned=True) == "a=; Secure; Path=/; Partitioned"


def test_too_large_warns_and_still_returns() -> None:
    with pytest.warns(UserWarning, match="silently ignore"):
        header = dump_cookie("big", "x" * 5000)
    assert header.startswith("big=" + "x" * 5000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dump_cookie("big", "x" * 5000, max_size=0).startswith("big=")
