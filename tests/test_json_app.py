"""JSON through the app: ``app.json``, ``jsonify`` and dict/list returns, byte-identical to Flask
for every type Flask's provider handles, compact normally and indented in debug.
"""

# The same builder runs on Kolba and Flask, so ``app`` is typed Any and its decorators too.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import dataclasses
import datetime
import decimal
import typing as t
import uuid
from types import ModuleType

import flask
import pytest
from markupsafe import Markup

import kolba
from kolba import Kolba


@dataclasses.dataclass
class Point:
    x: int
    y: str


class Html:
    def __html__(self) -> str:
        return "<b>safe</b>"


VALUES: dict[str, t.Any] = {
    "dict": {"b": 1, "a": {"z": None, "c": [True, False]}},
    "list": [3, "two", 1.5, None],
    "unicode": {"text": "ü → ✓ \u2028"},
    "html-chars": {"h": "<script>&'\"</script>"},
    "date": datetime.date(2024, 2, 29),
    "datetime": datetime.datetime(2024, 2, 29, 13, 14, 15),
    "aware": datetime.datetime(2024, 2, 29, 13, 14, 15, tzinfo=datetime.timezone.utc),
    "offset": datetime.datetime(
        2024, 2, 29, 13, 14, 15, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    ),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "decimal": decimal.Decimal("3.14159265358979323846"),
    "dataclass": Point(1, "y"),
    "html": Html(),
    "markup": Markup("<i>m</i>"),
    "nested": {"when": [datetime.date(2000, 1, 1)], "id": uuid.UUID(int=1), "p": Point(2, "z")},
    "int-keys": {2: "b", 1: "a"},
    "empty": {},
    "float": 1e100,
    "string": "just a string",
}


def _build(app: t.Any, fw: ModuleType) -> None:
    @app.route("/jsonify/<name>")
    def via_jsonify(name: str) -> t.Any:
        return fw.jsonify(VALUES[name])

    @app.route("/return/<name>")
    def via_return(name: str) -> t.Any:
        value = VALUES[name]
        return value if isinstance(value, (dict, list)) else {"v": value}

    @app.route("/response/<name>")
    def via_provider(name: str) -> t.Any:
        return app.json.response(VALUES[name])

    @app.route("/args")
    def args() -> t.Any:
        return fw.jsonify(1, "two", [3])

    @app.route("/kwargs")
    def kwargs() -> t.Any:
        return fw.jsonify(b=1, a=2)

    @app.route("/none")
    def none() -> t.Any:
        return fw.jsonify()


def _apps(debug: bool) -> tuple[Kolba, flask.Flask]:
    k = Kolba("json_app")
    f = flask.Flask("json_app")
    for app, fw in ((k, kolba), (f, flask)):
        app.config["DEBUG"] = debug
        _build(app, fw)
    return k, f


@pytest.fixture(scope="module", params=[False, True], ids=["compact", "debug"])
def apps(request: pytest.FixtureRequest) -> tuple[Kolba, flask.Flask]:
    return _apps(request.param)


def _same(apps: tuple[Kolba, flask.Flask], path: str) -> bytes:
    rk = apps[0].test_client().get(path)
    rf = apps[1].test_client().get(path)
    assert rk.status == rf.status == "200 OK"
    assert sorted(rk.headers.items()) == sorted(rf.headers.items())
    assert rk.data == rf.data
    return t.cast(bytes, rk.data)


@pytest.mark.parametrize("name", list(VALUES))
@pytest.mark.parametrize("how", ["jsonify", "return", "response"])
def test_json_bytes_match_flask(apps: tuple[Kolba, flask.Flask], how: str, name: str) -> None:
    _same(apps, f"/{how}/{name}")


@pytest.mark.parametrize("path", ["/args", "/kwargs", "/none"])
def test_jsonify_arguments_match_flask(apps: tuple[Kolba, flask.Flask], path: str) -> None:
    _same(apps, path)


def test_compact_sorted_outside_debug() -> None:
    apps = _apps(debug=False)
    assert _same(apps, "/jsonify/dict") == b'{"a":{"c":[true,false],"z":null},"b":1}\n'
    assert _same(apps, "/jsonify/date") == b'"Thu, 29 Feb 2024 00:00:00 GMT"\n'
    assert _same(apps, "/jsonify/offset") == b'"Thu, 29 Feb 2024 11:14:15 GMT"\n'
    assert _same(apps, "/jsonify/uuid") == b'"12345678-1234-5678-1234-567812345678"\n'
    assert _same(apps, "/jsonify/decimal") == b'"3.14159265358979323846"\n'
    assert _same(apps, "/jsonify/dataclass") == b'{"x":1,"y":"y"}\n'
    assert _same(apps, "/jsonify/html") == b'"<b>safe</b>"\n'
    assert _same(apps, "/args") == b'[1,"two",[3]]\n'


def test_indented_in_debug() -> None:
    apps = _apps(debug=True)
    assert _same(apps, "/kwargs") == b'{\n  "a": 2,\n  "b": 1\n}\n'


def test_unserialisable_raises_type_error(app: Kolba) -> None:
    @app.route("/")
    def index() -> t.Any:
        return kolba.jsonify(object())

    with pytest.raises(TypeError, match="is not JSON serializable"):
        app.test_client().get("/")


def test_jsonify_args_and_kwargs_together(app_ctx: t.Any) -> None:
    with pytest.raises(TypeError):
        kolba.jsonify(1, a=2)


def test_provider_dumps_loads(app: Kolba) -> None:
    f = flask.Flask("f")
    value = {"b": [1, datetime.date(2020, 1, 2)], "a": uuid.UUID(int=3)}
    assert app.json.dumps(value) == f.json.dumps(value)
    assert app.json.loads('{"a": [1, 2]}') == {"a": [1, 2]}
    assert app.json.loads(b'{"a": 1}') == {"a": 1}
    assert app.json.loads("[1]".encode("utf-16")) == [1]


def test_module_functions_use_current_app(app: Kolba) -> None:
    with app.app_context():
        assert kolba.json.dumps({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
        assert kolba.json.loads('{"a": 1}') == {"a": 1}
    assert kolba.json.dumps({"b": 1}) == '{"b": 1}'


def test_provider_settings(app: Kolba, client: t.Any) -> None:
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.compact = False  # type: ignore[attr-defined]
    app.json.mimetype = "application/vnd.kolba+json"  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    @app.route("/")
    def index() -> t.Any:
        return {"z": "ü", "a": 1}

    rv = client.get("/")
    assert rv.headers["Content-Type"] == "application/vnd.kolba+json"
    assert rv.data == '{\n  "z": "ü",\n  "a": 1\n}\n'.encode()


def test_custom_provider_class(tmp_path: t.Any) -> None:
    from kolba.json.provider import DefaultJSONProvider

    class Provider(DefaultJSONProvider):
        @staticmethod
        def default(o: t.Any) -> t.Any:
            if isinstance(o, set):
                return sorted(o)
            return DefaultJSONProvider.default(o)

    class App(Kolba):
        json_provider_class = Provider

    app = App("x", root_path=str(tmp_path))
    app.add_url_rule("/", "i", lambda: {"s": {3, 1, 2}})
    assert app.test_client().get("/").data == b'{"s":[1,2,3]}\n'


def test_response_get_json(app: Kolba, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: {"a": [1, 2]})
    rv = client.get("/")
    assert rv.is_json
    assert rv.get_json() == rv.json == {"a": [1, 2]}
