"""Subdomain and host matching, built the same way on Kolba and Flask and compared.

Matching by subdomain needs ``SERVER_NAME`` to know where the subdomain ends; matching by host
puts the whole host in the rule. Both change how URLs are built: a rule on another host must
come out absolute.
"""

# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import typing as t
import warnings
from types import ModuleType

import flask
import pytest

import kolba

FRAMEWORKS = [kolba, flask]


def _app_class(mod: ModuleType) -> t.Any:
    return flask.Flask if mod is flask else kolba.Kolba


def subdomain_app(mod: ModuleType) -> t.Any:
    """An app with a root-domain rule, a fixed ``api`` subdomain and a ``<user>`` subdomain."""
    app = _app_class(mod)("subapp", subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/")
    def index() -> str:
        return "index"

    @app.route("/", subdomain="api", methods=["GET", "POST"])
    def api_index() -> str:
        return f"api {mod.url_for('user', user='bob', _external=True)}"

    @app.route("/u", subdomain="<user>")
    def user(user: str) -> str:
        return f"user {user} {mod.url_for('api_index')}"

    @app.route("/here", subdomain="<user>")
    def here(user: str) -> str:
        return f"{mod.url_for('user', user=user)} {mod.url_for('user', user='other')}"

    return app


def _get(app: t.Any, url: str, base: str, method: str = "GET") -> tuple[int, bytes, t.Any]:
    # Flask warns when the host is not under SERVER_NAME; Kolba does not. The status and body
    # are what is compared.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        r = app.test_client().open(url, method=method, base_url=base)
    return r.status_code, r.data, r.headers


@pytest.mark.parametrize(
    ("url", "base", "status", "body"),
    [
        ("/", "http://example.test", 200, b"index"),
        ("/", "http://EXAMPLE.test", 200, b"index"),
        ("/", "http://api.example.test", 200, b"api http://bob.example.test/u"),
        ("/u", "http://bob.example.test", 200, b"user bob http://api.example.test/"),
        ("/u", "http://x.y.example.test", 200, b"user x.y http://api.example.test/"),
        ("/here", "http://ann.example.test", 200, b"/u http://other.example.test/u"),
        ("/", "http://x.api.example.test", 404, None),
        ("/", "http://other.test", 404, None),
        ("/u", "http://example.test", 404, None),
    ],
)
def test_subdomain_routes_match_like_flask(
    url: str, base: str, status: int, body: bytes | None
) -> None:
    k = _get(subdomain_app(kolba), url, base)
    f = _get(subdomain_app(flask), url, base)
    assert k[0] == f[0] == status
    if body is not None:
        assert k[1] == f[1] == body
    else:
        assert k[1] == f[1]


def test_unknown_host_fills_user_subdomain_like_flask() -> None:
    # Werkzeug's quirk, kept: a host outside SERVER_NAME is the subdomain "<invalid>", which a
    # ``<user>`` rule happily accepts.
    k = _get(subdomain_app(kolba), "/u", "http://other.test")
    f = _get(subdomain_app(flask), "/u", "http://other.test")
    assert k[:2] == f[:2] == (200, b"user <invalid> http://api.example.test/")


@pytest.mark.parametrize("base", ["http://bob.example.test", "http://api.example.test"])
def test_root_rule_from_subdomain_request_is_absolute(base: str) -> None:
    for mod in FRAMEWORKS:
        app = subdomain_app(mod)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            with app.test_request_context("/", base_url=base):
                assert mod.url_for("index") == "http://example.test/", mod.__name__


@pytest.mark.parametrize(
    ("base", "allow"),
    [
        ("http://api.example.test", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("http://example.test", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_automatic_options_lists_the_subdomains_methods(base: str, allow: set[str]) -> None:
    for mod in FRAMEWORKS:
        status, body, headers = _get(subdomain_app(mod), "/", base, method="OPTIONS")
        assert (status, body) == (200, b""), mod.__name__
        assert set(headers["Allow"].split(", ")) == allow, mod.__name__


def test_url_for_outside_request_uses_server_name() -> None:
    for mod in FRAMEWORKS:
        app = subdomain_app(mod)
        with app.app_context():
            assert mod.url_for("user", user="ann") == "http://ann.example.test/u"
            assert mod.url_for("api_index") == "http://api.example.test/"
            assert mod.url_for("index") == "http://example.test/"
            assert mod.url_for("index", _external=False) == "/"


def test_url_for_inside_subdomain_request() -> None:
    for mod in FRAMEWORKS:
        app = subdomain_app(mod)
        with app.test_request_context("/", base_url="http://api.example.test"):
            assert mod.url_for("api_index") == "/"
            assert mod.url_for("api_index", _external=True) == "http://api.example.test/"
            assert mod.url_for("user", user="ann") == "http://ann.example.test/u"


def test_subdomain_matching_without_server_name_ignores_subdomains() -> None:
    for mod in FRAMEWORKS:
        app = _app_class(mod)("nosrv", subdomain_matching=True)

        @app.route("/")
        def index() -> str:
            return "index"

        @app.route("/api", subdomain="api")
        def api() -> str:
            return "api"

        c = app.test_client()
        assert c.get("/", base_url="http://api.anything.test").status_code == 200, mod.__name__
        assert c.get("/api", base_url="http://api.anything.test").status_code == 404


# --- host matching ------------------------------------------------------------------------------


def host_app(mod: ModuleType) -> t.Any:
    app = _app_class(mod)("hostapp", host_matching=True, static_host="static.test")

    @app.route("/", host="a.test")
    def a() -> str:
        return f"a {mod.url_for('b', name='n')} {mod.url_for('a2')}"

    @app.route("/x", host="a.test")
    def a2() -> str:
        return "a2"

    @app.route("/", host="<name>.b.test", methods=["PUT"])
    def b(name: str) -> str:
        return "b " + name

    return app


@pytest.mark.parametrize(
    ("method", "url", "base", "status", "body"),
    [
        ("GET", "/", "http://a.test", 200, b"a http://n.b.test/ /x"),
        ("GET", "/x", "http://A.TEST", 200, b"a2"),
        ("PUT", "/", "http://q.b.test", 200, b"b q"),
        ("GET", "/", "http://q.b.test", 405, None),
        ("GET", "/", "http://c.test", 404, None),
        ("GET", "/x", "http://q.b.test", 404, None),
    ],
)
def test_host_rules_match_like_flask(
    method: str, url: str, base: str, status: int, body: bytes | None
) -> None:
    k = _get(host_app(kolba), url, base, method)
    f = _get(host_app(flask), url, base, method)
    assert k[0] == f[0] == status
    assert k[1] == f[1]
    if body is not None:
        assert k[1] == body
    if status == 405:
        assert (
            set(k[2]["Allow"].split(", "))
            == set(f[2]["Allow"].split(", "))
            == {
                "PUT",
                "OPTIONS",
            }
        )


def test_host_matching_automatic_options() -> None:
    for mod in FRAMEWORKS:
        status, body, headers = _get(host_app(mod), "/", "http://q.b.test", method="OPTIONS")
        assert status == 200
        assert set(headers["Allow"].split(", ")) == {"PUT", "OPTIONS"}, mod.__name__


def test_host_matching_url_for_outside_request_needs_server_name() -> None:
    for mod in FRAMEWORKS:
        app = host_app(mod)
        with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
            mod.url_for("a")


def test_host_matching_url_for_other_host_is_absolute() -> None:
    for mod in FRAMEWORKS:
        app = host_app(mod)
        with app.test_request_context("/", base_url="http://a.test"):
            assert mod.url_for("a2") == "/x"
            assert mod.url_for("a2", _external=True) == "http://a.test/x"
            assert mod.url_for("b", name="z") == "http://z.b.test/"


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=lambda m: m.__name__)
def test_static_host_without_host_matching_is_refused(mod: ModuleType) -> None:
    with pytest.raises(AssertionError, match="Invalid static_host/host_matching combination"):
        _app_class(mod)("x", static_host="static.test")


@pytest.mark.parametrize("mod", FRAMEWORKS, ids=lambda m: m.__name__)
def test_host_matching_without_static_folder_needs_no_static_host(mod: ModuleType) -> None:
    app = _app_class(mod)("x", host_matching=True, static_folder=None)
    assert app.url_map.host_matching is True


def test_host_matching_with_static_folder_needs_static_host() -> None:
    with pytest.raises(AssertionError, match="Invalid static_host/host_matching combination"):
        kolba.Kolba("x", host_matching=True)
