"""The application's conversion of what a view returns into a response, by Flask's rules.

Kept apart from :mod:`kolba.app` (one concept per module); :class:`~kolba.Kolba` includes it.
The hot path converts a ``str``, a ``dict`` or a response itself inline and calls
:meth:`ResponseConversion.make_response` for everything else.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterator

from .apperrors import _current_request
from .http.datastructures import Headers
from .http.exceptions import HTTPException
from .http.response import Response as _BaseResponse
from .wsgi import run_wsgi_app

if t.TYPE_CHECKING:  # pragma: no cover
    from .json.provider import JSONProvider
    from .wrappers import Response


class ResponseConversion:
    """``make_response``: strings, bytes, dicts, lists, tuples, responses, HTTP errors and WSGI
    callables into the app's :attr:`response_class`."""

    response_class: type[Response]
    json: JSONProvider

    def make_response(self, rv: t.Any) -> Response:
        """Convert a view's return value into a :attr:`response_class` instance, as Flask does."""
        # PERF: the commonest returns first.
        response_class = self.response_class
        tp = type(rv)
        if tp is str:
            return response_class(rv)
        if tp is response_class:
            return rv  # type: ignore[no-any-return]
        if tp is dict or tp is list:
            return self.json.response(rv)  # type: ignore[no-any-return]
        status = headers = None
        if isinstance(rv, tuple):
            len_rv = len(rv)
            if len_rv == 3:
                rv, status, headers = rv
            elif len_rv == 2:
                if isinstance(rv[1], (Headers, dict, tuple, list)):
                    rv, headers = rv
                else:
                    rv, status = rv
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple."
                    " The tuple must have the form (body, status, headers),"
                    " (body, status), or (body, headers)."
                )
        if rv is None:
            endpoint = getattr(_current_request(), "endpoint", None)
            raise TypeError(
                f"The view function for {endpoint!r} did not"
                " return a valid response. The function either returned"
                " None or ended without a return statement."
            )
        if not isinstance(rv, response_class):
            if isinstance(rv, (str, bytes, bytearray)) or isinstance(rv, Iterator):
                rv = response_class(rv, status=status, headers=headers)
                status = headers = None
            elif isinstance(rv, (dict, list)):
                rv = self.json.response(rv)
            elif isinstance(rv, HTTPException):
                page = rv._default_page()
                if page is not None:
                    # PERF: the class's unchanged page (a 404 for an unknown URL), rendered once.
                    rv = response_class(
                        page, status=rv.code, content_type="text/html; charset=utf-8"
                    )
                else:
                    rv = self._force_type(rv.get_response())
            elif isinstance(rv, _BaseResponse):
                rv = self._force_type(rv)
            elif callable(rv):
                request = _current_request()
                if request is None or request.scope.environ is None:
                    raise TypeError(
                        "The view function returned a WSGI callable, but the request was not"
                        " served through WSGI."
                    )
                body, wsgi_status, wsgi_headers = run_wsgi_app(rv, request.scope.environ)
                rv = response_class(body, status=wsgi_status, headers=wsgi_headers)
            else:
                raise TypeError(
                    "The view function did not return a valid"
                    " response. The return type must be a string,"
                    " dict, list, tuple with headers or status,"
                    " Response instance, or WSGI callable, but it"
                    f" was a {type(rv).__name__}."
                )
        rv = t.cast("Response", rv)
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                rv.status = status.decode("latin-1") if not isinstance(status, str) else status
            else:
                rv.status_code = status
        if headers:
            rv.headers.update(headers)
        return rv  # type: ignore[no-any-return]

    def _force_type(self, response: t.Any) -> Response:
        if isinstance(response, self.response_class):
            return response
        new = self.response_class(
            response.response,
            status=response.status,
            headers=response.headers,
            direct_passthrough=response.direct_passthrough,
        )
        new._on_close = [*response._on_close]
        return new
