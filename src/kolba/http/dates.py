"""HTTP dates (RFC 9110 section 5.6.7) and ``Age``-style second counts.

Kolba always produces the IMF-fixdate form (``Wed, 21 Oct 2015 07:28:00 GMT``) and accepts the
three forms a recipient must understand: IMF-fixdate, the obsolete RFC 850 form and asctime.
Parsed dates are always timezone-aware UTC so they compare safely with each other.
"""

from __future__ import annotations

import time as _time
from datetime import date, datetime, time, timedelta, timezone

__all__ = ["dump_age", "http_date", "parse_age", "parse_date"]

_UTC = timezone.utc
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: Real HTTP dates are under 40 characters; anything much longer is junk or an attack and is
#: refused before the standard library tokenises it.
_MAX_DATE_LENGTH = 100
#: ``int()`` of a long digit string is quadratic; no real age needs more digits than this.
_MAX_AGE_DIGITS = 18


def _format(dt: datetime) -> str:
    # PERF: an f-string over the fields is about 3x faster than email.utils.format_datetime,
    # and this runs for every datetime serialised to JSON and every Date/Expires header.
    return (
        f"{_DAYS[dt.weekday()]}, {dt.day:02d} {_MONTHS[dt.month]} {dt.year:04d} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} GMT"
    )


def http_date(timestamp: datetime | date | int | float | _time.struct_time | None = None) -> str:
    """Format a moment as an HTTP date, the only form HTTP recipients must accept.

    :param timestamp: The moment to format; the current time if ``None``. A naive datetime is
        taken to be UTC (as Werkzeug does) because servers rarely mean local time; a plain
        ``date`` means its midnight UTC; a ``struct_time`` is local time, as ``time.mktime``
        reads it; numbers are seconds since the epoch.
    :raises OverflowError: or :exc:`ValueError` for a timestamp outside the range a datetime
        can represent; that is a programming error, not hostile input.
    """
    if isinstance(timestamp, datetime):
        tz = timestamp.tzinfo
        if tz is not None and tz is not _UTC:
            timestamp = timestamp.astimezone(_UTC)
        return _format(timestamp)
    if isinstance(timestamp, date):
        return _format(datetime.combine(timestamp, time(), tzinfo=_UTC))
    if timestamp is None:
        timestamp = _time.time()
    elif isinstance(timestamp, _time.struct_time):
        timestamp = _time.mktime(timestamp)
    return _format(datetime.fromtimestamp(timestamp, _UTC))


def parse_date(value: str | None) -> datetime | None:
    """Parse an HTTP date sent by a client or an upstream server.

    Returns ``None`` for anything that is not a valid date, so a bad ``If-Modified-Since`` is
    simply ignored as RFC 9110 asks, instead of failing the request.

    :param value: The header value, in any of the three HTTP date forms (a numeric zone such as
        ``+0200`` is also understood and converted). A missing zone means UTC.
    :return: A timezone-aware datetime in UTC, or ``None``.
    """
    if not value or len(value) > _MAX_DATE_LENGTH:
        return None
    try:
        import email.utils  # only when a date header is read: it is slow to import

        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=_UTC)
    try:
        return dt.astimezone(_UTC)
    except OverflowError:
        return None


def parse_age(value: str | None = None) -> timedelta | None:
    """Parse a non-negative count of seconds, as in ``Age`` or ``Retry-After``.

    :param value: The header value. Only plain ASCII digits (surrounding blanks allowed) are
        accepted; signs, underscores and absurdly long numbers give ``None``.
    """
    if not value:
        return None
    value = value.strip()
    if not value or len(value) > _MAX_AGE_DIGITS or not (value.isascii() and value.isdigit()):
        return None
    try:
        return timedelta(seconds=int(value))
    except OverflowError:
        return None


def dump_age(age: timedelta | int | None = None) -> str | None:
    """Format a duration as whole seconds for a header.

    :param age: Seconds or a timedelta (fractions are dropped); ``None`` when the age is
        unknown, which gives ``None`` so the caller leaves the header out.
    :raises ValueError: If the age is negative, which no header can express.
    """
    if age is None:
        return None
    seconds = int(age.total_seconds()) if isinstance(age, timedelta) else int(age)
    if seconds < 0:
        raise ValueError("age cannot be negative")
    return str(seconds)
