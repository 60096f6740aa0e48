"""Compact, tagged JSON for session cookies: the same format as Flask's ``flask.json.tag``.

Values JSON cannot express (tuples, bytes, Markup, UUIDs, datetimes, and dicts whose only key
looks like a tag) are wrapped as ``{" t": ...}``-style objects. Using Flask's tags means a session
cookie written by a Flask app reads the same in Kolba, so users stay signed in across a migration.
"""

from __future__ import annotations

import typing as t
from base64 import b64decode, b64encode
from datetime import datetime
from uuid import UUID

from markupsafe import Markup

from ..globals import _cv_ctx
from ..http.dates import http_date, parse_date

# Values no default tag wraps: a session of these needs no tag checks at all.
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


class JSONTag:
    """One tag: how to recognise, wrap and unwrap a type."""

    __slots__ = ("serializer",)
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: t.Any) -> bool:
        raise NotImplementedError

    def to_json(self, value: t.Any) -> t.Any:
        raise NotImplementedError

    def to_python(self, value: t.Any) -> t.Any:
        raise NotImplementedError

    def tag(self, value: t.Any) -> dict[str, t.Any]:
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A dict whose single key would otherwise be read as a tag."""

    __slots__ = ()
    key = " di"

    def check(self, value: t.Any) -> bool:
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: t.Any) -> t.Any:
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: t.Any) -> t.Any:
        key = next(iter(value))
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: t.Any) -> t.Any:
        return {k: self.serializer.tag(v) for k, v in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    __slots__ = ()
    key = " t"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: t.Any) -> t.Any:
        return [self.serializer.tag(item) for item in value]

    def to_python(self, value: t.Any) -> t.Any:
        return tuple(value)


class PassList(JSONTag):
    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: t.Any) -> t.Any:
        return [self.serializer.tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    __slots__ = ()
    key = " b"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: t.Any) -> t.Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: t.Any) -> t.Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    __slots__ = ()
    key = " m"

    def check(self, value: t.Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: t.Any) -> t.Any:
        return str(value.__html__())

    def to_python(self, value: t.Any) -> t.Any:
        return Markup(value)


class TagUUID(JSONTag):
    __slots__ = ()
    key = " u"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: t.Any) -> t.Any:
        return value.hex

    def to_python(self, value: t.Any) -> t.Any:
        return UUID(value)


class TagDateTime(JSONTag):
    __slots__ = ()
    key = " d"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: t.Any) -> t.Any:
        return http_date(value)

    def to_python(self, value: t.Any) -> t.Any:
        return parse_date(value)


class TaggedJSONSerializer:
    """Serialize with tags; ``register`` adds a tag (``index=0`` to take precedence)."""

    __slots__ = ("tags", "order", "_plain_fast")

    default_tags = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        for cls in self.default_tags:
            self.register(cls)
        self._plain_fast = self._only_default_tags()

    def _only_default_tags(self) -> bool:
        """Whether the default tags are the only ones, so strings, numbers, booleans and None
        can skip them (a registered tag might claim such a value)."""
        return all(type(tag) in TaggedJSONSerializer.default_tags for tag in self.order)

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        tag = tag_class(self)
        key = tag.key
        if key:
            if not force and key in self.tags:
                raise KeyError(f"Tag '{key}' is already registered.")
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)
        self._plain_fast = self._only_default_tags()

    def tag(self, value: t.Any) -> t.Any:
        vtype = type(value)
        if self._plain_fast:
            # PERF: most session values are plain; the tags' checks (a getattr miss for
            # ``__html__`` among them) would cost more than the rest of the encoding.
            if vtype in _PLAIN_TYPES:
                return value
            if vtype is dict and (len(value) != 1 or next(iter(value)) not in self.tags):
                return {k: self.tag(v) for k, v in value.items()}
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, t.Any]) -> t.Any:
        if len(value) != 1:
            return value
        key = next(iter(value))
        if key not in self.tags:
            return value
        return self.tags[key].to_python(value[key])

    def _untag_scan(self, value: t.Any) -> t.Any:
        if type(value) in _PLAIN_TYPES:  # PERF: nothing to untag, the usual case
            return value
        if isinstance(value, dict):
            value = {k: self._untag_scan(v) for k, v in value.items()}
            value = self.untag(value)
        elif isinstance(value, list):
            value = [self._untag_scan(item) for item in value]
        return value

    def dumps(self, value: t.Any) -> str:
        # PERF: the current app's provider straight from the context, as kolba.json.dumps
        # would find it, without an import statement and a proxy per call.
        ctx = _cv_ctx.get(None)
        if ctx is not None:
            rv: str = ctx.app.json.dumps(self.tag(value), separators=(",", ":"))
            return rv
        return _json_dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> t.Any:
        ctx = _cv_ctx.get(None)
        if ctx is not None:
            return self._untag_scan(ctx.app.json.loads(value))
        return self._untag_scan(_json_loads(value))


def _json_dumps(obj: t.Any, **kwargs: t.Any) -> str:
    from . import dumps

    return dumps(obj, **kwargs)


def _json_loads(value: str | bytes) -> t.Any:
    from . import loads

    return loads(value)
