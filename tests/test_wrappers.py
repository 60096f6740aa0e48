"""The app's Request and Response: per-request limits, blueprint names, cookie size, JSON errors.

Each behaviour is run on the same app built on Kolba and on Flask; results are compared and
checked against literal values.
"""

# The apps are built on either framework through ``t.Any``, so their decorators are untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import io
import typing as t
import warnings
from types import ModuleType

import flask
import pytest

import kolba
from kolba.wrappers import Request, Response

FRAMEWORKS = [kolba, flask]


def make_app(mod: ModuleType) -> t.Any:
    app = (flask.Flask if mod is flask else kolba.Kolba)("wrappers")
    # No app-wide limit (Kolba's default is 16 MiB, Flask's none): the hook sets one per request.
    app.config["MAX_CONTENT_LENGTH"] = None

    @app.before_request
    def per_request_limits() -> None:
        args = mod.request.args
        if "mcl" in args:
            mod.request.max_content_length = int(args["mcl"])
        if "mfm" in args:
            mod.request.max_form_memory_size = int(args["mfm"])
        if "mfp" in args:
            mod.request.max_form_parts = int(args["mfp"])

    @app.route("/data", methods=["POST"])
    def data() -> str:
        return str(len(mod.request.get_data()))

    @app.route("/form", methods=["POST"])
    def form() -> str:
        return repr(sorted(mod.request.form.items()))

    @app.route("/json", methods=["POST"])
    def json_view() -> str:
        return repr(mod.request.get_json())

    def names() -> str:
        r = mod.request
        return repr((r.blueprint, r.blueprints, r.endpoint))

    app.add_url_rule("/dotted", endpoint="a.b.view", view_func=names)
    app.add_url_rule("/one", endpoint="a.view", view_func=names)
    app.add_url_rule("/plain", endpoint="plain", view_func=names)

    @app.route("/cookie")
    def cookie() -> t.Any:
        response = mod.make_response("c")
        response.set_cookie("k", "v" * 100)
        return response

    return app


def both(call: t.Callable[[t.Any], t.Any]) -> t.Any:
    """``call(client)`` on both frameworks; the results must be equal and that one is returned."""
    k = call(make_app(kolba).test_client())
    f = call(make_app(flask).test_client())
    assert k == f
    return k


def _post(url: str, **kwargs: t.Any) -> t.Callable[[t.Any], tuple[int, bytes]]:
    def call(client: t.Any) -> tuple[int, bytes]:
        r = client.post(url, **kwargs)
        return r.status_code, r.data

    return call


# --- per-request limits -------------------------------------------------------------------------


def test_max_content_length_set_in_a_hook() -> None:
    assert both(_post("/data?mcl=5", data=b"123456"))[0] == 413
    assert both(_post("/data?mcl=6", data=b"123456")) == (200, b"6")
    assert both(_post("/data", data=b"1" * 100)) == (200, b"100")


def test_max_form_memory_size_set_in_a_hook() -> None:
    status, body = both(_post("/form?mfm=5", data={"a": "123456"}))
    assert status == 413
    assert b"exceeds the capacity limit" in body
    # The limit counts the encoded body ``a=123456``: 8 bytes.
    assert both(_post("/form?mfm=7", data={"a": "123456"}))[0] == 413
    assert both(_post("/form?mfm=8", data={"a": "123456"})) == (200, b"[('a', '123456')]")


def test_max_form_memory_size_for_a_multipart_field() -> None:
    # Kolba counts each text field's value; Werkzeug also counts the raw chunk buffered by its
    # decoder (boundaries and headers included), so tiny limits differ and are not compared.
    client = make_app(kolba).test_client()

    def post(limit: int, value: str) -> tuple[int, bytes]:
        data = {"a": value, "f": (io.BytesIO(b"x" * 100), "f.txt")}
        r = client.post(f"/form?mfm={limit}", data=data)
        return r.status_code, r.data

    assert post(5, "123456")[0] == 413
    # Files are not held in memory as fields are: a 100-byte file passes a 6-byte limit.
    assert post(6, "123456") == (200, b"[('a', '123456')]")


def test_max_form_parts_set_in_a_hook_for_multipart() -> None:
    def data() -> dict[str, t.Any]:
        return {"a": "1", "f": (io.BytesIO(b"x"), "f.txt")}

    assert both(_post("/form?mfp=1", data=data()))[0] == 413
    assert both(_post("/form?mfp=2", data=data())) == (200, b"[('a', '1')]")


def test_max_form_parts_also_counts_urlencoded_fields() -> None:
    # Kolba on purpose (docs/requests.md): the field limit applies to urlencoded bodies too;
    # Werkzeug counts only multipart parts.
    client = make_app(kolba).test_client()
    assert client.post("/form?mfp=1", data={"a": "1", "b": "2"}).status_code == 413
    r = client.post("/form?mfp=2", data={"a": "1", "b": "2"})
    assert (r.status_code, r.data) == (200, b"[('a', '1'), ('b', '2')]")


def test_limits_follow_config_until_set(app: kolba.Kolba) -> None:
    app.config.update(MAX_CONTENT_LENGTH=10, MAX_FORM_MEMORY_SIZE=20, MAX_FORM_PARTS=30)
    with app.test_request_context("/"):
        request = kolba.request
        assert (request.max_content_length, request.max_form_memory_size) == (10, 20)
        assert request.max_form_parts == 30
        app.config["MAX_CONTENT_LENGTH"] = 11
        assert request.max_content_length == 11
        request.max_content_length = None
        request.max_form_parts = 3
        assert (request.max_content_length, request.max_form_parts) == (None, 3)
        app.config["MAX_FORM_PARTS"] = 99
        assert request.max_form_parts == 3


def test_limits_outside_an_app_use_the_defaults() -> None:
    with kolba.Kolba("x").test_request_context("/") as ctx:
        request = t.cast(Request, ctx.request)
    # The context is gone: the request falls back to the class defaults, as Flask's does.
    assert request.max_content_length is None
    assert request.max_form_memory_size == 500_000
    assert request.max_form_parts == 1_000


# --- blueprint names from a dotted endpoint -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/dotted", b"('a.b', ['a.b', 'a'], 'a.b.view')"),
        ("/one", b"('a', ['a'], 'a.view')"),
        ("/plain", b"(None, [], 'plain')"),
        ("/missing", None),
    ],
)
def test_blueprint_names_of_dotted_endpoints(path: str, expected: bytes | None) -> None:
    def call(client: t.Any) -> tuple[int, bytes]:
        r = client.get(path)
        return r.status_code, r.data

    status, body = both(call)
    if expected is None:
        assert status == 404
    else:
        assert (status, body) == (200, expected)


def test_blueprint_names_outside_matching(app: kolba.Kolba) -> None:
    with app.test_request_context("/nowhere"):
        assert kolba.request.blueprint is None
        assert kolba.request.blueprints == []
        assert kolba.request.endpoint is None


# --- response cookie size -----------------------------------------------------------------------


def _cookie_warnings(mod: ModuleType, size: int | None) -> list[str]:
    app = make_app(mod)
    if size is not None:
        app.config["MAX_COOKIE_SIZE"] = size
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert app.test_client().get("/cookie").status_code == 200
    return [str(w.message) for w in caught]


def test_max_cookie_size_warns_like_flask() -> None:
    k, f = _cookie_warnings(kolba, 50), _cookie_warnings(flask, 50)
    assert k == f
    assert k == [
        "The 'k' cookie is too large: the value was 100 bytes but the header required 10 extra"
        " bytes. The final size was 110 bytes but the limit is 50 bytes. Browsers may silently"
        " ignore cookies larger than this."
    ]


@pytest.mark.parametrize("size", [0, None])
def test_no_cookie_warning_at_zero_or_default(size: int | None) -> None:
    assert _cookie_warnings(kolba, size) == _cookie_warnings(flask, size) == []


def test_max_cookie_size_outside_and_inside_an_app(app: kolba.Kolba) -> None:
    assert Response().max_cookie_size == 4093
    app.config["MAX_COOKIE_SIZE"] = 77
    with app.app_context():
        assert Response().max_cookie_size == 77


# --- JSON errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_json_parse_error_message_depends_on_debug(debug: bool) -> None:
    def call(client: t.Any) -> tuple[int, bytes]:
        client.application.debug = debug
        r = client.post("/json", data=b"{bad", content_type="application/json")
        return r.status_code, r.data

    status, body = both(call)
    assert status == 400
    if debug:
        assert b"Failed to decode JSON object: Expecting property name" in body
    else:
        assert b"Failed to decode" not in body
        assert b"The browser (or proxy) sent a request" in body


def test_valid_json_goes_through_the_apps_provider() -> None:
    assert both(_post("/json", json={"a": [1, 2]})) == (200, b"{'a': [1, 2]}")


def test_json_error_outside_an_app_is_generic_like_flask() -> None:
    import werkzeug.exceptions
    import werkzeug.test

    from kolba.http.exceptions import BadRequest
    from kolba.testing import EnvironBuilder
    from kolba.wsgi import WSGIScope

    builder = EnvironBuilder(None, data=b"{bad", content_type="application/json")
    request = Request(WSGIScope(builder.get_environ()))
    with pytest.raises(BadRequest) as ke:
        request.get_json()
    environ = werkzeug.test.EnvironBuilder(data=b"{bad", content_type="application/json")
    with pytest.raises(werkzeug.exceptions.BadRequest) as fe:
        flask.Request(environ.get_environ()).get_json()
    assert ke.value.description == fe.value.description
    assert "Failed to decode" not in str(ke.value.description)


# --- Response.get_json --------------------------------------------------------------------------


@pytest.mark.parametrize("in_app", [True, False], ids=["app", "no-app"])
def test_response_get_json_like_flask(in_app: bool) -> None:
    def read(mod: ModuleType) -> list[t.Any]:
        cls = mod.Response
        out: list[t.Any] = [
            cls('{"a": 1}', mimetype="application/json").get_json(),
            cls('{"a": 1}', mimetype="text/plain").get_json(),
            cls('{"a": 1}', mimetype="text/plain").get_json(force=True),
            cls("{bad", mimetype="application/json").get_json(silent=True),
        ]
        with pytest.raises(ValueError):
            cls("{bad", mimetype="application/json").get_json()
        return out

    def run(mod: ModuleType) -> list[t.Any]:
        if not in_app:
            return read(mod)
        with make_app(mod).app_context():
            return read(mod)

    assert run(kolba) == run(flask) == [{"a": 1}, None, {"a": 1}, None]


def test_response_get_json_uses_the_apps_provider(
    app: kolba.Kolba, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bytes] = []
    loads = app.json.loads

    def spy(data: t.Any, **kwargs: t.Any) -> t.Any:
        calls.append(data)
        return loads(data, **kwargs)

    monkeypatch.setattr(app.json, "loads", spy)
    with app.app_context():
        assert Response("[1]", mimetype="application/json").get_json() == [1]
    assert calls == [b"[1]"]


def test_limit_descriptors_on_the_class() -> None:
    # Reading the attribute on the class gives the descriptor, so documentation tools see it.
    descriptor = Request.__dict__["max_form_parts"]
    assert Request.max_form_parts is descriptor
    assert "MAX_FORM_PARTS" in (descriptor.__doc__ or "")
