"""Request limits, each set globally through config and per route, as Flask 3.1 does it.

Limits covered: ``MAX_CONTENT_LENGTH`` (413), ``MAX_FORM_MEMORY_SIZE`` (413),
``MAX_FORM_PARTS`` (413), ``Request.max_query_fields`` (400, a Kolba addition) and
``TRUSTED_HOSTS`` (400). For each: the config default, a config change (read per request, so
it applies at once), a per-route override set on ``request`` in the view, in
``before_request`` by endpoint and in a blueprint's ``before_request``, ``None`` meaning no
limit, and a limit that only bites when the body is read. The status codes are compared with
Flask 3.1 running the same app.
"""

from __future__ import annotations

import typing as t

import flask
import pytest

import kolba
from kolba import Blueprint, Kolba, request
from kolba.wrappers import Request

MULTIPART_B = "limitb0undary"


def _multipart(fields: list[tuple[str, bytes]], files: t.Sequence[tuple[str, bytes]] = ()) -> bytes:
    out = b""
    for name, value in fields:
        out += f'--{MULTIPART_B}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value + b"\r\n"
    for name, value in files:
        out += (
            f"--{MULTIPART_B}\r\nContent-Disposition: form-data; "
            f'name="{name}"; filename="{name}.bin"\r\n\r\n'
        ).encode()
        out += value + b"\r\n"
    return out + f"--{MULTIPART_B}--\r\n".encode()


MULTIPART = f"multipart/form-data; boundary={MULTIPART_B}"
URLENCODED = "application/x-www-form-urlencoded"


def _build(module: t.Any) -> t.Any:
    """The same app on Kolba or Flask: a default route, and routes with their own limits."""
    cls = module.Kolba if module is kolba else module.Flask
    app = cls("limits")
    app.config["TESTING"] = True
    req = module.request
    bp = module.Blueprint("uploads", __name__, url_prefix="/uploads")

    def summary() -> str:
        files = sorted((k, len(f.read())) for k, f in req.files.items(multi=True))
        return f"{len(req.get_data())} {len(req.form)} {files}"

    def default() -> str:
        req.form  # noqa: B018 - parse the body
        return summary()

    def big() -> str:
        # Flask 3.1's per-view way: set the limit on the request before reading the body.
        req.max_content_length = 10_000_000
        req.max_form_memory_size = 5_000_000
        req.max_form_parts = 10_000
        req.form  # noqa: B018
        return summary()

    def small() -> str:
        req.form  # noqa: B018
        return summary()

    def unlimited() -> str:
        req.max_content_length = None
        req.max_form_memory_size = None
        req.max_form_parts = None
        req.form  # noqa: B018
        return summary()

    def ignores_body() -> str:
        return "not read"

    def limit_small() -> None:
        if req.endpoint == "small":
            req.max_content_length = 300
            req.max_form_memory_size = 20
            req.max_form_parts = 2

    def limit_uploads() -> None:
        req.max_content_length = 3_000_000

    def upload() -> str:
        req.form  # noqa: B018
        return summary()

    # Registered by call, not decorator: ``app`` is either framework's, typed Any here.
    for view in (default, big, small, unlimited, ignores_body):
        app.add_url_rule("/" + view.__name__.replace("_", "-"), view_func=view, methods=["POST"])
    app.before_request(limit_small)
    bp.before_request(limit_uploads)
    bp.add_url_rule("/", view_func=upload, methods=["POST"])
    app.register_blueprint(bp)
    return app


@pytest.fixture(params=["kolba", "flask"])
def both(request: pytest.FixtureRequest) -> t.Any:
    return _build(kolba if request.param == "kolba" else flask)


def _post(app: t.Any, path: str, body: bytes, content_type: str) -> t.Any:
    return app.test_client().post(path, data=body, content_type=content_type)


# (path, config, body, content type, Kolba's status[, Flask's when it differs]). The defaults
# are Kolba's: MAX_CONTENT_LENGTH 16 MiB, MAX_FORM_MEMORY_SIZE 500,000, MAX_FORM_PARTS 1,000;
# Flask's MAX_CONTENT_LENGTH is None, so these cases set it to Kolba's value for both.
# Two differences: a limit set to None on the request lifts the configured one (Flask falls
# back to the config), and MAX_FORM_PARTS also counts urlencoded fields (Werkzeug: multipart
# parts only), so a form cannot bypass the part limit by changing its encoding. Werkzeug
# also refuses a multipart read larger than MAX_FORM_MEMORY_SIZE, so a 20-byte limit makes
# any multipart body of more than 20 bytes a 413 in Flask (docs/differences.md).
CASES: list[tuple[t.Any, ...]] = [
    # MAX_CONTENT_LENGTH
    ("/default", {}, b"a=" + b"x" * 100, URLENCODED, 200),
    ("/default", {"MAX_CONTENT_LENGTH": 1000}, b"a=" + b"x" * 1000, URLENCODED, 413),
    ("/default", {"MAX_CONTENT_LENGTH": 1000}, b"a=" + b"x" * 998, URLENCODED, 200),
    (
        "/big",
        {"MAX_CONTENT_LENGTH": 1000},
        _multipart([], [("f", b"x" * 4_000_000)]),
        MULTIPART,
        200,
    ),
    ("/small", {}, b"a=" + b"x" * 299, URLENCODED, 413),
    ("/small", {}, b"a=1", URLENCODED, 200),
    (
        "/uploads/",
        {"MAX_CONTENT_LENGTH": 1000},
        _multipart([], [("f", b"x" * 2_000_000)]),
        MULTIPART,
        200,
    ),
    ("/uploads/", {}, _multipart([], [("f", b"x" * 3_000_001)]), MULTIPART, 413),
    (
        "/unlimited",
        {"MAX_CONTENT_LENGTH": 10},
        _multipart([], [("f", b"x" * 20_000_000)]),
        MULTIPART,
        200,
        413,
    ),
    ("/ignores-body", {"MAX_CONTENT_LENGTH": 10}, b"a=" + b"x" * 1000, URLENCODED, 200),
    # MAX_FORM_MEMORY_SIZE
    ("/default", {}, _multipart([("a", b"x" * 500_000)]), MULTIPART, 200),
    ("/default", {}, _multipart([("a", b"x" * 500_001)]), MULTIPART, 413),
    ("/default", {}, b"a=" + b"x" * 500_001, URLENCODED, 413),
    ("/default", {"MAX_FORM_MEMORY_SIZE": 1000}, _multipart([("a", b"x" * 1001)]), MULTIPART, 413),
    ("/default", {"MAX_FORM_MEMORY_SIZE": 1000}, b"a=" + b"x" * 998, URLENCODED, 200),
    ("/default", {"MAX_FORM_MEMORY_SIZE": 1000}, b"a=" + b"x" * 999, URLENCODED, 413),
    ("/big", {"MAX_FORM_MEMORY_SIZE": 1000}, _multipart([("a", b"x" * 2_000_000)]), MULTIPART, 200),
    ("/small", {}, _multipart([("a", b"x" * 21)]), MULTIPART, 413),
    ("/small", {}, _multipart([("a", b"x" * 20)]), MULTIPART, 200, 413),
    (
        "/unlimited",
        {"MAX_FORM_MEMORY_SIZE": 10},
        _multipart([("a", b"x" * 1_000_000)]),
        MULTIPART,
        200,
        413,
    ),
    # MAX_FORM_PARTS
    ("/default", {}, _multipart([(f"f{i}", b"1") for i in range(1000)]), MULTIPART, 200),
    ("/default", {}, _multipart([(f"f{i}", b"1") for i in range(1001)]), MULTIPART, 413),
    (
        "/default",
        {"MAX_FORM_PARTS": 5},
        _multipart([(f"f{i}", b"1") for i in range(6)]),
        MULTIPART,
        413,
    ),
    ("/default", {"MAX_FORM_PARTS": 5}, b"&".join([b"a=1"] * 6), URLENCODED, 413, 200),
    ("/default", {"MAX_FORM_PARTS": 5}, b"&".join([b"a=1"] * 5), URLENCODED, 200),
    (
        "/big",
        {"MAX_FORM_PARTS": 5},
        _multipart([(f"f{i}", b"1") for i in range(5000)]),
        MULTIPART,
        200,
    ),
    ("/small", {}, _multipart([(f"f{i}", b"1") for i in range(3)]), MULTIPART, 413),
    ("/small", {}, b"a=1&b=2&c=3", URLENCODED, 413, 200),
    ("/unlimited", {"MAX_FORM_PARTS": 1}, b"&".join([b"a=1"] * 5000), URLENCODED, 200),
]


@pytest.mark.parametrize(
    ("path", "config", "body", "content_type", "statuses"),
    [
        pytest.param(*case[:4], case[4:], id=f"{path}-{'-'.join(case[1]) or 'defaults'}-{case[4]}")
        for case in CASES
        for path in [case[0]]
    ],
)
def test_limit(
    both: t.Any,
    path: str,
    config: dict[str, t.Any],
    body: bytes,
    content_type: str,
    statuses: tuple[int, ...],
) -> None:
    both.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    both.config.update(config)
    status = statuses[-1] if isinstance(both, flask.Flask) else statuses[0]
    rv = _post(both, path, body, content_type)
    assert rv.status_code == status, rv.data[:200]
    if status == 413:
        assert b"Request Entity Too Large" in rv.data
        assert b"Traceback" not in rv.data


def test_per_route_limit_does_not_leak_to_other_requests() -> None:
    app = _build(kolba)
    body = b"a=" + b"x" * 200
    assert _post(app, "/small", body, URLENCODED).status_code == 413
    assert _post(app, "/default", body, URLENCODED).status_code == 200
    assert _post(app, "/big", body, URLENCODED).status_code == 200
    assert _post(app, "/small", body, URLENCODED).status_code == 413


def test_config_changes_apply_to_the_next_request() -> None:
    app = _build(kolba)
    body = b"a=" + b"x" * 200
    app.config["MAX_CONTENT_LENGTH"] = 100
    assert _post(app, "/default", body, URLENCODED).status_code == 413
    app.config["MAX_CONTENT_LENGTH"] = None
    assert _post(app, "/default", body, URLENCODED).status_code == 200


def test_kolba_limits_by_default() -> None:
    # Flask's MAX_CONTENT_LENGTH is None; Kolba's is 16 MiB (docs/differences.md).
    app = _build(kolba)
    body = _multipart([], [("f", b"x" * (16 * 1024 * 1024))])
    assert _post(app, "/default", body, MULTIPART).status_code == 413
    assert _post(app, "/big", body, MULTIPART).status_code == 413
    assert _post(app, "/unlimited", body, MULTIPART).status_code == 200


def test_limits_read_on_the_request() -> None:
    app: Kolba = _build(kolba)
    app.config.update(MAX_CONTENT_LENGTH=123, MAX_FORM_MEMORY_SIZE=45, MAX_FORM_PARTS=6)
    seen: list[tuple[t.Any, ...]] = []

    @app.get("/show")
    def show() -> str:
        seen.append((request.max_content_length, request.max_form_memory_size))
        request.max_form_parts = 7
        seen.append((request.max_form_parts,))
        return ""

    app.test_client().get("/show")
    assert seen == [(123, 45), (7,)]


def test_chunked_body_over_max_content_length() -> None:
    # No Content-Length: the limit is checked on what arrives (Werkzeug's is_max stream).
    app = _build(kolba)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    body = b"a=" + b"x" * 5000
    rv = app.test_client().post(
        "/default",
        data=body,
        content_type=URLENCODED,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
    )
    assert rv.status_code == 413


def test_chunked_body_under_max_content_length() -> None:
    app = _build(kolba)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    rv = app.test_client().post(
        "/default",
        data=b"a=1",
        content_type=URLENCODED,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
    )
    # The form parser consumed the body, so get_data() is empty, as in Flask.
    assert (rv.status_code, rv.data) == (200, b"0 1 []")


# ------------------------------------------------------------------------------------------
# Kolba's own limits: query fields and trusted hosts


def _query_app() -> Kolba:
    app = Kolba("query_limits")
    app.config["TESTING"] = True
    bp = Blueprint("api", __name__, url_prefix="/api")

    @app.get("/q")
    def q() -> str:
        return str(len(request.args))

    @app.get("/few")
    def few() -> str:
        request.max_query_fields = 3
        return str(len(request.args))

    @bp.before_request
    def many() -> None:
        request.max_query_fields = 50_000

    @bp.get("/q")
    def api_q() -> str:
        return str(len(request.args))

    app.register_blueprint(bp)
    return app


@pytest.mark.parametrize(
    ("path", "fields", "status"),
    [
        ("/q", 10_000, 200),
        ("/q", 10_001, 400),
        ("/few", 3, 200),
        ("/few", 4, 400),
        ("/api/q", 20_000, 200),
        ("/api/q", 50_001, 400),
    ],
)
def test_max_query_fields(path: str, fields: int, status: int) -> None:
    rv = _query_app().test_client().get(path, query_string="&".join(["a=1"] * fields))
    assert rv.status_code == status
    if status == 200:
        assert rv.data == b"1"
    else:
        assert b"Too many query parameters." in rv.data


def test_max_query_fields_on_the_request_class() -> None:
    # The global setting: a request class with another limit.
    class StrictRequest(Request):
        max_query_fields = 2

    app = _query_app()
    app.request_class = StrictRequest
    client = app.test_client()
    assert client.get("/q?a=1&b=2").status_code == 200
    assert client.get("/q?a=1&b=2&c=3").status_code == 400
    assert client.get("/few?a=1&b=2&c=3").status_code == 200


def test_max_query_fields_through_config() -> None:
    app = _query_app()
    app.config["MAX_QUERY_FIELDS"] = 3
    client = app.test_client()
    assert client.get("/q?a=1&b=2&c=3").status_code == 200
    assert client.get("/q?a=1&b=2&c=3&d=4").status_code == 400


@pytest.mark.parametrize("module", [kolba, flask])
def test_trusted_hosts(module: t.Any) -> None:
    cls = module.Kolba if module is kolba else module.Flask
    app = cls("hosts")
    app.config.update(TESTING=True, TRUSTED_HOSTS=["example.com", ".example.org"])

    def index() -> str:
        return module.request.host  # type: ignore[no-any-return]

    app.add_url_rule("/", view_func=index)

    client = app.test_client()
    assert client.get("/", headers={"Host": "example.com"}).data == b"example.com"
    assert client.get("/", headers={"Host": "a.example.org"}).data == b"a.example.org"
    assert client.get("/", headers={"Host": "evil.com"}).status_code == 400
    app.config["TRUSTED_HOSTS"] = None
    assert client.get("/", headers={"Host": "evil.com"}).data == b"evil.com"
