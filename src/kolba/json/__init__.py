"""JSON helpers that follow the current app's provider (``app.json``) when there is one."""

from __future__ import annotations

import json as _json
import typing as t

from markupsafe import Markup

from ..globals import _cv_ctx, _no_app_msg
from .provider import _default

__all__ = ["dump", "dumps", "htmlsafe_dumps", "jsonify", "load", "loads"]


def _app() -> t.Any:
    """Return the current app, or ``None`` outside an app context.

    Imported lazily: :mod:`kolba.globals` pulls in the app machinery, which
    itself needs this module.
    """
    from ..globals import current_app

    # The proxy is falsy when no context is pushed.
    return current_app if current_app else None


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Serialize to JSON with ``current_app.json``, else the stdlib plus Kolba's extra types.

    :param obj: The data to serialize.
    :param kwargs: Passed to the provider or :func:`json.dumps`.
    """
    app = _app()

    if app is not None:
        return t.cast(str, app.json.dumps(obj, **kwargs))

    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
    """Serialize to JSON into a text file, like :func:`dumps`.

    :param obj: The data to serialize.
    :param fp: A file opened for writing text.
    :param kwargs: Passed to the provider or :func:`json.dump`.
    """
    app = _app()

    if app is not None:
        app.json.dump(obj, fp, **kwargs)
    else:
        kwargs.setdefault("default", _default)
        _json.dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Parse JSON with ``current_app.json``, else :func:`json.loads`.

    :param s: The text or UTF-8 bytes to parse.
    :param kwargs: Passed to the provider or :func:`json.loads`.
    """
    app = _app()

    if app is not None:
        return app.json.loads(s, **kwargs)

    return _json.loads(s, **kwargs)


def load(fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    """Parse JSON read from a file, like :func:`loads`.

    :param fp: A file opened for reading text or bytes.
    :param kwargs: Passed to the provider or :func:`json.load`.
    """
    app = _app()

    if app is not None:
        return app.json.load(fp, **kwargs)

    return _json.load(fp, **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> t.Any:
    """Build an ``application/json`` response with ``current_app.json.response``.

    Needs an app context, since the response class and debug setting are the app's.

    :param args: One value, or several to send as a list.
    :param kwargs: Items to send as an object.
    """
    # PERF: one context lookup instead of a proxy attribute access.
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.app.json.response(*args, **kwargs)


def htmlsafe_dumps(obj: t.Any, **kwargs: t.Any) -> Markup:
    """Serialize to JSON that is safe inside HTML ``<script>`` tags and attributes.

    Backs the ``|tojson`` template filter: ``<``, ``>``, ``&`` and ``'`` are
    escaped as ``\\u003c`` and friends, which JSON parsers read back unchanged
    but which cannot close a tag or a single-quoted attribute.

    :param obj: The data to serialize.
    :param kwargs: Passed to :func:`dumps`.
    """
    return Markup(
        dumps(obj, **kwargs)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )
