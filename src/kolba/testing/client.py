"""The test client: send requests to an app in-process, following redirects, keeping cookies.

Mirrors Flask's ``FlaskClient`` and Werkzeug's ``Client``, so tests written for Flask run
unchanged.
"""

from __future__ import annotations

import copy
import typing as t
from collections.abc import Iterable, Mapping
from contextlib import ExitStack, contextmanager
from io import BytesIO
from time import time
from types import TracebackType
from urllib.parse import quote, unquote, urljoin, urlsplit

from kolba.http.cookies import dump_cookie
from kolba.testing.cookies import Cookie
from kolba.testing.environ import (
    EnvironBuilder,
    WSGIEnviron,
    _make_request,
    _split_host,
    _unwsgi_str,
    _wsgi_str,
)
from kolba.testing.response import (
    _default_response_class,
    _read_body,
    _run_app,
    make_test_response_class,
)

__all__ = ["ClientRedirectError", "KolbaClient"]

#: Keys an environ holds for itself; everything else given as a dict is treated as a header.
_PRESERVE_KEY = "kolba.preserve_context"
_REDIRECT_CODES = frozenset({301, 302, 303, 305, 307, 308})


def _kolba_version() -> str:
    try:
        from kolba import __version__
    except ImportError:
        return "dev"
    return str(__version__)


class ClientRedirectError(Exception):
    """Raised when ``follow_redirects`` would repeat a redirect already made."""


class KolbaClient:
    """Send requests to an app in-process, keeping cookies between them.

    ``with client:`` keeps the last request's context pushed until the block ends, so tests
    can read ``request``, ``session`` and ``g`` after ``client.get()``.

    :param app: the Kolba app, or any WSGI callable.
    :param response_wrapper: response class to build results from; defaults to the app's.
    :param use_cookies: keep a cookie jar across requests.
    :param allow_subdomain_redirects: follow redirects to subdomains of the current host.
    """

    def __init__(
        self,
        app: t.Any,
        response_wrapper: type | None = None,
        use_cookies: bool = True,
        allow_subdomain_redirects: bool = False,
    ) -> None:
        self.application = app
        base = response_wrapper if response_wrapper is not None else _default_response_class(app)
        self.response_wrapper = make_test_response_class(base)
        self._cookies: dict[tuple[str, str, str], Cookie] | None = {} if use_cookies else None
        self.allow_subdomain_redirects = allow_subdomain_redirects
        self.environ_base: dict[str, t.Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Kolba/{_kolba_version()}",
        }
        self.preserve_context = False
        self._new_contexts: list[t.ContextManager[t.Any]] = []
        self._context_stack = ExitStack()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.application!r}>"

    # cookies

    def _jar(self) -> dict[tuple[str, str, str], Cookie]:
        if self._cookies is None:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        return self._cookies

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> Cookie | None:
        """Look up a stored cookie by the ``(domain, path, key)`` that identifies it."""
        cookie = self._jar().get((domain, path, key))
        if cookie is not None and cookie._is_expired(time()):
            return None
        return cookie

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        **kwargs: t.Any,
    ) -> None:
        """Put a cookie in the jar without a request to a route that sets it.

        :param origin_only: send only to ``domain`` itself, not its subdomains.
        :param kwargs: ``max_age``, ``expires``, ``secure``, ``httponly``, ``samesite``,
            ``partitioned``, as for ``Response.set_cookie``.
        """
        jar = self._jar()
        header = dump_cookie(key, value, domain=domain, path=path, **kwargs)
        cookie = Cookie._from_response_header(domain, "/", header)
        cookie.origin_only = origin_only
        if cookie._should_delete:
            jar.pop(cookie._storage_key, None)
        else:
            jar[cookie._storage_key] = cookie

    def delete_cookie(self, key: str, *, domain: str = "localhost", path: str = "/") -> None:
        """Drop a cookie from the jar if it is there."""
        self._jar().pop((domain, path, key), None)

    def _add_cookies_to_wsgi(self, environ: WSGIEnviron) -> None:
        if self._cookies is None:
            return
        server_name, path = _request_origin(environ)
        now = time()
        for skey in [k for k, c in self._cookies.items() if c._is_expired(now)]:
            del self._cookies[skey]
        value = "; ".join(
            c._to_request_header()
            for c in self._cookies.values()
            if c._matches_request(server_name, path)
        )
        if value:
            environ["HTTP_COOKIE"] = value
        else:
            environ.pop("HTTP_COOKIE", None)

    def _update_cookies_from_response(
        self, server_name: str, path: str, headers: Iterable[str]
    ) -> None:
        if self._cookies is None:
            return
        for header in headers:
            cookie = Cookie._from_response_header(server_name, path, header)
            if not cookie.key:
                continue  # a malformed header names no cookie; a browser ignores it too
            if cookie._should_delete:
                self._cookies.pop(cookie._storage_key, None)
            else:
                self._cookies[cookie._storage_key] = cookie

    @contextmanager
    def session_transaction(self, *args: t.Any, **kwargs: t.Any) -> t.Iterator[t.Any]:
        """Open the session the next request would see, to read or change it in a test.

        Takes the same arguments as :meth:`open`; the session is saved back into the cookie jar
        when the ``with`` block ends. Needs ``use_cookies=True``.
        """
        if self._cookies is None:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        app = self.application
        ctx = app.test_request_context(*args, **kwargs)
        self._add_cookies_to_wsgi(ctx.request.environ)
        with ctx:
            sess = app.session_interface.open_session(app, ctx.request)
        if sess is None:
            raise RuntimeError("Session backend did not open a session.")
        yield sess
        resp = app.response_class()
        if app.session_interface.is_null_session(sess):
            return
        with ctx:
            app.session_interface.save_session(app, sess, resp)
        self._update_cookies_from_response(
            ctx.request.host.partition(":")[0],
            ctx.request.path,
            resp.headers.getlist("Set-Cookie"),
        )

    # requests

    def _copy_environ(self, other: Mapping[str, t.Any]) -> WSGIEnviron:
        out = {**self.environ_base, **other}
        if self.preserve_context:
            out[_PRESERVE_KEY] = self._new_contexts.append
        return out

    def _environ_from_args(self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> WSGIEnviron:
        if args and isinstance(args[0], EnvironBuilder):
            builder = copy.copy(args[0])
            builder.environ_base = self._copy_environ(builder.environ_base or {})
            return builder.get_environ()
        if args and isinstance(args[0], dict):
            # Keep every key the caller gave (Flask drops non-standard ones); fill the rest.
            defaults = EnvironBuilder(self.application, environ_base=self._copy_environ({}))
            environ = defaults.get_environ()
            environ.update(args[0])
            if self.preserve_context:
                environ[_PRESERVE_KEY] = self._new_contexts.append
            return environ
        kwargs["environ_base"] = self._copy_environ(kwargs.get("environ_base") or {})
        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            return builder.get_environ()
        finally:
            builder.close()

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> t.Any:
        """Make a request and return the app's response, fully read.

        :param args: a path plus :class:`EnvironBuilder` arguments, or one builder or environ.
        :param buffered: accepted for compatibility; responses are always buffered.
        :param follow_redirects: keep requesting ``Location`` until a non-redirect;
            ``response.history`` lists the responses passed through.
        """
        environ = self._environ_from_args(args, kwargs)
        # Pop the previous request's preserved context before the app pushes a new one.
        self._context_stack.close()
        response, sent, body = self._run(environ)
        if follow_redirects:
            seen: set[tuple[str | None, int]] = set()
            history: list[t.Any] = []
            while response.status_code in _REDIRECT_CODES and _location(response) is not None:
                entry = (_location(response), int(response.status_code))
                if entry in seen:
                    raise ClientRedirectError(
                        f"Loop detected: A {entry[1]} redirect to {entry[0]} was already made."
                    )
                seen.add(entry)
                response.history = tuple(history)
                history.append(response)
                environ, body = self._redirect_environ(response, sent, body)
                response, sent, body = self._run(environ, body)
            response.history = tuple(history)
        for cm in self._new_contexts:
            self._context_stack.enter_context(cm)
        self._new_contexts.clear()
        return response

    def _run(
        self, environ: WSGIEnviron, body: bytes | None = None
    ) -> tuple[t.Any, WSGIEnviron, bytes]:
        if body is None:
            body = _read_body(environ.get("wsgi.input"), environ.get("CONTENT_LENGTH"))
        sent = dict(environ)
        sent["wsgi.input"] = BytesIO(body)
        self._add_cookies_to_wsgi(sent)
        # The app may mutate its environ (proxy fixers); keep ours intact for redirects.
        app_environ = dict(sent)
        status, headers, data = _run_app(self.application, app_environ)
        server_name, path = _request_origin(sent)
        self._update_cookies_from_response(
            server_name, path, [v for k, v in headers if k.lower() == "set-cookie"]
        )
        if sent.get("REQUEST_METHOD") == "HEAD":
            data = b""
        response = self.response_wrapper(response=[data], status=status, headers=headers)
        request_environ = dict(sent)
        request_environ["wsgi.input"] = BytesIO(body)
        request_environ.pop(_PRESERVE_KEY, None)
        response.request = _make_request(self.application, request_environ)
        response.history = ()
        return response, sent, body

    def _redirect_environ(
        self, response: t.Any, sent: WSGIEnviron, body: bytes
    ) -> tuple[WSGIEnviron, bytes]:
        location = _location(response) or ""
        current = _current_url(sent)
        try:
            target = urlsplit(urljoin(current, location))
        except ValueError as exc:
            raise ValueError(f"Cannot follow a redirect to malformed {location!r}.") from exc
        here = urlsplit(current)
        to_parts = (target.hostname or "").split(".")
        from_parts = (here.hostname or "").split(".")
        if to_parts != from_parts:
            if to_parts[-len(from_parts) :] == from_parts:
                if not self.allow_subdomain_redirects:
                    raise RuntimeError("Following subdomain redirects is not enabled.")
            else:
                raise RuntimeError("Following external redirects is not supported.")
        environ = dict(sent)
        environ.pop("HTTP_COOKIE", None)
        if target.netloc:
            environ["HTTP_HOST"] = target.netloc
            environ["SERVER_NAME"] = target.hostname or ""
            environ["SERVER_PORT"] = str(target.port or (443 if target.scheme == "https" else 80))
        environ["wsgi.url_scheme"] = target.scheme or here.scheme
        script_root = _unwsgi_str(sent.get("SCRIPT_NAME", ""))
        path = unquote(target.path) or "/"
        if script_root and (path == script_root or path.startswith(script_root + "/")):
            path = path[len(script_root) :]
        else:
            environ["SCRIPT_NAME"] = ""
        environ["PATH_INFO"] = _wsgi_str(path)
        environ["QUERY_STRING"] = _wsgi_str(target.query)
        raw = target.path + (f"?{target.query}" if target.query else "")
        environ["REQUEST_URI"] = environ["RAW_URI"] = _wsgi_str(raw)
        if self.preserve_context:
            environ[_PRESERVE_KEY] = self._new_contexts.append
        if response.status_code not in (307, 308):
            # Only 307/308 repeat the request; the rest become a body-less GET (HEAD stays).
            if environ.get("REQUEST_METHOD") != "HEAD":
                environ["REQUEST_METHOD"] = "GET"
            for key in ("CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING"):
                environ.pop(key, None)
            body = b""
        environ["wsgi.input"] = BytesIO(body)
        return environ, body

    def get(self, *args: t.Any, **kw: t.Any) -> t.Any:
        """Call :meth:`open` with ``method="GET"``."""
        kw["method"] = "GET"
        return self.open(*args, **kw)

    def post(self, *args: t.Any, **kw: t.Any) -> t.Any:
        """Call :meth:`open` with ``method="POST"``."""
        kw["method"] = "POST"
        return self.open(*args, **kw)

    def put(self, *args: t.Any, **kw: t.Any) -> t.Any:
        """Call :meth:`open` with ``method="PUT"``."""
        kw["method"] = "PUT"
        return self.open(*args, **kw)

    def patch(self, *args: t.Any, **kw: t.Any) -> t.Any:
        """Call :meth:`open` with ``method="PATCH"``."""
        kw["method"] = "PATCH"
        return self.open(*args, **kw)

    def delete(self, *args: t.Any, **kw: t.Any) -> t.Any:
        """Call :meth:`open` with ``method="DELETE"``."""
        kw["method"] = "DELETE"
        return self.open(*args, **kw)

    def head(self, *args: t.Any, **kw: t.Any) -> t.Any:
        """Call :meth:`open` with ``method="HEAD"``."""
        kw["method"] = "HEAD"
        return self.open(*args, **kw)

    def options(self, *args: t.Any, **kw: t.Any) -> t.Any:
        """Call :meth:`open` with ``method="OPTIONS"``."""
        kw["method"] = "OPTIONS"
        return self.open(*args, **kw)

    def trace(self, *args: t.Any, **kw: t.Any) -> t.Any:
        """Call :meth:`open` with ``method="TRACE"``."""
        kw["method"] = "TRACE"
        return self.open(*args, **kw)

    def __enter__(self) -> KolbaClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._context_stack.close()


def _location(response: t.Any) -> str | None:
    location = getattr(response, "location", None)
    if location is None:
        location = response.headers.get("Location")
    return None if location is None else str(location)


def _current_url(environ: Mapping[str, t.Any]) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
    path = quote(
        _unwsgi_str(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")),
        safe="/%!$&'()*+,:;=@",
    )
    return f"{scheme}://{host}{path or '/'}"


def _request_origin(environ: Mapping[str, t.Any]) -> tuple[str, str]:
    """Host name and full path a request went to, which decide the cookies it carries."""
    host = str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "localhost")
    name = _split_host(host)[0].lower() or "localhost"
    path = _unwsgi_str(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
    return name, path
