"""The over-HTTP benchmark's Flask app: ``gunicorn flask_app:app``."""

from __future__ import annotations

from flask import Flask, Response, jsonify

app = Flask(__name__)


@app.route("/hello")
def hello() -> str:
    return "Hello, World!"


@app.route("/users/<int:id>")
def user(id: int) -> Response:
    return jsonify(id=id, name=f"user{id}")
