from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kolba.http.dates import dump_age, http_date, parse_age, parse_date

UTC = timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2015, 10, 21, 7, 28), "Wed, 21 Oct 2015 07:28:00 GMT"),
        (
            datetime(2015, 10, 21, 9, 28, tzinfo=timezone(timedelta(hours=2))),
            "Wed, 21 Oct 2015 07:28:00 GMT",
        ),
        (date(2020, 1, 2), "Thu, 02 Jan 2020 00:00:00 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (1445412480.9, "Wed, 21 Oct 2015 07:28:00 GMT"),
        (datetime(1, 1, 1), "Mon, 01 Jan 0001 00:00:00 GMT"),
    ],
)
def test_http_date(value: datetime | date | float, expected: str) -> None:
    assert http_date(value) == expected


def test_http_date_now_and_struct_time() -> None:
    now = http_date()
    assert now.endswith(" GMT") and len(now) == 29
    st_ = time.localtime(1445412480)
    assert http_date(st_) == "Wed, 21 Oct 2015 07:28:00 GMT"


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9999, 1, 1)))
def test_http_date_matches_werkzeug(dt: datetime) -> None:
    from werkzeug.http import http_date as w_http_date

    assert http_date(dt) == w_http_date(dt)
    assert parse_date(http_date(dt)) == dt.replace(microsecond=0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ],
)
def test_parse_date_three_forms(value: str) -> None:
    assert parse_date(value) == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


def test_parse_date_offset_is_converted_to_utc() -> None:
    parsed = parse_date("Sun, 06 Nov 1994 08:49:37 +0200")
    assert parsed == datetime(1994, 11, 6, 6, 49, 37, tzinfo=UTC)
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "junk",
        "1994",
        "Sun, 06 Nov 99999 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "x" * 100_000,
        "Sun, 06 Nov 1994 08:49:37 GMT" + " " * 200,
    ],
)
def test_parse_date_junk_is_none(value: str | None) -> None:
    assert parse_date(value) is None


@given(st.text(max_size=120))
def test_parse_date_never_raises(value: str) -> None:
    result = parse_date(value)
    assert result is None or result.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", timedelta(0)),
        ("12", timedelta(seconds=12)),
        (" 7 ", timedelta(seconds=7)),
        (None, None),
        ("", None),
        ("-1", None),
        ("1_0", None),
        ("+5", None),
        ("1.5", None),
        ("abc", None),
        ("9" * 30, None),
        ("99999999999999999", None),
        ("٣", None),
    ],
)
def test_parse_age(value: str | None, expected: timedelta | None) -> None:
    assert parse_age(value) == expected


def test_dump_age() -> None:
    assert dump_age(None) is None
    assert dump_age(10) == "10"
    assert dump_age(timedelta(minutes=1, microseconds=5)) == "60"
    with pytest.raises(ValueError):
        dump_age(-1)
    with pytest.raises(ValueError):
        dump_age(timedelta(seconds=-5))
