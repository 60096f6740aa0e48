"""The debug page (:mod:`kolba.debug`), used through the test client as the dev server uses it:
around ``app.wsgi_app`` with debug mode on. A few tests call the middleware directly with a
small PEP 3333 server, to check what the test client cannot see (``close()``, a second
``start_response``)."""

from __future__ import annotations

import io
import logging
import os
import sys
import typing as t
from wsgiref.util import setup_testing_defaults

import pytest

from kolba import Kolba, Response, stream_with_context
from kolba.debug import DebuggedApplication

THIS_FILE = os.path.abspath(__file__)


@pytest.fixture
def debug_app(tmp_path: t.Any) -> Kolba:
    """An app in debug mode behind the debug page, as ``kolba run --debug`` serves it."""
    app = Kolba("debug_test_app", root_path=os.fspath(tmp_path))
    app.debug = True
    app.wsgi_app = DebuggedApplication(app.wsgi_app)  # type: ignore[method-assign]
    return app


HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


def fail_deep(value: str) -> None:
    raise ValueError(f"bad value: {value}")  # the failing line of the test


def test_page_shows_exception_frames_and_request(
    debug_app: Kolba, caplog: pytest.LogCaptureFixture
) -> None:
    @debug_app.route("/items/<name>", methods=["POST"])
    def items(name: str) -> str:
        fail_deep(name)
        return "unreachable"

    r = debug_app.test_client().post(
        "/items/widget?page=2", headers={**HTML, "X-Trace-Id": "trace-42"}
    )
    assert r.status_code == 500
    assert r.mimetype == "text/html"
    assert r.headers["Cache-Control"] == "no-store"
    page = r.get_data(as_text=True)
    assert "<h1>ValueError</h1>" in page
    assert "bad value: widget" in page
    # Each frame: file, line, function, and the source around the line, the failing one marked.
    assert f"File &quot;{THIS_FILE}&quot;" in page or f'File "{THIS_FILE}"' in page
    assert "fail_deep" in page and "items" in page
    assert "# the failing line of the test" in page
    assert 'class="current"' in page
    assert "def fail_deep(value: str) -&gt; None:" in page  # a context line above it
    # The request.
    assert "POST http://localhost/items/widget?page=2" in page
    assert "X-Trace-Id" in page and "trace-42" in page
    # No script, nothing external.
    assert "<script" not in page
    assert "http://" not in page.replace("http://localhost/items", "")
    # Logged once, with the traceback.
    records = [rec for rec in caplog.records if rec.name == "kolba.debug"]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert records[0].getMessage() == "Exception on /items/widget [POST]"
    assert records[0].exc_info is not None and records[0].exc_info[0] is ValueError


def test_app_frames_are_open_library_frames_folded(debug_app: Kolba) -> None:
    @debug_app.route("/")
    def index() -> str:
        fail_deep("x")
        return ""

    page = debug_app.test_client().get("/", headers=HTML).get_data(as_text=True)
    frames = page.split("<details")[1:]
    mine = [f for f in frames if THIS_FILE in f]
    library = [f for f in frames if "kolba" + os.sep + "app.py" in f]
    assert mine and library
    assert all(f.startswith(' class="app" open>') for f in mine)
    assert all(f.startswith(' class="library">') for f in library)
    # The middleware's own frames are not shown.
    assert "kolba" + os.sep + "debug.py" not in page


def test_markup_in_message_and_headers_is_escaped(debug_app: Kolba) -> None:
    @debug_app.route("/")
    def index() -> str:
        raise RuntimeError("<script>alert('message')</script>")

    r = debug_app.test_client().get(
        "/?q=<script>q</script>", headers={**HTML, "X-Evil": "<script>alert(1)</script>"}
    )
    page = r.get_data(as_text=True)
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;message&#x27;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_credentials_are_masked(debug_app: Kolba) -> None:
    @debug_app.route("/")
    def index() -> str:
        raise RuntimeError("boom")

    # Built at run time: the page shows this test's source lines, which must not match.
    session, theme, token, key = (f"secret{n * 7919}" for n in range(1, 5))
    client = debug_app.test_client()
    client.set_cookie("session", session)
    client.set_cookie("theme", theme)
    for accept in (HTML, {}):
        r = client.get(
            "/",
            headers={
                **accept,
                "Authorization": f"Bearer {token}",
                "X-Api-Key": key,
                "Proxy-Authorization": "Basic cHJveHk6cHc=",
            },
        )
        body = r.get_data(as_text=True)
        for secret in (session, theme, token, key, "cHJ"):
            assert secret not in body
        assert "session=[masked]; theme=[masked]" in body
        assert "Bearer [masked]" in body
        assert "Basic [masked]" in body


def test_chained_exceptions_are_all_shown(debug_app: Kolba) -> None:
    @debug_app.route("/cause")
    def cause() -> str:
        try:
            empty: dict[str, int] = {}
            empty["missing-key"]
        except KeyError as e:
            raise LookupError("lookup failed") from e
        return ""

    @debug_app.route("/context")
    def context() -> str:
        try:
            int("not-a-number")
        except ValueError:
            raise RuntimeError("while handling")  # noqa: B904 (the implicit context is the point)
        return ""

    @debug_app.route("/suppressed")
    def suppressed() -> str:
        try:
            int("hidden-number")
        except ValueError:
            raise RuntimeError("clean") from None
        return ""

    client = debug_app.test_client()
    page = client.get("/cause", headers=HTML).get_data(as_text=True).partition("<h2>Traceback")[2]
    first, second = page.index("<strong>KeyError</strong>"), page.index("<strong>LookupError")
    assert first < page.index("direct cause") < second
    assert "missing-key" in page and "lookup failed" in page

    page = client.get("/context", headers=HTML).get_data(as_text=True)
    assert "<strong>ValueError</strong>: invalid literal" in page
    assert "During handling of the above exception" in page

    page = client.get("/suppressed", headers=HTML).get_data(as_text=True)
    assert "<strong>ValueError</strong>" not in page
    assert "<strong>RuntimeError</strong>: clean" in page
    assert "During handling" not in page


def test_exception_groups_and_notes(debug_app: Kolba) -> None:
    if sys.version_info < (3, 11):  # pragma: no cover
        pytest.skip("exception groups and notes are Python 3.11+")

    @debug_app.route("/")
    def index() -> str:
        subs = [KeyError("first-sub"), OSError("second-sub")]
        error = ExceptionGroup("two failed", subs)  # noqa: F821 (3.11+)
        error.add_note("a note for the <developer>")
        raise error

    page = debug_app.test_client().get("/", headers=HTML).get_data(as_text=True)
    assert "two failed" in page
    assert "Sub-exception 1" in page and "first-sub" in page
    assert "Sub-exception 2" in page and "second-sub" in page
    assert "a note for the &lt;developer&gt;" in page


def test_deep_recursion_is_folded(debug_app: Kolba) -> None:
    def recurse(n: int) -> None:
        if n == 0:
            raise RuntimeError("bottom")
        recurse(n - 1)

    @debug_app.route("/")
    def index() -> str:
        recurse(60)
        return ""

    page = debug_app.test_client().get("/", headers=HTML).get_data(as_text=True)
    assert "previous frame repeated" in page
    assert page.count("in <span") < 30


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "text/plain", "text/html;q=0", "text/html;q=bad"],
)
def test_plain_text_for_clients_without_html(debug_app: Kolba, accept: str | None) -> None:
    @debug_app.route("/api")
    def api() -> str:
        raise KeyError("<no-markup>")

    headers = {} if accept is None else {"Accept": accept}
    r = debug_app.test_client().get("/api", headers=headers)
    assert r.status_code == 500
    assert r.mimetype == "text/plain"
    text = r.get_data(as_text=True)
    assert text.startswith("KeyError: '<no-markup>'\n")
    assert "Traceback (most recent call last):" in text
    assert THIS_FILE in text
    assert "GET http://localhost/api" in text
    assert "<html" not in text and "&lt;" not in text


def test_head_request_gets_no_body(debug_app: Kolba) -> None:
    @debug_app.route("/")
    def index() -> str:
        raise RuntimeError("boom")

    r = debug_app.test_client().head("/", headers=HTML)
    assert r.status_code == 500
    assert r.data == b""


def test_exception_whose_str_raises(debug_app: Kolba) -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise TypeError("no str for you")

    @debug_app.route("/")
    def index() -> str:
        raise Unprintable()

    client = debug_app.test_client()
    page = client.get("/", headers=HTML).get_data(as_text=True)
    assert "Unprintable" in page
    assert "str() failed" in page
    text = client.get("/").get_data(as_text=True)
    assert text.startswith(f"{__name__}.{Unprintable.__qualname__}: <str() failed")
    assert "str() failed" in text


def test_streamed_response_failing_midway_is_cut_and_logged(
    debug_app: Kolba, caplog: pytest.LogCaptureFixture
) -> None:
    closed = []

    @debug_app.route("/stream")
    def stream() -> Response:
        def generate() -> t.Iterator[str]:
            yield "first chunk,"
            yield "second chunk,"
            raise RuntimeError("stream broke")

        response = Response(stream_with_context(generate()))
        response.call_on_close(lambda: closed.append(True))
        return response

    r = debug_app.test_client().get("/stream", headers=HTML)
    assert r.status_code == 200
    assert r.data == b"first chunk,second chunk,"
    assert closed == [True]
    records = [rec for rec in caplog.records if rec.name == "kolba.debug"]
    assert len(records) == 1
    assert "cut" in records[0].getMessage()
    assert records[0].exc_info is not None and records[0].exc_info[0] is RuntimeError


def test_logs_to_wsgi_errors_when_logging_is_not_configured(
    debug_app: Kolba, monkeypatch: pytest.MonkeyPatch
) -> None:
    logger = logging.getLogger("kolba.debug")
    monkeypatch.setattr(logger, "propagate", False)
    monkeypatch.setattr(logger, "handlers", [])

    @debug_app.route("/")
    def index() -> str:
        fail_deep("to-stderr")
        return ""

    errors = io.StringIO()
    r = debug_app.test_client().get("/", errors_stream=errors)
    assert r.status_code == 500
    logged = errors.getvalue()
    assert logged.startswith("Exception on / [GET]\nTraceback (most recent call last):")
    assert "ValueError: bad value: to-stderr" in logged
    assert logged.count("Traceback (most recent call last):") == 1


def test_evalex_is_refused() -> None:
    def app(environ: t.Any, start_response: t.Any) -> list[bytes]:
        return []  # pragma: no cover

    with pytest.raises(ValueError, match="no interactive console"):
        DebuggedApplication(app, evalex=True)
    assert DebuggedApplication(app, evalex=False).evalex is False


# -- Direct WSGI calls ----------------------------------------------------------------------------


class Body:
    """An app iterable that records how it was used."""

    def __init__(self, chunks: list[bytes], fail_after: int | None = None) -> None:
        self.chunks = chunks
        self.fail_after = fail_after
        self.closed = 0

    def __iter__(self) -> t.Iterator[bytes]:
        for i, chunk in enumerate(self.chunks):
            if i == self.fail_after:
                raise RuntimeError("body failed")
            yield chunk

    def close(self) -> None:
        self.closed += 1


def serve(app: t.Any, **environ: t.Any) -> tuple[list[tuple[str, list[tuple[str, str]]]], bytes]:
    """A minimal PEP 3333 server: headers count as sent with the first non-empty chunk."""
    env: dict[str, t.Any] = {"wsgi.errors": io.StringIO(), **environ}
    setup_testing_defaults(env)
    starts: list[tuple[str, list[tuple[str, str]]]] = []
    sent = False

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Any:
        if exc_info and sent:
            raise exc_info[1].with_traceback(exc_info[2])
        starts.append((status, headers))
        return None

    out = []
    body = app(env, start_response)
    try:
        for chunk in body:
            if chunk:
                sent = True
            out.append(chunk)
    finally:
        if hasattr(body, "close"):
            body.close()
    return starts, b"".join(out)


def test_normal_responses_pass_through_untouched() -> None:
    body = Body([b"hello ", b"world"])
    headers = [("Content-Type", "text/x-custom"), ("X-One", "1"), ("X-One", "2")]

    def app(environ: t.Any, start_response: t.Any) -> Body:
        start_response("203 NON-AUTHORITATIVE INFORMATION", headers)
        return body

    starts, data = serve(DebuggedApplication(app))
    assert starts == [("203 NON-AUTHORITATIVE INFORMATION", headers)]
    assert data == b"hello world"
    assert body.closed == 1


def test_close_is_called_even_when_never_iterated() -> None:
    body = Body([b"unread"])

    def app(environ: t.Any, start_response: t.Any) -> Body:
        start_response("200 OK", [])
        return body

    def start_response(*args: t.Any) -> t.Callable[[bytes], object]:
        return print

    result = DebuggedApplication(app)({}, start_response)
    assert isinstance(result, Body) or hasattr(result, "close")
    for _ in range(2):
        result.close()
    assert body.closed == 1


def test_failure_before_the_first_chunk_replaces_the_status() -> None:
    body = Body([b"never sent"], fail_after=0)

    def app(environ: t.Any, start_response: t.Any) -> Body:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    starts, data = serve(DebuggedApplication(app), HTTP_ACCEPT="text/html")
    assert [s for s, _ in starts] == ["200 OK", "500 INTERNAL SERVER ERROR"]
    assert b"body failed" in data and b"<h1>RuntimeError</h1>" in data
    assert body.closed == 1


def test_failure_after_a_chunk_cuts_the_body() -> None:
    body = Body([b"sent", b"never sent"], fail_after=1)

    def app(environ: t.Any, start_response: t.Any) -> Body:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    errors = io.StringIO()
    starts, data = serve(DebuggedApplication(app), **{"wsgi.errors": errors})
    assert [s for s, _ in starts] == ["200 OK"]
    assert data == b"sent"
    assert body.closed == 1


# -- Outside debug mode ---------------------------------------------------------------------------


def test_production_500_has_no_detail_and_logs_once(
    tmp_path: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = Kolba("production_app", root_path=os.fspath(tmp_path))
    assert not app.debug and not app.testing

    @app.route("/")
    def index() -> str:
        raise ValueError("secret-internal-detail")

    r = app.test_client().get("/", headers=HTML)
    assert r.status_code == 500
    page = r.get_data(as_text=True)
    assert "Internal Server Error" in page
    assert "Traceback" not in page
    assert ".py" not in page
    assert "secret-internal-detail" not in page
    assert "ValueError" not in page

    records = [rec for rec in caplog.records if rec.name == "production_app"]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert records[0].getMessage() == "Exception on / [GET]"
    assert records[0].exc_info is not None and records[0].exc_info[0] is ValueError
    assert "secret-internal-detail" in caplog.text and "Traceback" in caplog.text
    assert not [rec for rec in caplog.records if rec.name == "kolba.debug"]
