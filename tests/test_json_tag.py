"""The tagged JSON serializer behind session cookies, byte for byte against Flask's.

A session cookie written by a Flask app must read the same in Kolba (and back), so users stay
signed in across a migration: every tag must produce and accept exactly Flask's text.
"""

from __future__ import annotations

import os
import typing as t
from datetime import datetime, timezone
from uuid import UUID

import flask
import pytest
from flask.json.tag import TaggedJSONSerializer as FlaskSerializer
from markupsafe import Markup

from kolba import Kolba
from kolba.json.tag import JSONTag, TaggedJSONSerializer

UTC = timezone.utc

VALUES: list[t.Any] = [
    {" t": "x"},
    {" di": 1},
    {" m": "y", "other": 1},
    (1, [2, (3,)]),
    (),
    b"\x00\xff bytes",
    b"",
    Markup("<b>bold</b>"),
    UUID(int=5),
    UUID("12345678-1234-5678-1234-567812345678"),
    datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
    {"b": 1, "a": 2, "nested": {"z": (1, b"x"), "y": [Markup("&amp;")]}},
    [1, "x", None, True, 1.5],
    "ü and \u2028",
    {"x": {" m": "y"}},
    {"_permanent": True, "user_id": 42, "csrf": "abc"},
    [],
    {},
    0,
    None,
]


def _ids(values: list[t.Any]) -> list[str]:
    return [type(v).__name__ + str(i) for i, v in enumerate(values)]


@pytest.mark.parametrize("value", VALUES, ids=_ids(VALUES))
def test_round_trip(value: t.Any) -> None:
    s = TaggedJSONSerializer()
    out = s.loads(s.dumps(value))
    assert out == value
    assert type(out) is type(value)


def test_round_trip_keeps_nested_types() -> None:
    s = TaggedJSONSerializer()
    value = {"t": (b"a", (UUID(int=1),)), "m": [Markup("<i>")]}
    out = s.loads(s.dumps(value))
    assert type(out["t"]) is tuple
    assert type(out["t"][0]) is bytes
    assert type(out["t"][1][0]) is UUID
    assert type(out["m"][0]) is Markup


def test_naive_datetime_reads_back_as_utc_like_flask() -> None:
    value = datetime(2020, 1, 2, 3, 4, 5)
    ours = TaggedJSONSerializer()
    flasks = FlaskSerializer()
    assert ours.dumps(value) == flasks.dumps(value)
    assert ours.loads(ours.dumps(value)) == flasks.loads(flasks.dumps(value))
    assert ours.loads(ours.dumps(value)) == value.replace(tzinfo=UTC)


def test_html_object_is_tagged_as_markup() -> None:
    class HTML:
        def __html__(self) -> str:
            return "<em>x</em>"

    s = TaggedJSONSerializer()
    assert s.dumps(HTML()) == FlaskSerializer().dumps(HTML()) == '{" m":"<em>x</em>"}'
    assert s.loads(s.dumps(HTML())) == Markup("<em>x</em>")


@pytest.mark.parametrize("value", VALUES, ids=_ids(VALUES))
def test_same_text_as_flask_outside_an_app(value: t.Any) -> None:
    assert TaggedJSONSerializer().dumps(value) == FlaskSerializer().dumps(value)


@pytest.mark.parametrize("value", VALUES, ids=_ids(VALUES))
def test_same_text_as_flask_inside_an_app(value: t.Any, tmp_path: t.Any) -> None:
    # Sessions are saved inside a request, where both use the app's provider (sorted keys).
    kolba_app = Kolba("tag_k", root_path=os.fspath(tmp_path))
    flask_app = flask.Flask("tag_f", root_path=os.fspath(tmp_path))
    with kolba_app.app_context(), flask_app.app_context():
        assert TaggedJSONSerializer().dumps(value) == FlaskSerializer().dumps(value)


def test_sorted_keys_inside_an_app(tmp_path: t.Any) -> None:
    app = Kolba("tag_sorted", root_path=os.fspath(tmp_path))
    with app.app_context():
        assert TaggedJSONSerializer().dumps({"b": 1, "a": (1,)}) == '{"a":{" t":[1]},"b":1}'


@pytest.mark.parametrize("value", VALUES, ids=_ids(VALUES))
def test_each_loads_the_others_output(value: t.Any) -> None:
    ours, flasks = TaggedJSONSerializer(), FlaskSerializer()
    assert ours.loads(flasks.dumps(value)) == value
    assert flasks.loads(ours.dumps(value)) == value
    assert type(ours.loads(flasks.dumps(value))) is type(value)


def test_loads_bytes_input() -> None:
    assert TaggedJSONSerializer().loads(b'{" t":[1,2]}') == (1, 2)


def test_untag_leaves_unknown_and_multi_key_dicts() -> None:
    s = TaggedJSONSerializer()
    assert s.loads('{" zz":1}') == {" zz": 1}
    assert s.loads('{" t":[1]," b":"eA=="}') == {" t": [1], " b": "eA=="}
    assert s.untag({}) == {}


def test_malformed_tag_payload_raises_value_error() -> None:
    # The session interface turns ValueError/TypeError/KeyError into an empty session.
    s = TaggedJSONSerializer()
    with pytest.raises(ValueError):
        s.loads('{" u":"not-a-uuid"}')
    with pytest.raises(ValueError):
        s.loads('{" b":"a"}')


# -- registering tags --------------------------------------------------------------------------


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    __hash__ = None  # type: ignore[assignment]


class TagPoint(JSONTag):
    __slots__ = ()
    key = " pt"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, Point)

    def to_json(self, value: t.Any) -> t.Any:
        return [value.x, value.y]

    def to_python(self, value: t.Any) -> t.Any:
        return Point(*value)


def test_register_custom_tag() -> None:
    s = TaggedJSONSerializer()
    s.register(TagPoint)
    assert s.dumps({"p": Point(1, 2)}) == '{"p":{" pt":[1,2]}}'
    assert s.loads(s.dumps({"p": Point(1, 2)})) == {"p": Point(1, 2)}
    # A dict whose only key is the new tag is now escaped too.
    assert s.loads(s.dumps({" pt": 1})) == {" pt": 1}


def test_register_duplicate_key() -> None:
    s = TaggedJSONSerializer()
    s.register(TagPoint)
    with pytest.raises(KeyError, match="already registered"):
        s.register(TagPoint)
    s.register(TagPoint, force=True)
    assert isinstance(s.tags[" pt"], TagPoint)


def test_register_index_takes_precedence() -> None:
    class TagStrTuple(JSONTag):
        __slots__ = ()
        key = " st"

        def check(self, value: t.Any) -> bool:
            return isinstance(value, tuple) and all(isinstance(v, str) for v in value)

        def to_json(self, value: t.Any) -> t.Any:
            return ",".join(value)

        def to_python(self, value: t.Any) -> t.Any:
            return tuple(value.split(","))

    first = TaggedJSONSerializer()
    first.register(TagStrTuple, index=0)
    assert first.dumps(("a", "b")) == '{" st":"a,b"}'
    assert first.loads('{" st":"a,b"}') == ("a", "b")
    last = TaggedJSONSerializer()
    last.register(TagStrTuple)
    assert last.dumps(("a", "b")) == '{" t":["a","b"]}'


def test_base_tag_is_abstract() -> None:
    tag = JSONTag(TaggedJSONSerializer())
    with pytest.raises(NotImplementedError):
        tag.check(1)
    with pytest.raises(NotImplementedError):
        tag.to_json(1)
    with pytest.raises(NotImplementedError):
        tag.to_python(1)
