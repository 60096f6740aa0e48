"""kolba.csrf: CSRFProtect through the test client, as a Flask-WTF user would use it."""

from __future__ import annotations

import re
import time
import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from kolba import Blueprint, Kolba, g, request
from kolba.csrf import SALT, CSRFError, CSRFProtect, generate_csrf, validate_csrf
from kolba.templating import render_template_string

PAGE = '<form method=post><input name=csrf_token value="{{ csrf_token() }}"></form>'


@pytest.fixture
def csrf(app: Kolba) -> CSRFProtect:
    csrf = CSRFProtect(app)

    @app.route("/", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def index() -> str:
        if request.method == "GET":
            return render_template_string(PAGE)
        return "ok"

    return csrf


def token_from_page(client: t.Any, url: str = "/", **kw: t.Any) -> str:
    body = client.get(url, **kw).get_data(as_text=True)
    match = re.search(r'value="([^"]+)"', body)
    assert match is not None, body
    return match.group(1)


def raw_token(client: t.Any) -> str:
    with client.session_transaction() as sess:
        return t.cast(str, sess["csrf_token"])


class _OldSigner(TimestampSigner):
    """Signs as if two hours ago: an expired token without waiting."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 7200


def test_init_app_registers_itself(app: Kolba) -> None:
    csrf = CSRFProtect()
    csrf.init_app(app)
    assert app.extensions["csrf"] is csrf
    assert app.config["CSRF_METHODS"] == ["POST", "PUT", "PATCH", "DELETE"]
    assert app.config["CSRF_HEADERS"] == ["X-CSRFToken", "X-CSRF-Token"]
    assert app.config["CSRF_TIME_LIMIT"] == 3600
    assert app.jinja_env.globals["csrf_token"] is generate_csrf


def test_config_set_before_init_is_kept(app: Kolba) -> None:
    app.config["CSRF_TIME_LIMIT"] = 60
    CSRFProtect(app)
    assert app.config["CSRF_TIME_LIMIT"] == 60


def test_token_in_template_and_form_field_accepted(client: t.Any, csrf: CSRFProtect) -> None:
    token = token_from_page(client)
    rv = client.post("/", data={"csrf_token": token})
    assert rv.status_code == 200
    assert rv.data == b"ok"


@pytest.mark.parametrize("header", ["X-CSRFToken", "X-CSRF-Token"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_header_accepted(client: t.Any, csrf: CSRFProtect, header: str, method: str) -> None:
    token = token_from_page(client)
    rv = client.open("/", method=method, headers={header: token})
    assert rv.status_code == 200
    assert client.open("/", method=method).status_code == 400


def test_json_body_with_header_token(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    @app.post("/api")
    def api() -> t.Any:
        return {"got": request.get_json()["n"]}

    token = token_from_page(client)
    rv = client.post("/api", json={"n": 3}, headers={"X-CSRFToken": token})
    assert rv.status_code == 200
    assert rv.get_json() == {"got": 3}
    rv = client.post("/api", json={"n": 3, "csrf_token": token})
    assert rv.status_code == 400
    assert b"The CSRF token is missing." in rv.data


def test_safe_methods_pass(client: t.Any, csrf: CSRFProtect) -> None:
    assert client.get("/").status_code == 200
    assert client.head("/").status_code == 200
    assert client.options("/").status_code == 200


def test_missing_token(client: t.Any, csrf: CSRFProtect) -> None:
    token_from_page(client)
    rv = client.post("/", data={"other": "x"})
    assert rv.status_code == 400
    assert b"The CSRF token is missing." in rv.data


def test_missing_session_token(client: t.Any, csrf: CSRFProtect) -> None:
    token = token_from_page(client)
    client.delete_cookie("session")
    rv = client.post("/", data={"csrf_token": token})
    assert rv.status_code == 400
    assert b"The CSRF session token is missing." in rv.data


def test_wrong_token(client: t.Any, csrf: CSRFProtect) -> None:
    token = token_from_page(client)
    rv = client.post("/", data={"csrf_token": token[:-2] + "xx"})
    assert rv.status_code == 400
    assert b"The CSRF token is invalid." in rv.data
    rv = client.post("/", data={"csrf_token": "garbage"})
    assert b"The CSRF token is invalid." in rv.data


def test_token_signed_with_other_key(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    token_from_page(client)
    forged = URLSafeTimedSerializer("other key", salt=SALT).dumps(raw_token(client))
    rv = client.post("/", data={"csrf_token": forged})
    assert rv.status_code == 400
    assert b"The CSRF token is invalid." in rv.data


def test_token_from_other_session(app: Kolba, csrf: CSRFProtect) -> None:
    alice, mallory = app.test_client(), app.test_client()
    token_from_page(alice)
    mallory_token = token_from_page(mallory)
    assert raw_token(alice) != raw_token(mallory)
    rv = alice.post("/", data={"csrf_token": mallory_token})
    assert rv.status_code == 400
    assert b"The CSRF token is invalid." in rv.data


def test_expired_token(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    token_from_page(client)
    old = URLSafeTimedSerializer("test key", salt=SALT, signer=_OldSigner)
    expired = old.dumps(raw_token(client))
    rv = client.post("/", data={"csrf_token": expired})
    assert rv.status_code == 400
    assert b"The CSRF token has expired." in rv.data
    app.config["CSRF_TIME_LIMIT"] = None
    assert client.post("/", data={"csrf_token": expired}).status_code == 200


def test_token_of_wrong_type_in_token_payload(client: t.Any, csrf: CSRFProtect) -> None:
    token_from_page(client)
    odd = URLSafeTimedSerializer("test key", salt=SALT).dumps(["not", "a", "string"])
    rv = client.post("/", data={"csrf_token": odd})
    assert b"The CSRF token is invalid." in rv.data


def test_same_token_within_request_and_session_kept(app: Kolba, client: t.Any) -> None:
    CSRFProtect(app)

    @app.get("/two")
    def two() -> t.Any:
        return {"a": generate_csrf(), "b": generate_csrf()}

    first = client.get("/two").get_json()
    assert first["a"] == first["b"]
    raw = raw_token(client)
    client.get("/two")
    assert raw_token(client) == raw


def test_non_string_session_value_replaced(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    with client.session_transaction() as sess:
        sess["csrf_token"] = 42
    token = token_from_page(client)
    assert isinstance(raw_token(client), str)
    assert client.post("/", data={"csrf_token": token}).status_code == 200


def test_prefixed_field_name(client: t.Any, csrf: CSRFProtect) -> None:
    token = token_from_page(client)
    rv = client.post("/", data={"login-csrf_token": token, "login-name": "a"})
    assert rv.status_code == 200


def test_custom_field_and_headers(app: Kolba, client: t.Any) -> None:
    app.config.update(CSRF_FIELD_NAME="_token", CSRF_HEADERS=["X-Token"])
    CSRFProtect(app)

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return render_template_string("{{ csrf_token() }}")

    token = client.get("/").get_data(as_text=True)
    with client.session_transaction() as sess:
        assert "_token" in sess
    assert client.post("/", data={"_token": token}).status_code == 200
    assert client.post("/", headers={"X-Token": token}).status_code == 200
    assert client.post("/", headers={"X-CSRFToken": token}).status_code == 400


def test_multipart_form(client: t.Any, csrf: CSRFProtect) -> None:
    token = token_from_page(client)
    rv = client.post("/", data={"csrf_token": token}, content_type="multipart/form-data")
    assert rv.status_code == 200


def test_exempt_view_decorator(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    @app.post("/hook")
    @csrf.exempt
    def hook() -> str:
        return "hooked"

    rv = client.post("/hook", data={"a": "b"})
    assert rv.status_code == 200
    assert rv.data == b"hooked"
    assert client.post("/").status_code == 400


def test_exempt_by_name_and_endpoint(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    @app.post("/a")
    def view_a() -> str:
        return "a"

    @app.post("/b", endpoint="bee")
    def view_b() -> str:
        return "b"

    assert client.post("/a").status_code == 400
    assert client.post("/b").status_code == 400
    csrf.exempt(f"{__name__}.view_a")
    assert csrf.exempt("bee") == "bee"
    assert client.post("/a").status_code == 200
    assert client.post("/b").status_code == 200


def test_exempt_view_does_not_read_form(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    @app.post("/raw")
    @csrf.exempt
    def raw() -> str:
        return request.stream.read().decode()

    rv = client.post("/raw", data={"a": "b"})
    assert rv.data == b"a=b"


def test_view_reading_stream_with_header_token(
    app: Kolba, client: t.Any, csrf: CSRFProtect
) -> None:
    @app.put("/upload")
    def upload() -> str:
        return str(len(request.stream.read()))

    token = token_from_page(client)
    rv = client.put(
        "/upload",
        data=b"x" * 1000,
        content_type="application/octet-stream",
        headers={"X-CSRFToken": token},
    )
    assert rv.status_code == 200
    assert rv.data == b"1000"


def test_exempt_blueprint(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    api = Blueprint("api", __name__)
    inner = Blueprint("inner", __name__)
    web = Blueprint("web", __name__)

    @api.post("/ping")
    def ping() -> str:
        return "pong"

    @inner.post("/deep")
    def deep() -> str:
        return "deep"

    @web.post("/save")
    def save() -> str:
        return "saved"

    api.register_blueprint(inner, url_prefix="/inner")
    assert csrf.exempt(api) is api
    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(api, url_prefix="/v2", name="api_v2")
    app.register_blueprint(web, url_prefix="/web")
    assert client.post("/api/ping").data == b"pong"
    assert client.post("/v2/ping").data == b"pong"
    assert client.post("/api/inner/deep").data == b"deep"
    assert client.post("/web/save").status_code == 400
    token = token_from_page(client)
    assert client.post("/web/save", data={"csrf_token": token}).data == b"saved"


@pytest.mark.parametrize(
    ("auth", "status"),
    [
        ("Bearer abc.def", 200),
        ("bearer abc", 200),
        ("Bearer ", 400),
        ("Basic dXNlcjpwYXNz", 400),
    ],
)
def test_bearer_exemption(client: t.Any, csrf: CSRFProtect, auth: str, status: int) -> None:
    rv = client.post("/", headers={"Authorization": auth})
    assert rv.status_code == status


def test_bearer_exemption_off(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    app.config["CSRF_EXEMPT_BEARER"] = False
    rv = client.post("/", headers={"Authorization": "Bearer abc"})
    assert rv.status_code == 400


def test_disabled(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    app.config["CSRF_ENABLED"] = False
    assert client.post("/").status_code == 200


def test_methods_config(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    app.config["CSRF_METHODS"] = ["POST"]
    assert client.delete("/").status_code == 200
    assert client.post("/").status_code == 400


def test_unknown_url_and_method_keep_their_status(
    app: Kolba, client: t.Any, csrf: CSRFProtect
) -> None:
    @app.get("/read-only")
    def read_only() -> str:
        return "r"

    assert client.post("/nowhere").status_code == 404
    assert client.post("/read-only").status_code == 405


def test_manual_protect(app: Kolba, client: t.Any) -> None:
    app.config["CSRF_CHECK_DEFAULT"] = False
    csrf = CSRFProtect(app)

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return render_template_string(PAGE)

    @app.route("/checked", methods=["GET", "POST"])
    def checked() -> t.Any:
        csrf.protect()
        return {"valid": g.get("csrf_valid", False)}

    assert client.post("/").status_code == 200
    assert client.get("/checked").get_json() == {"valid": False}
    assert client.post("/checked").status_code == 400
    token = token_from_page(client)
    assert client.post("/checked", data={"csrf_token": token}).get_json() == {"valid": True}


def test_error_handler(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    @app.errorhandler(CSRFError)
    def handle(e: CSRFError) -> t.Any:
        return {"error": e.description}, 400

    rv = client.post("/")
    assert rv.status_code == 400
    assert rv.get_json() == {"error": "The CSRF token is missing."}


def test_csrf_error_is_bad_request() -> None:
    from kolba.http.exceptions import BadRequest

    e = CSRFError("The CSRF token is missing.")
    assert isinstance(e, BadRequest)
    assert e.code == 400
    assert CSRFError().description == "The CSRF token is invalid."


def test_blueprint_template_and_errorhandler(app: Kolba, client: t.Any) -> None:
    bp = Blueprint("forms", __name__)

    @bp.route("/f", methods=["GET", "POST"])
    def form() -> str:
        return render_template_string(PAGE)

    @bp.errorhandler(CSRFError)
    def handle(e: CSRFError) -> tuple[str, int]:
        return f"bp: {e.description}", 400

    CSRFProtect(app)
    app.register_blueprint(bp, url_prefix="/bp")
    token = token_from_page(client, "/bp/f")
    assert client.post("/bp/f", data={"csrf_token": token}).status_code == 200
    rv = client.post("/bp/f")
    assert rv.data == b"bp: The CSRF token is missing."


# -- HTTPS: the referrer must be one of our pages ------------------------------------------------

HTTPS = {"base_url": "https://example.com"}


def test_https_referrer_missing(client: t.Any, csrf: CSRFProtect) -> None:
    token = token_from_page(client, **HTTPS)
    rv = client.post("/", data={"csrf_token": token}, **HTTPS)
    assert rv.status_code == 400
    assert b"The referrer header is missing." in rv.data


@pytest.mark.parametrize(
    ("referrer", "status"),
    [
        ("https://example.com/form", 200),
        ("https://example.com:443/form", 200),
        ("https://EXAMPLE.com/", 200),
        ("http://example.com/form", 400),
        ("https://example.com:8443/form", 400),
        ("https://evil.com/form", 400),
        ("https://example.com.evil.com/", 400),
        ("not a url", 400),
        ("https://example.com:bad/", 400),
    ],
)
def test_https_referrer_checked(
    client: t.Any, csrf: CSRFProtect, referrer: str, status: int
) -> None:
    token = token_from_page(client, **HTTPS)
    rv = client.post("/", data={"csrf_token": token}, headers={"Referer": referrer}, **HTTPS)
    assert rv.status_code == status
    if status == 400:
        assert b"The referrer does not match the host." in rv.data


def test_https_trusted_origins(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    app.config["CSRF_TRUSTED_ORIGINS"] = ["https://admin.example.com"]
    token = token_from_page(client, **HTTPS)
    headers = {"Referer": "https://admin.example.com/page"}
    assert client.post("/", data={"csrf_token": token}, headers=headers, **HTTPS).status_code == 200
    headers = {"Referer": "https://other.example.com/page"}
    assert client.post("/", data={"csrf_token": token}, headers=headers, **HTTPS).status_code == 400


def test_https_not_strict(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    app.config["CSRF_SSL_STRICT"] = False
    token = token_from_page(client, **HTTPS)
    assert client.post("/", data={"csrf_token": token}, **HTTPS).status_code == 200


def test_token_checked_before_referrer(client: t.Any, csrf: CSRFProtect) -> None:
    rv = client.post("/", headers={"Referer": "https://evil.com/"}, **HTTPS)
    assert b"The CSRF token is missing." in rv.data


# -- Limits and bad input: 4xx, never 500 ----------------------------------------------------------


def test_body_over_limit_is_client_error(app: Kolba, client: t.Any, csrf: CSRFProtect) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 100
    rv = client.post("/", data={"csrf_token": "x" * 500})
    assert rv.status_code == 413


def test_form_over_memory_limit_is_client_error(
    app: Kolba, client: t.Any, csrf: CSRFProtect
) -> None:
    app.config["MAX_FORM_MEMORY_SIZE"] = 10
    rv = client.post("/", data={"csrf_token": "x" * 500}, content_type="multipart/form-data")
    assert rv.status_code == 413


def test_garbage_multipart_is_client_error(client: t.Any, csrf: CSRFProtect) -> None:
    rv = client.post("/", data=b"--zz\r\nnonsense", content_type="multipart/form-data; boundary=zz")
    assert 400 <= rv.status_code < 500


@pytest.mark.parametrize(
    "body",
    [b"csrf_token=%ff%fe", b"csrf_token=\xff\xfe", "csrf_token=\u00e9\u20ac".encode(), b"%zz=1"],
)
def test_odd_form_tokens_are_invalid(client: t.Any, csrf: CSRFProtect, body: bytes) -> None:
    token_from_page(client)
    rv = client.post("/", data=body, content_type="application/x-www-form-urlencoded")
    assert rv.status_code == 400


def test_non_ascii_token_payload_is_invalid(client: t.Any, csrf: CSRFProtect) -> None:
    token_from_page(client)
    odd = URLSafeTimedSerializer("test key", salt=SALT).dumps("\u00e9t\u00e9")
    rv = client.post("/", data={"csrf_token": odd})
    assert rv.status_code == 400
    assert b"The CSRF token is invalid." in rv.data


@settings(max_examples=60)
@given(token=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF)))
def test_any_header_token_is_a_client_error(token: str) -> None:
    app = Kolba("fuzz")
    app.config.update(SECRET_KEY="k")
    CSRFProtect(app)

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return render_template_string("{{ csrf_token() }}")

    client = app.test_client()
    client.get("/")
    rv = client.post("/", headers={"X-CSRFToken": token})
    assert rv.status_code == 400


# -- The functions on their own --------------------------------------------------------------------


def test_generate_and_validate_by_hand(app: Kolba) -> None:
    with app.test_request_context():
        token = generate_csrf()
        validate_csrf(token)
        validate_csrf(token.encode())
        other = generate_csrf(secret_key="k2", token_key="t2")
        validate_csrf(other, secret_key="k2", token_key="t2")
        with pytest.raises(CSRFError) as info:
            validate_csrf(other, secret_key="k2")
        assert info.value.description == "The CSRF token is invalid."
        with pytest.raises(CSRFError) as info:
            validate_csrf(None)
        assert info.value.description == "The CSRF token is missing."


def test_validate_time_limit_argument(app: Kolba) -> None:
    with app.test_request_context():
        generate_csrf()
        from kolba import session

        old = URLSafeTimedSerializer("test key", salt=SALT, signer=_OldSigner)
        expired = old.dumps(session["csrf_token"])
        validate_csrf(expired, time_limit=10_000)
        with pytest.raises(CSRFError) as info:
            validate_csrf(expired, time_limit=60)
        assert info.value.description == "The CSRF token has expired."


def test_csrf_secret_key_config(app: Kolba) -> None:
    app.config["CSRF_SECRET_KEY"] = "csrf only"
    with app.test_request_context():
        token = generate_csrf()
        validate_csrf(token, secret_key="csrf only")
        with pytest.raises(CSRFError):
            validate_csrf(token, secret_key="test key")


def test_no_secret_key(app: Kolba) -> None:
    app.config["SECRET_KEY"] = None
    with app.test_request_context(), pytest.raises(RuntimeError, match="secret key"):
        generate_csrf()


def test_https_behind_proxy_fix(app: Kolba, csrf: CSRFProtect) -> None:
    from kolba.middleware import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)  # type: ignore[method-assign]
    client = app.test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "notes.example.com"}
    token = token_from_page(client, headers=forwarded)
    ok = {**forwarded, "Referer": "https://notes.example.com/form"}
    assert client.post("/", data={"csrf_token": token}, headers=ok).status_code == 200
    internal = {**forwarded, "Referer": "https://localhost/form"}
    rv = client.post("/", data={"csrf_token": token}, headers=internal)
    assert rv.status_code == 400
    assert b"The referrer does not match the host." in rv.data
    assert client.post("/", data={"csrf_token": token}).status_code == 200
