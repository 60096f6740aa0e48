"""The in-process test client: build a WSGI environ, call the app, read the whole response.

Mirrors Flask's ``FlaskClient`` and Werkzeug's ``Client``/``EnvironBuilder`` argument for
argument, so tests written for Flask run unchanged. No socket is opened: the client calls
``app(environ, start_response)`` directly, which also exercises Kolba's WSGI adapter.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json as _json
import mimetypes
import os
import sys
import typing as t
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from datetime import datetime
from io import BytesIO
from random import random
from time import time
from types import SimpleNamespace, TracebackType
from urllib.parse import quote, unquote, urlencode, urljoin, urlsplit

from kolba.http.cookies import dump_cookie, parse_cookie
from kolba.http.datastructures import Headers
from kolba.http.dates import parse_date

__all__ = [
    "ClientRedirectError",
    "Cookie",
    "EnvironBuilder",
    "KolbaClient",
    "encode_multipart",
    "make_test_response_class",
]

WSGIEnviron = dict[str, t.Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]

#: Keys an environ holds for itself; everything else given as a dict is treated as a header.
_PRESERVE_KEY = "kolba.preserve_context"
_REDIRECT_CODES = frozenset({301, 302, 303, 305, 307, 308})
# Content types Werkzeug's get_content_type gives a charset to besides ``text/*`` and ``+xml``.
_CHARSET_MIMETYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    }
)


def _kolba_version() -> str:
    try:
        from kolba import __version__  # type: ignore[attr-defined]
    except ImportError:
        return "dev"
    return str(__version__)


def _wsgi_str(value: str) -> str:
    """PEP 3333 carries text as latin-1 code points of the UTF-8 bytes."""
    return value.encode("utf-8").decode("latin-1")


def _unwsgi_str(value: str) -> str:
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


def _with_charset(mimetype: str) -> str:
    if mimetype.startswith("text/") or mimetype in _CHARSET_MIMETYPES or mimetype.endswith("+xml"):
        return f"{mimetype}; charset=utf-8"
    return mimetype


def _urlencode_pairs(pairs: Iterable[tuple[str, t.Any]]) -> str:
    # Werkzeug leaves the WHATWG "safe" punctuation unquoted; match it byte for byte.
    return urlencode([(k, v) for k, v in pairs if v is not None], safe="!$'()*,/:;?@")


def _iter_data(data: object) -> Iterator[tuple[str, t.Any]]:
    """Yield ``(key, value)`` from a dict, multidict or pair list; lists become repeats."""
    items: Iterable[t.Any]
    if hasattr(data, "items"):
        try:
            items = data.items(multi=True)
        except TypeError:
            items = data.items()
    else:
        items = t.cast(Iterable[t.Any], data)
    for key, value in items:
        if isinstance(value, list):
            for v in value:
                yield str(key), v
        else:
            yield str(key), value


# --- multipart ------------------------------------------------------------------------------


class _FileEntry:
    """One file part waiting to be encoded; keeps the stream so ``close()`` can release it."""

    __slots__ = ("stream", "filename", "content_type", "owned")

    def __init__(
        self, stream: t.IO[bytes], filename: str | None, content_type: str | None, owned: bool
    ) -> None:
        self.stream = stream
        self.filename = filename
        self.content_type = content_type
        self.owned = owned


def _make_file(value: t.Any) -> _FileEntry:
    """Turn a file-like, a path, or a ``(file, filename[, content_type])`` tuple into a part."""
    if isinstance(value, tuple):
        if not 1 <= len(value) <= 3:
            raise TypeError("a file tuple is (file, filename[, content_type])")
        source = value[0]
        filename: str | None = value[1] if len(value) > 1 else None
        content_type: str | None = value[2] if len(value) > 2 else None
    else:
        source, filename, content_type = value, None, None
    owned = False
    if isinstance(source, (str, os.PathLike)):
        if filename is None:
            filename = os.fspath(source)
        stream: t.IO[bytes] = open(source, "rb")  # noqa: SIM115 - closed by EnvironBuilder.close
        owned = True
    elif hasattr(source, "read"):
        stream = source
        if filename is None:
            filename = getattr(source, "filename", None)
            if filename is None:
                name = getattr(source, "name", None)
                if isinstance(name, (str, bytes)):
                    filename = os.fsdecode(name)
        if content_type is None:
            content_type = getattr(source, "content_type", None)
    else:
        raise TypeError(f"cannot upload {type(source).__name__!r} as a file")
    if filename is not None and filename.startswith("<") and filename.endswith(">"):
        # Streams like sys.stdin are named "<stdin>"; that is no file name.
        filename = None
    if filename and content_type is None:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return _FileEntry(stream, filename, content_type, owned)


def _is_file_value(value: object) -> bool:
    return isinstance(value, tuple) or hasattr(value, "read")


def _encode_parts(
    fields: Iterable[tuple[str, str]], files: Iterable[tuple[str, _FileEntry]], boundary: str
) -> bytes:
    """Encode form fields then files the way Werkzeug's ``MultipartEncoder`` does.

    NOTE: Werkzeug omits the CRLF before the next delimiter when a part is empty, which
    python-multipart cannot parse; here every part body is followed by CRLF, as RFC 7578 says.
    """
    delim = b"\r\n--" + boundary.encode("latin-1")
    out = BytesIO()
    for name, value in fields:
        out.write(delim + b'\r\nContent-Disposition: form-data; name="%s"\r\n' % name.encode())
        out.write(b"\r\n" + value.encode())
    for name, entry in files:
        out.write(delim + b'\r\nContent-Disposition: form-data; name="%s"' % name.encode())
        if entry.filename is not None:
            out.write(b'; filename="%s"' % entry.filename.encode())
        out.write(b"\r\n")
        ctype = entry.content_type or "application/octet-stream"
        out.write(f"Content-Type: {ctype}\r\n\r\n".encode())
        while True:
            chunk = entry.stream.read(16384)
            if not chunk:
                break
            out.write(chunk if isinstance(chunk, bytes) else str(chunk).encode())
    out.write(delim + b"--\r\n")
    return out.getvalue()


def _new_boundary() -> str:
    return f"---------------KolbaFormPart_{time()}{random()}"


def encode_multipart(values: Mapping[str, t.Any], boundary: str | None = None) -> tuple[str, bytes]:
    """Encode a form the way a browser would post it, for tests that build bodies by hand.

    :param values: field names to strings (a list gives a repeated field) or files: a file
        object, or a ``(file, filename[, content_type])`` tuple.
    :param boundary: fixed boundary so a test can compare bytes; random when omitted.
    :return: ``(boundary, body)``.
    """
    if boundary is None:
        boundary = _new_boundary()
    fields: dict[str, list[str]] = {}
    files: dict[str, list[_FileEntry]] = {}
    for key, value in _iter_data(values):
        if _is_file_value(value):
            files.setdefault(key, []).append(_make_file(value))
        else:
            fields.setdefault(key, []).append(value if isinstance(value, str) else str(value))
    body = _encode_parts(
        ((k, v) for k, vs in fields.items() for v in vs),
        ((k, f) for k, fs in files.items() for f in fs),
        boundary,
    )
    for fs in files.values():
        for f in fs:
            if f.owned:
                f.stream.close()
    return boundary, body


# --- environ builder ------------------------------------------------------------------------


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
        self.content_type = _with_charset(value)

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


# --- responses ------------------------------------------------------------------------------


def _default_response_class(app: t.Any) -> type:
    cls = getattr(app, "response_class", None)
    if isinstance(cls, type):
        return cls
    from kolba.http.response import Response

    return Response


_test_response_classes: dict[type, type] = {}


def _response_text(self: t.Any) -> str:
    """The body decoded, the usual thing a test asserts on."""
    return str(self.get_data(as_text=True))


def make_test_response_class(response_class: type) -> type:
    """Give ``response_class`` the ``request``, ``history`` and ``text`` tests read.

    The subclass is cached so every client of one app returns one type, which keeps
    ``isinstance`` checks and class identity stable across tests.
    """
    if getattr(response_class, "_kolba_test_response", False):
        return response_class
    cls = _test_response_classes.get(response_class)
    if cls is None:
        namespace: dict[str, t.Any] = {
            "__test__": False,  # not a pytest test class despite the name
            "_kolba_test_response": True,
            "default_mimetype": None,  # the app chose the headers; add none
            "request": None,
            "history": (),
            "text": property(_response_text),
            "__module__": __name__,
        }
        cls = type(f"Test{response_class.__name__}", (response_class,), namespace)
        _test_response_classes[response_class] = cls
    return cls


def _read_body(stream: t.Any, length: object) -> bytes:
    if stream is None:
        return b""
    try:
        limit = int(str(length)) if length not in (None, "") else -1
    except ValueError:
        limit = -1
    data = stream.read() if limit < 0 else stream.read(limit)
    return data if isinstance(data, bytes) else bytes(data)


def _run_app(app: WSGIApp, environ: WSGIEnviron) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call the app and read everything, closing its iterable whatever happens."""
    state: list[tuple[str, list[tuple[str, str]]]] = []
    written: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> Callable[[bytes], object]:
        if exc_info:
            try:
                raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        state[:] = [(status, list(headers))]
        return written.append

    app_iter = app(environ, start_response)
    try:
        chunks = list(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    if not state:
        raise RuntimeError("The application did not call start_response.")
    status, headers = state[0]
    return status, headers, b"".join(written) + b"".join(chunks)


# --- cookies --------------------------------------------------------------------------------


@dataclasses.dataclass
class Cookie:
    """A cookie as the test client's jar holds it, for inspection via ``get_cookie``.

    ``key``/``value`` are as sent on the wire; ``decoded_*`` are what the app set and reads.
    """

    key: str
    value: str
    decoded_key: str
    decoded_value: str
    expires: datetime | None
    max_age: int | None
    domain: str
    origin_only: bool
    path: str
    secure: bool | None
    http_only: bool | None
    same_site: str | None
    partitioned: bool = False
    #: POSIX time after which the cookie is no longer sent; from Max-Age, else Expires.
    expiry: float | None = dataclasses.field(default=None, repr=False, compare=False)

    def _matches_request(self, server_name: str, path: str) -> bool:
        domain_ok = server_name == self.domain or (
            not self.origin_only
            and server_name.endswith(self.domain)
            and server_name[: -len(self.domain)].endswith(".")
        )
        path_ok = path == self.path or (
            path.startswith(self.path)
            and path[len(self.path) - self.path.endswith("/") :].startswith("/")
        )
        return domain_ok and path_ok

    def _is_expired(self, now: float) -> bool:
        return self.expiry is not None and self.expiry <= now

    def _to_request_header(self) -> str:
        return f"{self.key}={self.value}"

    @classmethod
    def _from_response_header(cls, server_name: str, path: str, header: str) -> Cookie:
        pair, _, params_str = header.partition(";")
        key, _, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        parsed = parse_cookie(pair)
        decoded_key, decoded_value = next(iter(parsed.items()), (_unwsgi_str(key), value))
        params: dict[str, str | None] = {}
        for item in params_str.split(";"):
            k, sep, v = item.partition("=")
            params[k.strip().lower()] = v.strip() if sep else None
        max_age: int | None = None
        if "max-age" in params:
            try:
                max_age = int(params["max-age"] or 0)
            except ValueError:
                max_age = None
        expires = parse_date(params.get("expires"))
        if max_age is not None:
            expiry: float | None = time() + max_age
        elif expires is not None:
            expiry = expires.timestamp()
        else:
            expiry = None
        domain = (params.get("domain") or "").lstrip(".").lower() or server_name
        return cls(
            key=key,
            value=value,
            decoded_key=decoded_key,
            decoded_value=decoded_value,
            expires=expires,
            max_age=max_age,
            domain=domain,
            origin_only="domain" not in params,
            path=params.get("path") or path.rpartition("/")[0] or "/",
            secure="secure" in params,
            http_only="httponly" in params,
            same_site=params.get("samesite"),
            partitioned="partitioned" in params,
            expiry=expiry,
        )

    @property
    def _storage_key(self) -> tuple[str, str, str]:
        return self.domain, self.path, self.decoded_key

    @property
    def _should_delete(self) -> bool:
        """Max-Age=0 or an Expires in the past is how servers delete cookies."""
        return (self.max_age is not None and self.max_age <= 0) or (
            self.expiry is not None and self.expiry <= time()
        )


# --- the client -----------------------------------------------------------------------------


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
