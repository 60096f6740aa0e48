"""A small Flask app exercising hooks, error handling, cookies, streaming and async views.

Written exactly as Flask's quickstart writes apps; the acceptance harness loads it once as is
and once with its imports rewritten to Kolba.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from flask import (
    Flask,
    abort,
    after_this_request,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.exceptions import HTTPException

app = Flask(__name__)
app.config.from_mapping(APP_LABEL="hooks")

# Teardown hooks cannot change the response, so they record what they saw here and
# /teardown-log reports it to a later request.
TEARDOWN_LOG = []


class InsufficientStorage(Exception):
    """An application error mapped to a response by its own handler."""

    def __init__(self, needed):
        super().__init__(needed)
        self.needed = needed


@app.before_request
def start_timer():
    g.trail = ["before"]
    if request.path == "/blocked":
        return "blocked by before_request", 451


@app.after_request
def add_header(response):
    response.headers["X-Trail"] = ",".join(g.get("trail", ["none"]))
    return response


@app.teardown_request
def record_teardown(exc):
    TEARDOWN_LOG.append(f"{request.path}:{type(exc).__name__ if exc else None}")


@app.errorhandler(404)
def page_not_found(error):
    return jsonify(error="not found", path=request.path), 404


@app.errorhandler(InsufficientStorage)
def handle_storage(error):
    return {"error": "insufficient storage", "needed": error.needed}, 507


@app.errorhandler(HTTPException)
def handle_http_exception(error):
    response = error.get_response()
    response.data = f"{error.code} {error.name}: {error.description}".encode()
    response.content_type = "text/plain; charset=utf-8"
    return response


@app.route("/")
def index():
    g.trail.append("view")
    return f"app={current_app.config['APP_LABEL']} trail={'>'.join(g.trail)}"


@app.route("/blocked")
def blocked():
    return "never reached"


@app.route("/forbidden")
def forbidden():
    abort(403)


@app.route("/gone")
def gone():
    abort(410, description="This resource is gone for good.")


@app.route("/storage")
def storage():
    raise InsufficientStorage(42)


@app.route("/teapot")
def teapot():
    abort(make_response("I am a teapot", 418))


@app.route("/later")
def later():
    @after_this_request
    def add_cookie_header(response):
        response.headers["X-After-This"] = "yes"
        return response

    g.trail.append("later")
    return "later"


@app.route("/teardown-log")
def teardown_log():
    return jsonify(TEARDOWN_LOG)


@app.route("/set-cookies")
def set_cookies():
    response = make_response("cookies set")
    response.set_cookie("plain", "value")
    response.set_cookie(
        "full",
        "a b;c",
        max_age=3600,
        path="/app",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="Strict",
    )
    response.set_cookie(
        "dated", "1", expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc), samesite="Lax"
    )
    response.delete_cookie("old")
    return response


@app.route("/read-cookies")
def read_cookies():
    return {
        "username": request.cookies.get("username"),
        "missing": request.cookies.get("missing", "none"),
        "all": dict(sorted(request.cookies.items())),
    }


@app.route("/go")
def go():
    return redirect(url_for("index", ref="go"))


@app.route("/go-302-external")
def go_external():
    return redirect(url_for("index", _external=True), 303)


@app.route("/stream")
def stream():
    def generate():
        for number in range(3):
            yield f"line {number}\n"

    return generate(), {"Content-Type": "text/plain"}


@app.route("/stream-context")
def stream_context():
    def generate():
        yield "Hello "
        yield request.args["name"]
        yield "!"

    return stream_with_context(generate())


@app.route("/stream-response")
def stream_response():
    def generate():
        yield b"a,b\n"
        yield b"1,2\n"

    return current_app.response_class(generate(), mimetype="text/csv")


@app.route("/async")
async def async_view():
    await asyncio.sleep(0)
    return {"async": True, "arg": request.args.get("x")}


@app.route("/async-error")
async def async_error():
    await asyncio.sleep(0)
    abort(409)
