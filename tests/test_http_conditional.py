from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kolba.http.conditional import (
    ContentRange,
    ETags,
    IfRange,
    Range,
    generate_etag,
    is_byte_range_valid,
    is_resource_modified,
    parse_content_range_header,
    parse_etags,
    parse_if_range_header,
    parse_range_header,
    quote_etag,
    unquote_etag,
)
from kolba.http.dates import http_date

UTC = timezone.utc

RANGES = [
    "bytes=0-499",
    "bytes=-500",
    "bytes=500-",
    "bytes=0-0,-1",
    "bytes=5-3",
    "bytes=x-1",
    "bytes=1-2,0-1",
    "items=0-1",
    "bytes=",
    "bytes=-",
    "bytes= 1 - 2 ",
    "bytes=0-1,3-4",
    "BYTES=0-9",
    "bytes=-0",
    "bytes=+1-2",
    "bytes=1_0-20",
    "bytes=0-1,-5,7-",
]


@pytest.mark.parametrize("value", RANGES)
def test_parse_range_matches_werkzeug(value: str) -> None:
    from werkzeug.http import parse_range_header as w

    ours, theirs = parse_range_header(value), w(value)
    if theirs is None:
        assert ours is None
        return
    assert ours is not None
    assert (ours.units, list(ours.ranges), ours.to_header()) == (
        theirs.units,
        list(theirs.ranges),
        theirs.to_header(),
    )
    for length in (0, 1, 10, 1000):
        assert ours.range_for_length(length) == theirs.range_for_length(length)
        assert ours.to_content_range_header(length) == theirs.to_content_range_header(length)


@given(st.text(alphabet="bytes=0123456789-, ", max_size=30))
def test_parse_range_property(value: str) -> None:
    from werkzeug.http import parse_range_header as w

    ours, theirs = parse_range_header(value), w(value)
    assert (ours and ours.ranges) == (theirs and list(theirs.ranges))


def test_range_examples_and_limits() -> None:
    rng = parse_range_header("bytes=-500")
    assert rng is not None and rng.ranges == [(-500, None)]
    assert rng.range_for_length(1000) == (500, 1000)
    cr = rng.make_content_range(1000)
    assert cr is not None and cr.to_header() == "bytes 500-999/1000"
    beyond = parse_range_header("bytes=2000-")
    assert beyond is not None and beyond.range_for_length(1000) is None  # answer 416
    assert (
        parse_range_header("bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(100))) is not None
    )
    assert parse_range_header("bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(101))) is None
    assert parse_range_header("bytes=0-1,5-6", max_ranges=1) is None
    assert parse_range_header("bytes=" + "9" * 5000 + "-") is None
    assert parse_range_header(None) is None
    with pytest.raises(ValueError):
        Range("bytes", [(5, 3)])
    assert Range("bytes", [(0, 10), (20, None)]).to_header() == "bytes=0-9,20-"
    assert Range("bytes", [(0, 1), (2, 3)]).range_for_length(10) is None


def test_hostile_range_and_etags_are_fast() -> None:
    start = time.perf_counter()
    parse_range_header("bytes=" + "," * 1_000_000)
    parse_etags('"' + " " * 100_000 + "x")
    parse_etags("a," * 100_000)
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize(
    "value",
    [
        "bytes 0-99/200",
        "bytes */200",
        "bytes 0-99/*",
        "bytes 100-99/200",
        "bytes */*",
        "x",
        "bytes 0-300/200",
        "bytes a-b/10",
        "bytes 0-1/-5",
        None,
        "",
    ],
)
def test_parse_content_range_matches_werkzeug(value: str | None) -> None:
    from werkzeug.http import parse_content_range_header as w

    ours, theirs = parse_content_range_header(value), w(value)
    assert (ours and ours.to_header()) == (theirs and theirs.to_header())


def test_content_range_updates() -> None:
    seen: list[str] = []
    cr = ContentRange("bytes", 0, 10, 100, on_update=lambda c: seen.append(c.to_header()))
    cr.stop = 20
    cr.length = None
    assert seen == ["bytes 0-9/100", "bytes 0-19/100", "bytes 0-19/*"]  # set() in __init__ too
    cr.unset()
    assert not cr and cr.to_header() == "" and seen[-1] == ""
    with pytest.raises(ValueError):
        cr.set(5, 1, 10)
    assert cr.units is None and cr.start is None


@pytest.mark.parametrize(
    "value",
    ['"a", W/"b", c', "*", 'W/"x" , "y"', "a,,b", '"a", *', "", None, 'w/"lower"'],
)
def test_parse_etags_matches_werkzeug(value: str | None) -> None:
    from werkzeug.http import parse_etags as w

    ours, theirs = parse_etags(value), w(value)
    assert ours.as_set(True) == theirs.as_set(True)
    assert ours.as_set() == theirs.as_set()
    assert ours.star_tag == theirs.star_tag
    assert bool(ours) == bool(theirs)


def test_etags_methods() -> None:
    tags = parse_etags('"a", W/"b"')
    assert "a" in tags and "b" not in tags and 1 not in tags
    assert tags.contains_weak("b") and not tags.contains("b")
    assert tags.is_strong("a") and tags.is_weak("b")
    assert tags.contains_raw('W/"b"') and tags.contains_raw('"a"') and not tags.contains_raw('"b"')
    assert tags.to_header() == '"a", W/"b"'
    assert list(tags) == ["a"] and len(tags) == 1
    assert tags(data=b"x") is False and tags("b", include_weak=True) is True
    with pytest.raises(TypeError):
        tags()
    star = ETags(star_tag=True)
    assert star.contains("anything") and star.to_header() == "*"
    assert not ETags()


def test_etag_helpers() -> None:
    from werkzeug.http import generate_etag as w

    assert generate_etag(b"hello") == w(b"hello") == "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
    assert quote_etag("x") == '"x"' and quote_etag("x", weak=True) == 'W/"x"'
    with pytest.raises(ValueError):
        quote_etag('a"b')
    assert unquote_etag('W/"x"') == ("x", True)
    assert unquote_etag(' "x" ') == ("x", False)
    assert unquote_etag(None) == (None, None)


def test_if_range() -> None:
    date = parse_if_range_header("Wed, 21 Oct 2015 07:28:00 GMT")
    assert date.date == datetime(2015, 10, 21, 7, 28, tzinfo=UTC) and date.etag is None
    assert date.to_header() == "Wed, 21 Oct 2015 07:28:00 GMT"
    tag = parse_if_range_header('W/"abc"')
    assert tag.etag == "abc" and tag.date is None and tag.to_header() == '"abc"'
    assert parse_if_range_header(None).to_header() == ""
    assert str(IfRange()) == ""


@pytest.mark.parametrize(
    ("start", "stop", "length", "ok"),
    [
        (0, 1, 1, True),
        (None, None, None, True),
        (None, None, 5, True),
        (None, None, -1, False),
        (0, None, 5, False),
        (5, 5, 10, False),
        (0, 10, None, True),
        (10, 11, 10, False),
        (-1, 2, 10, False),
    ],
)
def test_is_byte_range_valid(
    start: int | None, stop: int | None, length: int | None, ok: bool
) -> None:
    from werkzeug.http import is_byte_range_valid as w

    assert is_byte_range_valid(start, stop, length) is ok is w(start, stop, length)


LAST = datetime(2020, 1, 1, 12, 0, 0, 500_000)
HEADERS = [
    {},
    {"HTTP_IF_NONE_MATCH": '"abc"'},
    {"HTTP_IF_NONE_MATCH": 'W/"abc"'},
    {"HTTP_IF_NONE_MATCH": '"zzz"'},
    {"HTTP_IF_NONE_MATCH": "*"},
    {"HTTP_IF_MODIFIED_SINCE": http_date(LAST)},
    {"HTTP_IF_MODIFIED_SINCE": http_date(LAST - timedelta(seconds=1))},
    {"HTTP_IF_MODIFIED_SINCE": "garbage"},
    {"HTTP_IF_NONE_MATCH": '"zzz"', "HTTP_IF_MODIFIED_SINCE": http_date(LAST)},
    {"HTTP_IF_MATCH": '"abc"'},
    {"HTTP_IF_MATCH": '"zzz"'},
    {"HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": '"abc"'},
    {"HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": '"zzz"'},
    {"HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": http_date(LAST)},
    {"HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": http_date(LAST - timedelta(days=1))},
]


@pytest.mark.parametrize("environ", HEADERS)
@pytest.mark.parametrize("ignore_if_range", [True, False])
@pytest.mark.parametrize(("etag", "last_modified"), [("abc", LAST), (None, LAST), ('"abc"', None)])
def test_is_resource_modified_matches_werkzeug(
    environ: dict[str, str], ignore_if_range: bool, etag: str | None, last_modified: datetime | None
) -> None:
    from werkzeug.http import is_resource_modified as w

    theirs = w(
        dict(environ, REQUEST_METHOD="GET"),
        etag=etag,
        last_modified=last_modified,
        ignore_if_range=ignore_if_range,
    )
    if_match = parse_etags(environ.get("HTTP_IF_MATCH"))
    ours = is_resource_modified(
        method="GET",
        if_none_match=parse_etags(environ.get("HTTP_IF_NONE_MATCH")),
        if_modified_since=parse_date_or_none(environ.get("HTTP_IF_MODIFIED_SINCE")),
        if_range=parse_if_range_header(environ.get("HTTP_IF_RANGE"))
        if "HTTP_RANGE" in environ
        else None,
        etag=etag,
        last_modified=last_modified,
        ignore_if_range=ignore_if_range,
        if_match=if_match,
    )
    assert ours is theirs


def parse_date_or_none(value: str | None) -> datetime | None:
    from kolba.http.dates import parse_date

    return parse_date(value)


def test_is_resource_modified_rules() -> None:
    none = ETags()
    since = datetime(2020, 1, 1, 12, tzinfo=UTC)
    kw = dict(if_none_match=none, if_range=None, last_modified=LAST)
    assert is_resource_modified(method="GET", if_modified_since=since, **kw) is False  # type: ignore[arg-type]
    # RFC 9110: If-Modified-Since is ignored for methods other than GET and HEAD.
    assert is_resource_modified(method="POST", if_modified_since=since, **kw) is True  # type: ignore[arg-type]
    assert is_resource_modified(method="HEAD", if_modified_since=None, **kw) is True  # type: ignore[arg-type]
    data_tag = parse_etags(f'"{generate_etag(b"body")}"')
    assert (
        is_resource_modified(
            method="GET",
            if_none_match=data_tag,
            if_modified_since=None,
            if_range=None,
            data=b"body",
        )
        is False
    )
    with pytest.raises(TypeError):
        is_resource_modified(
            method="GET",
            if_none_match=none,
            if_modified_since=None,
            if_range=None,
            etag="a",
            data=b"b",
        )
    # a naive string Last-Modified is parsed
    assert (
        is_resource_modified(
            method="GET",
            if_none_match=none,
            if_modified_since=since,
            if_range=None,
            last_modified="Wed, 01 Jan 2020 11:00:00 GMT",
        )
        is False
    )
