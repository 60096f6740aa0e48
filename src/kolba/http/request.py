"""The request object of the HTTP layer: a lazy view over a :class:`~kolba.http.scope.Scope`.

Nothing is parsed until a view asks for it; every parsed value is computed once and then read
from the instance dict (see :class:`~kolba.http.utils.cached_property`).
"""

from __future__ import annotations

import io
import json as _json
import re
import sys
import typing as t
from urllib.parse import quote

from .cookies import parse_cookie
from .datastructures import (
    CombinedMultiDict,
    FileStorage,
    ImmutableHeaders,
    ImmutableMultiDict,
    MultiDict,
)
from .exceptions import BadRequest, RequestEntityTooLarge, SecurityError, UnsupportedMediaType
from .header_values import parse_options_header
from .scope import Scope
from .streams import LimitedStream
from .urls import url_decode
from .utils import cached_property

if t.TYPE_CHECKING:  # pragma: no cover
    from .headers import (
        Authorization,
        CharsetAccept,
        ETags,
        IfRange,
        LanguageAccept,
        MIMEAccept,
        Range,
        RequestCacheControl,
        UserAgent,
    )

_host_re = re.compile(r"(?:[a-z0-9._-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::[0-9]+)?", re.I)
_url_path_safe = "!$&'()*+,/:;=@%"
_url_query_safe = "!$&'()*+,/:;=?@%"


_FORM_MIMETYPES = ("multipart/form-data", "application/x-www-form-urlencoded")

# PERF: set on first form parse. Importing .forms loads multipart, which many apps never
# need; an import statement inside the method would instead cost every form request.
_parse_form_data: t.Any = None


def _load_form_parser() -> t.Any:
    global _parse_form_data
    from .forms import parse_form_data

    _parse_form_data = parse_form_data
    return parse_form_data


def _too_many_query_fields() -> BadRequest:
    return BadRequest("Too many query parameters.")


def _host_is_trusted(host: str, trusted: t.Collection[str] | None) -> bool:
    if not host or _host_re.fullmatch(host) is None:
        return False
    if not trusted:
        return True
    name = host.rpartition(":")[0] if not host.endswith("]") and ":" in host else host
    name = name.lower()
    for ref in trusted:
        ref = ref.lower()
        if ref.startswith("."):
            if name == ref[1:] or name.endswith(ref):
                return True
        elif name == ref:
            return True
    return False


class Request:
    """An HTTP request, parsed lazily from the :class:`Scope` the server adapter built.

    :param scope: What the server knows about the request.

    Limits (None means unlimited) may be set per request or on a subclass; the application's
    request class reads them from configuration.
    """

    #: Largest body accepted, in bytes (413 above it).
    max_content_length: int | None = None
    #: Largest non-file form field, or whole urlencoded body, held in memory (413 above it).
    max_form_memory_size: int | None = 500_000
    #: Most fields in a urlencoded body or parts in a multipart body (413 above it).
    max_form_parts: int | None = 1_000
    #: Most fields parsed from a query string (400 above it).
    max_query_fields: int | None = 10_000
    #: Host names accepted in the ``Host`` header; None or empty accepts any valid one.
    trusted_hosts: list[str] | None = None
    #: The JSON module used by :meth:`get_json`; the app's request class uses the app's provider.
    json_module: t.Any = _json
    parameter_storage_class = ImmutableMultiDict
    dict_storage_class = ImmutableMultiDict

    __slots__ = (
        "scope",
        "method",
        "path",
        "_stream",
        "_cached_data",
        "url_rule",
        "view_args",
        "routing_exception",
        "__dict__",
        "__weakref__",
    )

    #: What the application's router found for this request (the HTTP layer only holds them).
    #: PERF: slots set in ``__init__``, so a plain request never makes its ``__dict__``.
    #: The rule that matched; None before matching or when routing failed.
    url_rule: t.Any
    #: The converted URL values passed to the view.
    view_args: dict[str, t.Any] | None
    #: The routing error (404, 405, redirect) raised when the view would be dispatched.
    routing_exception: t.Any

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.method = scope.method
        path = scope.path
        # PERF: the common case ("/x") needs no normalisation; Werkzeug's rule is one leading slash.
        if not path or path[0] != "/" or path[1:2] == "/":
            path = "/" + path.lstrip("/")
        self.path = path
        self._stream: t.IO[bytes] | None = None
        self._cached_data: bytes | None = None
        self.url_rule = None
        self.view_args = None
        self.routing_exception = None

    def __repr__(self) -> str:
        try:
            url = self.url
        except Exception as e:  # noqa: BLE001 - a repr must not fail
            url = f"(invalid URL: {e})"
        return f"<{type(self).__name__} {url!r} [{self.method}]>"

    # -- URL parts -----------------------------------------------------------------------------

    @property
    def environ(self) -> dict[str, t.Any]:
        """The WSGI environ, when the request came through WSGI."""
        environ = self.scope.environ
        if environ is None:
            raise RuntimeError("This request did not come from a WSGI server; it has no environ.")
        return environ

    @property
    def query_string(self) -> bytes:
        return self.scope.query_string

    @property
    def scheme(self) -> str:
        return self.scope.scheme

    @property
    def is_secure(self) -> bool:
        return self.scope.scheme in ("https", "wss")

    @cached_property
    def root_path(self) -> str:
        """The prefix the application is mounted under, without a trailing slash."""
        return self.scope.root_path.rstrip("/")

    @property
    def script_root(self) -> str:
        return self.root_path

    @property
    def full_path(self) -> str:
        return f"{self.path}?{self.scope.query_string.decode('latin-1')}"

    @cached_property
    def host(self) -> str:
        """``host[:port]`` from the Host header (or the server address), validated.

        An invalid value is treated as empty, as Werkzeug does; a host outside
        :attr:`trusted_hosts` is refused with 400.
        """
        scope = self.scope
        host = scope.header("host")
        if host is None:
            server = scope.server
            if server is None or server[1] is None:
                return ""
            name = server[0]
            if ":" in name and name[0] != "[":
                name = f"[{name}]"
            host = f"{name}:{server[1]}"
        scheme = scope.scheme
        if scheme in ("http", "ws"):
            host = host.removesuffix(":80")
        elif scheme in ("https", "wss"):
            host = host.removesuffix(":443")
        if not _host_is_trusted(host, self.trusted_hosts):
            if self.trusted_hosts:
                raise SecurityError(f"Host {host!r} is not trusted.")
            return ""
        return host

    @property
    def host_url(self) -> str:
        return f"{self.scheme}://{self.host}/"

    @property
    def root_url(self) -> str:
        return f"{self.scheme}://{self.host}{quote(self.root_path, safe=_url_path_safe)}/"

    url_root = root_url

    @property
    def base_url(self) -> str:
        return self._build_url(with_query=False)

    @property
    def url(self) -> str:
        return self._build_url(with_query=True)

    def _build_url(self, with_query: bool) -> str:
        from .urls import uri_to_iri

        parts = [
            self.scheme,
            "://",
            self.host,
            quote(self.root_path, safe=_url_path_safe),
            "/",
            quote(self.path.lstrip("/"), safe=_url_path_safe),
        ]
        qs = self.scope.query_string
        if with_query and qs:
            parts.append("?")
            parts.append(quote(qs, safe=_url_query_safe))
        return uri_to_iri("".join(parts))

    # -- Peer ----------------------------------------------------------------------------------

    @property
    def remote_addr(self) -> str | None:
        client = self.scope.client
        return client[0] if client else None

    @cached_property
    def access_route(self) -> list[str]:
        """The X-Forwarded-For chain if present, else the peer. Only trust it behind a proxy."""
        forwarded = self.scope.header("x-forwarded-for")
        if forwarded:
            return [x.strip() for x in forwarded.split(",") if x.strip()]
        addr = self.remote_addr
        return [addr] if addr else []

    # -- Headers ---------------------------------------------------------------------------------

    @cached_property
    def headers(self) -> ImmutableHeaders:
        return ImmutableHeaders._from_trusted(self.scope.header_items())

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        cookies: ImmutableMultiDict[str, str] = parse_cookie(
            self.scope.header("cookie"), cls=self.dict_storage_class
        )
        return cookies

    @property
    def content_type(self) -> str | None:
        return self.scope.header("content-type")

    @cached_property
    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        return parse_options_header(self.scope.header("content-type") or "")

    @property
    def mimetype(self) -> str:
        return self._parsed_content_type[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        return self._parsed_content_type[1]

    @cached_property
    def content_length(self) -> int | None:
        """The declared body length; None when absent, chunked, or not a valid number."""
        scope = self.scope
        value = scope.header("content-length")
        if value is None:
            return None
        te = scope.header("transfer-encoding")
        if te is not None and "chunked" in te.lower():
            return None
        # PERF: the common case is plain ASCII digits with nothing to strip.
        if not value.isdigit() or not value.isascii():
            value = value.strip()
            if not value.isdigit() or not value.isascii():
                return None
        if len(value) > 18:
            digits = value.lstrip("0")
            if len(digits) > 18:
                # No body is that long, and int() refuses more than 4,300 digits
                # (CVE-2020-10735): an absurd length is "too large", which the body limit
                # then refuses with a 413.
                return sys.maxsize
            value = digits or "0"
        return int(value)

    @property
    def content_encoding(self) -> str | None:
        return self.scope.header("content-encoding")

    @property
    def referrer(self) -> str | None:
        return self.scope.header("referer")

    @property
    def origin(self) -> str | None:
        return self.scope.header("origin")

    @cached_property
    def user_agent(self) -> UserAgent:
        from .headers import UserAgent

        return UserAgent(self.scope.header("user-agent") or "")

    @cached_property
    def authorization(self) -> Authorization | None:
        from .headers import Authorization

        return Authorization.from_header(self.scope.header("authorization"))

    @cached_property
    def date(self) -> t.Any:
        from .dates import parse_date

        return parse_date(self.scope.header("date"))

    @cached_property
    def if_modified_since(self) -> t.Any:
        from .dates import parse_date

        return parse_date(self.scope.header("if-modified-since"))

    @cached_property
    def if_unmodified_since(self) -> t.Any:
        from .dates import parse_date

        return parse_date(self.scope.header("if-unmodified-since"))

    @cached_property
    def if_match(self) -> ETags:
        from .headers import parse_etags

        return parse_etags(self.scope.header("if-match"))

    @cached_property
    def if_none_match(self) -> ETags:
        from .headers import parse_etags

        return parse_etags(self.scope.header("if-none-match"))

    @cached_property
    def if_range(self) -> IfRange:
        from .headers import parse_if_range_header

        return parse_if_range_header(self.scope.header("if-range"))

    @cached_property
    def range(self) -> Range | None:
        from .headers import parse_range_header

        return parse_range_header(self.scope.header("range"))

    @cached_property
    def cache_control(self) -> RequestCacheControl:
        from .headers import RequestCacheControl, parse_cache_control_header

        return parse_cache_control_header(
            self.scope.header("cache-control"), None, RequestCacheControl
        )

    @cached_property
    def accept_mimetypes(self) -> MIMEAccept:
        from .headers import MIMEAccept, parse_accept_header

        return parse_accept_header(self.scope.header("accept"), MIMEAccept)

    @cached_property
    def accept_languages(self) -> LanguageAccept:
        from .headers import LanguageAccept, parse_accept_header

        return parse_accept_header(self.scope.header("accept-language"), LanguageAccept)

    @cached_property
    def accept_charsets(self) -> CharsetAccept:
        from .headers import CharsetAccept, parse_accept_header

        return parse_accept_header(self.scope.header("accept-charset"), CharsetAccept)

    @cached_property
    def accept_encodings(self) -> t.Any:
        from .headers import Accept, parse_accept_header

        return parse_accept_header(self.scope.header("accept-encoding"), Accept)

    # -- Query string ----------------------------------------------------------------------------

    @cached_property
    def args(self) -> ImmutableMultiDict[str, str]:
        qs = self.scope.query_string
        if not qs:
            return self.parameter_storage_class()
        return url_decode(  # type: ignore[return-value]
            qs,
            max_fields=self.max_query_fields,
            cls=self.parameter_storage_class,
            on_too_many=_too_many_query_fields,
            # Invalid UTF-8 stays percent-encoded, as in Flask, rather than being replaced.
            errors="kolba.url_quote",
        )

    # -- Body ------------------------------------------------------------------------------------

    @property
    def stream(self) -> t.IO[bytes]:
        """The body, limited to its declared length and to :attr:`max_content_length`.

        Reading past the declared length returns EOF; a body that ends early raises
        :class:`~kolba.http.exceptions.ClientDisconnected` (400). Without a length and without a
        server that marks the input as terminated, the body is empty (as in Werkzeug), because
        reading could block forever.
        """
        if self._stream is None:
            self._stream = self._make_stream()
        return self._stream

    input_stream = stream

    def _make_stream(self) -> t.IO[bytes]:
        scope = self.scope
        length = self.content_length
        limit = self.max_content_length
        if length is not None:
            if limit is not None and length > limit:
                raise RequestEntityTooLarge()
            if length == 0:
                return io.BytesIO()
            return LimitedStream(scope.body(), length)  # type: ignore[return-value]
        if (
            scope.header("content-length") is not None
            and "chunked" not in (scope.header("transfer-encoding") or "").lower()
        ):
            raise BadRequest("Invalid Content-Length header.")
        if scope.input_terminated:
            if limit is not None:
                return LimitedStream(scope.body(), limit, is_max=True)  # type: ignore[return-value]
            return scope.body()
        return io.BytesIO()

    @property
    def want_form_data_parsed(self) -> bool:
        return self.mimetype in _FORM_MIMETYPES

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        mimetype, options = self._parsed_content_type
        mimetype = mimetype.lower()
        # PERF: the default want_form_data_parsed inlined (two property calls fewer); a
        # subclass that overrides it is still asked.
        if type(self).want_form_data_parsed is _default_want_form_data_parsed:
            wanted = mimetype in _FORM_MIMETYPES
        else:
            wanted = self.want_form_data_parsed
        if wanted:
            parse_form_data = _parse_form_data or _load_form_parser()
            form, files = parse_form_data(
                self.stream,
                mimetype,
                options,
                self.content_length,
                max_form_memory_size=self.max_form_memory_size,
                max_form_parts=self.max_form_parts,
            )
        else:
            form = self.parameter_storage_class()
            files = self.parameter_storage_class()
        self.__dict__["form"] = form
        self.__dict__["files"] = files

    @cached_property
    def form(self) -> ImmutableMultiDict[str, str]:
        self._load_form_data()
        form: ImmutableMultiDict[str, str] = self.__dict__["form"]
        return form

    @cached_property
    def files(self) -> ImmutableMultiDict[str, FileStorage]:
        self._load_form_data()
        files: ImmutableMultiDict[str, FileStorage] = self.__dict__["files"]
        return files

    @cached_property
    def values(self) -> CombinedMultiDict[str, str]:
        sources: list[MultiDict[str, str]] = [self.args]
        if self.method != "GET":
            sources.append(self.form)
        return CombinedMultiDict(sources)

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> t.Any:
        """Read the whole body (once; later calls reuse it when ``cache`` is on)."""
        data = self._cached_data
        if data is None:
            if parse_form_data:
                self._load_form_data()
            data = self.stream.read()
            if cache:
                self._cached_data = data
        if as_text:
            return data.decode("utf-8", "replace")
        return data

    @property
    def data(self) -> bytes:
        data: bytes = self.get_data(parse_form_data=True)
        return data

    # -- JSON ------------------------------------------------------------------------------------

    @property
    def is_json(self) -> bool:
        mt = self.mimetype
        return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))

    @property
    def json(self) -> t.Any:
        """The parsed JSON body: 415 if the body is not JSON, 400 if it does not parse."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> t.Any:
        """Parse the body as JSON.

        :param force: Ignore the content type.
        :param silent: Return None instead of raising on a bad content type or body.
        :param cache: Remember the result for later calls.
        """
        # ``...`` marks "not parsed in this mode yet" (None is a valid JSON result).
        cached = self.__dict__.get("_cached_json", (..., ...))
        if cache and cached[silent] is not ...:
            return cached[silent]
        if not (force or self.is_json):
            if not silent:
                return self.on_json_loading_failed(None)
            return None
        data = self.get_data(cache=cache)
        try:
            try:
                rv = self._load_json(data)
            except RecursionError:
                # json.loads recurses once per nesting level: deep nesting is bad input.
                raise ValueError("JSON nested too deeply") from None
        except ValueError as e:
            if silent:
                if cache:
                    self.__dict__["_cached_json"] = (cached[0], None)
                return None
            rv = self.on_json_loading_failed(e)
        if cache:
            self.__dict__["_cached_json"] = (rv, rv)
        return rv

    def _load_json(self, data: bytes) -> t.Any:
        return self.json_module.loads(data)

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        """Called when JSON cannot be loaded; raises 400 (bad body) or 415 (not JSON)."""
        if e is not None:
            raise BadRequest(f"Failed to decode JSON object: {e}")
        raise UnsupportedMediaType(
            "Did not attempt to load JSON data because the request"
            " Content-Type was not 'application/json'."
        )

    # -- Lifetime --------------------------------------------------------------------------------

    def close(self) -> None:
        """Close any uploaded files; called when the request context ends."""
        files = self.__dict__.get("files")
        if files:
            for _key, value in files.items(multi=True):
                value.close()

    def __enter__(self) -> Request:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_default_want_form_data_parsed = Request.want_form_data_parsed
