"""Trust the ``X-Forwarded-*`` headers set by a known number of reverse proxies.

Behind nginx the app sees nginx as the client and plain HTTP as the scheme; the proxy passes
the real values in ``X-Forwarded-For``, ``-Proto``, ``-Host``, ``-Port`` and ``-Prefix``. Each
proxy *appends* to those lists, and anything before the first proxy came from the client, who
can write whatever it likes. So only the last *N* values are trusted, N being the number of
proxies that set the header; with fewer values than that the header is ignored.

The header logic is :func:`resolve_forwarded`, a pure function over header values, so an ASGI
adapter can use it too; :class:`ProxyFix` is the WSGI shell around it.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

if t.TYPE_CHECKING:  # pragma: no cover
    from ..wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["Forwarded", "ProxyFix", "resolve_forwarded"]

#: The environ key holding the values ProxyFix replaced, for logging or debugging.
ORIG_KEY = "kolba.proxy_fix.orig"

# A host name or IPv4 address, or a bracketed IPv6 address, with an optional port. Anything
# else (spaces, CR/LF, "@", "/") could smuggle a second value into URLs and headers we build.
_host_re = re.compile(r"(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?", re.ASCII)
# Printable ASCII without spaces or commas: an address as some proxy wrote it.
_token_re = re.compile(r"[\x21-\x2b\x2d-\x7e]+", re.ASCII)
_prefix_re = re.compile(r"/(?!/)[\x21-\x7e]*", re.ASCII)


@dataclass(frozen=True, slots=True)
class Forwarded:
    """What the trusted proxies say about the original request; None where they say nothing.

    :ivar remote_addr: the client's address.
    :ivar scheme: ``"http"`` or ``"https"``.
    :ivar host: the new ``Host`` header value, ``host[:port]``.
    :ivar server_name: the host without its port.
    :ivar server_port: the port, as a string (from the host, or ``X-Forwarded-Port``).
    :ivar prefix: the path the proxy mounts the app under (``SCRIPT_NAME``).
    """

    remote_addr: str | None = None
    scheme: str | None = None
    host: str | None = None
    server_name: str | None = None
    server_port: str | None = None
    prefix: str | None = None


def _trusted_value(trusted: int, value: str | None) -> str | None:
    """The value added by the first of our *trusted* proxies, or None if there are too few."""
    if not (trusted and value):
        return None
    values = [v for v in (item.strip() for item in value.split(",")) if v]
    if len(values) >= trusted:
        return values[-trusted]
    return None


def _valid_port(port: str) -> bool:
    return port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536


def _split_host(host: str) -> tuple[str, str | None]:
    """``(name, port)``; a bracketed IPv6 address keeps its brackets and colons."""
    if ":" in host and not host.endswith("]"):
        name, _, port = host.rpartition(":")
        return name, port
    return host, None


def resolve_forwarded(
    *,
    forwarded_for: str | None = None,
    forwarded_proto: str | None = None,
    forwarded_host: str | None = None,
    forwarded_port: str | None = None,
    forwarded_prefix: str | None = None,
    host: str | None = None,
    x_for: int = 1,
    x_proto: int = 1,
    x_host: int = 0,
    x_port: int = 0,
    x_prefix: int = 0,
) -> Forwarded:
    """Resolve the ``X-Forwarded-*`` header values a request arrived with.

    An invalid trusted value (a proto other than http/https, a bad port, a host with spaces or
    control characters, a prefix not starting with one ``/``) makes that header ignored: a
    misconfigured proxy then shows up as "not forwarded" instead of as an injection.

    :param forwarded_for: the ``X-Forwarded-For`` value, and so on for the other headers
        (several headers of one name joined with ``", "``, as servers do).
    :param host: the request's current ``Host``, which ``X-Forwarded-Port`` changes the port of.
    :param x_for: how many proxies set ``X-Forwarded-For`` (0: ignore it); likewise the others.
    """
    remote_addr = _trusted_value(x_for, forwarded_for)
    if remote_addr is not None and not _token_re.fullmatch(remote_addr):
        remote_addr = None

    scheme = _trusted_value(x_proto, forwarded_proto)
    if scheme is not None:
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            scheme = None

    new_host = server_name = server_port = None
    fwd_host = _trusted_value(x_host, forwarded_host)
    if fwd_host is not None:
        m = _host_re.fullmatch(fwd_host)
        if m is not None and (m.group(1) is None or _valid_port(m.group(1))):
            new_host = fwd_host
            server_name, server_port = _split_host(fwd_host)

    port = _trusted_value(x_port, forwarded_port)
    if port is not None and _valid_port(port):
        base = new_host if new_host is not None else host
        if base:
            new_host = f"{_split_host(base)[0]}:{port}"
        server_port = port

    prefix = _trusted_value(x_prefix, forwarded_prefix)
    if prefix is not None and not _prefix_re.fullmatch(prefix):
        prefix = None

    return Forwarded(remote_addr, scheme, new_host, server_name, server_port, prefix)


class ProxyFix:
    """WSGI middleware applying :func:`resolve_forwarded` to each request's environ.

    ``app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)``. Each count is the number of
    proxies in front of the app that set that header; leave a count at 0 for a header no proxy
    of yours sets, or a client can set it.

    The wrapped app gets a copy of the environ, with the replaced values kept under
    ``environ["kolba.proxy_fix.orig"]``; the server's own environ is left as it was.
    """

    __slots__ = ("app", "x_for", "x_proto", "x_host", "x_port", "x_prefix")

    def __init__(
        self,
        app: WSGIApplication,
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
    ) -> None:
        self.app = app
        self.x_for = x_for
        self.x_proto = x_proto
        self.x_host = x_host
        self.x_port = x_port
        self.x_prefix = x_prefix

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        get = environ.get
        fwd = resolve_forwarded(
            forwarded_for=get("HTTP_X_FORWARDED_FOR"),
            forwarded_proto=get("HTTP_X_FORWARDED_PROTO"),
            forwarded_host=get("HTTP_X_FORWARDED_HOST"),
            forwarded_port=get("HTTP_X_FORWARDED_PORT"),
            forwarded_prefix=get("HTTP_X_FORWARDED_PREFIX"),
            host=get("HTTP_HOST"),
            x_for=self.x_for,
            x_proto=self.x_proto,
            x_host=self.x_host,
            x_port=self.x_port,
            x_prefix=self.x_prefix,
        )
        env = dict(environ)
        env[ORIG_KEY] = {
            key: get(key)
            for key in (
                "REMOTE_ADDR",
                "wsgi.url_scheme",
                "HTTP_HOST",
                "SERVER_NAME",
                "SERVER_PORT",
                "SCRIPT_NAME",
            )
        }
        if fwd.remote_addr is not None:
            env["REMOTE_ADDR"] = fwd.remote_addr
        if fwd.scheme is not None:
            env["wsgi.url_scheme"] = fwd.scheme
        if fwd.host is not None:
            env["HTTP_HOST"] = fwd.host
        if fwd.server_name is not None:
            env["SERVER_NAME"] = fwd.server_name
        if fwd.server_port is not None:
            env["SERVER_PORT"] = fwd.server_port
        if fwd.prefix is not None:
            env["SCRIPT_NAME"] = fwd.prefix
        return self.app(env, start_response)
