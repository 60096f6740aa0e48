"""``url_for``: build a URL from an endpoint, relative to the request or to configuration."""

from __future__ import annotations

import typing as t
from urllib.parse import quote

from .globals import _cv_ctx
from .routing import BuildError

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba

_no_server_name = (
    "Unable to build URLs outside an active request"
    " without 'SERVER_NAME' configured. Also configure"
    " 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as"
    " needed."
)


def build_url(
    app: Kolba,
    endpoint: str,
    *,
    _anchor: str | None,
    _method: str | None,
    _scheme: str | None,
    _external: bool | None,
    values: dict[str, t.Any],
) -> str:
    """Build a URL the way Flask's ``url_for`` does; see :func:`kolba.url_for`."""
    config = app.config
    url_map = app.url_map
    ctx = _cv_ctx.get(None)
    request = ctx.request if ctx is not None and ctx.app is app else None
    if request is not None:
        if endpoint[:1] == ".":
            blueprint_name = request.blueprint
            if blueprint_name is not None:
                endpoint = f"{blueprint_name}{endpoint}"
            else:
                endpoint = endpoint[1:]
        if _external is None:
            _external = _scheme is not None
        server_name = config["SERVER_NAME"]
        if url_map.host_matching or not server_name:
            server_name = request.host
        script_name = request.root_path
        url_scheme = request.scheme
        if app.subdomain_matching and not url_map.host_matching:
            subdomain = app._subdomain(request)
        else:
            subdomain = url_map.default_subdomain or ""
    else:
        server_name = config["SERVER_NAME"]
        if server_name is None:
            raise RuntimeError(_no_server_name)
        script_name = config["APPLICATION_ROOT"] or "/"
        url_scheme = config["PREFERRED_URL_SCHEME"]
        subdomain = url_map.default_subdomain or ""
        if _external is None:
            _external = True
    if _scheme is not None and not _external:
        raise ValueError("When specifying '_scheme', '_external' must be True.")
    app.inject_url_defaults(endpoint, values)
    try:
        domain_part, path = url_map.build(endpoint, values, method=_method)
    except BuildError as error:
        values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
        return app.handle_url_build_error(error, endpoint, values)

    if url_map.host_matching:
        host = domain_part or server_name
        same_host = host == server_name
    else:
        # A rule without a subdomain lives on the default one, not the request's.
        sub = domain_part if domain_part is not None else (url_map.default_subdomain or "")
        host = f"{sub}.{server_name}" if sub else server_name
        same_host = sub == subdomain
    root = quote(script_name.rstrip("/"), safe="!$&'()*+,/:;=@%")
    if not _external and same_host:
        rv = f"{root}/{path.lstrip('/')}"
    else:
        scheme = _scheme or url_scheme
        rv = f"{scheme}{':' if scheme else ''}//{host}{root}/{path.lstrip('/')}"
    if _anchor is not None:
        rv = f"{rv}#{quote(_anchor, safe='%!#$&' + chr(39) + '()*+,/:;=?@')}"
    return rv
