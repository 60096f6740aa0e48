"""The app the real-server tests serve; they copy it into a temporary folder and edit it."""

from __future__ import annotations

from kolba import Kolba

app = Kolba(__name__)


@app.route("/", methods=["GET", "POST"])
def index() -> str:
    return "hello v1"
