"""Kolba's router: rules, converters, matching and URL building.

The names match ``werkzeug.routing`` so Flask code (``app.url_map``, custom
converters, ``BuildError`` handlers) ports by changing imports.
"""

from __future__ import annotations

from kolba.routing.converters import (
    DEFAULT_CONVERTERS,
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    NumberConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
)
from kolba.routing.exceptions import (
    BuildError,
    RequestRedirect,
    RoutingException,
    WebsocketMismatch,
)
from kolba.routing.map import Map
from kolba.routing.rules import Rule, parse_converter_args

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "BuildError",
    "FloatConverter",
    "IntegerConverter",
    "Map",
    "NumberConverter",
    "PathConverter",
    "RequestRedirect",
    "RoutingException",
    "Rule",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
    "WebsocketMismatch",
    "parse_converter_args",
]
