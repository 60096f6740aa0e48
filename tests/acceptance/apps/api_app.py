"""A small Flask JSON/forms API: request data in every shape, and responses in every shape.

Written exactly as Flask's quickstart writes apps; the acceptance harness loads it once as is
and once with its imports rewritten to Kolba.
"""

from __future__ import annotations

import os
import tempfile

from flask import Flask, jsonify, make_response, request

app = Flask(__name__)
app.config.from_mapping(
    MAX_CONTENT_LENGTH=1024,
    GREETING="Hi",
)

USERS = {1: {"id": 1, "name": "Ada"}, 2: {"id": 2, "name": "Grace"}}


@app.route("/search")
def search():
    page = request.args.get("page", 1, type=int)
    q = request.args.get("q", "")
    tags = request.args.getlist("tag")
    return f"q={q!r} page={page!r} tags={tags!r} n={len(request.args)}"


@app.route("/users")
def list_users():
    return [USERS[key] for key in sorted(USERS)]


@app.route("/users/<int:user_id>")
def get_user(user_id):
    user = USERS.get(user_id)
    if user is None:
        return {"error": "not found", "id": user_id}, 404
    return user


@app.post("/users")
def create_user():
    data = request.get_json()
    name = data.get("name") if isinstance(data, dict) else None
    if not name:
        return jsonify(error="name is required"), 400
    return jsonify(id=3, name=name), 201, {"Location": "/users/3"}


@app.post("/echo-json")
def echo_json():
    return jsonify(request.get_json())


@app.post("/echo-json-silent")
def echo_json_silent():
    data = request.get_json(silent=True)
    return jsonify(received=data, is_json=request.is_json)


@app.post("/echo-json-force")
def echo_json_force():
    return jsonify(request.get_json(force=True))


@app.route("/jsonify-forms")
def jsonify_forms():
    kind = request.args["kind"]
    if kind == "list":
        return jsonify([1, 2, 3])
    if kind == "args":
        return jsonify(1, "two", None)
    if kind == "scalar":
        return jsonify("text")
    return jsonify({"b": 1, "a": [True, False, None], "c": {"z": 1.5, "y": "é"}})


@app.post("/form")
def form():
    name = request.form["name"]
    colours = request.form.getlist("colour")
    return f"name={name} colours={','.join(colours)} age={request.form.get('age', 'n/a')}"


@app.post("/upload")
def upload():
    f = request.files["f"]
    content = f.read()
    with tempfile.TemporaryDirectory() as directory:
        f.seek(0)
        target = os.path.join(directory, "saved.bin")
        f.save(target)
        with open(target, "rb") as saved:
            saved_bytes = saved.read()
    return {
        "filename": f.filename,
        "size": len(content),
        "same": saved_bytes == content,
        "content_type": f.content_type,
        "note": request.form.get("note"),
        "fields": sorted(request.files),
    }


@app.route("/tuple-headers")
def tuple_headers():
    return "made", 202, [("X-One", "1"), ("X-Two", "2")]


@app.route("/tuple-status-text")
def tuple_status_text():
    return "teapot", "418 I'm a teapot"


@app.route("/tuple-only-headers")
def tuple_only_headers():
    return "with headers", {"X-Thing": "yes", "Content-Type": "text/plain; charset=utf-8"}


@app.route("/bytes")
def raw_bytes():
    return b"\x00\x01binary"


@app.route("/made")
def made():
    response = make_response("made with make_response", 200)
    response.headers["X-Made"] = "1"
    response.mimetype = "text/plain"
    return response


@app.route("/made-json")
def made_json():
    response = make_response(jsonify(ok=True), 418)
    response.headers["X-Teapot"] = "short and stout"
    return response


@app.route("/config")
def config():
    return {
        "greeting": app.config["GREETING"],
        "max": app.config["MAX_CONTENT_LENGTH"],
        "debug": app.config["DEBUG"],
        "testing": app.config["TESTING"],
    }


@app.route("/headers")
def headers():
    return {
        "user_agent": request.headers.get("User-Agent"),
        "custom": request.headers.get("X-Custom"),
        "custom_lower": request.headers.get("x-custom"),
        "missing": request.headers.get("X-Missing", "default"),
        "accept": request.headers.get("Accept"),
        "remote_addr": request.remote_addr,
        "method": request.method,
        "path": request.path,
        "full_path": request.full_path,
        "url": request.url,
        "base_url": request.base_url,
        "host": request.host,
        "scheme": request.scheme,
        "is_secure": request.is_secure,
    }


@app.route("/secret")
def secret():
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return "login required", 401, {"WWW-Authenticate": 'Basic realm="Login Required"'}
    if (auth.username, auth.password) != ("admin", "s3cret"):
        return "bad credentials", 401, {"WWW-Authenticate": 'Basic realm="Login Required"'}
    return f"welcome {auth.username}"


@app.route("/token")
def token():
    auth = request.authorization
    if auth is None:
        return "no token", 401
    return f"{auth.type} {auth.token}"


@app.post("/body")
def body():
    data = request.get_data()
    return {"length": len(data), "content_length": request.content_length}
