"""In-process WSGI benchmark: Kolba beside Flask, Bottle, Falcon and a bare WSGI function.

Every framework gets an app with the same 30 routes, and its WSGI callable is called directly
with a fresh environ per request, so the numbers measure the framework alone: no server, no
socket, no test client. Run it with ``python benchmarks/bench_inprocess.py``; it needs about
two minutes and prints requests per second per scenario, the Kolba/Flask and Kolba/Falcon
ratios, and the Python function calls one hello request makes. A second table times routing
alone: fresh apps with 20, 200 and 2,000 routes, asked for their first dynamic rule, their
last dynamic rule and a static one (``--no-routing`` skips it; ``--markdown`` prints Markdown).

Two scenarios use a feature of Flask's API (a Jinja template render, a signed cookie session);
they run on Kolba and Flask only, and the frameworks without the feature are listed as skipped
rather than given an app that would measure something else.

To add a scenario, append a :class:`Scenario` to :data:`SCENARIOS` and give every builder in
:data:`BUILDERS` that has its ``feature`` (see :data:`FEATURES`) a route that answers it. To add
a framework, add a builder.
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import functools
import io
import json
import pathlib
import pstats
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

#: Routes every app registers in total: the scenarios' own plus filler up to this count, so a
#: router that scans its rules linearly pays for it as it would in a real app.
ROUTE_COUNT = 30
FORM_BODY = b"name=Ada&colour=blue"
#: The template scenario's user: the name needs escaping, so autoescape is part of the cost.
TEMPLATE_USER = {"name": "Ada <& co>"}
TEMPLATE_ITEMS = 20
#: The session value the benchmark's cookie carries; every timed request reads it and writes
#: it plus one (the cookie sent is the same each time, so each request does the same work).
SESSION_START = 41
SECRET_KEY = "bench-inprocess-secret"
#: The multipart scenario: one 100 KB file field and one text field, as a browser sends them.
UPLOAD_SIZE = 100 * 1024
UPLOAD_NOTE = "holiday photos"
BOUNDARY = "kolba-bench-boundary-7MA4YWxkTrZu0gW"
MULTIPART_BODY = (
    (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\n{UPLOAD_NOTE}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    + bytes(range(256)) * (UPLOAD_SIZE // 256)
    + f"\r\n--{BOUNDARY}--\r\n".encode()
)
BASE_HTML = """<!doctype html>
<html><head><title>{% block title %}{% endblock %} - Bench</title></head>
<body><main>{% block body %}{% endblock %}</main></body></html>
"""
PAGE_HTML = """{% extends "base.html" %}
{% block title %}Items of {{ user.name }}{% endblock %}
{% block body %}<ul>
{% for item in items %}<li id="i{{ item }}">{{ user.name }}: item {{ item }}</li>
{% endfor %}</ul>{% endblock %}
"""


# -- scenarios --------------------------------------------------------------------------------


Headers = list[tuple[str, str]]
Check = Callable[[str, Headers, bytes], None]


def _expect_text(expected: bytes) -> Check:
    def check(status: str, headers: Headers, body: bytes) -> None:
        assert status.startswith("200"), status
        assert body == expected, body

    return check


def _expect_json(expected: object) -> Check:
    # Frameworks format JSON differently (spacing, trailing newline); the value must match.
    def check(status: str, headers: Headers, body: bytes) -> None:
        assert status.startswith("200"), status
        assert json.loads(body) == expected, body

    return check


def _expected_page() -> bytes:
    # Written out by hand rather than rendered with Jinja, so a framework that skipped the
    # layout, the loop or the escaping cannot agree with the benchmark by accident.
    name = "Ada &lt;&amp; co&gt;"
    items = "".join(
        f'<li id="i{item}">{name}: item {item}</li>\n' for item in range(TEMPLATE_ITEMS)
    )
    return (
        "<!doctype html>\n"
        f"<html><head><title>Items of {name} - Bench</title></head>\n"
        f"<body><main><ul>\n{items}</ul></main></body></html>"
    ).encode()


def _expect_not_found(status: str, headers: Headers, body: bytes) -> None:
    # Each framework words its 404 page its own way; the status is what must agree.
    assert status.startswith("404"), status


def _expect_session_write(status: str, headers: Headers, body: bytes) -> None:
    # The body proves the cookie was read; the Set-Cookie header proves the write was saved.
    assert status.startswith("200"), status
    assert body == f"n={SESSION_START}".encode(), body
    cookies = [value for name, value in headers if name.lower() == "set-cookie"]
    assert len(cookies) == 1 and cookies[0].startswith("session="), cookies


@dataclass(frozen=True)
class Scenario:
    """One kind of request, and what a correct answer to it is.

    :param check: called once per framework before timing with the status, headers and body,
        so a framework that answers wrongly (and perhaps cheaply) is reported as broken
        instead of fast.
    :param feature: a framework feature the scenario needs (a key of :data:`FEATURES`);
        frameworks without it are skipped with a note.
    :param prepare: given the built app, returns extra environ entries for every request
        (a session cookie made by the framework itself); run once, outside the timing.
    :param routed: whether the scenario has a route of its own, counted in
        :data:`ROUTE_COUNT` (the 404 has none, by definition).
    """

    name: str
    method: str
    path: str
    query: str
    body: bytes
    content_type: str
    check: Check
    feature: str = ""
    prepare: Callable[[Any], Environ] | None = None
    routed: bool = True


def _session_cookie(app: Any) -> Environ:
    """Make a session cookie holding ``n`` through the framework's own test client.

    Each framework signs its own cookie, so the benchmark does not depend on the two sharing
    a format (they do, which a test checks elsewhere).
    """
    # The key is set only now, for this last scenario: with a secret key Flask opens the
    # session on every request, which would slow its other rows for a feature they never use.
    app.secret_key = SECRET_KEY
    client = app.test_client()
    with client.session_transaction() as session:
        session["n"] = SESSION_START
    cookie = client.get_cookie("session")
    assert cookie is not None, "the test client kept no session cookie"
    return {"HTTP_COOKIE": f"session={cookie.value}"}


SCENARIOS = [
    Scenario("hello", "GET", "/hello", "", b"", "", _expect_text(b"Hello, World!")),
    Scenario(
        "json /users/<int>",
        "GET",
        "/users/42",
        "",
        b"",
        "",
        _expect_json({"id": 42, "name": "user42"}),
    ),
    Scenario("query args", "GET", "/search", "q=x&page=2", b"", "", _expect_text(b"q=x page=2")),
    Scenario(
        "form POST",
        "POST",
        "/form",
        "",
        FORM_BODY,
        "application/x-www-form-urlencoded",
        _expect_text(b"name=Ada colour=blue"),
    ),
    Scenario(
        "multipart 100 KB",
        "POST",
        "/upload",
        "",
        MULTIPART_BODY,
        f"multipart/form-data; boundary={BOUNDARY}",
        _expect_text(f"size={UPLOAD_SIZE} note={UPLOAD_NOTE}".encode()),
    ),
    Scenario("404", "GET", "/no/such/page", "", b"", "", _expect_not_found, routed=False),
    Scenario(
        "template render",
        "GET",
        "/page",
        "",
        b"",
        "",
        _expect_text(_expected_page()),
        feature="templates",
    ),
    Scenario(
        "session read+write",
        "GET",
        "/session",
        "",
        b"",
        "",
        _expect_session_write,
        feature="sessions",
        prepare=_session_cookie,
    ),
]

#: Framework name -> the scenario features it has. Bottle has its own template engine and
#: Falcon none; neither has sessions; porting a template to another engine would compare
#: engines, not frameworks.
FEATURES: dict[str, frozenset[str]] = {
    "kolba": frozenset({"templates", "sessions"}),
    "flask": frozenset({"templates", "sessions"}),
}


def filler_count(framework: str) -> int:
    """Filler routes ``framework`` needs so that its app has :data:`ROUTE_COUNT` in all."""
    features = FEATURES.get(framework, frozenset())
    answered = [s for s in SCENARIOS if s.routed and (not s.feature or s.feature in features)]
    return ROUTE_COUNT - len(answered)


def make_environ_factory(scenario: Scenario, extra: Environ | None = None) -> Callable[[], Environ]:
    """Return a function that builds a fresh environ per call, as a server would.

    Only a dict copy and a new input stream happen per request, so the environ's own cost is
    small and the same for every framework.

    :param extra: entries added to every environ (from :attr:`Scenario.prepare`).
    """
    template: Environ = {
        "REQUEST_METHOD": scenario.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": scenario.path,
        "QUERY_STRING": scenario.query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost:8000",
        "HTTP_USER_AGENT": "bench_inprocess",
        "HTTP_ACCEPT": "*/*",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if scenario.body:
        template["CONTENT_TYPE"] = scenario.content_type
        template["CONTENT_LENGTH"] = str(len(scenario.body))
    if extra:
        template.update(extra)
    body = scenario.body

    def factory() -> Environ:
        environ = template.copy()
        environ["wsgi.input"] = io.BytesIO(body)
        return environ

    return factory


# -- apps -------------------------------------------------------------------------------------


@functools.cache
def template_folder() -> str:
    """A temporary folder holding the template scenario's layout and page, removed at exit."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="kolba-bench-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "base.html").write_text(BASE_HTML, encoding="utf-8")
    (folder / "page.html").write_text(PAGE_HTML, encoding="utf-8")
    return str(folder)


def build_flask_like(module_name: str, class_name: str, framework: str) -> WSGIApp:
    """Build the app with Flask's API; Kolba runs the very same code under its own names."""
    module = __import__(module_name)
    app = getattr(module, class_name)(__name__, template_folder=template_folder())
    # Production settings: templates are compiled once and never checked for changes.
    app.config["TEMPLATES_AUTO_RELOAD"] = False
    request, jsonify = module.request, module.jsonify
    render_template, session = module.render_template, module.session

    def filler() -> str:
        return "filler"

    def filler_dynamic(item: int) -> str:
        return "filler"

    def hello() -> str:
        return "Hello, World!"

    def user(id: int) -> Any:
        return jsonify(id=id, name=f"user{id}")

    def search() -> str:
        return f"q={request.args.get('q')} page={request.args.get('page', 1, type=int)}"

    def form() -> str:
        return f"name={request.form['name']} colour={request.form['colour']}"

    def upload() -> str:
        size = len(request.files["file"].read())
        return f"size={size} note={request.form['note']}"

    def page() -> str:
        return render_template(  # type: ignore[no-any-return]
            "page.html", items=range(TEMPLATE_ITEMS), user=TEMPLATE_USER
        )

    def counter() -> str:
        n: int = session.get("n", 0)
        session["n"] = n + 1
        return f"n={n}"

    app.add_url_rule("/hello", view_func=hello)
    app.add_url_rule("/users/<int:id>", view_func=user)
    app.add_url_rule("/search", view_func=search)
    app.add_url_rule("/form", view_func=form, methods=["POST"])
    app.add_url_rule("/upload", view_func=upload, methods=["POST"])
    app.add_url_rule("/page", view_func=page)
    app.add_url_rule("/session", view_func=counter)
    for number in range(filler_count(framework)):
        if number % 2:
            app.add_url_rule(f"/static/{number}", f"filler{number}", filler)
        else:
            app.add_url_rule(f"/dynamic{number}/<int:item>", f"filler{number}", filler_dynamic)
    return app  # type: ignore[no-any-return]


def build_kolba() -> WSGIApp:
    return build_flask_like("kolba", "Kolba", "kolba")


def build_flask() -> WSGIApp:
    return build_flask_like("flask", "Flask", "flask")


def build_bottle() -> WSGIApp:
    import bottle  # type: ignore[import-untyped]

    # Bottle refuses bodies over MEMFILE_MAX (100 KB) in a multipart form with "Memory limit
    # reached" (400); an app that takes uploads raises it, as the docs say to. 1 MiB keeps the
    # body in memory, as the other frameworks do at this size.
    bottle.BaseRequest.MEMFILE_MAX = 1024 * 1024
    app = bottle.Bottle()
    request = bottle.request

    @app.get("/hello")  # type: ignore[untyped-decorator]
    def hello() -> str:
        return "Hello, World!"

    @app.get("/users/<id:int>")  # type: ignore[untyped-decorator]
    def user(id: int) -> dict[str, Any]:
        return {"id": id, "name": f"user{id}"}

    @app.get("/search")  # type: ignore[untyped-decorator]
    def search() -> str:
        return f"q={request.query.get('q')} page={int(request.query.get('page', 1))}"

    @app.post("/form")  # type: ignore[untyped-decorator]
    def form() -> str:
        return f"name={request.forms.get('name')} colour={request.forms.get('colour')}"

    @app.post("/upload")  # type: ignore[untyped-decorator]
    def upload() -> str:
        size = len(request.files.get("file").file.read())
        return f"size={size} note={request.forms.get('note')}"

    for number in range(filler_count("bottle")):
        if number % 2:
            app.route(f"/static/{number}", callback=lambda: "filler")
        else:
            app.route(f"/dynamic{number}/<item:int>", callback=lambda item: "filler")
    return app  # type: ignore[no-any-return]


def build_falcon() -> WSGIApp:
    import falcon

    class Hello:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = "Hello, World!"

    class User:
        def on_get(self, req: Any, resp: Any, id: int) -> None:
            resp.media = {"id": id, "name": f"user{id}"}

    class Search:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = f"q={req.get_param('q')} page={req.get_param_as_int('page', default=1)}"

    class Form:
        def on_post(self, req: Any, resp: Any) -> None:
            form = req.get_media()
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = f"name={form['name']} colour={form['colour']}"

    class Upload:
        def on_post(self, req: Any, resp: Any) -> None:
            size, note = 0, ""
            for part in req.get_media():
                if part.name == "file":
                    size = len(part.stream.read())
                elif part.name == "note":
                    note = part.text
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = f"size={size} note={note}"

    class Filler:
        def on_get(self, req: Any, resp: Any, item: int = 0) -> None:
            resp.text = "filler"

    app = falcon.App()
    app.add_route("/hello", Hello())
    app.add_route("/users/{id:int}", User())
    app.add_route("/search", Search())
    app.add_route("/form", Form())
    app.add_route("/upload", Upload())
    for number in range(filler_count("falcon")):
        if number % 2:
            app.add_route(f"/static/{number}", Filler())
        else:
            app.add_route(f"/dynamic{number}/{{item:int}}", Filler())
    return app


def build_bare() -> WSGIApp:
    """The floor: the least a WSGI app can do for these requests, with no framework."""
    text_headers = [("Content-Type", "text/plain; charset=utf-8")]
    json_headers = [("Content-Type", "application/json")]
    static: dict[str, Callable[[Environ], tuple[list[tuple[str, str]], bytes]]] = {}

    def hello(environ: Environ) -> tuple[list[tuple[str, str]], bytes]:
        return text_headers, b"Hello, World!"

    def search(environ: Environ) -> tuple[list[tuple[str, str]], bytes]:
        args = parse_qs(environ["QUERY_STRING"])
        return text_headers, f"q={args['q'][0]} page={int(args['page'][0])}".encode()

    def form(environ: Environ) -> tuple[list[tuple[str, str]], bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        fields = parse_qs(environ["wsgi.input"].read(length).decode())
        return text_headers, f"name={fields['name'][0]} colour={fields['colour'][0]}".encode()

    def upload(environ: Environ) -> tuple[list[tuple[str, str]], bytes]:
        # The least a multipart parser can do: split on the boundary, take each part's name.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        boundary = b"--" + environ["CONTENT_TYPE"].split("boundary=", 1)[1].encode()
        fields: dict[bytes, bytes] = {}
        for part in body.split(boundary)[1:-1]:
            head, _, data = part.partition(b"\r\n\r\n")
            fields[head.split(b'name="', 1)[1].split(b'"', 1)[0]] = data[:-2]
        note = fields[b"note"].decode()
        return text_headers, f"size={len(fields[b'file'])} note={note}".encode()

    static["/hello"] = hello
    static["/search"] = search
    static["/form"] = form
    static["/upload"] = upload
    for number in range(filler_count("bare-wsgi")):
        static[f"/static/{number}"] = lambda environ: (text_headers, b"filler")

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ["PATH_INFO"]
        handler = static.get(path)
        if handler is not None:
            headers, body = handler(environ)
        elif path.startswith("/users/") and path[7:].isdigit():
            id = int(path[7:])
            headers, body = json_headers, json.dumps({"id": id, "name": f"user{id}"}).encode()
        else:
            start_response("404 Not Found", text_headers)
            return [b"not found"]
        start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return app


#: Framework name -> builder; a builder whose framework is missing raises ImportError.
BUILDERS: dict[str, Callable[[], WSGIApp]] = {
    "kolba": build_kolba,
    "flask": build_flask,
    "bottle": build_bottle,
    "falcon": build_falcon,
    "bare-wsgi": build_bare,
}


# -- routing at scale -------------------------------------------------------------------------

#: Route counts of the routing table; each size is a fresh app per framework.
ROUTING_SIZES = (20, 200, 2000)


def routing_rules(count: int) -> list[tuple[str, str]]:
    """``count`` (rule, endpoint) pairs in Flask's syntax, shaped like a REST API's.

    Five rules per resource, two static and three dynamic with converters, all under one
    ``/api`` prefix, so the routers see shared prefixes and static segments beside converters
    at the same depth, as they do in a real app.
    """
    rules: list[tuple[str, str]] = []
    for k in range(count // 5):
        rules += [
            (f"/api/r{k}", f"list{k}"),
            (f"/api/r{k}/new", f"new{k}"),
            (f"/api/r{k}/<int:id>", f"show{k}"),
            (f"/api/r{k}/<int:id>/edit", f"edit{k}"),
            (f"/api/r{k}/<int:id>/items/<name>", f"item{k}"),
        ]
    return rules


def routing_scenarios(count: int) -> list[Scenario]:
    """The first dynamic rule added, the last one, and the last static one, at ``count``.

    The last rules are the ones a linear scan reaches last, so a router that grows with the
    route count shows it there; the int converter's answer is checked by its ``repr``.
    """
    last = count // 5 - 1
    return [
        Scenario(
            f"{count}: first dynamic", "GET", "/api/r0/7", "", b"", "", _expect_text(b"show0 id=7")
        ),
        Scenario(
            f"{count}: last dynamic",
            "GET",
            f"/api/r{last}/7/items/blue",
            "",
            b"",
            "",
            _expect_text(f"item{last} id=7 name='blue'".encode()),
        ),
        Scenario(
            f"{count}: static",
            "GET",
            f"/api/r{last}/new",
            "",
            b"",
            "",
            _expect_text(f"new{last}".encode()),
        ),
    ]


def route_body(endpoint: str, params: dict[str, Any]) -> str:
    """What every routing view answers: its endpoint and its converted arguments."""
    return endpoint + "".join(f" {key}={value!r}" for key, value in sorted(params.items()))


def convert_rule(rule: str, framework: str) -> str:
    """Rewrite a Flask-syntax rule (``<int:id>``, ``<name>``) in Bottle's or Falcon's."""

    def placeholder(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        if framework == "bottle":
            return f"<{name}:{converter}>" if converter else f"<{name}>"
        return f"{{{name}:{converter}}}" if converter else f"{{{name}}}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", placeholder, rule)


def _text_view(endpoint: str) -> Callable[..., str]:
    def view(**params: Any) -> str:
        return route_body(endpoint, params)

    return view


def build_routing_flask_like(module_name: str, class_name: str, count: int) -> WSGIApp:
    app = getattr(__import__(module_name), class_name)(__name__)
    for rule, endpoint in routing_rules(count):
        app.add_url_rule(rule, endpoint, _text_view(endpoint))
    return app  # type: ignore[no-any-return]


def build_routing_bottle(count: int) -> WSGIApp:
    import bottle

    app = bottle.Bottle()
    for rule, endpoint in routing_rules(count):
        app.route(convert_rule(rule, "bottle"), callback=_text_view(endpoint))
    return app  # type: ignore[no-any-return]


def build_routing_falcon(count: int) -> WSGIApp:
    import falcon

    class Resource:
        def __init__(self, endpoint: str) -> None:
            self.endpoint = endpoint

        def on_get(self, req: Any, resp: Any, **params: Any) -> None:
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = route_body(self.endpoint, params)

    app = falcon.App()
    for rule, endpoint in routing_rules(count):
        app.add_route(convert_rule(rule, "falcon"), Resource(endpoint))
    return app


#: Framework name -> routing app builder; the bare WSGI function has no router to compare.
ROUTING_BUILDERS: dict[str, Callable[[int], WSGIApp]] = {
    "kolba": functools.partial(build_routing_flask_like, "kolba", "Kolba"),
    "flask": functools.partial(build_routing_flask_like, "flask", "Flask"),
    "bottle": build_routing_bottle,
    "falcon": build_routing_falcon,
}


# -- measuring --------------------------------------------------------------------------------


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def call(app: WSGIApp, environ: Environ) -> tuple[str, Headers, bytes]:
    """One full request: call the app, drain the body, close it, as a server must."""
    captured: list[tuple[str, Headers]] = []

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> Any:
        captured.append((status, headers))

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured[0][0], captured[0][1], body


def loop_size(app: WSGIApp, new_environ: Callable[[], Environ], seconds: float) -> int:
    """Warm the app up, then find how many requests take about ``seconds``."""
    start_response = _start_response
    for _ in range(200):  # warm-up: caches, lazy imports, the JIT-free interpreter's inline caches
        result = app(new_environ(), start_response)
        b"".join(result)
        if hasattr(result, "close"):
            result.close()
    count = 100
    while True:
        elapsed = timed_loop(app, new_environ, count)
        if elapsed >= seconds / 4:
            break
        count *= 2
    return max(1, int(count * seconds / elapsed))


def timed_loop(app: WSGIApp, new_environ: Callable[[], Environ], count: int) -> float:
    """Seconds that ``count`` requests take."""
    # PERF: the timed loop is written out inline (no call() helper, no status capture) so the
    # harness adds as little as possible to what is measured.
    start_response = _start_response
    began = time.perf_counter()
    for _ in range(count):
        result = app(new_environ(), start_response)
        b"".join(result)
        if hasattr(result, "close"):
            result.close()
    return time.perf_counter() - began


def calls_per_request(app: WSGIApp, new_environ: Callable[[], Environ]) -> int:
    """Python function calls one request makes, counted by cProfile (the harness's own few
    calls included), after a warm-up so one-off lazy work is not counted."""
    for _ in range(10):
        call(app, new_environ())
    environ = new_environ()
    profiler = cProfile.Profile()
    profiler.enable()
    call(app, environ)
    profiler.disable()
    return pstats.Stats(profiler).total_calls  # type: ignore[attr-defined,no-any-return]


# -- report -----------------------------------------------------------------------------------


Rates = dict[tuple[str, str], float]
RATIOS = [("kolba/flask", "kolba", "flask"), ("kolba/falcon", "kolba", "falcon")]


def run_scenarios(
    apps: dict[str, WSGIApp], scenarios: list[Scenario], seconds: float, repeats: int
) -> tuple[Rates, list[str], list[str]]:
    """Check then time every scenario on every app; return the rates, broken and skipped.

    The repeats of one scenario are interleaved (Kolba, Flask, ..., then Kolba again), and the
    best run of each framework counts: on a shared machine noise only ever slows a run down,
    and a slow spell then hits every framework's rounds alike instead of one framework's.
    """
    rates: Rates = {}
    broken: list[str] = []
    skipped: list[str] = []
    for scenario in scenarios:
        loops: dict[str, tuple[WSGIApp, Callable[[], Environ], int]] = {}
        for name, app in apps.items():
            if scenario.feature and scenario.feature not in FEATURES.get(name, ()):
                skipped.append(f"{name} / {scenario.name}: no {scenario.feature} feature")
                continue
            try:
                extra = scenario.prepare(app) if scenario.prepare else None
                new_environ = make_environ_factory(scenario, extra)
                status, headers, body = call(app, new_environ())
                scenario.check(status, headers, body)
            except Exception as exc:
                broken.append(f"{name} / {scenario.name}: {type(exc).__name__}: {exc}")
                continue
            loops[name] = (app, new_environ, loop_size(app, new_environ, seconds))
        best = dict.fromkeys(loops, float("inf"))
        for _ in range(repeats):
            for name, (app, new_environ, count) in loops.items():
                best[name] = min(best[name], timed_loop(app, new_environ, count) / count)
        for name, per_request in best.items():
            rates[name, scenario.name] = 1 / per_request
    return rates, broken, skipped


def print_table(
    title: str, scenarios: list[Scenario], names: list[str], rates: Rates, markdown: bool
) -> None:
    """Requests/second per scenario and framework, then the Kolba ratios.

    ``-`` is a framework without the scenario's feature (or without a router, for the
    routing table); ``broken`` is one that answered wrongly.
    """
    cells: list[list[str]] = []
    for scenario in scenarios:
        row = [scenario.name]
        for name in names:
            rate = rates.get((name, scenario.name))
            if rate:
                row.append(f"{rate:,.0f}")
            elif scenario.feature and scenario.feature not in FEATURES.get(name, ()):
                row.append("-")
            else:
                row.append("broken")
        for _, top, bottom in RATIOS:
            a, b = rates.get((top, scenario.name)), rates.get((bottom, scenario.name))
            row.append(f"{a / b:.2f}x" if a and b else "-")
        cells.append(row)
    headers = ["scenario", *names, *(label for label, _, _ in RATIOS)]
    if markdown:
        print(f"\n### {title}\n")
        print("| " + " | ".join(headers) + " |")
        print("|---" + "|---:" * (len(headers) - 1) + "|")
        for row in cells:
            print("| " + " | ".join(row) + " |")
        return
    widths = [20] + [12] * len(names) + [14] * len(RATIOS)
    print(f"\n{title}")
    header = "".join(
        f"{text:<{width}}" if i == 0 else f"{text:>{width}}"
        for i, (text, width) in enumerate(zip(headers, widths, strict=True))
    )
    print(header)
    print("-" * len(header))
    for row in cells:
        print(
            "".join(
                f"{text:<{width}}" if i == 0 else f"{text:>{width}}"
                for i, (text, width) in enumerate(zip(row, widths, strict=True))
            )
        )


def print_notes(title: str, lines: list[str], markdown: bool) -> None:
    if lines:
        print(f"\n{title}:" if not markdown else f"\n{title}:\n")
        for line in lines:
            print(f"- {line}" if markdown else f"  {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0.2, help="length of one timed repeat")
    parser.add_argument("--repeats", type=int, default=5, help="repeats; the best one counts")
    parser.add_argument("--only", nargs="*", choices=sorted(BUILDERS), help="frameworks to run")
    parser.add_argument(
        "--no-routing", action="store_true", help="skip the 20/200/2,000-route table"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print Markdown tables (for RESULTS.md)"
    )
    args = parser.parse_args(argv)
    markdown: bool = args.markdown

    apps: dict[str, WSGIApp] = {}
    for name, builder in BUILDERS.items():
        if args.only and name not in args.only:
            continue
        try:
            apps[name] = builder()
        except Exception as exc:
            print(f"skipping {name}: {type(exc).__name__}: {exc}")

    rates, broken, skipped = run_scenarios(apps, SCENARIOS, args.seconds, args.repeats)
    names = list(apps)
    print_table(
        f"requests/second, best of {args.repeats} (higher is better), {ROUTE_COUNT} routes",
        SCENARIOS,
        names,
        rates,
        markdown,
    )

    hello = make_environ_factory(SCENARIOS[0])
    counted = [name for name in apps if (name, SCENARIOS[0].name) in rates]
    # A fresh app each: the session scenario gave the timed one a secret key.
    calls = {name: calls_per_request(BUILDERS[name](), hello) for name in counted}
    if markdown:
        print("\nPython function calls per hello request (cProfile, harness included):\n")
        print("| framework | calls |\n|---|---:|")
        for name, count in calls.items():
            print(f"| {name} | {count} |")
    else:
        print("\nPython function calls per hello request (cProfile):")
        for name, count in calls.items():
            print(f"  {name:<10} {count:>5}")

    if not args.no_routing:
        routing_names = [name for name in names if name in ROUTING_BUILDERS]
        routing_rows: list[Scenario] = []
        routing_rates: Rates = {}
        for size in ROUTING_SIZES:
            sized = {name: ROUTING_BUILDERS[name](size) for name in routing_names}
            scenarios = routing_scenarios(size)
            size_rates, size_broken, _ = run_scenarios(sized, scenarios, args.seconds, args.repeats)
            routing_rows += scenarios
            routing_rates.update(size_rates)
            broken += size_broken
        print_table(
            f"routing: requests/second by route count (2 static and 3 dynamic rules per "
            f"resource), best of {args.repeats}",
            routing_rows,
            routing_names,
            routing_rates,
            markdown,
        )

    print_notes("Skipped (the framework lacks the feature)", skipped, markdown)
    print_notes("BROKEN (answered wrongly, not timed)", broken, markdown)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
