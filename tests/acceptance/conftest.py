"""Fixtures of the acceptance suite; the machinery itself lives in :mod:`.harness`."""

from __future__ import annotations

from collections.abc import Iterator

import flask
import pytest


def _pushed_contexts() -> list[str]:
    pushed = []
    if flask.has_app_context():
        pushed.append("Flask app context")
    if flask.has_request_context():
        pushed.append("Flask request context")
    try:
        import kolba

        if kolba.has_request_context():
            pushed.append("Kolba request context")
    except (ImportError, AttributeError):  # pragma: no cover - until Kolba's core lands
        pass
    return pushed


@pytest.fixture(autouse=True)
def _no_leaked_context() -> Iterator[None]:
    """Fail any case after which a context is still pushed.

    Streamed responses and ``stream_with_context`` push contexts while the body is iterated;
    a harness that forgot to close a response would leak one into the next case silently.
    """
    assert _pushed_contexts() == [], "a context was already pushed before the test"
    yield
    assert _pushed_contexts() == [], "the test left a context pushed"
