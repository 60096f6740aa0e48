"""The over-HTTP benchmark's ceiling: the least a WSGI app can do for its two routes.

``gunicorn bare_wsgi_app:app``. No framework: the gap between this and a framework under the
same server is all the framework's own cost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

TEXT = [("Content-Type", "text/plain; charset=utf-8")]
JSON = [("Content-Type", "application/json")]
HELLO = b"Hello, World!"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path: str = environ["PATH_INFO"]
    if path == "/hello":
        headers, body = TEXT, HELLO
    elif path.startswith("/users/") and path[7:].isdigit():
        id = int(path[7:])
        headers, body = JSON, json.dumps({"id": id, "name": f"user{id}"}).encode()
    else:
        start_response("404 Not Found", [*TEXT, ("Content-Length", "9")])
        return [b"not found"]
    start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
    return [body]
