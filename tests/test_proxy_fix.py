"""kolba.middleware.ProxyFix: X-Forwarded-* behind N proxies, through a Kolba app and the client."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix as WerkzeugProxyFix
from werkzeug.test import EnvironBuilder

from kolba import Kolba, redirect, request, url_for
from kolba.middleware import Forwarded, ProxyFix, resolve_forwarded
from kolba.middleware.proxy_fix import ORIG_KEY


@pytest.fixture
def proxied(app: Kolba) -> Kolba:
    @app.route("/")
    def info() -> t.Any:
        return {
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "is_secure": request.is_secure,
            "host": request.host,
            "script_root": request.script_root,
            "url": request.url,
            "external": url_for("info", _external=True),
            "orig": request.environ[ORIG_KEY],
        }

    @app.route("/go")
    def go() -> t.Any:
        return redirect(url_for("info"))

    return app


def fetch(app: Kolba, headers: dict[str, str] | None = None, **kw: int) -> dict[str, t.Any]:
    orig = app.wsgi_app
    app.wsgi_app = ProxyFix(orig, **kw)  # type: ignore[method-assign]
    try:
        rv = app.test_client().get(
            "/", headers=headers or {}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
        )
    finally:
        app.wsgi_app = orig  # type: ignore[method-assign]
    assert rv.status_code == 200
    return t.cast(dict[str, t.Any], rv.get_json())


def test_defaults_trust_one_for_and_proto(proxied: Kolba) -> None:
    data = fetch(
        proxied,
        {
            "X-Forwarded-For": "192.0.2.7",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Prefix": "/evil",
        },
    )
    assert data["remote_addr"] == "192.0.2.7"
    assert data["is_secure"] is True
    assert data["host"] == "localhost"
    assert data["script_root"] == ""
    assert data["external"] == "https://localhost/"
    assert data["orig"] == {
        "REMOTE_ADDR": "10.0.0.2",
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "localhost",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SCRIPT_NAME": "",
    }


def test_no_headers_changes_nothing(proxied: Kolba) -> None:
    data = fetch(proxied)
    assert data["remote_addr"] == "10.0.0.2"
    assert data["scheme"] == "http"
    assert data["url"] == "http://localhost/"


def test_all_headers(proxied: Kolba) -> None:
    data = fetch(
        proxied,
        {
            "X-Forwarded-For": "192.0.2.7",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "example.com",
            "X-Forwarded-Port": "8443",
            "X-Forwarded-Prefix": "/app",
        },
        x_for=1,
        x_proto=1,
        x_host=1,
        x_port=1,
        x_prefix=1,
    )
    assert data["host"] == "example.com:8443"
    assert data["script_root"] == "/app"
    assert data["url"] == "https://example.com:8443/app/"
    assert data["external"] == "https://example.com:8443/app/"


def test_redirect_uses_forwarded_prefix(proxied: Kolba) -> None:
    proxied.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        proxied.wsgi_app, x_host=1, x_prefix=1
    )
    rv = proxied.test_client().get(
        "/go", headers={"X-Forwarded-Host": "example.com", "X-Forwarded-Prefix": "/app"}
    )
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/app/"


def test_host_with_port_sets_server_port(proxied: Kolba) -> None:
    data = fetch(proxied, {"X-Forwarded-Host": "example.com:8080"}, x_host=1)
    assert data["host"] == "example.com:8080"
    assert data["external"] == "http://example.com:8080/"


def test_port_alone_replaces_host_port(proxied: Kolba) -> None:
    data = fetch(proxied, {"X-Forwarded-Port": "8080"}, x_port=1)
    assert data["host"] == "localhost:8080"
    data = fetch(proxied, {"X-Forwarded-Port": "443", "X-Forwarded-Proto": "https"}, x_port=1)
    assert data["host"] == "localhost"
    assert data["url"] == "https://localhost/"


def test_ipv6_host(proxied: Kolba) -> None:
    data = fetch(
        proxied, {"X-Forwarded-Host": "[::1]", "X-Forwarded-Port": "81"}, x_host=1, x_port=1
    )
    assert data["host"] == "[::1]:81"


@pytest.mark.parametrize(
    ("header", "count", "expected"),
    [
        ("1.1.1.1, 2.2.2.2, 3.3.3.3", 1, "3.3.3.3"),
        ("1.1.1.1, 2.2.2.2, 3.3.3.3", 2, "2.2.2.2"),
        ("1.1.1.1, 2.2.2.2, 3.3.3.3", 3, "1.1.1.1"),
        ("spoofed, 2.2.2.2, 3.3.3.3", 2, "2.2.2.2"),
        ("2.2.2.2, 3.3.3.3", 3, "10.0.0.2"),
        ("1.1.1.1,,3.3.3.3", 2, "1.1.1.1"),
        ("1.1.1.1", 0, "10.0.0.2"),
    ],
)
def test_for_count_rule(proxied: Kolba, header: str, count: int, expected: str) -> None:
    data = fetch(proxied, {"X-Forwarded-For": header}, x_for=count)
    assert data["remote_addr"] == expected


def test_spoofed_proto_before_proxy_ignored(proxied: Kolba) -> None:
    data = fetch(proxied, {"X-Forwarded-Proto": "https, http"}, x_proto=1)
    assert data["is_secure"] is False
    data = fetch(proxied, {"X-Forwarded-Proto": "https, http"}, x_proto=2)
    assert data["is_secure"] is True


@pytest.mark.parametrize(
    ("headers", "kw"),
    [
        ({"X-Forwarded-Proto": "javascript"}, {}),
        ({"X-Forwarded-Proto": "ftp"}, {}),
        ({"X-Forwarded-For": "1.2.3.4\x7f"}, {}),
        ({"X-Forwarded-Host": "example.com evil.com"}, {"x_host": 1}),
        ({"X-Forwarded-Host": "a@b.com"}, {"x_host": 1}),
        ({"X-Forwarded-Host": "example.com/path"}, {"x_host": 1}),
        ({"X-Forwarded-Host": "example.com:99999"}, {"x_host": 1}),
        ({"X-Forwarded-Host": "example.com:0"}, {"x_host": 1}),
        ({"X-Forwarded-Host": "example.com:"}, {"x_host": 1}),
        ({"X-Forwarded-Port": "http"}, {"x_port": 1}),
        ({"X-Forwarded-Port": "70000"}, {"x_port": 1}),
        ({"X-Forwarded-Port": "-1"}, {"x_port": 1}),
        ({"X-Forwarded-Prefix": "app"}, {"x_prefix": 1}),
        ({"X-Forwarded-Prefix": "//evil.com"}, {"x_prefix": 1}),
        ({"X-Forwarded-Prefix": "/a b"}, {"x_prefix": 1}),
    ],
)
def test_bad_values_ignored(proxied: Kolba, headers: dict[str, str], kw: dict[str, int]) -> None:
    data = fetch(proxied, headers, **kw)
    assert data["remote_addr"] == "10.0.0.2"
    assert data["url"] == "http://localhost/"


def test_server_environ_left_alone() -> None:
    seen: list[dict[str, t.Any]] = []

    def inner(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        seen.append(environ)
        start_response("200 OK", [])
        return [b""]

    environ = EnvironBuilder(headers=[("X-Forwarded-For", "1.2.3.4")]).get_environ()
    environ["REMOTE_ADDR"] = "10.0.0.2"
    ProxyFix(inner)(environ, lambda *a: lambda b: None)
    assert environ["REMOTE_ADDR"] == "10.0.0.2"
    assert ORIG_KEY not in environ
    assert seen[0]["REMOTE_ADDR"] == "1.2.3.4"
    assert seen[0][ORIG_KEY]["REMOTE_ADDR"] == "10.0.0.2"


def test_resolve_forwarded_is_sans_io() -> None:
    assert resolve_forwarded() == Forwarded()
    fwd = resolve_forwarded(
        forwarded_for="a, b",
        forwarded_proto="HTTPS",
        forwarded_host="example.org",
        forwarded_port="8000",
        forwarded_prefix="/p",
        host="internal:5000",
        x_for=2,
        x_host=1,
        x_port=1,
        x_prefix=1,
    )
    assert fwd == Forwarded(
        remote_addr="a",
        scheme="https",
        host="example.org:8000",
        server_name="example.org",
        server_port="8000",
        prefix="/p",
    )
    assert resolve_forwarded(forwarded_port="8000", host="internal:5000", x_port=1) == Forwarded(
        host="internal:8000", server_port="8000"
    )
    assert resolve_forwarded(forwarded_port="8000", x_port=1) == Forwarded(server_port="8000")


# -- Werkzeug differential: same environ in, same values out ---------------------------------------

_KEYS = ("REMOTE_ADDR", "wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")


def _run(middleware: t.Any, headers: dict[str, str], kw: dict[str, int]) -> dict[str, t.Any]:
    seen: dict[str, t.Any] = {}

    def inner(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        seen.update({k: environ.get(k) for k in _KEYS})
        return []

    environ = EnvironBuilder(
        base_url="http://internal:5000/", headers=list(headers.items())
    ).get_environ()
    environ["REMOTE_ADDR"] = "10.0.0.2"
    middleware(inner, **kw)(environ, None)
    return seen


@pytest.mark.parametrize(
    ("headers", "kw"),
    [
        ({}, {}),
        ({"X-Forwarded-For": "1.1.1.1, 2.2.2.2"}, {"x_for": 2}),
        ({"X-Forwarded-For": "2.2.2.2"}, {"x_for": 2}),
        ({"X-Forwarded-Proto": "https"}, {}),
        ({"X-Forwarded-Host": "example.com"}, {"x_host": 1}),
        ({"X-Forwarded-Host": "example.com:8080"}, {"x_host": 1}),
        ({"X-Forwarded-Host": "[::1]:8080"}, {"x_host": 1}),
        ({"X-Forwarded-Port": "8443"}, {"x_port": 1}),
        (
            {"X-Forwarded-Host": "a.example, b.example", "X-Forwarded-Port": "81, 82"},
            {"x_host": 2, "x_port": 1},
        ),
        ({"X-Forwarded-Prefix": "/x, /app"}, {"x_prefix": 1}),
        (
            {
                "X-Forwarded-For": "1.1.1.1",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "example.com",
                "X-Forwarded-Port": "443",
                "X-Forwarded-Prefix": "/app",
            },
            {"x_for": 1, "x_proto": 1, "x_host": 1, "x_port": 1, "x_prefix": 1},
        ),
    ],
)
def test_same_as_werkzeug(headers: dict[str, str], kw: dict[str, int]) -> None:
    assert _run(ProxyFix, headers, kw) == _run(WerkzeugProxyFix, headers, kw)
