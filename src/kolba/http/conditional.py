"""Conditional and range requests: entity tags, ``Range``/``Content-Range``, ``If-Range`` and
the ``is_resource_modified`` decision behind ``304 Not Modified``.

Kept apart from :mod:`kolba.http.headers` (which re-exports the names) because these values
are used together when a response is made conditional.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from hashlib import sha1

from .dates import http_date, parse_date

__all__ = [
    "ContentRange",
    "ETags",
    "IfRange",
    "Range",
    "generate_etag",
    "is_byte_range_valid",
    "is_resource_modified",
    "parse_content_range_header",
    "parse_etags",
    "parse_if_range_header",
    "parse_range_header",
    "quote_etag",
    "unquote_etag",
]

# NOTE: 19 digits is beyond any real length and keeps ``int`` linear on hostile input.
_plain_int_re = re.compile(r"\d{1,19}", re.ASCII)


def _plain_int(value: str) -> int:
    """Parse a bare decimal, refusing the signs, inner blanks and ``_`` that ``int`` allows."""
    value = value.strip()
    if _plain_int_re.fullmatch(value) is None:
        raise ValueError(value)
    return int(value)


# Entity tags -----------------------------------------------------------------------------------


def quote_etag(etag: str, weak: bool = False) -> str:
    """Quote an entity tag for the ``ETag`` header.

    :param etag: The opaque tag, without quotes.
    :param weak: Mark it ``W/``, for representations that are only semantically equal.
    :raises ValueError: If the tag contains ``"``, which no entity tag may.
    """
    if '"' in etag:
        raise ValueError("invalid etag")
    return f'W/"{etag}"' if weak else f'"{etag}"'


def unquote_etag(etag: str | None) -> tuple[str, bool] | tuple[None, None]:
    """Split an ``ETag`` value into ``(tag, weak)``; ``(None, None)`` when empty.

    :param etag: A tag as sent, quoted or not, maybe with a ``W/`` prefix.
    """
    if not etag:
        return None, None
    etag = etag.strip()
    weak = etag.startswith(("W/", "w/"))
    if weak:
        etag = etag[2:]
    if etag[:1] == etag[-1:] == '"':
        etag = etag[1:-1]
    return etag, weak


def generate_etag(data: bytes) -> str:
    """A strong tag for a body: its SHA-1 hex digest, as Werkzeug makes it (so tags stay
    stable for clients when an app moves from Flask to Kolba)."""
    return sha1(data).hexdigest()


class ETags:
    """The tags of an ``If-Match`` or ``If-None-Match`` header.

    :param strong_etags: Unquoted strong tags.
    :param weak_etags: Unquoted weak tags.
    :param star_tag: ``*`` was sent: every tag matches.
    """

    __slots__ = ("_strong", "_weak", "star_tag")

    def __init__(
        self,
        strong_etags: Iterable[str] | None = None,
        weak_etags: Iterable[str] | None = None,
        star_tag: bool = False,
    ) -> None:
        self._strong = frozenset(() if star_tag else (strong_etags or ()))
        self._weak = frozenset(weak_etags or ())
        self.star_tag = star_tag

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The tags as a plain set (the star is not included)."""
        return set(self._strong | self._weak) if include_weak else set(self._strong)

    def is_weak(self, etag: str) -> bool:
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        return etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Weak comparison, which ``If-None-Match`` requires."""
        return self.is_weak(etag) or self.contains(etag)

    def contains(self, etag: str) -> bool:
        """Strong comparison; the star matches anything."""
        return self.star_tag or etag in self._strong

    def contains_raw(self, etag: str) -> bool:
        """Compare a tag as sent (quoted, maybe ``W/``): weak tags compare weakly."""
        tag, weak = unquote_etag(etag)
        if tag is None:
            return False
        return self.contains_weak(tag) if weak else self.contains(tag)

    def to_header(self) -> str:
        if self.star_tag:
            return "*"
        return ", ".join([f'"{x}"' for x in self._strong] + [f'W/"{x}"' for x in self._weak])

    def __call__(
        self, etag: str | None = None, data: bytes | None = None, include_weak: bool = False
    ) -> bool:
        if etag is None:
            if data is None:
                raise TypeError("'data' is required when 'etag' is not given.")
            etag = generate_etag(data)
        if include_weak and etag in self._weak:
            return True
        return etag in self._strong

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __str__(self) -> str:
        return self.to_header()

    def __len__(self) -> int:
        return len(self._strong)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {str(self)!r}>"


def parse_etags(value: str | None) -> ETags:
    """Parse ``If-Match``/``If-None-Match``; unquoted tags are accepted as Werkzeug does.

    :param value: The header value, or ``None``.
    """
    if not value:
        return ETags()
    strong: list[str] = []
    weak: list[str] = []
    pos = 0
    end = len(value)
    # PERF: a hand scan; Werkzeug's lazy regex goes quadratic on long runs of blanks.
    while pos < end:
        while pos < end and value[pos] in " \t":
            pos += 1
        if pos >= end:
            break
        is_weak = value.startswith(("W/", "w/"), pos)
        if is_weak:
            pos += 2
        tag: str | None = None
        if value.startswith('"', pos):
            close = value.find('"', pos + 1)
            if close != -1:
                after = close + 1
                while after < end and value[after] in " \t":
                    after += 1
                if after == end or value[after] == ",":
                    tag = value[pos + 1 : close]
                    pos = after + 1
        if tag is None:
            comma = value.find(",", pos)
            stop = end if comma == -1 else comma
            tag = value[pos:stop].rstrip()
            pos = stop + 1
            if tag == "*":
                return ETags(star_tag=True)
        (weak if is_weak else strong).append(tag)
    return ETags(strong, weak)


# Ranges ----------------------------------------------------------------------------------------


def is_byte_range_valid(start: int | None, stop: int | None, length: int | None) -> bool:
    """Whether ``start``..``stop`` (exclusive) is a range a ``Content-Range`` can state.

    :param start: First byte, or ``None`` with *stop* for the ``*`` form.
    :param stop: One past the last byte.
    :param length: Full length, or ``None`` when unknown.
    """
    if (start is None) != (stop is None):
        return False
    if start is None or stop is None:
        return length is None or length >= 0
    if length is None:
        return 0 <= start < stop
    if start >= stop:
        return False
    return 0 <= start < length


class IfRange:
    """An ``If-Range`` value: an entity tag or a date, never both."""

    __slots__ = ("etag", "date")

    def __init__(self, etag: str | None = None, date: datetime | None = None) -> None:
        self.etag = etag
        self.date = date

    def to_header(self) -> str:
        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            if '"' in self.etag:
                # A malformed tag as a client sent it (``0"``): it cannot be quoted, and
                # str() or repr() of a request's If-Range must not fail (Werkzeug raises).
                return self.etag
            return quote_etag(self.etag)
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {str(self)!r}>"


def parse_if_range_header(value: str | None) -> IfRange:
    """Parse ``If-Range``: a date if it reads as one, otherwise an etag (weakness dropped).

    :param value: The header value, or ``None`` (an empty :class:`IfRange`).
    """
    if not value:
        return IfRange()
    date = parse_date(value)
    if date is not None:
        return IfRange(date=date)
    return IfRange(unquote_etag(value)[0])


class Range:
    """A ``Range`` request header.

    :param units: Usually ``"bytes"``; other units are kept but never satisfied.
    :param ranges: ``(start, stop)`` pairs, *stop* exclusive; ``(-n, None)`` is the last *n*
        bytes and ``(n, None)`` everything from *n*.
    :raises ValueError: For an inverted or negative range.
    """

    __slots__ = ("units", "ranges")

    def __init__(self, units: str, ranges: Sequence[tuple[int, int | None]]) -> None:
        for start, stop in ranges:
            if start is None or (stop is not None and (start < 0 or start >= stop)):
                raise ValueError(f"{(start, stop)} is not a valid range.")
        self.units = units
        self.ranges = ranges

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """The one byte range to send for a body of *length*, or ``None`` when it cannot be
        satisfied (answer 416) or is not a single byte range (send the full body)."""
        if self.units != "bytes" or length is None or len(self.ranges) != 1:
            return None
        start, stop = self.ranges[0]
        if stop is None:
            stop = length
            if start < 0:
                start += length
        if is_byte_range_valid(start, stop, length):
            return start, min(stop, length)
        return None

    def make_content_range(self, length: int | None) -> ContentRange | None:
        """The :class:`ContentRange` answering this range for a body of *length*."""
        rng = self.range_for_length(length)
        if rng is None:
            return None
        return ContentRange(self.units, rng[0], rng[1], length)

    def to_header(self) -> str:
        parts = []
        for start, stop in self.ranges:
            if stop is None:
                parts.append(f"{start}-" if start >= 0 else str(start))
            else:
                parts.append(f"{start}-{stop - 1}")
        return f"{self.units}={','.join(parts)}"

    def to_content_range_header(self, length: int | None) -> str | None:
        """The ``Content-Range`` value answering this range, or ``None``."""
        rng = self.range_for_length(length)
        if rng is None:
            return None
        return f"{self.units} {rng[0]}-{rng[1] - 1}/{length}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {str(self)!r}>"


def parse_range_header(
    value: str | None, make_inclusive: bool = True, max_ranges: int = 100
) -> Range | None:
    """Parse a ``Range`` header.

    ``None`` means the header must be ignored and the full body sent with 200, which RFC 9110
    allows for any range the server does not want to honour: bad syntax, inverted,
    overlapping or unordered ranges, or more than *max_ranges* of them (a cheap defence
    against range amplification). A syntactically valid range past the end of the body is a
    :class:`Range` whose :meth:`Range.range_for_length` is ``None``: answer 416 then.

    :param value: The header value, or ``None``.
    :param make_inclusive: Ignored; kept for Werkzeug compatibility.
    :param max_ranges: Most ranges accepted in one header.
    """
    if not value or "=" not in value:
        return None
    units, _, spec = value.partition("=")
    if spec.count(",") >= max_ranges:
        return None
    units = units.strip().lower()
    ranges: list[tuple[int, int | None]] = []
    last_end = 0
    for raw in spec.split(","):
        item = raw.strip()
        if "-" not in item:
            return None
        try:
            if item.startswith("-"):
                if last_end < 0:
                    return None
                ranges.append((-_plain_int(item[1:]), None))
                last_end = -1
                continue
            begin_str, _, end_str = item.partition("-")
            begin = _plain_int(begin_str)
            if begin < last_end or last_end < 0:
                return None
            end: int | None = None
            if end_str.strip():
                end = _plain_int(end_str) + 1
                if begin >= end:
                    return None
        except ValueError:
            return None
        ranges.append((begin, end))
        last_end = -1 if end is None else end
    return Range(units, ranges)


class ContentRange:
    """A ``Content-Range`` response header; changes call ``on_update`` so the response can
    rewrite it.

    :param units: Usually ``"bytes"``; ``None`` means unset.
    :param start: First byte, or ``None`` for the ``*`` form.
    :param stop: One past the last byte.
    :param length: Full length, or ``None`` for ``*``.
    :param on_update: Called with this object after each change.
    """

    __slots__ = ("on_update", "_units", "_start", "_stop", "_length")

    def __init__(
        self,
        units: str | None,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        on_update: Callable[[ContentRange], None] | None = None,
    ) -> None:
        self.on_update = on_update
        self.set(start, stop, length, units)

    @property
    def units(self) -> str | None:
        return self._units

    @units.setter
    def units(self, value: str | None) -> None:
        self._units = value
        self._changed()

    @property
    def start(self) -> int | None:
        return self._start

    @start.setter
    def start(self, value: int | None) -> None:
        self._start = value
        self._changed()

    @property
    def stop(self) -> int | None:
        return self._stop

    @stop.setter
    def stop(self, value: int | None) -> None:
        self._stop = value
        self._changed()

    @property
    def length(self) -> int | None:
        return self._length

    @length.setter
    def length(self, value: int | None) -> None:
        self._length = value
        self._changed()

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def set(
        self,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        units: str | None = "bytes",
    ) -> None:
        """Change all fields at once, with one update notification.

        :raises ValueError: If the range is not valid for the length.
        """
        if not is_byte_range_valid(start, stop, length):
            raise ValueError("Bad range provided")
        self._units = units
        self._start = start
        self._stop = stop
        self._length = length
        self._changed()

    def unset(self) -> None:
        """Mark the header as absent."""
        self.set(None, None, units=None)

    def to_header(self) -> str:
        if self._units is None:
            return ""
        length = "*" if self._length is None else self._length
        if self._start is None or self._stop is None:
            return f"{self._units} */{length}"
        return f"{self._units} {self._start}-{self._stop - 1}/{length}"

    def __bool__(self) -> bool:
        return self._units is not None

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {str(self)!r}>"


def parse_content_range_header(
    value: str | None, on_update: Callable[[ContentRange], None] | None = None
) -> ContentRange | None:
    """Parse ``Content-Range`` (``bytes 0-99/200``, ``bytes */200``, ``bytes 0-99/*``).

    :param value: The header value, or ``None``.
    :param on_update: Passed to the result.
    :return: ``None`` when missing, malformed or inconsistent.
    """
    if value is None:
        return None
    pieces = value.strip().split(None, 1)
    if len(pieces) != 2 or "/" not in pieces[1]:
        return None
    units, rangedef = pieces
    rng, _, length_str = rangedef.partition("/")
    length: int | None = None
    try:
        if length_str != "*":
            length = _plain_int(length_str)
        if rng == "*":
            if not is_byte_range_valid(None, None, length):
                return None
            return ContentRange(units, None, None, length, on_update=on_update)
        if "-" not in rng:
            return None
        start_str, _, stop_str = rng.partition("-")
        start = _plain_int(start_str)
        stop = _plain_int(stop_str) + 1
    except ValueError:
        return None
    if is_byte_range_valid(start, stop, length):
        return ContentRange(units, start, stop, length, on_update=on_update)
    return None


# The decision ----------------------------------------------------------------------------------


def is_resource_modified(
    *,
    method: str,
    if_none_match: ETags,
    if_modified_since: datetime | None,
    if_range: IfRange | None,
    etag: str | None = None,
    data: bytes | None = None,
    last_modified: datetime | str | None = None,
    ignore_if_range: bool = True,
    if_match: ETags | None = None,
) -> bool:
    """Whether the client's copy is stale, i.e. the full response must be sent.

    Werkzeug's rules on already parsed headers: ``If-None-Match`` uses weak comparison and,
    when sent, decides instead of ``If-Modified-Since``; dates compare to the second;
    ``If-Match`` (strong) marks the resource modified when it does not match. One deliberate
    difference: RFC 9110 section 13.1.3 says ``If-Modified-Since`` is ignored for methods other
    than GET and HEAD, so it is here (Werkzeug applies it to any method).

    :param method: The request method, upper case.
    :param if_none_match: Parsed ``If-None-Match`` (empty when absent).
    :param if_modified_since: Parsed ``If-Modified-Since``, or ``None``.
    :param if_range: Parsed ``If-Range``; pass it only when the request also has a ``Range``
        header (a server must ignore ``If-Range`` otherwise), and it is used only when
        *ignore_if_range* is false.
    :param etag: The response's tag (quoted or not), or give *data* to hash instead.
    :param data: The body, to compute a tag with :func:`generate_etag`.
    :param last_modified: When the resource last changed; naive means UTC.
    :param ignore_if_range: ``False`` to let *if_range* decide, as for range responses.
    :param if_match: Parsed ``If-Match``, if any.
    :raises TypeError: If both *etag* and *data* are given.
    """
    if etag is None and data is not None:
        etag = generate_etag(data)
    elif data is not None:
        raise TypeError("both data and etag given")
    if isinstance(last_modified, str):
        last_modified = parse_date(last_modified)
    if last_modified is not None:
        last_modified = last_modified.replace(microsecond=0)
        if last_modified.tzinfo is None:
            last_modified = last_modified.replace(tzinfo=timezone.utc)
    active_if_range = None if ignore_if_range else if_range

    modified_since: datetime | None
    if active_if_range is not None and active_if_range.date is not None:
        modified_since = active_if_range.date
    elif method in {"GET", "HEAD"}:
        modified_since = if_modified_since
    else:
        modified_since = None

    unmodified = bool(modified_since and last_modified and last_modified <= modified_since)
    if etag:
        tag = unquote_etag(etag)[0]
        assert tag is not None
        if active_if_range is not None and active_if_range.etag is not None:
            unmodified = parse_etags(active_if_range.etag).contains(tag)
        else:
            if if_none_match:
                unmodified = if_none_match.contains_weak(tag)
            if if_match:
                unmodified = not if_match.is_strong(tag)
    return not unmodified
