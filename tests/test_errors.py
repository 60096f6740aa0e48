"""Error handling through the test client, compared with Flask 3.1 wherever Flask has an answer.

Each differential test builds the same small app on ``flask.Flask`` and on ``Kolba`` with one
setup function (it receives the framework's module and exceptions module), sends the same
requests and asserts the status, headers and body are equal, then checks concrete values so the
test still fails if both frameworks changed together.
"""

# The apps are built on either framework through ``t.Any``, so their decorators are untyped.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

import logging
import typing as t
import wsgiref.util
from collections.abc import Callable
from types import ModuleType

import flask
import pytest
import werkzeug.exceptions

import kolba
import kolba.http.exceptions as kexc
from kolba import Kolba
from kolba.http.exceptions import (
    BadRequest,
    BadRequestKeyError,
    Forbidden,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
)


class Fw(t.NamedTuple):
    """One framework: its top-level module and the module its HTTP exceptions live in."""

    name: str
    mod: ModuleType
    exc: ModuleType


FLASK = Fw("flask", flask, werkzeug.exceptions)
KOLBA = Fw("kolba", kolba, kexc)
Setup = Callable[[t.Any, Fw], None]
Result = tuple[int, list[tuple[str, str]], bytes]


def build(fw: Fw, setup: Setup, config: dict[str, t.Any]) -> t.Any:
    app_class = flask.Flask if fw is FLASK else Kolba
    app = app_class("errors_app", root_path="/nonexistent")
    app.config.update(config)
    setup(app, fw)
    return app


def fetch(app: t.Any, method: str, path: str, **kwargs: t.Any) -> Result:
    rv = app.test_client().open(path, method=method, **kwargs)
    # Flask builds Allow from a set, so its order changes between runs; compare the methods.
    headers = [
        (k, ", ".join(sorted(v.split(", "))) if k.lower() == "allow" else v)
        for k, v in rv.headers.items()
    ]
    return rv.status_code, sorted(headers), rv.get_data()


def compare(setup: Setup, requests: list[tuple[str, str]], **config: t.Any) -> list[Result]:
    """Run ``requests`` on both frameworks; assert they agree and return Kolba's answers."""
    results = {}
    for fw in (FLASK, KOLBA):
        app = build(fw, setup, config)
        results[fw.name] = [fetch(app, method, path) for method, path in requests]
    for req, expected, got in zip(requests, results["flask"], results["kolba"], strict=True):
        assert got == expected, req
    return results["kolba"]


def error_page(code: int, name: str, description: str) -> bytes:
    return (
        "<!doctype html>\n<html lang=en>\n"
        f"<title>{code} {name}</title>\n<h1>{name}</h1>\n<p>{description}</p>\n"
    ).encode()


# -- HTTPException classes ------------------------------------------------------------------------

CODES = [400, 401, 403, 404, 405, 406, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418]
CODES += [421, 422, 423, 424, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505]


@pytest.mark.parametrize("code", CODES)
def test_exception_classes_match_werkzeug(code: int) -> None:
    ours = kexc.default_exceptions[code]
    theirs = werkzeug.exceptions.default_exceptions[code]
    assert ours.__name__ == theirs.__name__
    assert ours.code == code
    assert ours().name == theirs().name
    assert ours.description == theirs.description
    ours_rv = ours().get_response()
    theirs_rv = theirs().get_response()
    assert ours_rv.status == theirs_rv.status
    assert ours_rv.get_data() == theirs_rv.get_data()
    assert issubclass(ours, HTTPException)


def test_exception_attributes() -> None:
    e = NotFound()
    assert (e.code, e.name) == (404, "Not Found")
    assert e.description is not None and e.description.startswith("The requested URL")
    custom = Forbidden(description="Go away")
    rv = custom.get_response()
    assert rv.status_code == 403
    assert rv.get_data() == error_page(403, "Forbidden", "Go away")
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"


# -- abort -----------------------------------------------------------------------------------------


def _abort_app(app: t.Any, fw: Fw) -> None:
    m = fw.mod

    @app.route("/code/<int:code>")
    def by_code(code: int) -> t.Any:
        m.abort(code)

    @app.route("/desc")
    def desc() -> t.Any:
        m.abort(403, description="No <b>entry</b> here")

    @app.route("/response")
    def response() -> t.Any:
        m.abort(m.make_response("custom body", 418, {"X-Custom": "yes"}))

    @app.route("/post-only", methods=["POST"])
    def post_only() -> str:
        return "posted"


@pytest.mark.parametrize("code", [400, 401, 403, 404, 405, 409, 410, 413, 422, 429, 500, 503])
def test_abort_code(code: int) -> None:
    [(status, headers, body)] = compare(_abort_app, [("GET", f"/code/{code}")])
    assert status == code
    assert ("Content-Type", "text/html; charset=utf-8") in headers
    name = kexc.default_exceptions[code]().name
    assert body.startswith(f"<!doctype html>\n<html lang=en>\n<title>{code} {name}".encode())


def test_abort_description_and_response() -> None:
    desc, resp = compare(_abort_app, [("GET", "/desc"), ("GET", "/response")])
    # The description is escaped, as Werkzeug 3 does.
    assert desc[0] == 403
    assert desc[2] == error_page(403, "Forbidden", "No &lt;b&gt;entry&lt;/b&gt; here")
    assert resp[0] == 418
    assert resp[2] == b"custom body"
    assert ("X-Custom", "yes") in resp[1]


def test_default_pages_byte_identical() -> None:
    (
        notfound,
        method,
    ) = compare(_abort_app, [("GET", "/missing"), ("GET", "/post-only")])
    assert notfound[0] == 404
    assert notfound[2] == error_page(404, "Not Found", NotFound.description)
    assert method[0] == 405
    assert ("Allow", "OPTIONS, POST") in method[1]
    assert method[2] == error_page(
        405,
        "Method Not Allowed",
        MethodNotAllowed.description,
    )


def test_abort_outside_request_raises() -> None:
    with pytest.raises(NotFound):
        kolba.abort(404)
    with pytest.raises(LookupError):
        kolba.abort(299)


# -- errorhandler resolution -----------------------------------------------------------------------


class AppError(Exception):
    pass


class SpecificError(AppError):
    pass


def _handlers_app(app: t.Any, fw: Fw) -> None:
    E = fw.exc

    @app.errorhandler(E.HTTPException)
    def any_http(e: t.Any) -> t.Any:
        return f"http {e.code} {e.name}", e.code

    @app.errorhandler(Exception)
    def any_exception(e: Exception) -> t.Any:
        return f"exception {type(e).__name__}", 500

    @app.errorhandler(AppError)
    def app_error(e: Exception) -> t.Any:
        return f"app error {type(e).__name__}", 409

    app.register_error_handler(404, lambda e: ("not here", 404, {"X-Handler": "404"}))
    app.register_error_handler(E.Gone, lambda e: ("gone by class", 410))

    @app.route("/specific")
    def specific() -> t.Any:
        raise SpecificError()

    @app.route("/runtime")
    def runtime() -> t.Any:
        raise RuntimeError("x")

    @app.route("/post", methods=["POST"])
    def post() -> str:
        return "posted"

    @app.route("/abort/<int:code>")
    def abort(code: int) -> t.Any:
        fw.mod.abort(code)


def test_errorhandler_class_hierarchy() -> None:
    results = compare(
        _handlers_app,
        [
            ("GET", "/specific"),
            ("GET", "/runtime"),
            ("GET", "/nowhere"),
            ("GET", "/abort/404"),
            ("GET", "/post"),
            ("GET", "/abort/410"),
            ("GET", "/abort/418"),
        ],
        TESTING=True,
    )
    bodies = [(status, body) for status, _, body in results]
    assert bodies == [
        (409, b"app error SpecificError"),  # nearest class in the MRO wins over Exception
        (500, b"exception RuntimeError"),
        (404, b"not here"),  # a code handler wins over the HTTPException handler
        (404, b"not here"),
        (405, b"http 405 Method Not Allowed"),
        (410, b"gone by class"),
        (418, b"http 418 I'm a teapot"),
    ]
    assert ("X-Handler", "404") in results[2][1]


def test_handler_for_exception_catches_http_errors_too() -> None:
    def setup(app: t.Any, fw: Fw) -> None:
        app.register_error_handler(Exception, lambda e: (f"caught {type(e).__name__}", 599))

    [(status, _, body)] = compare(setup, [("GET", "/missing")])
    assert (status, body) == (599, b"caught NotFound")


def test_register_error_handler_rejects_non_exceptions(app: Kolba) -> None:
    with pytest.raises((TypeError, ValueError)):
        app.register_error_handler(str, lambda e: "x")  # type: ignore[arg-type]
    with pytest.raises((TypeError, ValueError, KeyError, LookupError)):
        app.register_error_handler(299, lambda e: "x")


def test_handler_returning_exception_object(client: t.Any, app: Kolba) -> None:
    @app.errorhandler(404)
    def nf(e: NotFound) -> NotFound:
        e.description = "swapped"
        return e

    rv = client.get("/missing")
    assert rv.status_code == 404
    assert rv.data == error_page(404, "Not Found", "swapped")


# -- unhandled exceptions --------------------------------------------------------------------------

SECRET = "secret-token-4711 in /srv/app/views.py"


def _boom_app(app: t.Any, fw: Fw) -> None:
    @app.route("/boom")
    def boom() -> t.Any:
        raise ValueError(SECRET)


def test_unhandled_exception_is_500_without_detail(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        [(status, headers, body)] = compare(_boom_app, [("GET", "/boom")])
    assert status == 500
    assert body == error_page(500, "Internal Server Error", InternalServerError.description)
    assert b"Traceback" not in body
    assert b"secret-token" not in body
    assert b".py" not in body
    assert all("secret" not in v for _, v in headers)


def test_unhandled_exception_logged_once_with_traceback(
    app: Kolba, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["TESTING"] = False
    _boom_app(app, KOLBA)
    with caplog.at_level(logging.ERROR):
        rv = app.test_client().get("/boom")
    assert rv.status_code == 500
    records = [r for r in caplog.records if r.exc_info]
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.ERROR
    assert "/boom" in record.getMessage() and "GET" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is ValueError
    assert SECRET in caplog.text and "Traceback" in caplog.text


def test_500_handler_sees_original_exception() -> None:
    def setup(app: t.Any, fw: Fw) -> None:
        _boom_app(app, fw)

        @app.errorhandler(500)
        def handler(e: t.Any) -> t.Any:
            original = e.original_exception
            return f"{type(e).__name__} from {type(original).__name__}", 500

        @app.route("/abort500")
        def abort500() -> t.Any:
            fw.mod.abort(500)

    boom, aborted = compare(setup, [("GET", "/boom"), ("GET", "/abort500")])
    assert boom[2] == b"InternalServerError from ValueError"
    # An explicit abort(500) has no original exception.
    assert aborted[2] == b"InternalServerError from NoneType"


def test_500_handler_for_internal_server_error_class(
    app: Kolba, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["TESTING"] = False
    _boom_app(app, KOLBA)
    seen: list[BaseException | None] = []

    @app.errorhandler(InternalServerError)
    def handler(e: InternalServerError) -> tuple[str, int]:
        seen.append(e.original_exception)
        return "sorry", 500

    with caplog.at_level(logging.CRITICAL):
        rv = app.test_client().get("/boom")
    assert (rv.status_code, rv.data) == (500, b"sorry")
    assert isinstance(seen[0], ValueError) and str(seen[0]) == SECRET


@pytest.mark.parametrize(
    "config",
    [{"TESTING": True}, {"PROPAGATE_EXCEPTIONS": True}, {"DEBUG": True}],
    ids=["testing", "propagate", "debug"],
)
@pytest.mark.parametrize("fw", [FLASK, KOLBA], ids=["flask", "kolba"])
def test_exceptions_propagate(fw: Fw, config: dict[str, t.Any]) -> None:
    app = build(fw, _boom_app, config)
    with pytest.raises(ValueError, match="secret-token"):
        app.test_client().get("/boom")


@pytest.mark.parametrize("fw", [FLASK, KOLBA], ids=["flask", "kolba"])
def test_propagate_false_wins_over_testing(fw: Fw, caplog: pytest.LogCaptureFixture) -> None:
    app = build(fw, _boom_app, {"TESTING": True, "PROPAGATE_EXCEPTIONS": False})
    with caplog.at_level(logging.CRITICAL):
        rv = app.test_client().get("/boom")
    assert rv.status_code == 500


# -- trapping --------------------------------------------------------------------------------------


def _trap_app(app: t.Any, fw: Fw) -> None:
    @app.route("/abort404")
    def abort404() -> t.Any:
        fw.mod.abort(404)

    @app.route("/form", methods=["POST"])
    def form() -> t.Any:
        return fw.mod.request.form["missing"]

    @app.route("/badreq")
    def badreq() -> t.Any:
        fw.mod.abort(400)


@pytest.mark.parametrize("fw", [FLASK, KOLBA], ids=["flask", "kolba"])
def test_trap_http_exceptions(fw: Fw) -> None:
    app = build(fw, _trap_app, {"TESTING": True, "TRAP_HTTP_EXCEPTIONS": True})
    client = app.test_client()
    with pytest.raises(fw.exc.NotFound):
        client.get("/abort404")
    with pytest.raises(fw.exc.NotFound):  # routing errors too
        client.get("/missing")


@pytest.mark.parametrize("fw", [FLASK, KOLBA], ids=["flask", "kolba"])
def test_trap_bad_request_errors(fw: Fw) -> None:
    app = build(fw, _trap_app, {"TESTING": True, "TRAP_BAD_REQUEST_ERRORS": True})
    client = app.test_client()
    with pytest.raises(fw.exc.BadRequest):
        client.get("/badreq")
    with pytest.raises(KeyError):
        client.post("/form")
    assert client.get("/abort404").status_code == 404  # only 400s are trapped


def test_bad_request_key_error_is_400() -> None:
    [(status, _, body)] = compare(_trap_app, [("POST", "/form")], TESTING=True)
    assert status == 400
    assert body == error_page(400, "Bad Request", BadRequest.description)
    assert b"missing" not in body


@pytest.mark.parametrize("fw", [FLASK, KOLBA], ids=["flask", "kolba"])
def test_bad_request_key_error_trapped_in_debug(fw: Fw) -> None:
    app = build(fw, _trap_app, {"DEBUG": True})
    with pytest.raises(fw.exc.BadRequestKeyError) as info:
        app.test_client().post("/form")
    assert info.value.args[0] == "missing"


def test_bad_request_key_error_names_key_in_debug() -> None:
    [(status, _, body)] = compare(
        _trap_app, [("POST", "/form")], DEBUG=True, TRAP_BAD_REQUEST_ERRORS=False
    )
    assert status == 400
    assert body.endswith(b"understand.<br>KeyError: &#39;missing&#39;</p>\n")


def test_bad_request_key_error_class() -> None:
    e = BadRequestKeyError("k")
    assert isinstance(e, KeyError) and isinstance(e, BadRequest)
    assert e.code == 400


# -- CR/LF in header values ------------------------------------------------------------------------


def _injection_app(app: t.Any, fw: Fw) -> None:
    m = fw.mod

    @app.route("/set")
    def set_header() -> t.Any:
        rv = m.make_response("x")
        rv.headers["X-Bad"] = "a\r\nSet-Cookie: evil=1"
        return rv

    @app.route("/tuple")
    def tuple_headers() -> t.Any:
        return "x", 200, {"X-Bad": "a\nSet-Cookie: evil=1"}

    @app.route("/list")
    def list_headers() -> t.Any:
        return "x", [("X-Bad", "a\rSet-Cookie: evil=1")]

    @app.route("/redirect")
    def redirect() -> t.Any:
        return m.redirect("/x\r\nSet-Cookie: evil=1")


def _raw(app: t.Any, path: str) -> tuple[str, list[tuple[str, str]], bytes]:
    environ: dict[str, t.Any] = {}
    wsgiref.util.setup_testing_defaults(environ)
    environ["PATH_INFO"] = path
    captured: list[t.Any] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Any:
        captured[:] = [status, headers]
        return lambda data: None

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    return captured[0], captured[1], data


@pytest.mark.parametrize("path", ["/set", "/tuple", "/list", "/redirect"])
def test_header_injection_never_emitted(path: str, caplog: pytest.LogCaptureFixture) -> None:
    app = build(KOLBA, _injection_app, {})
    with caplog.at_level(logging.CRITICAL):
        status, headers, body = _raw(app, path)
    for name, value in headers:
        assert "\r" not in value and "\n" not in value, (name, value)
        assert "\r" not in name and "\n" not in name
    assert not any(name.lower() == "set-cookie" for name, _ in headers)
    if path == "/redirect":
        # Kolba percent-encodes the control characters (Flask answers 500 here).
        assert status.startswith("302")
        assert dict(headers)["Location"] == "/x%0D%0ASet-Cookie:%20evil=1" or dict(headers)[
            "Location"
        ].startswith("/x%0D%0A")
    else:
        # Refused: the view's response never goes out; the client sees a plain 500.
        assert status.startswith("500")
        assert b"evil" not in body


@pytest.mark.parametrize("path", ["/set", "/tuple", "/list"])
def test_header_injection_same_as_flask(path: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.CRITICAL):
        [(status, _, body)] = compare(_injection_app, [("GET", path)])
    assert status == 500
    assert b"evil" not in body


def test_header_injection_raises_value_error_when_testing(client: t.Any, app: Kolba) -> None:
    _injection_app(app, KOLBA)
    with pytest.raises(ValueError, match="newline"):
        client.get("/set")
