"""Error pages: HTML in the site's layout for pages, ``{"error": ...}`` JSON under ``/api/``.

An API client should never have to parse an HTML page to learn what went wrong.
"""

from __future__ import annotations

import typing as t

from kolba import Kolba, jsonify, request
from kolba.http.exceptions import HTTPException, InternalServerError
from kolba.templating import render_template


def _wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def handle_http_error(error: HTTPException) -> t.Any:
    code = error.code or 500
    # Allow (405) and WWW-Authenticate (401) must survive the custom body.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if _wants_json():
        body: dict[str, t.Any] = {"error": error.description}
        fields = getattr(error, "fields", None)
        if fields:
            body["fields"] = fields
        response = jsonify(body)
        response.status_code = code
        for name, value in headers:
            response.headers[name] = value
        return response
    page = render_template("error.html", code=code, name=error.name, description=error.description)
    return page, code, headers


def handle_server_error(error: InternalServerError) -> t.Any:
    # The original exception is logged by Kolba; the visitor sees no traceback details.
    return handle_http_error(InternalServerError())


def init_app(app: Kolba) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
