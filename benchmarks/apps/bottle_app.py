"""The over-HTTP benchmark's Bottle app: ``gunicorn bottle_app:app``."""

from __future__ import annotations

from typing import Any

import bottle  # type: ignore[import-untyped]

app = bottle.Bottle()


@app.get("/hello")  # type: ignore[untyped-decorator]
def hello() -> str:
    return "Hello, World!"


@app.get("/users/<id:int>")  # type: ignore[untyped-decorator]
def user(id: int) -> dict[str, Any]:
    return {"id": id, "name": f"user{id}"}
