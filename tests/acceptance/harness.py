"""Machinery of the Flask-compatibility acceptance suite.

Kolba's promise is that a Flask app runs after its imports are changed. The apps under
``apps/`` are plain Flask apps; :func:`load_app` executes each one either as written or after
:func:`rewrite_source` has performed exactly that migration, so no second copy of any app
exists. :func:`run_client` and :func:`run_wsgi` then send the same request to either build and
reduce the answer to a :class:`Result` that can be compared for equality.
"""

from __future__ import annotations

import email.utils
import importlib.util
import io
import itertools
import json as json_module
import re
import sys
import time
import tokenize
import types
import uuid
import wsgiref.validate
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Framework = Literal["flask", "kolba"]

APPS_DIR = Path(__file__).parent / "apps"

#: Bare names renamed wherever they appear as code (never in strings or comments). Both pairs
#: have equal length, so the rewritten source keeps every line and column of the original.
NAME_REWRITES: Mapping[str, str] = {"flask": "kolba", "Flask": "Kolba"}

#: Dotted modules renamed in import statements: what a Flask app imports from Werkzeug and
#: where Kolba keeps the same names. This table is the whole of the "change the imports" step.
MODULE_REWRITES: Mapping[str, str] = {
    "werkzeug.exceptions": "kolba.http.exceptions",
    "werkzeug.routing": "kolba.routing",
}

_counter = itertools.count()


def kolba_import_error() -> str | None:
    """Say why the Kolba side cannot run yet, or ``None`` once ``kolba.Kolba`` imports.

    The suite is written before Kolba's core lands; the Kolba half must skip with a reason
    instead of failing while that is so, and start comparing the moment it is not.
    """
    try:
        from kolba import Kolba  # noqa: F401
    except Exception as exc:  # pragma: no cover - depends on the state of the tree
        return f"kolba.Kolba does not import yet: {type(exc).__name__}: {exc}"
    return None


def asgiref_missing() -> bool:
    """Flask runs ``async def`` views only with its ``async`` extra (asgiref) installed."""
    return importlib.util.find_spec("asgiref") is None


def rewrite_source(source: str) -> str:
    """Turn a Flask app's source into the Kolba app a user would get by editing the imports.

    Working on tokens rather than text means a string such as ``"Flask docs"`` in a view is
    left alone, exactly as a careful person doing the migration would leave it.

    :param source: the Flask app's Python source.
    """
    lines = source.splitlines(keepends=True)
    # (row, start column, end column, replacement), applied right to left per line.
    edits: list[tuple[int, int, int, str]] = []
    tokens = [
        token
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type not in (tokenize.NL, tokenize.COMMENT)
    ]
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == tokenize.NAME and token.string == "werkzeug":
            dotted = [token]
            while (
                index + 2 < len(tokens)
                and tokens[index + 1].string == "."
                and tokens[index + 2].type == tokenize.NAME
            ):
                dotted.extend(tokens[index + 1 : index + 3])
                index += 2
            module = "".join(part.string for part in dotted)
            if module not in MODULE_REWRITES:
                raise ValueError(f"no Kolba equivalent is known for {module!r}")
            row, start = token.start
            edits.append((row, start, dotted[-1].end[1], MODULE_REWRITES[module]))
        elif token.type == tokenize.NAME and token.string in NAME_REWRITES:
            row, start = token.start
            edits.append((row, start, token.end[1], NAME_REWRITES[token.string]))
        index += 1
    for row, start, end, replacement in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + replacement + line[end:]
    return "".join(lines)


def load_app(name: str, framework: Framework) -> Any:
    """Execute ``apps/<name>.py`` as a fresh module and return its ``app``.

    Each call gives a new module, so state an app keeps in globals never leaks between cases
    or between the two frameworks. The module is registered in ``sys.modules`` under a unique
    name because both frameworks find the app's root path from ``sys.modules[__name__]``.

    :param name: the app module's file stem.
    :param framework: ``"flask"`` runs the source as written, ``"kolba"`` after migration.
    """
    path = APPS_DIR / f"{name}.py"
    source = path.read_text(encoding="utf-8")
    if framework == "kolba":
        source = rewrite_source(source)
    module_name = f"acceptance_{name}_{framework}_{next(_counter)}"
    module = types.ModuleType(module_name)
    module.__file__ = str(path)
    sys.modules[module_name] = module
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)
    finally:
        # The app keeps its own reference to the module's globals; dropping the registration
        # keeps sys.modules from growing by one module per test case.
        del sys.modules[module_name]
    return module.__dict__["app"]


# -- requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    """One request, pre-encoded so both frameworks' test clients receive identical bytes.

    Bodies are encoded by this module (not by either test client) so that a difference in
    the answer can only come from the framework under test.
    """

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def with_header(self, name: str, value: str) -> Req:
        return Req(self.method, self.path, (*self.headers, (name, value)), self.body)


def get(path: str, *headers: tuple[str, str]) -> Req:
    return Req("GET", path, tuple(headers))


def request(
    method: str, path: str, *headers: tuple[str, str], body: bytes = b"", content_type: str = ""
) -> Req:
    all_headers = tuple(headers)
    if content_type:
        all_headers = (("Content-Type", content_type), *all_headers)
    return Req(method, path, all_headers, body)


def json_request(method: str, path: str, payload: Any, *headers: tuple[str, str]) -> Req:
    body = json_module.dumps(payload).encode()
    return request(method, path, *headers, body=body, content_type="application/json")


def form_request(method: str, path: str, fields: Sequence[tuple[str, str]]) -> Req:
    from urllib.parse import urlencode

    return request(
        method,
        path,
        body=urlencode(list(fields)).encode(),
        content_type="application/x-www-form-urlencoded",
    )


def multipart_request(
    method: str,
    path: str,
    fields: Sequence[tuple[str, str]] = (),
    files: Sequence[tuple[str, str, str, bytes]] = (),
) -> Req:
    """Encode a ``multipart/form-data`` body by hand.

    :param files: ``(field name, filename, content type, content)`` per file part.
    """
    boundary = f"kolba-{uuid.UUID(int=0x5EED).hex}"
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, filename, content_type, content in files:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return request(
        method, path, body=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


@dataclass(frozen=True)
class Case:
    """One row of an app's request table.

    :param status: what Flask answers, so the Flask half asserts real values on its own.
    :param contains: bytes Flask's body must contain, for the same reason.
    :param prior: requests sent first to the same app (for state such as the teardown log).
    :param needs_async: Flask can run this only with asgiref installed.
    """

    id: str
    req: Req
    status: int
    contains: bytes = b""
    prior: tuple[Req, ...] = ()
    needs_async: bool = False


@dataclass(frozen=True)
class Result:
    """What a client sees of a response, reduced to values that compare with ``==``."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    extra: Mapping[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name.lower()]


def _normalise_headers(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    # Header names are case-insensitive and their relative order (across different names)
    # carries no meaning; the order of repeated headers such as Set-Cookie does, and a stable
    # sort keeps it. Flask builds Allow from a set, so its method order changes with
    # PYTHONHASHSEED: the methods are compared as a sorted list, which is all a client can rely on.
    normalised = []
    for key, value in pairs:
        key = key.lower()
        if key == "allow":
            value = ", ".join(sorted(method.strip() for method in value.split(",")))
        elif key == "set-cookie":
            value = _normalise_cookie_expiry(value)
        normalised.append((key, value))
    return tuple(sorted(normalised, key=lambda kv: kv[0]))


_MAX_AGE = re.compile(r"; Max-Age=(\d+)")
_EXPIRES = re.compile(r"; Expires=([^;]+)")
#: Seconds that may pass between rendering a cookie and checking it.
_CLOCK_SLACK = 5


def _normalise_cookie_expiry(value: str) -> str:
    """Replace an Expires derived from Max-Age by a marker, after checking it is right.

    With ``max_age`` both frameworks write ``Expires = now + Max-Age``, so the two answers
    can differ by the second that ticked between them. The date is checked here against the
    clock instead, and a fixed marker is compared in its place.
    """
    max_age = _MAX_AGE.search(value)
    expires = _EXPIRES.search(value)
    if max_age is None or expires is None or int(max_age.group(1)) == 0:
        return value
    when = email.utils.parsedate_to_datetime(expires.group(1)).timestamp()
    expected = time.time() + int(max_age.group(1))
    assert abs(when - expected) <= _CLOCK_SLACK, f"Expires does not follow Max-Age: {value}"
    return value[: expires.start()] + "; Expires=<now + Max-Age>" + value[expires.end() :]


def _cookie_pairs(header: str) -> list[tuple[str, str]]:
    pairs = []
    for item in header.split(";"):
        name, _, value = item.strip().partition("=")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        pairs.append((name, value))
    return pairs


def run_client(app: Any, req: Req) -> Result:
    """Send ``req`` through the app's own test client, the way a Flask test would.

    A ``Cookie`` header is handed to the client's cookie jar with ``set_cookie``, as a Flask
    test does: the client writes the jar over any ``Cookie`` header it is given. The raw
    header, quoting included, reaches the apps unchanged in :func:`run_wsgi`.
    """
    client = app.test_client()
    headers = []
    for name, value in req.headers:
        if name.lower() == "cookie":
            for cookie_name, cookie_value in _cookie_pairs(value):
                client.set_cookie(cookie_name, cookie_value)
        else:
            headers.append((name, value))
    response = client.open(req.path, method=req.method, headers=headers, data=req.body)
    try:
        return Result(
            response.status_code, _normalise_headers(response.headers.items()), response.data
        )
    finally:
        response.close()


def build_environ(req: Req) -> dict[str, Any]:
    """A complete WSGI environ for ``req``, built with the standard library only.

    Neither framework's environ builder is used, so the WSGI check cannot inherit a
    convenience either test client adds.
    """
    from urllib.parse import unquote_to_bytes
    from wsgiref.util import setup_testing_defaults

    path, _, query = req.path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": req.method,
        # PEP 3333: PATH_INFO is the percent-decoded path as latin-1 text.
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "SCRIPT_NAME": "",
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(req.body),
        "wsgi.errors": io.StringIO(),
    }
    if req.body:
        environ["CONTENT_LENGTH"] = str(len(req.body))
    given: set[str] = set()
    for name, value in req.headers:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            key = f"HTTP_{key}"
            # A header the request gives replaces the default; a repeated one is joined.
            environ[key] = f"{environ[key]},{value}" if key in given else value
            given.add(key)
    setup_testing_defaults(environ)
    return environ


def run_wsgi(app: Any, req: Req, validate: bool = True) -> Result:
    """Call the app through :func:`wsgiref.validate.validator`, which asserts PEP 3333.

    The validator checks the environ, ``start_response`` arguments, header types, the body
    iterable and that ``close()`` is called; any breach raises ``AssertionError`` (or, for
    softer breaches, a ``WSGIWarning`` that the suite turns into an error).
    """
    captured: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        captured["status"] = status
        captured["headers"] = headers
        return lambda data: None

    environ = build_environ(req)
    errors = environ["wsgi.errors"]
    wsgi_app = wsgiref.validate.validator(app) if validate else app
    iterable = wsgi_app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        iterable.close()  # type: ignore[union-attr]  # the validator's iterator has close()
    status_line: str = captured["status"]
    return Result(
        int(status_line[:3]),
        _normalise_headers(captured["headers"]),
        body,
        {"status_line": status_line, "errors": errors.getvalue()},
    )


# -- checks shared by the test modules ------------------------------------------------------


def _send_all(app: Any, case: Case, send: Callable[[Any, Req], Result]) -> Result:
    for prior in case.prior:
        send(app, prior)
    return send(app, case.req)


def _skip_reason(case: Case, framework: Framework) -> str | None:
    if case.needs_async and asgiref_missing():
        return "Flask runs async views only with asgiref (pip install 'flask[async]')"
    if framework == "kolba":
        return kolba_import_error()
    return None


def _assert_flask_expectation(case: Case, result: Result) -> None:
    assert result.status == case.status, (result.status, result.body[:300])
    assert case.contains in result.body, result.body[:300]


def _assert_same(app_name: str, case: Case, flask: Result, kolba: Result) -> None:
    from .differences import DIFFERENCES, Difference

    allowed = DIFFERENCES.get(f"{app_name}::{case.id}", Difference(reason=""))
    assert kolba.status == flask.status, f"status: Kolba {kolba.status}, Flask {flask.status}"
    if "status_line" in flask.extra and not allowed.status_line:
        assert kolba.extra["status_line"] == flask.extra["status_line"]
    if not allowed.body:
        assert kolba.body == flask.body
    kolba_headers = [(k, v) for k, v in kolba.headers if k not in allowed.headers]
    flask_headers = [(k, v) for k, v in flask.headers if k not in allowed.headers]
    assert kolba_headers == flask_headers


def check_flask(app_name: str, case: Case) -> None:
    """Flask answers the case as the table says: the table itself is right."""
    import pytest

    reason = _skip_reason(case, "flask")
    if reason:
        pytest.skip(reason)
    _assert_flask_expectation(case, _send_all(load_app(app_name, "flask"), case, run_client))


def check_kolba_matches_flask(app_name: str, case: Case) -> None:
    """The migrated app answers exactly as the Flask original, through each test client."""
    import pytest

    reason = _skip_reason(case, "kolba")
    if reason:
        pytest.skip(reason)
    flask = _send_all(load_app(app_name, "flask"), case, run_client)
    kolba = _send_all(load_app(app_name, "kolba"), case, run_client)
    _assert_same(app_name, case, flask, kolba)


def check_wsgi(app_name: str, case: Case, framework: Framework) -> None:
    """Both builds honour PEP 3333 for the case; Kolba's raw WSGI answer equals Flask's."""
    import pytest

    reason = _skip_reason(case, framework)
    if reason:
        pytest.skip(reason)
    from .differences import FLASK_WSGI_BREACHES

    breach = FLASK_WSGI_BREACHES.get(f"{app_name}::{case.id}")
    if breach is None:
        flask = _send_all(load_app(app_name, "flask"), case, run_wsgi)
    else:
        # Flask itself breaks the contract here: prove it still does (so the entry cannot go
        # stale), then compare Kolba against Flask's unvalidated answer.
        with pytest.raises(AssertionError, match=breach.match):
            _send_all(load_app(app_name, "flask"), case, run_wsgi)
        flask = _send_all(
            load_app(app_name, "flask"), case, lambda app, req: run_wsgi(app, req, False)
        )
    _assert_flask_expectation(case, flask)
    if framework == "kolba":
        kolba = _send_all(load_app(app_name, "kolba"), case, run_wsgi)
        _assert_same(app_name, case, flask, kolba)
