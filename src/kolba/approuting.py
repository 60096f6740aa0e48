"""The application's side of routing: matching a request to a rule, automatic OPTIONS, and
building URLs (``url_for`` with its defaults and build-error handlers).

Kept apart from :mod:`kolba.app` (one concept per module); :class:`~kolba.Kolba` includes it.
The hot path matches inline in ``full_dispatch_request``; these cover host and subdomain
matching, trusted hosts, canonical redirects, and contexts pushed outside dispatch.
"""

from __future__ import annotations

import sys
import typing as t
from itertools import chain
from urllib.parse import quote

from .globals import _cv_ctx
from .hooks import split_blueprint_path
from .http.exceptions import HTTPException
from .http.urls import url_quote
from .routing import BuildError, Map, RequestRedirect, Rule

if t.TYPE_CHECKING:  # pragma: no cover
    from .config import Config
    from .wrappers import Request, Response


#: What a redirect's query string keeps unquoted ("%" so existing escapes stay as they are).
_QUERY_SAFE = "%!$&'()*+,/:;=?@"


class Routing:
    """Request matching with the app's host, subdomain and trusted-host settings."""

    config: Config
    url_map: Map
    subdomain_matching: bool
    response_class: type[Response]
    url_default_functions: dict[str | None, list[t.Callable[[str, dict[str, t.Any]], None]]]
    url_build_error_handlers: list[t.Callable[[Exception, str, dict[str, t.Any]], str]]

    def match_request(self, request: Request) -> None:
        """Match the request's URL, setting ``url_rule`` and ``view_args``, or keeping the
        routing error in ``routing_exception`` to be raised at dispatch."""
        try:
            request.url_rule, request.view_args = self._match(request)
        except HTTPException as e:
            request.routing_exception = e

    def _match(self, request: Request) -> tuple[Rule, dict[str, t.Any]]:
        url_map = self.url_map
        trusted = self.config["TRUSTED_HOSTS"]
        try:
            if trusted is not None:
                request.trusted_hosts = trusted
                request.host  # noqa: B018 - validate now so an untrusted host is a 400
            if url_map.host_matching:
                return url_map.match(request.path, request.method, host=request.host.lower())
            if self.subdomain_matching:
                return url_map.match(
                    request.path, request.method, subdomain=self._subdomain(request)
                )
            return url_map.match(request.path, request.method, url_map.default_subdomain)
        except RequestRedirect as e:
            raise self._complete_redirect(e, request) from None

    def _complete_redirect(self, e: RequestRedirect, request: Request) -> RequestRedirect:
        # The router knows only the path; the redirect goes to the full canonical URL.
        if "://" not in e.new_url:
            # The query string's raw bytes, percent-encoded as they came where a Location
            # header cannot hold them (a CR or LF a server let through, bytes beyond ASCII),
            # with the safe set iri_to_uri gives a query.
            qs = url_quote(request.query_string, safe=_QUERY_SAFE)
            root = quote(request.root_path, safe="!$&'()*+,/:;=@%")
            url = f"{request.scheme}://{request.host}{root}{e.new_url}"
            e.new_url = f"{url}?{qs}" if qs else url
        return e

    def _subdomain(self, request: Request) -> str:
        server_name = self.config["SERVER_NAME"]
        if not server_name:
            return self.url_map.default_subdomain or ""
        host = request.host.lower()
        server_name = server_name.lower()
        if host == server_name:
            return ""
        if host.endswith("." + server_name):
            return host[: -len(server_name) - 1]
        return "<invalid>"

    def make_default_options_response(self) -> Response:
        """The answer to an automatic OPTIONS request: an empty body and an ``Allow`` header."""
        request = t.cast("Request", _cv_ctx.get().request)
        url_map = self.url_map
        if url_map.host_matching:
            methods = url_map.allowed_methods(request.path, host=request.host.lower())
        elif self.subdomain_matching:
            methods = url_map.allowed_methods(request.path, subdomain=self._subdomain(request))
        else:
            methods = url_map.allowed_methods(
                request.path, subdomain=url_map.default_subdomain or ""
            )
        rv = self.response_class()
        if methods:
            rv.headers["Allow"] = ", ".join(methods)
        return rv

    # -- URL building ------------------------------------------------------------------------------

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Let the ``url_defaults`` functions fill in ``values`` for ``endpoint``."""
        names: t.Iterable[str | None] = (None,)
        if "." in endpoint:
            names = chain(names, reversed(split_blueprint_path(endpoint.rpartition(".")[0])))
        for name in names:
            if name in self.url_default_functions:
                for func in self.url_default_functions[name]:
                    func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        """Give ``url_build_error_handlers`` a chance, then re-raise the :class:`BuildError`."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv
        if error is sys.exc_info()[1]:
            raise
        raise error

    def url_for(
        self,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """Build the URL of an endpoint; see :func:`kolba.url_for`."""
        from .urlbuild import build_url

        return build_url(
            self,  # type: ignore[arg-type]
            endpoint,
            _anchor=_anchor,
            _method=_method,
            _scheme=_scheme,
            _external=_external,
            values=values,
        )
