"""URL converters: the typed pieces of a rule such as ``<int:id>``.

A converter is three things: a regular expression that decides which URL text it may
consume, ``to_python`` to turn that text into a value for the view, and ``to_url`` to
turn a value back into URL text when building. The classes mirror
``werkzeug.routing.converters`` so that Flask applications' custom converters port by
changing one import.
"""

from __future__ import annotations

import re
import typing as t
import uuid
from urllib.parse import quote

if t.TYPE_CHECKING:
    from kolba.routing.map import Map

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "FloatConverter",
    "IntegerConverter",
    "NumberConverter",
    "PathConverter",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
]

# Characters a path segment may carry unquoted (the WHATWG "path-segment string" set),
# the same set Werkzeug leaves bare so that built URLs are byte-identical.
_PATH_SAFE = "!$&'()*+,/:;=@"


class ValidationError(ValueError):
    """Raised by :meth:`BaseConverter.to_python` to say "this rule does not match".

    The matcher then keeps looking at the remaining candidate rules instead of failing
    the request, so converters can express constraints the regex cannot (ranges,
    database lookups).
    """


class BaseConverter:
    """The base of all converters; subclass it exactly as Werkzeug's.

    :param map: the :class:`~kolba.routing.Map` the rule is added to, kept so that
        converters can read map-wide settings.
    :param args: positional arguments from the rule string, e.g. ``any(a, b)``.
    :param kwargs: keyword arguments from the rule string, e.g. ``int(min=1)``.
    """

    #: The regular expression that the converter's part of the URL must match.
    regex = "[^/]+"
    #: Orders dynamic parts when several could match: lower is tried first.
    weight = 100
    #: ``False`` when :attr:`regex` can match ``/``, so the matcher gives the converter
    #: the rest of the path instead of one segment.
    part_isolating = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that brings its own regex but says nothing about isolation gets
        # it inferred, as Werkzeug does, so `regex = "[a-z/]+"` just works.
        if "regex" in cls.__dict__ and "part_isolating" not in cls.__dict__:
            cls.part_isolating = "/" not in cls.regex

    def __init__(self, map: Map, *args: t.Any, **kwargs: t.Any) -> None:
        self.map = map

    def to_python(self, value: str) -> t.Any:
        """Turn the matched URL text into the value passed to the view.

        :param value: the text the regex matched, already percent-decoded.
        :raises ValidationError: to reject the match and let other rules try.
        """
        return value

    def to_url(self, value: t.Any) -> str:
        """Turn a value into URL text; the result is percent-encoded for a path.

        :param value: the value given to ``url_for``.
        """
        return quote(str(value), safe=_PATH_SAFE)


class UnicodeConverter(BaseConverter):
    """The default converter: any text within one path segment.

    :param map: the map the rule belongs to.
    :param minlength: the shortest accepted value; at least 1 so a segment is never
        empty.
    :param maxlength: the longest accepted value, or no limit.
    :param length: an exact length, overriding the other two.
    """

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map)
        if length is not None:
            quantifier = f"{{{int(length)}}}"
        else:
            upper = "" if maxlength is None else str(int(maxlength))
            quantifier = f"{{{int(minlength)},{upper}}}"
        self.regex = f"[^/]{quantifier}"


class AnyConverter(BaseConverter):
    """Match exactly one of a fixed set of words, e.g. ``<any(about, help):page>``.

    :param map: the map the rule belongs to.
    :param items: the accepted values; quoted strings may hold any characters.
    """

    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        self.items = set(items)
        self.regex = f"(?:{'|'.join(re.escape(str(item)) for item in items)})"

    def to_url(self, value: t.Any) -> str:
        # Building a URL the rule could never match is a programming error, so say so
        # loudly rather than producing a link that 404s.
        if value in self.items:
            return str(value)
        valid = ", ".join(f"'{item}'" for item in sorted(self.items))
        raise ValueError(f"'{value}' is not one of {valid}")


class PathConverter(BaseConverter):
    """Like the default converter but also matches slashes (``<path:filename>``)."""

    part_isolating = False
    regex = "[^/].*?"
    weight = 200


class NumberConverter(BaseConverter):
    """Shared logic of :class:`IntegerConverter` and :class:`FloatConverter`.

    :param map: the map the rule belongs to.
    :param fixed_digits: the exact number of digits in the URL (zero-padded when
        building), or 0 for any.
    :param min: the smallest accepted value.
    :param max: the largest accepted value.
    :param signed: accept a leading ``-``.
    """

    weight = 50
    num_convert: t.Callable[[t.Any], t.Any] = int

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | float | None = None,
        max: int | float | None = None,
        signed: bool = False,
    ) -> None:
        if signed:
            self.regex = self.signed_regex
        super().__init__(map)
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed

    def to_python(self, value: str) -> t.Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        try:
            number = self.num_convert(value)
        except ValueError:
            # NOTE: the regex admits strings int() refuses (over 4,300 digits since
            # Python 3.11); that is a non-matching URL, not a server error.
            raise ValidationError() from None
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number

    def to_url(self, value: t.Any) -> str:
        text = str(self.num_convert(value))
        if self.fixed_digits:
            text = text.zfill(self.fixed_digits)
        return text

    @property
    def signed_regex(self) -> str:
        """The class regex with an optional leading minus sign."""
        return f"-?{self.regex}"


class IntegerConverter(NumberConverter):
    """Match an unsigned (or, with ``signed=True``, signed) integer: ``<int:id>``."""

    regex = r"\d+"


class FloatConverter(NumberConverter):
    """Match a decimal number with a dot, such as ``1.5``: ``<float:ratio>``.

    :param map: the map the rule belongs to.
    :param min: the smallest accepted value.
    :param max: the largest accepted value.
    :param signed: accept a leading ``-``.
    """

    regex = r"\d+\.\d+"
    num_convert = float

    def __init__(
        self,
        map: Map,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)


class UUIDConverter(BaseConverter):
    """Match a UUID in its canonical hyphenated form and pass a :class:`uuid.UUID`."""

    regex = r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value: t.Any) -> str:
        return str(value)


#: The converters every :class:`~kolba.routing.Map` starts with; ``default`` is what a
#: bare ``<name>`` uses.
DEFAULT_CONVERTERS: t.Mapping[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}
