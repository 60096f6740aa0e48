from __future__ import annotations

from kolba import Kolba

app = Kolba(__name__)


@app.route("/pkg")
def pkg_index() -> str:
    return "pkg"
