"""A small Flask app exercising routing: converters, methods, slashes and URL building.

Written exactly as Flask's quickstart writes apps; the acceptance harness loads it once as is
and once with its imports rewritten to Kolba.
"""

from __future__ import annotations

from flask import Flask, abort, g, redirect, request, url_for
from werkzeug.routing import BaseConverter

app = Flask(__name__)


class ListConverter(BaseConverter):
    """Match comma-separated lists, the custom-converter example from Flask's docs."""

    def to_python(self, value):
        return value.split(",")

    def to_url(self, values):
        return ",".join(super(ListConverter, self).to_url(value) for value in values)


app.url_map.converters["list"] = ListConverter


@app.route("/")
def index():
    return "Index Page"


@app.route("/hello")
def hello():
    return "Hello, World!"


@app.route("/user/<username>")
def show_user_profile(username):
    return f"User {username}"


@app.route("/post/<int:post_id>")
def show_post(post_id):
    return f"Post {post_id} ({type(post_id).__name__})"


@app.route("/price/<float:amount>")
def show_price(amount):
    return f"Price {amount!r}"


@app.route("/path/<path:subpath>")
def show_subpath(subpath):
    return f"Subpath {subpath}"


@app.route("/item/<uuid:item_id>")
def show_item(item_id):
    return f"Item {item_id.hex}"


@app.route("/page/<any(about, help, 'contact-us'):name>")
def static_page(name):
    return f"Page {name}"


@app.route("/code/<string(length=3):code>")
def show_code(code):
    return f"Code {code}"


@app.route("/short/<string(minlength=2, maxlength=4):word>")
def show_word(word):
    return f"Word {word}"


@app.route("/tags/<list:tags>")
def show_tags(tags):
    return f"Tags {'|'.join(tags)} -> {url_for('show_tags', tags=tags)}"


@app.route("/projects/")
def projects():
    return "The project page"


@app.route("/about")
def about():
    return "The about page"


@app.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        return "do_the_login"
    return "show_the_login_form"


@app.get("/thing")
def thing_get():
    return "get thing"


@app.post("/thing")
def thing_post():
    return "post thing", 201


@app.delete("/thing")
def thing_delete():
    return "", 204


@app.route("/urls")
def urls():
    lines = [
        url_for("index"),
        url_for("login"),
        url_for("login", next="/"),
        url_for("show_user_profile", username="John Doe"),
        url_for("show_post", post_id=42, page=2, tag=["a", "b"]),
        url_for("show_subpath", subpath="a/b c/d"),
        url_for("about", _external=True),
        url_for("about", _anchor="team"),
        url_for("projects", _external=True, _anchor="top", q="x y"),
        url_for("static_page", name="contact-us"),
        url_for("show_tags", tags=["x", "y"]),
    ]
    return "\n".join(lines)


@app.route("/old")
def old():
    return redirect(url_for("hello"))


@app.route("/moved")
def moved():
    return redirect("/hello", code=301)


@app.route("/external")
def external():
    return redirect("https://example.com/path?x=1")


@app.route("/private")
def private():
    abort(403)


# The language-code example from Flask's "URL Processors" pattern.
@app.url_defaults
def add_language_code(endpoint, values):
    if "lang_code" in values or not g.get("lang_code"):
        return
    if app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
        values["lang_code"] = g.lang_code


@app.url_value_preprocessor
def pull_lang_code(endpoint, values):
    g.lang_code = values.pop("lang_code", None) if values else None


@app.route("/<lang_code>/")
def lang_index():
    return f"index in {g.lang_code}: {url_for('lang_about')}"


@app.route("/<lang_code>/about")
def lang_about():
    return f"about in {g.lang_code}: {url_for('lang_index')} {url_for('hello')}"
