"""The over-HTTP benchmark's Kolba app: ``gunicorn kolba_app:app``."""

from __future__ import annotations

from typing import Any

from kolba import Kolba, jsonify

app = Kolba(__name__)


@app.route("/hello")
def hello() -> str:
    return "Hello, World!"


@app.route("/users/<int:id>")
def user(id: int) -> Any:
    return jsonify(id=id, name=f"user{id}")
