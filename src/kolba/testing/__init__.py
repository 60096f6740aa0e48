"""The in-process test client: build a WSGI environ, call the app, read the whole response.

Mirrors Flask's ``FlaskClient`` and Werkzeug's ``Client``/``EnvironBuilder`` argument for
argument, so tests written for Flask run unchanged. No socket is opened: the client calls
``app(environ, start_response)`` directly, which also exercises Kolba's WSGI adapter.

The pieces live in :mod:`kolba.testing.environ` (the environ builder),
:mod:`kolba.testing.multipart` (form bodies), :mod:`kolba.testing.cookies` (the jar's
cookie), :mod:`kolba.testing.response` (the test response) and :mod:`kolba.testing.client`;
this package gathers the public names under the one path tests import from.
"""

from __future__ import annotations

from kolba.testing.client import ClientRedirectError, KolbaClient
from kolba.testing.cookies import Cookie
from kolba.testing.environ import EnvironBuilder
from kolba.testing.environ import StartResponse as StartResponse
from kolba.testing.environ import WSGIApp as WSGIApp
from kolba.testing.environ import WSGIEnviron as WSGIEnviron
from kolba.testing.multipart import encode_multipart
from kolba.testing.response import make_test_response_class

__all__ = [
    "ClientRedirectError",
    "Cookie",
    "EnvironBuilder",
    "KolbaClient",
    "encode_multipart",
    "make_test_response_class",
]
