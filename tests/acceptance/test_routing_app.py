"""Routing acceptance: converters, methods, slashes, redirects and URL building.

Each case runs on Flask (asserting the table's expectation) and, once ``kolba.Kolba`` imports,
on the migrated app, asserting the identical status, headers and body.
"""

from __future__ import annotations

import pytest

from .harness import Case, Framework, check_flask, check_kolba_matches_flask, check_wsgi, get
from .harness import request as req

APP = "routing_app"
UUID = "a8098c1a-f86e-11da-bd1a-00112444be1e"

CASES = [
    Case("index", get("/"), 200, b"Index Page"),
    Case("static", get("/hello"), 200, b"Hello, World!"),
    Case("string", get("/user/ada"), 200, b"User ada"),
    Case("string-quoted", get("/user/John%20Doe"), 200, b"User John Doe"),
    Case("string-utf8", get("/user/%C5%BC%C3%B3%C5%82w"), 200, "User żółw".encode()),
    Case("string-no-slash", get("/user/a/b"), 404),
    Case("int", get("/post/42"), 200, b"Post 42 (int)"),
    Case("int-zero", get("/post/0"), 200, b"Post 0 (int)"),
    Case("int-leading-zero", get("/post/007"), 200, b"Post 7 (int)"),
    Case("int-negative", get("/post/-1"), 404),
    Case("int-letters", get("/post/abc"), 404),
    Case("int-huge", get("/post/123456789012345678901234567890"), 200, b"Post 1234567890"),
    Case("float", get("/price/9.99"), 200, b"Price 9.99"),
    Case("float-no-dot", get("/price/10"), 404),
    Case("float-negative", get("/price/-1.5"), 404),
    Case("path", get("/path/a/b/c.txt"), 200, b"Subpath a/b/c.txt"),
    Case("path-trailing", get("/path/a/b/"), 200, b"Subpath a/b/"),
    # "/path/" is not the path rule (it needs one character) but the language rule.
    Case("path-empty", get("/path/"), 200, b"index in path: /path/about"),
    Case("uuid", get(f"/item/{UUID}"), 200, b"Item a8098c1af86e11dabd1a00112444be1e"),
    Case("uuid-upper", get(f"/item/{UUID.upper()}"), 200, b"Item a8098c1a"),
    Case("uuid-bad", get("/item/not-a-uuid"), 404),
    Case("any-about", get("/page/about"), 200, b"Page about"),
    Case("any-quoted", get("/page/contact-us"), 200, b"Page contact-us"),
    Case("any-other", get("/page/other"), 404),
    Case("length-exact", get("/code/abc"), 200, b"Code abc"),
    Case("length-short", get("/code/ab"), 404),
    Case("length-long", get("/code/abcd"), 404),
    Case("minmax-ok", get("/short/abcd"), 200, b"Word abcd"),
    Case("minmax-short", get("/short/a"), 404),
    Case("minmax-long", get("/short/abcde"), 404),
    Case("custom-converter", get("/tags/a,b,c"), 200, b"Tags a|b|c -> /tags/a,b,c"),
    Case("slash-redirect", get("/projects"), 308, b"/projects/"),
    Case("slash-redirect-query", get("/projects?x=1&y=2"), 308),
    # The slash redirect is only offered to a method the canonical rule accepts.
    Case("slash-redirect-post", req("POST", "/projects", body=b"a=1"), 404),
    Case("slash-canonical", get("/projects/"), 200, b"The project page"),
    Case("about-slash-is-lang", get("/about/"), 200, b"index in about: /about/about"),
    Case("not-found", get("/no/such/page"), 404, b"Not Found"),
    Case("lang-slash-redirect", get("/fr"), 308),
    Case("methods-get", get("/login"), 200, b"show_the_login_form"),
    Case("methods-post", req("POST", "/login"), 200, b"do_the_login"),
    Case("methods-405", req("PUT", "/login"), 405, b"Method Not Allowed"),
    Case("methods-405-static", req("POST", "/hello"), 405),
    Case("methods-405-dynamic", req("DELETE", "/post/1"), 405),
    Case("shortcut-get", get("/thing"), 200, b"get thing"),
    Case("shortcut-post", req("POST", "/thing"), 201, b"post thing"),
    Case("shortcut-delete", req("DELETE", "/thing"), 204),
    Case("shortcut-405", req("PATCH", "/thing"), 405),
    Case("head", req("HEAD", "/hello"), 200),
    Case("head-dynamic", req("HEAD", "/post/3"), 200),
    Case("head-404", req("HEAD", "/no/such/page"), 404),
    Case("options", req("OPTIONS", "/login"), 200),
    Case("options-shortcuts", req("OPTIONS", "/thing"), 200),
    Case("options-404", req("OPTIONS", "/no/such/page"), 404),
    Case("url-for", get("/urls"), 200, b"/user/John%20Doe\n/post/42?page=2&tag=a&tag=b"),
    Case("redirect-url-for", get("/old"), 302, b"/hello"),
    Case("redirect-301", get("/moved"), 301),
    Case("redirect-external", get("/external"), 302, b"https://example.com/path?x=1"),
    Case("abort-403", get("/private"), 403, b"Forbidden"),
    Case("lang-index", get("/de/"), 200, b"index in de: /de/about"),
    Case("lang-about", get("/en/about"), 200, b"about in en: /en/ /hello"),
    Case("host-header", get("/urls", ("Host", "example.org:8080")), 200, b"http://example.org"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_flask_answers_as_tabled(case: Case) -> None:
    check_flask(APP, case)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_kolba_matches_flask(case: Case) -> None:
    check_kolba_matches_flask(APP, case)


@pytest.mark.parametrize("framework", ["flask", "kolba"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_wsgi_contract(case: Case, framework: Framework) -> None:
    check_wsgi(APP, case, framework)
