"""The in-process test client: build a WSGI environ, call the app, read the whole response.

Mirrors Flask's ``FlaskClient`` and Werkzeug's ``Client``/``EnvironBuilder`` argument for
argument, so tests written for Flask run unchanged. No socket is opened: the client calls
``app(environ, start_response)`` directly, which also exercises Kolba's WSGI adapter.

The pieces live in :mod:`kolba.testing.environ` (the environ builder),
:mod:`kolba.testing.multipart` (form bodies), :mod:`kolba.testing.cookies` (the jar's
cookie), :mod:`kolba.testing.response` (the test response) and :mod:`kolba.testing.client`;
this package gathers them under the one path tests import from. The private helpers are
re-exported too, so code that reached them here keeps working.
"""

from __future__ import annotations

from kolba.testing.client import _PRESERVE_KEY as _PRESERVE_KEY
from kolba.testing.client import _REDIRECT_CODES as _REDIRECT_CODES
from kolba.testing.client import ClientRedirectError, KolbaClient
from kolba.testing.client import _current_url as _current_url
from kolba.testing.client import _kolba_version as _kolba_version
from kolba.testing.client import _location as _location
from kolba.testing.client import _request_origin as _request_origin
from kolba.testing.cookies import Cookie
from kolba.testing.environ import _CHARSET_MIMETYPES as _CHARSET_MIMETYPES
from kolba.testing.environ import EnvironBuilder
from kolba.testing.environ import StartResponse as StartResponse
from kolba.testing.environ import WSGIApp as WSGIApp
from kolba.testing.environ import WSGIEnviron as WSGIEnviron
from kolba.testing.environ import _environ_headers as _environ_headers
from kolba.testing.environ import _make_request as _make_request
from kolba.testing.environ import _split_host as _split_host
from kolba.testing.environ import _unwsgi_str as _unwsgi_str
from kolba.testing.environ import _urlencode_pairs as _urlencode_pairs
from kolba.testing.environ import _with_charset as _with_charset
from kolba.testing.environ import _wsgi_str as _wsgi_str
from kolba.testing.multipart import _encode_parts as _encode_parts
from kolba.testing.multipart import _FileEntry as _FileEntry
from kolba.testing.multipart import _is_file_value as _is_file_value
from kolba.testing.multipart import _iter_data as _iter_data
from kolba.testing.multipart import _make_file as _make_file
from kolba.testing.multipart import _new_boundary as _new_boundary
from kolba.testing.multipart import encode_multipart
from kolba.testing.response import _default_response_class as _default_response_class
from kolba.testing.response import _read_body as _read_body
from kolba.testing.response import _response_text as _response_text
from kolba.testing.response import _run_app as _run_app
from kolba.testing.response import _test_response_classes as _test_response_classes
from kolba.testing.response import make_test_response_class

__all__ = [
    "ClientRedirectError",
    "Cookie",
    "EnvironBuilder",
    "KolbaClient",
    "encode_multipart",
    "make_test_response_class",
]
