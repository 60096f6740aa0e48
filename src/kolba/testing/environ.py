"""Build the PEP 3333 environ a Flask test's arguments describe.

Mirrors Werkzeug's ``EnvironBuilder`` argument for argument, so the same keywords give the
same environ, and holds the WSGI string helpers the client shares with it.
"""

from __future__ import annotations

import base64
import json as _json
import sys
import typing as t
from collections.abc import Callable, Iterable, Iterator, Mapping
from io import BytesIO
from types import SimpleNamespace
from urllib.parse import unquote, urlencode, urlsplit

from kolba.http.datastructures import Headers
from kolba.http.response import get_content_type
from kolba.testing.multipart import (
    _encode_parts,
    _FileEntry,
    _is_file_value,
    _iter_data,
    _make_file,
    _new_boundary,
)

__all__ = ["EnvironBuilder", "StartResponse", "WSGIApp", "WSGIEnviron"]

WSGIEnviron = dict[str, t.Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]


def _wsgi_str(value: str) -> str:
    """PEP 3333 carries text as latin-1 code points of the UTF-8 bytes."""
    return value.encode("utf-8").decode("latin-1")


def _unwsgi_str(value: str) -> str:
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


def _urlencode_pairs(pairs: Iterable[tuple[str, t.Any]]) -> str:
    # Werkzeug leaves the WHATWG "safe" punctuation unquoted; match it byte for byte.
    return urlencode([(k, v) for k, v in pairs if v is not None], safe="!$'()*,/:;?@")


class EnvironBuilder:
    """Build a PEP 3333 environ from the arguments a Flask test would pass.

    The base URL defaults from the app's ``SERVER_NAME``, ``APPLICATION_ROOT`` and
    ``PREFERRED_URL_SCHEME`` so URLs built by the app and requests made by tests agree.

    :param app: the app whose config supplies the base URL; any WSGI callable works.
    :param path: path of the request, may hold a ``?query`` or be a full URL.
    :param base_url: scheme, host and root the app is served under; excludes
        ``subdomain`` and ``url_scheme``.
    :param subdomain: prefixed to ``SERVER_NAME`` to reach subdomain routes.
    :param url_scheme: used instead of ``PREFERRED_URL_SCHEME``.
    """

    server_protocol = "HTTP/1.1"
    wsgi_version = (1, 0)

    def __init__(
        self,
        app: t.Any,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> None:
        if base_url is not None and (subdomain or url_scheme):
            raise ValueError('Cannot pass "subdomain" or "url_scheme" with "base_url".')
        if base_url is None:
            config: Mapping[str, t.Any] = getattr(app, "config", None) or {}
            http_host = config.get("SERVER_NAME") or "localhost"
            app_root = config.get("APPLICATION_ROOT") or "/"
            if subdomain:
                http_host = f"{subdomain}.{http_host}"
            if url_scheme is None:
                url_scheme = config.get("PREFERRED_URL_SCHEME") or "http"
            url = urlsplit(path)
            base_url = (
                f"{url.scheme or url_scheme}://{url.netloc or http_host}/{app_root.lstrip('/')}"
            )
            path = url.path
            if url.query:
                path = f"{path}?{url.query}"
        self.app = app
        self._setup(path, base_url, *args, **kwargs)

    def _setup(
        self,
        path: str,
        base_url: str,
        query_string: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | str | bytes | None = None,
        method: str = "GET",
        input_stream: t.IO[bytes] | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        errors_stream: t.IO[str] | None = None,
        multithread: bool = False,
        multiprocess: bool = False,
        run_once: bool = False,
        headers: object = None,
        data: t.Any = None,
        environ_base: Mapping[str, t.Any] | None = None,
        environ_overrides: Mapping[str, t.Any] | None = None,
        mimetype: str | None = None,
        json: t.Any = None,
        auth: t.Any = None,
    ) -> None:
        if query_string is not None and "?" in path:
            raise ValueError("Query string is defined in the path and as an argument")
        request_uri = urlsplit(path)
        self.request_uri = path
        self.path = request_uri.path
        self._query_string: str | None = None
        self._args: list[tuple[str, str]] | None = None
        if query_string is None:
            if "?" in path:
                self._query_string = request_uri.query
        elif isinstance(query_string, bytes):
            try:
                self._query_string = query_string.decode("utf-8")
            except UnicodeDecodeError:
                self._query_string = query_string.decode("latin-1")
        elif isinstance(query_string, str):
            self._query_string = query_string
        else:
            self._args = [(k, v) for k, v in _iter_data(query_string) if v is not None]
        self.base_url = base_url
        self.method = method.upper()
        self.headers = Headers(headers)
        if content_type is not None:
            self.content_type = content_type
        self.errors_stream: t.IO[str] = sys.stderr if errors_stream is None else errors_stream
        self.multithread = multithread
        self.multiprocess = multiprocess
        self.run_once = run_once
        self.environ_base = environ_base
        self.environ_overrides = environ_overrides
        self._input_stream: t.IO[bytes] | None = input_stream
        self._form: list[tuple[str, str]] = []
        self._files: list[tuple[str, _FileEntry]] = []
        self.content_length = content_length
        self.closed = False

        if auth is not None:
            if isinstance(auth, tuple):
                user, password = auth
                token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
                self.headers.set("Authorization", f"Basic {token}")
            else:
                self.headers.set("Authorization", auth.to_header())

        if json is not None:
            if data is not None:
                raise TypeError("can't provide both json and data")
            data = self.json_dumps(json)
            if self.content_type is None:
                self.content_type = "application/json"

        if data:
            if input_stream is not None:
                raise TypeError("can't provide input stream and data")
            if hasattr(data, "read"):
                data = data.read()
            if isinstance(data, str):
                data = data.encode()
            if isinstance(data, (bytes, bytearray)):
                self._input_stream = BytesIO(bytes(data))
                if self.content_length is None:
                    self.content_length = len(data)
            else:
                for key, value in _iter_data(data):
                    if _is_file_value(value):
                        self._files.append((key, _make_file(value)))
                    else:
                        self._form.append((key, value if isinstance(value, str) else str(value)))

        if mimetype is not None:
            self.mimetype = mimetype

    @classmethod
    def from_environ(cls, environ: Mapping[str, t.Any], **kwargs: t.Any) -> EnvironBuilder:
        """Rebuild a builder from an environ so a request can be replayed or altered.

        :param kwargs: ``app`` plus any constructor argument, overriding the environ's value.
        """
        headers = Headers(list(_environ_headers(environ)))
        host = headers.pop("Host", None) or environ.get("SERVER_NAME", "localhost")
        script = _unwsgi_str(environ.get("SCRIPT_NAME", "")).rstrip("/")
        out: dict[str, t.Any] = {
            "path": _unwsgi_str(environ.get("PATH_INFO", "/")) or "/",
            "base_url": f"{environ.get('wsgi.url_scheme', 'http')}://{host}{script}/",
            "query_string": _unwsgi_str(environ.get("QUERY_STRING", "")),
            "method": environ.get("REQUEST_METHOD", "GET"),
            "input_stream": environ.get("wsgi.input"),
            "content_type": headers.pop("Content-Type", None),
            "content_length": headers.pop("Content-Length", None),
            "errors_stream": environ.get("wsgi.errors"),
            "multithread": environ.get("wsgi.multithread", False),
            "multiprocess": environ.get("wsgi.multiprocess", False),
            "run_once": environ.get("wsgi.run_once", False),
            "headers": headers,
        }
        out.update(kwargs)
        app = out.pop("app", None)
        return cls(app, **out)

    def json_dumps(self, obj: t.Any) -> str:
        """Serialize with the app's JSON provider so request bodies match what it would emit."""
        provider = getattr(self.app, "json", None)
        dumps = getattr(provider, "dumps", None)
        if dumps is not None:
            return str(dumps(obj))
        return _json.dumps(obj)

    @property
    def base_url(self) -> str:
        """Scheme, host and script root; setting it re-splits them."""
        return f"{self.url_scheme}://{self.host}{self.script_root}/"

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        if value is None:
            scheme, netloc, root = "http", "localhost", ""
        else:
            parts = urlsplit(value)
            if parts.query or parts.fragment:
                raise ValueError("base url must not contain a query string or fragment")
            scheme, netloc, root = parts.scheme, parts.netloc, parts.path
            if not netloc.isascii():
                name, sep, port = netloc.rpartition(":")
                if not sep or not port.isdigit():
                    name, sep, port = netloc, "", ""
                netloc = name.encode("idna").decode("ascii") + sep + port
        self.script_root = root.rstrip("/")
        self.host = netloc
        self.url_scheme = scheme

    @property
    def content_type(self) -> str | None:
        """The request content type; inferred from form data and files when not set."""
        ct = self.headers.get("Content-Type")
        if ct is None and not self._input_stream:
            if self._files:
                return "multipart/form-data"
            if self._form:
                return "application/x-www-form-urlencoded"
        return ct

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        if value is None:
            self.headers.remove("Content-Type")
        else:
            self.headers.set("Content-Type", value)

    @property
    def mimetype(self) -> str | None:
        ct = self.content_type
        return ct.split(";")[0].strip() if ct else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.content_type = get_content_type(value)

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            return None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self.headers.remove("Content-Length")
        else:
            self.headers.set("Content-Length", str(value))

    @property
    def input_stream(self) -> t.IO[bytes] | None:
        """Raw body; setting it drops form data and files, as they are mutually exclusive."""
        return self._input_stream

    @input_stream.setter
    def input_stream(self, value: t.IO[bytes] | None) -> None:
        self._input_stream = value
        self._form = []
        self._files = []

    @property
    def query_string(self) -> str:
        if self._query_string is not None:
            return self._query_string
        if self._args:
            return _urlencode_pairs(self._args)
        return ""

    @query_string.setter
    def query_string(self, value: str | None) -> None:
        self._query_string = value
        self._args = None

    @property
    def server_name(self) -> str:
        return _split_host(self.host)[0]

    @property
    def server_port(self) -> int:
        port = _split_host(self.host)[1]
        if port is not None:
            return port
        return 443 if self.url_scheme in ("https", "wss") else 80

    def close(self) -> None:
        """Close files this builder opened from paths; callers' own streams are theirs."""
        if self.closed:
            return
        for _, entry in self._files:
            if entry.owned:
                try:
                    entry.stream.close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass
        self.closed = True

    def get_environ(self) -> WSGIEnviron:
        """Return a fresh environ; the body is encoded now, so it can be called again."""
        input_stream = self._input_stream
        content_length = self.content_length
        mimetype = self.mimetype
        content_type = self.content_type

        if input_stream is not None:
            start = input_stream.tell()
            input_stream.seek(0, 2)
            content_length = input_stream.tell() - start
            input_stream.seek(start)
        elif mimetype == "multipart/form-data":
            boundary = _new_boundary()
            body = _encode_parts(self._form, self._files, boundary)
            for _, entry in self._files:
                if hasattr(entry.stream, "seek"):
                    try:
                        entry.stream.seek(0)
                    except (OSError, ValueError):
                        pass
            input_stream = BytesIO(body)
            content_length = len(body)
            content_type = f'{mimetype}; boundary="{boundary}"'
        elif mimetype == "application/x-www-form-urlencoded":
            body = _urlencode_pairs(self._form).encode("ascii")
            content_length = len(body)
            input_stream = BytesIO(body)
        else:
            input_stream = BytesIO()

        result: WSGIEnviron = dict(self.environ_base) if self.environ_base else {}
        raw_uri = _wsgi_str(self.request_uri)
        result.update(
            {
                "REQUEST_METHOD": self.method,
                "SCRIPT_NAME": _wsgi_str(unquote(self.script_root)),
                "PATH_INFO": _wsgi_str(unquote(self.path)),
                "QUERY_STRING": _wsgi_str(self.query_string),
                "REQUEST_URI": raw_uri,
                "RAW_URI": raw_uri,
                "SERVER_NAME": self.server_name,
                "SERVER_PORT": str(self.server_port),
                "HTTP_HOST": self.host,
                "SERVER_PROTOCOL": self.server_protocol,
                "wsgi.version": self.wsgi_version,
                "wsgi.url_scheme": self.url_scheme,
                "wsgi.input": input_stream,
                "wsgi.errors": self.errors_stream,
                "wsgi.multithread": self.multithread,
                "wsgi.multiprocess": self.multiprocess,
                "wsgi.run_once": self.run_once,
            }
        )
        result.setdefault("REMOTE_ADDR", "127.0.0.1")
        if content_type is not None:
            result["CONTENT_TYPE"] = content_type
        if content_length is not None:
            result["CONTENT_LENGTH"] = str(content_length)
        combined: dict[str, list[str]] = {}
        for key, value in self.headers:
            lkey = key.lower()
            if lkey in ("content-type", "content-length"):
                continue
            combined.setdefault(f"HTTP_{key.upper().replace('-', '_')}", []).append(value)
        for key, values in combined.items():
            result[key] = ", ".join(values)
        if self.environ_overrides:
            result.update(self.environ_overrides)
        return result

    def get_request(self, cls: Callable[[t.Any], t.Any] | None = None) -> t.Any:
        """Build the app's request object for this environ, as ``test_request_context`` needs."""
        environ = self.get_environ()
        if cls is not None:
            return cls(environ)
        return _make_request(self.app, environ)


def _split_host(host: str) -> tuple[str, int | None]:
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        port_str = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port_str = host.partition(":")
    try:
        port = int(port_str) if port_str else None
    except ValueError:
        port = None
    return name, port


def _environ_headers(environ: Mapping[str, t.Any]) -> Iterator[tuple[str, str]]:
    for key, value in environ.items():
        if key.startswith("HTTP_") and key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
            yield key[5:].replace("_", "-").title(), str(value)
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            yield key.replace("_", "-").title(), str(value)


def _make_request(app: t.Any, environ: WSGIEnviron) -> t.Any:
    """The app's own request type, so ``response.request`` is what a view would have seen."""
    # Imported here so the client stays importable while the layers it drives are rebuilt.
    try:
        from kolba.wsgi import WSGIScope
    except ImportError:
        return SimpleNamespace(environ=environ)
    request_class = getattr(app, "request_class", None)
    if request_class is None:
        from kolba.http.request import Request

        request_class = Request
    return request_class(WSGIScope(environ))
