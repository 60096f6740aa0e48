"""The response object of the HTTP layer: status, headers and a body iterable.

A response knows nothing of servers. An adapter asks it for :meth:`Response.prepare` (the final
status line, header list and body iterable for a given request method) and writes those out.
"""

from __future__ import annotations

import json as _json
import typing as t
from datetime import datetime, timedelta

from .datastructures import Headers
from .status import status_line
from .utils import cached_property

if t.TYPE_CHECKING:  # pragma: no cover
    from .headers import ContentRange, HeaderSet, ResponseCacheControl

_charset_mimetypes = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    }
)
_entity_headers_304 = frozenset(
    {
        "allow",
        "content-encoding",
        "content-language",
        "content-length",
        "content-md5",
        "content-range",
        "content-type",
        "last-modified",
    }
)
_content_type_cache: dict[str, str] = {}
#: The lengths of the header names prepare() looks at: location, content-length, content-location.
_special_lengths = frozenset({8, 14, 16})
# PERF: Headers._from_trusted without the classmethod call, for the commonest response.
_new_headers = object.__new__


def get_content_type(mimetype: str, charset: str = "utf-8") -> str:
    """Add ``; charset=`` to text-like mimetypes, as browsers need it and Werkzeug does."""
    ct = _content_type_cache.get(mimetype)
    if ct is None:
        if (
            mimetype.startswith("text/")
            or mimetype in _charset_mimetypes
            or mimetype.endswith("+xml")
        ):
            ct = f"{mimetype}; charset={charset}"
        else:
            ct = mimetype
        if len(_content_type_cache) < 256:
            _content_type_cache[mimetype] = ct
    return ct


def _clean_status(value: int | str | bytes) -> tuple[str, int]:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, int):
        code = int(value)
        return status_line(code), code
    value = value.strip()
    if not value:
        raise ValueError("Empty status argument")
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError("Status must not contain newline characters.")
    code_str, sep, _ = value.partition(" ")
    try:
        code = int(code_str)
    except ValueError:
        return f"0 {value}", 0
    if sep:
        return value, code
    return status_line(code), code


class ClosingIterator:
    """Iterate a body and run its ``close`` callbacks when the server closes it.

    PEP 3333 servers call ``close()`` on the returned iterable whether or not iteration finished;
    that is the only point at which a streamed response's resources can be released.
    """

    __slots__ = ("_iterator", "_callbacks", "_closed")

    def __init__(self, iterable: t.Iterable[bytes], callbacks: list[t.Callable[[], t.Any]]):
        self._iterator = iter(iterable)
        self._callbacks = callbacks
        self._closed = False

    def __iter__(self) -> ClosingIterator:
        return self

    def __next__(self) -> bytes:
        return next(self._iterator)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        errors: list[BaseException] = []
        for callback in self._callbacks:
            try:
                callback()
            except BaseException as e:  # noqa: BLE001 - run every callback, then re-raise
                errors.append(e)
        if errors:
            raise errors[0]


def _encode_iter(iterable: t.Iterable[t.Any]) -> t.Iterator[bytes]:
    for item in iterable:
        if isinstance(item, str):
            yield item.encode()
        else:
            yield bytes(item)


class _DateHeader:
    """A response header holding an HTTP date, read as an aware datetime (None if absent or
    invalid) and set from a datetime, a timestamp, a ready string, or None to remove it."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.__doc__ = doc

    def __get__(self, obj: Response | None, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        from .dates import parse_date

        return parse_date(obj.headers.get(self.name))

    def __set__(self, obj: Response, value: datetime | int | float | str | None) -> None:
        from .dates import http_date

        if value is None or isinstance(value, str):
            obj._set_or_remove(self.name, value)
        else:
            obj.headers[self.name] = http_date(value)


_retry_after_date = _DateHeader("Retry-After")


class _TextHeader:
    """A response header read and set as text; None removes it."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.__doc__ = doc

    @t.overload
    def __get__(self, obj: None, owner: type | None = None) -> _TextHeader: ...

    @t.overload
    def __get__(self, obj: Response, owner: type | None = None) -> str | None: ...

    def __get__(self, obj: Response | None, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        return obj.headers.get(self.name)

    def __set__(self, obj: Response, value: str | None) -> None:
        obj._set_or_remove(self.name, value)


class _SetHeader:
    """A comma-separated header read as a live :class:`HeaderSet` (changes write back) and set
    from a string or an iterable of values."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.__doc__ = doc

    @t.overload
    def __get__(self, obj: None, owner: type | None = None) -> _SetHeader: ...

    @t.overload
    def __get__(self, obj: Response, owner: type | None = None) -> HeaderSet: ...

    def __get__(self, obj: Response | None, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        from .headers import parse_set_header

        name = self.name

        def on_update(hs: HeaderSet) -> None:
            obj._set_or_remove(name, hs.to_header() or None)

        return parse_set_header(obj.headers.get(name), on_update)

    def __set__(self, obj: Response, value: t.Iterable[str] | str | None) -> None:
        if value is not None and not isinstance(value, str):
            value = ", ".join(value)
        obj._set_or_remove(self.name, value)


class Response:
    """An HTTP response.

    :param response: The body: ``str``/``bytes`` (buffered), or any iterable of ``bytes``/``str``
        (streamed; its ``close()`` is called when the server is done with it).
    :param status: An ``int``, ``HTTPStatus`` or a status line such as ``"200 OK"``.
    :param headers: A :class:`Headers`, a mapping or a list of ``(name, value)`` pairs.
    :param mimetype: The mimetype; a text type gets ``; charset=utf-8`` added.
    :param content_type: The full Content-Type, used as given.
    :param direct_passthrough: Hand the iterable to the server untouched (for file wrappers).
    """

    default_status = 200
    default_mimetype: str | None = "text/plain"
    automatically_set_content_length = True
    autocorrect_location_header = False
    #: Largest ``Set-Cookie`` value before a warning; 0 disables the check.
    max_cookie_size = 4093
    json_module: t.Any = _json

    headers: Headers
    response: t.Any
    direct_passthrough: bool
    _status: str
    _status_code: int
    #: ``call_on_close`` callbacks; PERF: an empty tuple until the first one (no list per
    #: response).
    _on_close: t.Sequence[t.Callable[[], t.Any]]

    __slots__ = (
        "headers",
        "response",
        "_status",
        "_status_code",
        "direct_passthrough",
        "_on_close",
        "__dict__",
        "__weakref__",
    )

    def __init__(
        self,
        response: t.Any = None,
        status: int | str | None = None,
        headers: t.Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        # PERF: the common case (a str body, no headers, default status) builds the header list
        # directly: no validation is needed for values the framework itself produces.
        if type(response) is str and headers is None and status is None and not direct_passthrough:
            body = response.encode()
            if content_type is None:
                mt = mimetype or self.default_mimetype or "text/plain"
                # PERF: a subscript is specialised for a dict; .get() is a method call.
                try:
                    content_type = _content_type_cache[mt]
                except KeyError:
                    content_type = get_content_type(mt)
            self.headers = hdrs = _new_headers(Headers)
            hdrs._list = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
            self.response = [body]
            self._status = "200 OK"
            self._status_code = 200
            self.direct_passthrough = False
            self._on_close = ()
            if not self.automatically_set_content_length:
                self.headers._list.pop()
            return
        if headers is None:
            pairs: list[tuple[str, str]] = []
            self.headers = Headers._from_trusted(pairs)
            if content_type is None:
                content_type = get_content_type(mimetype or self.default_mimetype or "text/plain")
            pairs.append(("Content-Type", content_type))
        else:
            self.headers = headers if isinstance(headers, Headers) else Headers(headers)
            if content_type is None:
                if mimetype is None and "content-type" not in self.headers:
                    mimetype = self.default_mimetype
                if mimetype is not None:
                    content_type = get_content_type(mimetype)
            if content_type is not None:
                self.headers["Content-Type"] = content_type
        if status is None:
            status = self.default_status
        if type(status) is int and status == 200:
            self._status = "200 OK"
            self._status_code = 200
        else:
            self._status, self._status_code = _clean_status(status)
        self.direct_passthrough = direct_passthrough
        self._on_close = ()
        if response is None:
            self.response = []
        elif isinstance(response, (str, bytes, bytearray)):
            self.set_data(response)
        else:
            self.response = response

    def __repr__(self) -> str:
        if self.is_sequence:
            body_info = f"{sum(map(len, self.iter_encoded()))} bytes"
        else:
            body_info = "streamed" if self.is_streamed else "likely-streamed"
        return f"<{type(self).__name__} {body_info} [{self.status}]>"

    # -- Status ----------------------------------------------------------------------------------

    @property
    def status(self) -> str:
        return self._status

    @status.setter
    def status(self, value: int | str) -> None:
        self._status, self._status_code = _clean_status(value)

    @property
    def status_code(self) -> int:
        return self._status_code

    @status_code.setter
    def status_code(self, code: int) -> None:
        self._status, self._status_code = _clean_status(int(code))

    # -- Body ------------------------------------------------------------------------------------

    def get_data(self, as_text: bool = False) -> t.Any:
        """The whole body; a streamed body is read into memory first."""
        self._ensure_sequence()
        rv = b"".join(self.iter_encoded())
        if as_text:
            return rv.decode()
        return rv

    def set_data(self, value: str | bytes | bytearray) -> None:
        if isinstance(value, str):
            value = value.encode()
        else:
            value = bytes(value)
        self.response = [value]
        if self.automatically_set_content_length:
            self.headers._set_trusted("Content-Length", str(len(value)))

    data = property(get_data, set_data, doc="The body as bytes (setting it sets Content-Length).")

    @property
    def text(self) -> str:
        return t.cast(str, self.get_data(as_text=True))

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.response, (tuple, list))

    @property
    def is_streamed(self) -> bool:
        try:
            len(self.response)
        except (TypeError, AttributeError):
            return True
        return False

    def iter_encoded(self) -> t.Iterator[bytes]:
        return _encode_iter(self.response)

    def _ensure_sequence(self, mutable: bool = False) -> None:
        if self.is_sequence:
            if mutable and not isinstance(self.response, list):
                self.response = list(self.response)
            return
        if self.direct_passthrough:
            raise RuntimeError(
                "Attempted implicit sequence conversion but the response object is in"
                " direct passthrough mode."
            )
        self.make_sequence()

    def make_sequence(self) -> None:
        """Read a streamed body into a list so it can be inspected; closes the iterable."""
        if not self.is_sequence:
            close = getattr(self.response, "close", None)
            self.response = list(self.iter_encoded())
            if close is not None:
                self.call_on_close(close)

    def freeze(self) -> None:
        self.response = list(self.iter_encoded())
        self.headers["Content-Length"] = str(sum(map(len, self.response)))

    def calculate_content_length(self) -> int | None:
        try:
            self._ensure_sequence()
        except RuntimeError:
            return None
        return sum(len(x) for x in self.iter_encoded())

    def call_on_close(self, func: t.Callable[[], t.Any]) -> t.Callable[[], t.Any]:
        """Run ``func`` when the server closes the body. Usable as a decorator."""
        self._on_close = [*self._on_close, func]
        return func

    def close(self) -> None:
        """Close the body iterable and run every ``call_on_close`` callback, even when one
        raises; the first error is re-raised after all have run."""
        errors: list[BaseException] = []
        close = getattr(self.response, "close", None)
        if close is not None:
            try:
                close()
            except BaseException as e:  # noqa: BLE001 - callbacks must still run
                errors.append(e)
        for func in self._on_close:
            try:
                func()
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
        if errors:
            raise errors[0]

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- Common headers ----------------------------------------------------------------------------

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        self._set_or_remove("Content-Type", value)

    @property
    def mimetype(self) -> str | None:
        ct = self.headers.get("Content-Type")
        if ct:
            return ct.split(";")[0].strip().lower()
        return None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers["Content-Type"] = get_content_type(value)

    @property
    def mimetype_params(self) -> dict[str, str]:
        from .headers import parse_options_header

        return parse_options_header(self.headers.get("Content-Type", ""))[1]

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        if value is not None and value.isdigit():
            return int(value)
        return None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        self._set_or_remove("Content-Length", None if value is None else str(int(value)))

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    @location.setter
    def location(self, value: str | None) -> None:
        self._set_or_remove("Location", value)

    def _set_or_remove(self, name: str, value: str | None) -> None:
        if value is None:
            self.headers.remove(name)
        else:
            self.headers[name] = value

    date = _DateHeader("Date", "When the response was made.")
    expires = _DateHeader("Expires", "When the response goes stale.")
    last_modified = _DateHeader("Last-Modified", "When the resource last changed.")

    @property
    def retry_after(self) -> datetime | None:
        value = self.headers.get("Retry-After")
        if value is None:
            return None
        if value.isdigit():
            from datetime import timezone

            return datetime.now(timezone.utc) + timedelta(seconds=int(value))
        from .dates import parse_date

        return parse_date(value)

    @retry_after.setter
    def retry_after(self, value: datetime | int | str | None) -> None:
        if isinstance(value, int):
            self.headers["Retry-After"] = str(value)
        else:
            _retry_after_date.__set__(self, value)

    vary = _SetHeader("Vary", "The request headers the response varies with.")
    allow = _SetHeader("Allow", "The methods the resource allows.")
    content_language = _SetHeader("Content-Language", "The languages of the body.")
    content_encoding = _TextHeader("Content-Encoding", "How the body is encoded (e.g. gzip).")
    accept_ranges = _TextHeader("Accept-Ranges", "The range units served (e.g. bytes).")

    @property
    def content_range(self) -> ContentRange | None:
        from .headers import parse_content_range_header

        return parse_content_range_header(self.headers.get("Content-Range"))

    @content_range.setter
    def content_range(self, value: t.Any) -> None:
        if value is not None and not isinstance(value, str):
            value = value.to_header()
        self._set_or_remove("Content-Range", value)

    @cached_property
    def cache_control(self) -> ResponseCacheControl:
        from .headers import ResponseCacheControl, parse_cache_control_header

        def on_update(cc: ResponseCacheControl) -> None:
            if not cc and "cache-control" in self.headers:
                del self.headers["cache-control"]
            elif cc:
                self.headers["Cache-Control"] = cc.to_header()

        return parse_cache_control_header(
            self.headers.get("cache-control"), on_update, ResponseCacheControl
        )

    # -- ETags -----------------------------------------------------------------------------------

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        from .headers import unquote_etag

        return unquote_etag(self.headers.get("ETag"))

    def set_etag(self, etag: str, weak: bool = False) -> None:
        from .headers import quote_etag

        self.headers["ETag"] = quote_etag(etag, weak)

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        from .headers import generate_etag

        if overwrite or "etag" not in self.headers:
            self.set_etag(generate_etag(self.get_data()), weak)

    def make_conditional(
        self,
        request_or_environ: t.Any,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Response:
        """Answer the request's ``If-*`` and ``Range`` headers: 304, 412 or 206, in place.

        See :func:`kolba.http.ranges.make_conditional`, which does the work.

        :raises RequestedRangeNotSatisfiable: When no requested range overlaps the body.
        """
        from .ranges import make_conditional

        return make_conditional(self, request_or_environ, accept_ranges, complete_length)

    # -- Cookies ---------------------------------------------------------------------------------

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: timedelta | int | None = None,
        expires: str | datetime | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header; a value too large for browsers warns."""
        from .cookies import dump_cookie

        self.headers.add(
            "Set-Cookie",
            dump_cookie(
                key,
                value=value,
                max_age=max_age,
                expires=expires,
                path=path,
                domain=domain,
                secure=secure,
                httponly=httponly,
                max_size=self.max_cookie_size,
                samesite=samesite,
                partitioned=partitioned,
            ),
        )

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Tell the browser to forget a cookie (same path and domain as when it was set)."""
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    # -- JSON ------------------------------------------------------------------------------------

    @property
    def is_json(self) -> bool:
        mt = self.mimetype or ""
        return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))

    @property
    def json(self) -> t.Any:
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False) -> t.Any:
        """Parse the body as JSON (for tests); None if the mimetype is not JSON, unless forced."""
        if not (force or self.is_json):
            return None
        data = self.get_data()
        try:
            return self.json_module.loads(data)
        except ValueError:
            if not silent:
                raise
            return None

    # -- Sending ---------------------------------------------------------------------------------

    def prepare(self, method: str) -> tuple[str, list[tuple[str, str]], t.Iterable[bytes]]:
        """The status line, header list and body iterable to send for a request ``method``.

        Applies HTTP's rules: no body for HEAD, 1xx, 204 and 304; no Content-Length on 1xx and
        204; no entity headers on 304; a Content-Length computed for a buffered body; a
        non-ASCII Location encoded. The body iterable's ``close()`` closes this response.
        """
        status = self._status_code
        pairs = self.headers._list
        body = self.response
        # PERF: the commonest response, a 200 with one buffered bytes item and the two headers
        # the constructor wrote (a Content-Type, then Content-Length), needs none of the rules
        # below; these checks are what the general path would find.
        if (
            status == 200
            and len(pairs) == 2
            and pairs[1][0] == "Content-Length"
            and len(pairs[0][0]) not in _special_lengths
            and type(body) is list
            and len(body) == 1
            and type(body[0]) is bytes
            and not self._on_close
            and method != "HEAD"
        ):
            return self._status, pairs, body
        has_length = False
        # PERF: one pass over the (usually two or three) headers, lower-casing only names as
        # long as Location (8), Content-Length (14) or Content-Location (16).
        for key, value in pairs:
            if key == "Content-Length":
                has_length = True
                continue
            if len(key) not in _special_lengths:
                continue
            lkey = key.lower()
            if lkey == "content-length":
                has_length = True
            elif lkey == "location" or lkey == "content-location":
                from .urls import iri_to_uri

                # As Werkzeug does: a URI on the wire (non-ASCII, spaces, quotes, <> encoded).
                uri = iri_to_uri(value)
                if uri != value:
                    pairs = [(k, uri if k.lower() == lkey else v) for k, v in pairs]
        if status < 200 or status == 204:
            # A response that has no body has no Content-Length (RFC 9110) and no
            # Content-Type (PEP 3333's validator refuses one on 204).
            pairs = [
                (k, v) for k, v in pairs if k.lower() not in ("content-length", "content-type")
            ]
            return self._status, pairs, self._closing(())
        if status == 304:
            pairs = [(k, v) for k, v in pairs if k.lower() not in _entity_headers_304]
            return self._status, pairs, self._closing(())
        body = self.response
        if (
            not has_length
            and self.automatically_set_content_length
            and isinstance(body, (list, tuple))
        ):
            body = list(self.iter_encoded())
            pairs = [*pairs, ("Content-Length", str(sum(map(len, body))))]
        if method == "HEAD":
            return self._status, pairs, self._closing(())
        if type(body) is list and not self._on_close:
            # PERF: a buffered body of bytes needs no wrapper; nothing to close.
            for item in body:
                if type(item) is not bytes:
                    body = list(self.iter_encoded())
                    break
            return self._status, pairs, body
        if not self.direct_passthrough and not isinstance(body, (list, tuple)):
            body = _encode_iter(body)
        elif isinstance(body, (list, tuple)):
            body = list(self.iter_encoded())
        return self._status, pairs, ClosingIterator(body, [self.close])

    def _closing(self, body: t.Iterable[bytes]) -> t.Iterable[bytes]:
        if not self._on_close and not hasattr(self.response, "close"):
            return body
        return ClosingIterator(body, [self.close])
