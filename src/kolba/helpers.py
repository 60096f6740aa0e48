"""Helpers used in views: ``url_for``, ``redirect``, ``abort``, ``make_response``, streaming,
``secure_filename``."""

from __future__ import annotations

import os
import re
import typing as t
import unicodedata
from functools import update_wrapper

from markupsafe import escape

from .globals import _cv_ctx, current_app
from .http.exceptions import abort as _plain_abort

if t.TYPE_CHECKING:  # pragma: no cover
    from .wrappers import Response


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """The URL of ``endpoint`` with ``values`` filled in.

    Values the rule does not use go to the query string. ``.name`` is relative to the current
    blueprint. Inside a request the URL is relative (``_external=True`` for an absolute one);
    outside, it is absolute and needs ``SERVER_NAME``.
    """
    return current_app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def _safe_location_char(c: str) -> str:
    code = ord(c)
    if code < 0x20 or code == 0x7F:
        return f"%{code:02X}"
    if 0xD800 <= code <= 0xDFFF:
        # A lone surrogate (JSON's "\ud800" gives one) cannot be encoded at all: it would
        # make building the response fail (a 500). U+FFFD is what a decoder would show.
        return "%EF%BF%BD"
    return c


def _safe_location(location: str) -> str:
    # A CR, LF or other control character in a target (often taken from user input) would split
    # the header; percent-encode it instead of refusing the redirect.
    if location.isprintable():
        return location
    return "".join(map(_safe_location_char, location))


def _redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:
    if Response is None:
        from .wrappers import Response as _Response

        Response = _Response
    location = _safe_location(str(location))
    html_location = escape(location)
    response = Response(
        "<!doctype html>\n"
        "<html lang=en>\n"
        "<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n"
        "<p>You should be redirected automatically to the target URL: "
        f'<a href="{html_location}">{html_location}</a>. If not, click the link.\n',
        code,
        mimetype="text/html",
    )
    response.headers["Location"] = location
    return response


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:
    """A response redirecting to ``location`` (301, 302, 303, 307 or 308).

    A non-ASCII target is sent percent-encoded; control characters are encoded, never sent raw.
    """
    ctx = _cv_ctx.get(None)
    if ctx is not None and Response is None:
        return ctx.app.redirect(location, code=code)
    return _redirect(location, code=code, Response=Response)


def abort(code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the HTTP error for ``code`` (or a response), with the app's aborter if any."""
    ctx = _cv_ctx.get(None)
    if ctx is not None:
        ctx.app.aborter(code, *args, **kwargs)
    _plain_abort(code, *args, **kwargs)


def make_response(*args: t.Any) -> Response:
    """Build a response from a view-style return value, to change it before returning it."""
    if not args:
        return current_app.response_class()
    if len(args) == 1:
        args = args[0]
    return current_app.make_response(args)


@t.overload
def stream_with_context(
    generator_or_function: t.Iterator[t.AnyStr],
) -> t.Iterator[t.AnyStr]: ...


@t.overload
def stream_with_context(
    generator_or_function: t.Callable[..., t.Iterator[t.AnyStr]],
) -> t.Callable[..., t.Iterator[t.AnyStr]]: ...


def stream_with_context(
    generator_or_function: t.Iterator[t.AnyStr] | t.Callable[..., t.Iterator[t.AnyStr]],
) -> t.Iterator[t.AnyStr] | t.Callable[..., t.Iterator[t.AnyStr]]:
    """Keep the request context pushed while a streamed response's generator runs.

    Usable on a generator, or as a decorator on a generator function.
    """
    try:
        gen = iter(generator_or_function)  # type: ignore[arg-type]
    except TypeError:
        func = t.cast(t.Callable[..., t.Iterator[t.AnyStr]], generator_or_function)

        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return stream_with_context(func(*args, **kwargs))

        return update_wrapper(decorator, func)

    def generator() -> t.Iterator[t.AnyStr | None]:
        ctx = _cv_ctx.get(None)
        if ctx is None or ctx.request is None:
            raise RuntimeError(
                "'stream_with_context' can only be used when a request"
                " context is active, such as in a view function."
            )
        with ctx:
            yield None
            try:
                yield from gen
            finally:
                close = getattr(gen, "close", None)
                if close is not None:
                    close()

    wrapped_g = generator()
    next(wrapped_g)
    return wrapped_g  # type: ignore[return-value]


def get_debug_flag() -> bool:
    """Whether ``KOLBA_DEBUG`` asks for debug mode."""
    import os

    return os.environ.get("KOLBA_DEBUG", "").lower() in {"1", "true", "yes", "on"}


def flash(message: str, category: str = "message") -> None:
    """Store a message for the next request (usually the page a redirect leads to).

    Messages live in the session, so they survive the redirect; they need a ``SECRET_KEY``.
    """
    from .globals import session
    from .signals import message_flashed

    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if message_flashed.receivers:
        message_flashed.send(
            app, _async_wrapper=app.ensure_sync, message=message, category=category
        )


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """Take the flashed messages out of the session (the same list for the rest of the request).

    :param with_categories: Return ``(category, message)`` pairs.
    :param category_filter: Only messages of these categories.
    """
    from .globals import session

    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "Working outside of request context.\n\nThis typically means that you attempted"
            " to use functionality that needed\nan active HTTP request. Consult the"
            " documentation on testing for\ninformation about how to avoid this problem."
        )
    flashes: list[tuple[str, str]] | None = getattr(ctx, "flashes", None)
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        ctx.flashes = flashes  # type: ignore[attr-defined]
    if category_filter:
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [x[1] for x in flashes]
    return flashes


_filename_strip_re = re.compile(r"[^A-Za-z0-9_.-]")
_windows_device_names = frozenset(
    ["CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))]
)


def secure_filename(filename: str) -> str:
    """A form of an uploaded file's name that is safe to join to a folder, as Werkzeug's.

    The client chooses ``FileStorage.filename``: it may be ``../../etc/passwd``, an absolute
    path or a device name. This keeps ASCII letters, digits, ``_``, ``.`` and ``-``, turns
    path separators and blanks into ``_`` and drops leading dots, so the result never names
    another folder. It may be empty: choose a name of your own then.

    Windows device names (``CON``, ``nul.txt``...) get a ``_`` prefix on every OS, not only on
    Windows as in Werkzeug: an app developed on Linux may be deployed on Windows.

    :param filename: The untrusted name.
    """
    filename = unicodedata.normalize("NFKD", filename)
    filename = filename.encode("ascii", "ignore").decode("ascii")
    for sep in (os.sep, os.path.altsep):
        if sep:
            filename = filename.replace(sep, " ")
    filename = _filename_strip_re.sub("", "_".join(filename.split())).strip("._")
    if filename and filename.split(".")[0].upper() in _windows_device_names:
        filename = f"_{filename}"
    return filename
