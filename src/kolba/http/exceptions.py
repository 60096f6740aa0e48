"""HTTP errors as Python exceptions, matching ``werkzeug.exceptions``.

A view raises one of these (or calls :func:`abort`) and the application turns it into
a response. Flask code imports these names from ``werkzeug.exceptions``; the classes,
attributes, descriptions and the default HTML page are the same here so that porting
is a change of import and a client sees the same bytes.
"""

from __future__ import annotations

import inspect
import typing as t
from collections.abc import Iterable
from datetime import datetime, timezone

from markupsafe import Markup, escape

if t.TYPE_CHECKING:
    from kolba.http.response import Response

__all__ = [
    "Aborter",
    "BadGateway",
    "BadHost",
    "BadRequest",
    "BadRequestKeyError",
    "ClientDisconnected",
    "Conflict",
    "ExpectationFailed",
    "FailedDependency",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "HTTPException",
    "HTTPVersionNotSupported",
    "ImATeapot",
    "InternalServerError",
    "LengthRequired",
    "Locked",
    "MethodNotAllowed",
    "MisdirectedRequest",
    "NotAcceptable",
    "NotFound",
    "NotImplemented",
    "PreconditionFailed",
    "PreconditionRequired",
    "RequestEntityTooLarge",
    "RequestHeaderFieldsTooLarge",
    "RequestTimeout",
    "RequestURITooLarge",
    "RequestedRangeNotSatisfiable",
    "SecurityError",
    "ServiceUnavailable",
    "TooManyRequests",
    "UnavailableForLegalReasons",
    "Unauthorized",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "abort",
    "default_exceptions",
]


def _header_value(value: str) -> str:
    """Refuse a header value that would split the response's header block.

    Values here may be built from request data (a realm, a list of methods); refusing
    is safer than escaping because a mangled ``WWW-Authenticate`` is no better than a
    missing one, and the error points at the code that built it.
    """
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError("Header values must not contain newline characters.")
    return value


def _http_date(value: datetime) -> str:
    """Format a datetime as an IMF-fixdate; naive datetimes are taken as UTC, as
    Werkzeug does."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    else:
        value = value.astimezone(timezone.utc)
    import email.utils  # only for Retry-After dates; slow to import

    return email.utils.format_datetime(value, usegmt=True)


#: Error pages rendered once per exception class (see HTTPException._default_page).
_page_cache: dict[type, str] = {}


class HTTPException(Exception):
    """The base of every HTTP error; it carries what is needed to render a response.

    Subclasses set :attr:`code` and :attr:`description`. Raising the base class with a
    ``response`` lets code stop a request with a response it built itself.

    :param description: replaces the class's description in the error page.
    :param response: a ready response to send instead of the error page.
    """

    code: int | None = None
    description: str | None = None

    def __init__(self, description: str | None = None, response: Response | None = None) -> None:
        super().__init__()
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The reason phrase, e.g. ``"Not Found"``, used in the page title and ``str()``."""
        from kolba.http.status import HTTP_STATUS_CODES

        if self.code is None:
            return "Unknown Error"
        return HTTP_STATUS_CODES.get(self.code, "Unknown Error")

    def get_description(self, scope: t.Any = None) -> str:
        """Return the description as an HTML paragraph.

        The text is escaped because descriptions often quote request data; newlines
        become ``<br>`` so multi-line messages stay readable.

        :param scope: the request environment, for subclasses that tailor the text.
        """
        description = self.description if self.description is not None else ""
        return f"<p>{escape(description).replace(chr(10), Markup('<br>'))}</p>"

    def get_body(self, scope: t.Any = None) -> str:
        """Return the HTML error page, byte for byte the one Werkzeug renders.

        :param scope: passed on to :meth:`get_description`.
        """
        name = escape(self.name)
        return (
            "<!doctype html>\n"
            "<html lang=en>\n"
            f"<title>{self.code} {name}</title>\n"
            f"<h1>{name}</h1>\n"
            f"{self.get_description(scope)}\n"
        )

    def get_headers(self, scope: t.Any = None) -> list[tuple[str, str]]:
        """Return the headers of the error response; subclasses append their own.

        :param scope: the request environment, for subclasses that need it.
        """
        return [("Content-Type", "text/html; charset=utf-8")]

    def get_response(self, scope: t.Any = None) -> Response:
        """Return the response to send for this error.

        A response given to the constructor wins, so ``abort(response)`` sends exactly
        what the application built.

        :param scope: passed on to :meth:`get_body` and :meth:`get_headers`.
        """
        if self.response is not None:
            return self.response
        from kolba.http.response import Response

        return Response(self.get_body(scope), status=self.code, headers=self.get_headers(scope))

    def _default_page(self) -> str | None:
        """The error page when it is the class's own, unchanged page; else None.

        PERF: a 404 for an unknown URL is the commonest error, and its page is the same every
        time, so it is rendered once per class. An instance with its own description, or a class
        that overrides how the page is made, is rendered as usual.
        """
        if self.response is not None or "description" in self.__dict__ or "code" in self.__dict__:
            return None
        cls = type(self)
        page = _page_cache.get(cls)
        if page is None:
            plain = (
                cls.get_response is HTTPException.get_response
                and cls.get_body is HTTPException.get_body
                and cls.get_description is HTTPException.get_description
                and cls.get_headers is HTTPException.get_headers
                and cls.name is HTTPException.name
                and isinstance(inspect.getattr_static(cls, "description"), (str, type(None)))
            )
            # "" marks a class whose page depends on more than its code and description.
            page = _page_cache[cls] = self.get_body() if plain else ""
        return page or None

    def __call__(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> Iterable[bytes]:
        """Serve the error as a WSGI application, as Werkzeug's exceptions can be.

        :param environ: the WSGI environment.
        :param start_response: the server's ``start_response`` callable.
        """
        response: t.Any = self.get_response(environ)
        return response(environ, start_response)  # type: ignore[no-any-return]

    def __str__(self) -> str:
        code = self.code if self.code is not None else "???"
        return f"{code} {self.name}: {self.description}"

    def __repr__(self) -> str:
        code = self.code if self.code is not None else "???"
        return f"<{type(self).__name__} '{code}: {self.name}'>"


class BadRequest(HTTPException):
    """*400* ``Bad Request``: the client sent something the server cannot handle."""

    code = 400
    description = "The browser (or proxy) sent a request that this server could not understand."


class BadRequestKeyError(BadRequest, KeyError):
    """A missing key in request data: a :exc:`KeyError` to Python code, a 400 to clients.

    This is what ``request.form["x"]`` raises, so a missing field answers 400 instead of
    crashing with a 500.

    :param arg: the missing key.
    """

    _description: str = BadRequest.description
    #: Add the missing key to the description; for debugging only, since the key
    #: comes from code and may reveal internals.
    show_exception = False

    def __init__(self, arg: object | None = None, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        if arg is None:
            KeyError.__init__(self)
        else:
            KeyError.__init__(self, arg)

    @property
    def description(self) -> str:
        if self.show_exception:
            return f"{self._description}\nKeyError: {KeyError.__str__(self)}"
        return self._description

    @description.setter
    def description(self, value: str) -> None:
        self._description = value


class ClientDisconnected(BadRequest):
    """The client went away before sending the whole body.

    Answering is usually pointless, but it is still a 400 so it is handled like one.
    """


class SecurityError(BadRequest):
    """Something in the request tripped a security check; otherwise a 400."""


class BadHost(BadRequest):
    """The ``Host`` header is malformed or not trusted; otherwise a 400."""


class Unauthorized(HTTPException):
    """*401* ``Unauthorized``: credentials are missing or wrong.

    :param description: replaces the default description.
    :param response: a ready response to send instead.
    :param www_authenticate: one challenge or several; each becomes its own
        ``WWW-Authenticate`` header, which clients handle better than a joined one.
        A challenge is a string or an object with ``to_header()``.
    """

    code = 401
    description = (
        "The server could not verify that you are authorized to access"
        " the URL requested. You either supplied the wrong credentials"
        " (e.g. a bad password), or your browser doesn't understand"
        " how to supply the credentials required."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        www_authenticate: t.Any = None,
    ) -> None:
        super().__init__(description, response)
        if www_authenticate is not None and (
            isinstance(www_authenticate, str) or hasattr(www_authenticate, "to_header")
        ):
            www_authenticate = (www_authenticate,)
        self.www_authenticate: Iterable[t.Any] | None = www_authenticate

    def get_headers(self, scope: t.Any = None) -> list[tuple[str, str]]:
        headers = super().get_headers(scope)
        if self.www_authenticate:
            for item in self.www_authenticate:
                value = item.to_header() if hasattr(item, "to_header") else str(item)
                headers.append(("WWW-Authenticate", _header_value(value)))
        return headers


class Forbidden(HTTPException):
    """*403* ``Forbidden``: the client is known but may not access the resource."""

    code = 403
    description = (
        "You don't have the permission to access the requested"
        " resource. It is either read-protected or not readable by the"
        " server."
    )


class NotFound(HTTPException):
    """*404* ``Not Found``: nothing is at this URL."""

    code = 404
    description = (
        "The requested URL was not found on the server. If you entered"
        " the URL manually please check your spelling and try again."
    )


class MethodNotAllowed(HTTPException):
    """*405* ``Method Not Allowed``: the URL exists but not for this method.

    :param valid_methods: the methods the URL accepts, sent as the ``Allow`` header a
        405 response should carry.
    :param description: replaces the default description.
    :param response: a ready response to send instead.
    """

    code = 405
    description = "The method is not allowed for the requested URL."

    def __init__(
        self,
        valid_methods: Iterable[str] | None = None,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description=description, response=response)
        self.valid_methods = valid_methods

    def get_headers(self, scope: t.Any = None) -> list[tuple[str, str]]:
        headers = super().get_headers(scope)
        if self.valid_methods:
            headers.append(("Allow", _header_value(", ".join(self.valid_methods))))
        return headers


class NotAcceptable(HTTPException):
    """*406* ``Not Acceptable``: nothing matches the request's ``Accept`` headers."""

    code = 406
    description = (
        "The resource identified by the request is only capable of"
        " generating response entities which have content"
        " characteristics not acceptable according to the accept"
        " headers sent in the request."
    )


class RequestTimeout(HTTPException):
    """*408* ``Request Timeout``: the client was too slow to send its request."""

    code = 408
    description = (
        "The server closed the network connection because the browser"
        " didn't finish the request within the specified time."
    )


class Conflict(HTTPException):
    """*409* ``Conflict``: the request clashes with the resource's current state."""

    code = 409
    description = (
        "A conflict happened while processing the request. The"
        " resource might have been modified while the request was being"
        " processed."
    )


class Gone(HTTPException):
    """*410* ``Gone``: the resource existed and was removed for good."""

    code = 410
    description = (
        "The requested URL is no longer available on this server and"
        " there is no forwarding address. If you followed a link from a"
        " foreign page, please contact the author of this page."
    )


class LengthRequired(HTTPException):
    """*411* ``Length Required``: a body came without ``Content-Length``.

    The description's markup is escaped in the page, as in Werkzeug.
    """

    code = 411
    description = "A request with this method requires a valid <code>Content-Length</code> header."


class PreconditionFailed(HTTPException):
    """*412* ``Precondition Failed``: an ``If-Match``-style condition was false."""

    code = 412
    description = "The precondition on the request for the URL failed positive evaluation."


class RequestEntityTooLarge(HTTPException):
    """*413* ``Request Entity Too Large``: the body is over the configured limit."""

    code = 413
    description = "The data value transmitted exceeds the capacity limit."


class RequestURITooLarge(HTTPException):
    """*414* ``Request URI Too Long``: the URL is over the server's limit."""

    code = 414
    description = (
        "The length of the requested URL exceeds the capacity limit for"
        " this server. The request cannot be processed."
    )


class UnsupportedMediaType(HTTPException):
    """*415* ``Unsupported Media Type``: the body's type cannot be handled."""

    code = 415
    description = "The server does not support the media type transmitted in the request."


class RequestedRangeNotSatisfiable(HTTPException):
    """*416* ``Requested Range Not Satisfiable``: the range lies outside the resource.

    :param length: the resource's full length, sent as ``Content-Range: units */length``
        so the client can ask again correctly.
    :param units: the range unit.
    :param description: replaces the default description.
    :param response: a ready response to send instead.
    """

    code = 416
    description = "The server cannot provide the requested range."

    def __init__(
        self,
        length: int | None = None,
        units: str = "bytes",
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description=description, response=response)
        self.length = length
        self.units = units

    def get_headers(self, scope: t.Any = None) -> list[tuple[str, str]]:
        headers = super().get_headers(scope)
        if self.length is not None:
            headers.append(("Content-Range", _header_value(f"{self.units} */{self.length}")))
        return headers


class ExpectationFailed(HTTPException):
    """*417* ``Expectation Failed``: the ``Expect`` header cannot be met."""

    code = 417
    description = "The server could not meet the requirements of the Expect header"


class ImATeapot(HTTPException):
    """*418* ``I'm a teapot``: asked to brew coffee (RFC 2324)."""

    code = 418
    description = "This server is a teapot, not a coffee machine"


class MisdirectedRequest(HTTPException):
    """*421* ``Misdirected Request``: this server cannot answer for that authority."""

    code = 421
    description = "The server is not able to produce a response."


class UnprocessableEntity(HTTPException):
    """*422* ``Unprocessable Entity``: well-formed, but semantically wrong."""

    code = 422
    description = (
        "The request was well-formed but was unable to be followed due to semantic errors."
    )


class Locked(HTTPException):
    """*423* ``Locked``: the resource is locked."""

    code = 423
    description = "The resource that is being accessed is locked."


class FailedDependency(HTTPException):
    """*424* ``Failed Dependency``: an action this one relied on failed."""

    code = 424
    description = (
        "The method could not be performed on the resource because the"
        " requested action depended on another action and that action"
        " failed."
    )


class PreconditionRequired(HTTPException):
    """*428* ``Precondition Required``: the request must be conditional, to prevent
    lost updates."""

    code = 428
    description = (
        'This request is required to be conditional; try using "If-Match" or "If-Unmodified-Since".'
    )


class _RetryAfter(HTTPException):
    """Adds ``retry_after``, sent as ``Retry-After``, to tell clients when to come back.

    :param description: replaces the default description.
    :param response: a ready response to send instead.
    :param retry_after: seconds to wait, or the moment to retry at.
    """

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        retry_after: datetime | int | None = None,
    ) -> None:
        super().__init__(description, response)
        self.retry_after = retry_after

    def get_headers(self, scope: t.Any = None) -> list[tuple[str, str]]:
        headers = super().get_headers(scope)
        if self.retry_after:
            if isinstance(self.retry_after, datetime):
                value = _http_date(self.retry_after)
            else:
                value = str(self.retry_after)
            headers.append(("Retry-After", _header_value(value)))
        return headers


class TooManyRequests(_RetryAfter):
    """*429* ``Too Many Requests``: the client is over its rate limit."""

    code = 429
    description = "This user has exceeded an allotted request count. Try again later."


class RequestHeaderFieldsTooLarge(HTTPException):
    """*431* ``Request Header Fields Too Large``: one header, or all of them, too big."""

    code = 431
    description = "One or more header fields exceeds the maximum size."


class UnavailableForLegalReasons(HTTPException):
    """*451* ``Unavailable For Legal Reasons``: withheld because of a legal demand."""

    code = 451
    description = "Unavailable for legal reasons."


class InternalServerError(HTTPException):
    """*500* ``Internal Server Error``: the application failed.

    :param description: replaces the default description.
    :param response: a ready response to send instead.
    :param original_exception: the unhandled error behind this 500, so error handlers
        can log or show it.
    """

    code = 500
    description = (
        "The server encountered an internal error and was unable to"
        " complete your request. Either the server is overloaded or"
        " there is an error in the application."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        self.original_exception = original_exception
        super().__init__(description=description, response=response)


class NotImplemented(HTTPException):  # the name Werkzeug and Flask users know
    """*501* ``Not Implemented``: the server does not support this action."""

    code = 501
    description = "The server does not support the action requested by the browser."


class BadGateway(HTTPException):
    """*502* ``Bad Gateway``: an upstream server answered badly."""

    code = 502
    description = "The proxy server received an invalid response from an upstream server."


class ServiceUnavailable(_RetryAfter):
    """*503* ``Service Unavailable``: down for now (maintenance, overload)."""

    code = 503
    description = (
        "The server is temporarily unable to service your request due"
        " to maintenance downtime or capacity problems. Please try"
        " again later."
    )


class GatewayTimeout(HTTPException):
    """*504* ``Gateway Timeout``: an upstream server did not answer in time."""

    code = 504
    description = "The connection to an upstream server timed out."


class HTTPVersionNotSupported(HTTPException):
    """*505* ``HTTP Version Not Supported``: the request's protocol version is refused."""

    code = 505
    description = "The server does not support the HTTP protocol version used in the request."


#: The exception class for each code, as :func:`abort` and error handlers look them
#: up. Subclasses sharing a code (``BadRequestKeyError``) are not listed.
default_exceptions: dict[int, type[HTTPException]] = {
    cls.code: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        RequestTimeout,
        Conflict,
        Gone,
        LengthRequired,
        PreconditionFailed,
        RequestEntityTooLarge,
        RequestURITooLarge,
        UnsupportedMediaType,
        RequestedRangeNotSatisfiable,
        ExpectationFailed,
        ImATeapot,
        MisdirectedRequest,
        UnprocessableEntity,
        Locked,
        FailedDependency,
        PreconditionRequired,
        TooManyRequests,
        RequestHeaderFieldsTooLarge,
        UnavailableForLegalReasons,
        InternalServerError,
        NotImplemented,
        BadGateway,
        ServiceUnavailable,
        GatewayTimeout,
        HTTPVersionNotSupported,
    )
}


class Aborter:
    """Raise the exception for a status code; an application keeps one so it can add
    its own codes.

    :param mapping: code to exception class; defaults to :data:`default_exceptions`.
    :param extra: codes to add to or override in ``mapping``.
    """

    def __init__(
        self,
        mapping: dict[int, type[HTTPException]] | None = None,
        extra: dict[int, type[HTTPException]] | None = None,
    ) -> None:
        self.mapping = dict(default_exceptions if mapping is None else mapping)
        if extra is not None:
            self.mapping.update(extra)

    def __call__(self, code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        """Raise for ``code``; a response object is raised wrapped in
        :class:`HTTPException` so it is sent unchanged.

        :param code: a status code, or a response to send as is.
        :param args: passed to the exception class.
        :param kwargs: passed to the exception class.
        """
        if isinstance(code, int) and not isinstance(code, bool):
            cls = self.mapping.get(code)
            if cls is not None:
                raise cls(*args, **kwargs)
        else:
            from kolba.http.response import Response

            if isinstance(code, Response):
                raise HTTPException(response=code)
        raise LookupError(f"no exception for {code!r}")


_aborter = Aborter()


def abort(status: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Stop the request with the HTTP error for ``status``, or send a given response.

    ``abort(404)`` raises :class:`NotFound`; ``abort(response)`` sends ``response``.
    The application's own ``abort`` also knows codes the app registered; this one
    uses only :data:`default_exceptions`.

    :param status: a status code or a response object.
    :param args: passed to the exception class, e.g. a description.
    :param kwargs: passed to the exception class.
    """
    _aborter(status, *args, **kwargs)
