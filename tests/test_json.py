"""Tests for kolba.json; output is compared byte for byte with Flask's provider."""

from __future__ import annotations

import dataclasses
import decimal
import io
import typing as t
import uuid
from datetime import date, datetime, timedelta, timezone

import flask
import flask.json
import pytest
from markupsafe import Markup

import kolba.json
from kolba.json.provider import DefaultJSONProvider, JSONProvider


class _Response:
    def __init__(self, body: str, mimetype: str | None = None) -> None:
        self.body = body
        self.mimetype = mimetype


class _App:
    """The two attributes a provider needs from an app."""

    response_class = _Response

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug


_P = t.TypeVar("_P", bound=JSONProvider)


def _custom(cls: type[_P], debug: bool = False) -> _P:
    """Build a provider whose stub app stays alive (providers only hold a weak proxy)."""
    app = _App(debug)
    provider = cls(app)
    provider.keep_alive = app  # type: ignore[attr-defined]
    return provider


def _provider(debug: bool = False) -> DefaultJSONProvider:
    return _custom(DefaultJSONProvider, debug)


@dataclasses.dataclass
class _Point:
    x: int
    y: list[int]


class _HTML:
    def __html__(self) -> str:
        return "<b>hi</b>"


_VALUES: list[t.Any] = [
    {"b": 1, "a": [1, 2.5, None, True], "ü": "snow ☃"},
    date(2021, 3, 4),
    datetime(2021, 3, 4, 5, 6, 7),
    datetime(2021, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=-5))),
    decimal.Decimal("1.10"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    _Point(1, [2, 3]),
    _HTML(),
    Markup("<i>x</i>"),
    "</script><script>'&",
    [],
]


@pytest.fixture
def flask_app() -> flask.Flask:
    return flask.Flask(__name__)


@pytest.mark.parametrize("value", _VALUES)
def test_dumps_matches_flask(value: t.Any, flask_app: flask.Flask) -> None:
    provider = _provider()
    assert provider.dumps(value) == flask_app.json.dumps(value)


def test_dumps_defaults() -> None:
    provider = _provider()
    assert provider.dumps({"b": "é", "a": 1}) == '{"a": 1, "b": "\\u00e9"}'
    assert provider.dumps({"b": "é", "a": 1}, sort_keys=False, ensure_ascii=False) == (
        '{"b": "é", "a": 1}'
    )


def test_default_rejects_unknown_types() -> None:
    provider = _provider()

    with pytest.raises(TypeError, match="^Object of type object is not JSON serializable$"):
        provider.dumps(object())

    with pytest.raises(TypeError, match="type type is not"):
        provider.dumps(_Point)  # a dataclass class, not an instance


def test_default_is_overridable() -> None:
    class Provider(DefaultJSONProvider):
        @staticmethod
        def default(o: t.Any) -> t.Any:
            return sorted(o)

    assert _custom(Provider).dumps({3, 1}) == "[1, 3]"


def test_loads_and_load() -> None:
    provider = _provider()
    assert provider.loads('{"a": [1]}') == {"a": [1]}
    assert provider.loads(b'{"a": "\xc3\xa9"}') == {"a": "é"}
    assert provider.loads('"x"'.encode("utf-16")) == "x"
    assert provider.load(io.StringIO("[1]")) == [1]
    assert provider.load(io.BytesIO(b"[2]")) == [2]

    with pytest.raises(ValueError):
        provider.loads("{bad")


def test_dump() -> None:
    out = io.StringIO()
    _provider().dump({"b": 1, "a": 2}, out)
    assert out.getvalue() == '{"a": 2, "b": 1}'


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((), {}),
        ((1,), {}),
        (({"b": 2, "a": [1, "é"]},), {}),
        ((1, "two", None), {}),
        ((), {"b": 1, "a": date(2020, 1, 1)}),
        (([],), {}),
    ],
)
@pytest.mark.parametrize("debug", [False, True])
def test_response_matches_flask(
    args: tuple[t.Any, ...], kwargs: dict[str, t.Any], debug: bool, flask_app: flask.Flask
) -> None:
    flask_app.debug = debug
    rv = _provider(debug).response(*args, **kwargs)
    expected = flask_app.json.response(*args, **kwargs)
    assert rv.body.encode() == expected.get_data()  # type: ignore[attr-defined]
    assert rv.mimetype == expected.mimetype == "application/json"


def test_response_shapes() -> None:
    provider = _provider()
    assert provider.response().body == "null\n"
    assert provider.response(1, 2).body == "[1,2]\n"
    assert provider.response(a=1).body == '{"a":1}\n'

    with pytest.raises(TypeError, match=r"takes either args or kwargs, not both"):
        provider.response(1, a=2)


@pytest.mark.parametrize(
    ("compact", "debug", "body"),
    [
        (None, False, '{"a":[1]}\n'),
        (None, True, '{\n  "a": [\n    1\n  ]\n}\n'),
        (True, True, '{"a":[1]}\n'),
        (False, False, '{\n  "a": [\n    1\n  ]\n}\n'),
    ],
)
def test_response_compact(compact: bool | None, debug: bool, body: str) -> None:
    provider = _provider(debug)
    provider.compact = compact
    assert provider.response({"a": [1]}).body == body


def test_custom_mimetype() -> None:
    provider = _provider()
    provider.mimetype = "application/vnd.api+json"
    assert provider.response(1).mimetype == "application/vnd.api+json"


def test_base_provider() -> None:
    class Provider(JSONProvider):
        def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
            return f"<{obj!r}>"

    provider = _custom(Provider)
    rv = provider.response(1, 2)
    assert rv.body == "<(1, 2)>"
    assert rv.mimetype == "application/json"

    out = io.StringIO()
    provider.dump([1], out)
    assert out.getvalue() == "<[1]>"

    with pytest.raises(NotImplementedError):
        _custom(JSONProvider).dumps(1)

    with pytest.raises(NotImplementedError):
        _custom(JSONProvider).loads("1")

    with pytest.raises(NotImplementedError):
        _custom(JSONProvider).load(io.StringIO("1"))


def test_provider_holds_weak_reference() -> None:
    app = _App()
    provider = DefaultJSONProvider(app)
    del app

    with pytest.raises(ReferenceError):
        provider.response(1)


@pytest.mark.parametrize("value", _VALUES)
def test_module_dumps_without_app_matches_flask(value: t.Any) -> None:
    assert kolba.json.dumps(value) == flask.json.dumps(value)


def test_module_functions_without_app() -> None:
    assert kolba.json.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'
    assert kolba.json.loads('{"a": 1}') == {"a": 1}
    assert kolba.json.load(io.StringIO("[1]")) == [1]
    out = io.StringIO()
    kolba.json.dump({"d": date(2020, 1, 1)}, out)
    assert out.getvalue() == '{"d": "Wed, 01 Jan 2020 00:00:00 GMT"}'

    with pytest.raises(RuntimeError, match="application context"):
        kolba.json.jsonify(1)


class _Ctx:
    """Stands in for an app context on the context variable kolba.globals reads."""

    def __init__(self, app: t.Any) -> None:
        self.app = app
        self.request = None


class _CtxApp(_App):
    def __init__(self) -> None:
        super().__init__()
        self.json = DefaultJSONProvider(self)
        self.json.sort_keys = False
        self.json.ensure_ascii = False


@pytest.fixture
def app_ctx() -> t.Iterator[_CtxApp]:
    from kolba.globals import _cv_ctx

    app = _CtxApp()
    token = _cv_ctx.set(_Ctx(app))  # type: ignore[arg-type]

    try:
        yield app
    finally:
        _cv_ctx.reset(token)


def test_module_functions_use_current_app(app_ctx: _CtxApp) -> None:
    assert kolba.json.dumps({"b": "é", "a": 1}) == '{"b": "é", "a": 1}'
    assert kolba.json.loads(b"[1]") == [1]
    assert kolba.json.load(io.BytesIO(b"[3]")) == [3]
    out = io.StringIO()
    kolba.json.dump({"b": 1, "a": 2}, out)
    assert out.getvalue() == '{"b": 1, "a": 2}'
    rv = kolba.json.jsonify(b=1, a="é")
    assert rv.body == '{"b":1,"a":"é"}\n'
    assert rv.mimetype == "application/json"


@pytest.mark.parametrize(
    "value",
    ["</script><script>alert('x') & \"y\"", {"k": "<>"}, [Markup("<b>")], 1, None],
)
def test_htmlsafe_dumps_matches_flask_tojson(value: t.Any, flask_app: flask.Flask) -> None:
    rv = kolba.json.htmlsafe_dumps(value)
    assert isinstance(rv, Markup)
    assert "<" not in rv and ">" not in rv and "&" not in rv and "'" not in rv

    with flask_app.app_context():
        expected = flask.render_template_string("{{ v|tojson }}", v=value)

    assert str(rv) == expected


def test_htmlsafe_dumps_round_trips() -> None:
    value = {"s": "</script>&'"}
    assert kolba.json.loads(kolba.json.htmlsafe_dumps(value)) == value
