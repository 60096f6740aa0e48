"""The application's request and response classes: the HTTP layer's, wired to the app.

They add what only an application knows: the matched rule and view arguments, limits and JSON
from the app's configuration, and Flask's defaults (``text/html`` responses).
"""

from __future__ import annotations

import typing as t

from .globals import _cv_ctx
from .http import request as _http_request
from .http import response as _http_response
from .http.exceptions import BadRequest, HTTPException

if t.TYPE_CHECKING:  # pragma: no cover
    from .routing import Rule


_unset = object()


def _config_value(name: str, default: t.Any) -> t.Any:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        return default
    return ctx.app.config.get(name, default)


class _ConfigLimit:
    """A request limit: the app's config value, unless set on the request itself (for one
    view, e.g. in a before_request hook)."""

    def __init__(self, key: str, default: int | None) -> None:
        self.key = key
        self.default = default
        self.slot = f"_limit_{key.lower()}"
        self.__doc__ = f"``{key}`` unless set on this request."

    def __get__(self, obj: t.Any, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        value = obj.__dict__.get(self.slot, _unset)
        if value is _unset:
            # PERF: _config_value inlined; this runs for each limit of every form request.
            ctx = _cv_ctx.get(None)
            if ctx is None:
                return self.default
            return ctx.app.config.get(self.key, self.default)
        return value

    def __set__(self, obj: t.Any, value: int | None) -> None:
        obj.__dict__[self.slot] = value


class Request(_http_request.Request):
    """The request object of a Kolba app (``kolba.request``)."""

    #: The rule that matched; None before matching or when routing failed (a slot of the
    #: HTTP layer's request, typed here).
    url_rule: Rule | None
    #: The routing error (404, 405, redirect) raised when the view would be dispatched.
    routing_exception: HTTPException | None

    max_content_length = _ConfigLimit("MAX_CONTENT_LENGTH", None)
    max_form_memory_size = _ConfigLimit("MAX_FORM_MEMORY_SIZE", 500_000)
    max_form_parts = _ConfigLimit("MAX_FORM_PARTS", 1_000)
    #: Kolba: the most fields a query string may have (400 beyond); Flask has no such limit.
    max_query_fields = _ConfigLimit("MAX_QUERY_FIELDS", 10_000)

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule."""
        rule = self.url_rule
        return rule.endpoint if rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """The name of the (innermost) blueprint of the matched endpoint."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The matched blueprint and its parents, innermost first."""
        name = self.blueprint
        if name is None:
            return []
        out = [name]
        while "." in name:
            name = name.rpartition(".")[0]
            out.append(name)
        return out

    def _load_json(self, data: bytes) -> t.Any:
        ctx = _cv_ctx.get(None)
        if ctx is None:
            return super()._load_json(data)
        return ctx.app.json.loads(data)

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        """Outside debug mode a JSON error is a plain 400 that says nothing of the parser."""
        try:
            return super().on_json_loading_failed(e)
        except BadRequest as ebr:
            ctx = _cv_ctx.get(None)
            if ctx is not None and ctx.app.debug:
                raise
            raise BadRequest() from ebr


class Response(_http_response.Response):
    """The response class of a Kolba app: ``text/html`` by default, as in Flask."""

    default_mimetype: str | None = "text/html"

    @property
    def max_cookie_size(self) -> int:  # type: ignore[override]
        """``MAX_COOKIE_SIZE`` of the current app (4093 outside an app context)."""
        return _config_value("MAX_COOKIE_SIZE", 4093)  # type: ignore[no-any-return]

    def get_json(self, force: bool = False, silent: bool = False) -> t.Any:
        if not (force or self.is_json):
            return None
        ctx = _cv_ctx.get(None)
        data = self.get_data()
        try:
            if ctx is not None:
                return ctx.app.json.loads(data)
            return self.json_module.loads(data)
        except ValueError:
            if not silent:
                raise
            return None
