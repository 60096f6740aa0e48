"""The test response: the app's response class with the test-only conveniences added."""

from __future__ import annotations

import typing as t
from collections.abc import Callable

from kolba.testing.environ import WSGIApp, WSGIEnviron

__all__ = ["make_test_response_class"]


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
