"""The development debug page: a WSGI middleware that turns an unhandled exception into a page.

In debug mode Kolba lets unhandled exceptions propagate out of ``wsgi_app`` (as Flask does), so
that this middleware, which the development server puts around the app, can show them. The page
is read-only on purpose: Werkzeug's debugger also offers a Python console in the browser, which
is remote code execution guarded by a PIN; a debug server reachable from the network (a container
port, ``--host 0.0.0.0``, a proxy) then hands the machine to whoever gets past that PIN. Kolba
shows what a developer needs to fix the bug (the exception, each frame's source, the request)
and executes nothing.

The middleware is never applied outside debug mode; there the app logs the exception and
answers its ordinary 500 page, which shows no detail of the error.
"""

from __future__ import annotations

import html
import linecache
import logging
import os
import re
import sys
import sysconfig
import traceback
import typing as t
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import quote

from .logging import has_level_handler

if t.TYPE_CHECKING:  # pragma: no cover
    from .wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["DebuggedApplication"]

#: Errors caught by the middleware are logged here (the app's own logger is not reachable from a
#: plain WSGI middleware). When logging is not configured they go to ``wsgi.errors`` instead.
logger = logging.getLogger("kolba.debug")

_STATUS = "500 INTERNAL SERVER ERROR"
_CONTEXT_LINES = 3  # source lines shown on each side of a frame's current line
_MAX_REPEATS = 3  # identical consecutive frames (recursion) shown before they are folded
_MAX_GROUP_WIDTH = 15  # sub-exceptions shown per exception group, as Python's traceback does
_MAX_GROUP_DEPTH = 10
_MASK = "[masked]"

# Header values that carry credentials are never shown: a debug page gets pasted into bug
# reports and chat. Authorization keeps its scheme and Cookie its names, which help debugging.
_SECRET_HEADER = re.compile(r"auth|cookie|token|secret|passw|api-?key|session|csrf|xsrf", re.I)

# Frames in these folders are the framework's or a library's, not the developer's: they are
# shown folded so that the app's own frames stand out.
_LIBRARY_PREFIXES = tuple(
    {
        os.path.join(os.path.normcase(os.path.abspath(p)), "")
        for p in (
            os.path.dirname(__file__),
            sysconfig.get_paths()["stdlib"],
            sysconfig.get_paths()["purelib"],
            sysconfig.get_paths()["platlib"],
        )
    }
)


class DebuggedApplication:
    """Wrap a WSGI app so that an exception escaping it is logged and answered with a debug page.

    The page shows the exception, the full traceback (with chained causes) with the source
    around each frame, and the request's method, URL and headers (credentials masked). Clients
    that do not accept HTML (``curl``, JSON clients) get the same as plain text. If the response
    had already started when the exception happened (a streamed body), the error is logged and
    the body cut: the status line is already on the wire.

    :param app: the WSGI app, usually ``app.wsgi_app``.
    :param evalex: accepted for compatibility with Werkzeug's ``DebuggedApplication``; Kolba
        has no in-browser console, so only ``False`` is allowed.
    """

    def __init__(self, app: WSGIApplication, evalex: bool = False) -> None:
        if evalex:
            raise ValueError(
                "Kolba's debug page has no interactive console (evalex): running code from the"
                " browser is remote code execution on the developer's machine. Use"
                " DebuggedApplication(app) and a debugger (breakpoint()) instead."
            )
        self.app = app
        self.evalex = False

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        started = False

        def tracking_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
        ) -> t.Callable[[bytes], object]:
            nonlocal started
            started = True
            return start_response(status, headers, exc_info)

        try:
            app_iter = self.app(environ, tracking_start_response)
        except Exception as e:
            return self._fail(environ, start_response, e, started)
        return _GuardedBody(self, environ, start_response, app_iter)

    def _fail(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        exc: Exception,
        started: bool,
    ) -> list[bytes]:
        """Log ``exc`` and answer the debug page, or cut the response if it already started."""
        _skip_own_frames(exc)
        html_wanted = _accepts_html(environ.get("HTTP_ACCEPT", ""))
        if html_wanted:
            body = render_html(exc, environ).encode("utf-8")
            content_type = "text/html; charset=utf-8"
        else:
            body = render_text(exc, environ).encode("utf-8")
            content_type = "text/plain; charset=utf-8"
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            # The page runs no script and loads nothing: say so, in case a message or header
            # smuggles markup past the escaping.
            ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
        ]
        try:
            # PEP 3333: a second call must pass exc_info; the server re-raises it when the
            # status line was already sent, and then nothing can be shown any more.
            start_response(
                _STATUS, headers, (type(exc), exc, exc.__traceback__) if started else None
            )
        except Exception:
            self._log(environ, exc, "; the response had started and was cut")
            return []
        self._log(environ, exc, "")
        if environ.get("REQUEST_METHOD") == "HEAD":
            return []
        return [body]

    def _log(self, environ: WSGIEnvironment, exc: BaseException, extra: str) -> None:
        method = environ.get("REQUEST_METHOD", "GET")
        path = _decode(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
        message = f"Exception on {path or '/'} [{method}]{extra}"
        if has_level_handler(logger):
            logger.error(message, exc_info=exc)
            return
        # Logging is not configured: write where the server keeps its errors (the dev server's
        # stderr), rather than rely on logging's last-resort handler, which drops the format.
        stream = environ.get("wsgi.errors") or sys.stderr
        stream.write(message + "\n" + "".join(traceback.format_exception(exc)))
        stream.flush()


class _GuardedBody:
    """The app's body iterable, passed through untouched until iterating it raises.

    A class rather than a generator: a server may call ``close()`` without ever iterating, and
    the app's own ``close()`` must still run then (PEP 3333).
    """

    __slots__ = ("_middleware", "_environ", "_start_response", "_app_iter", "_iter", "_closed")

    def __init__(
        self,
        middleware: DebuggedApplication,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        app_iter: t.Iterable[bytes],
    ) -> None:
        self._middleware = middleware
        self._environ = environ
        self._start_response = start_response
        self._app_iter = app_iter
        self._iter: t.Iterator[bytes] | None = None
        self._closed = False

    def __iter__(self) -> _GuardedBody:
        return self

    def __next__(self) -> bytes:
        if self._iter is None:
            self._iter = iter(self._app_iter)
        try:
            return next(self._iter)
        except StopIteration:
            raise
        except Exception as e:
            # The app's iterable is finished either way: close it before answering, as its
            # close() may release what the page needs (a connection, a file).
            self.close()
            self._iter = iter(self._middleware._fail(self._environ, self._start_response, e, True))
            return next(self._iter)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        close = getattr(self._app_iter, "close", None)
        if close is not None:
            close()


def _skip_own_frames(exc: BaseException) -> None:
    """Drop the middleware's frames from the top of the traceback: they are noise in the page
    and the log, and the exception is finished anyway."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_globals.get("__name__") == __name__:
        tb = tb.tb_next
    exc.__traceback__ = tb


def _accepts_html(accept: str) -> bool:
    """Whether the client names an HTML type in ``Accept`` with a quality above zero.

    ``*/*`` alone does not count: that is what ``curl`` and most API clients send, and they
    want text they can read in a terminal or log.
    """
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() not in ("text/html", "application/xhtml+xml"):
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            return True
    return False


# -- The model: what the page and the text show ---------------------------------------------------


@dataclass
class Frame:
    """One traceback frame with its source context."""

    filename: str
    lineno: int
    name: str
    #: ``(line number, text)`` for the lines around :attr:`lineno`; empty when there is no source.
    context: list[tuple[int, str]]
    #: Character offsets of the failing expression in the current line, when Python knows them.
    columns: tuple[int, int] | None
    library: bool
    #: How many identical frames (recursion) follow this one and were folded into it.
    repeated: int = 0


@dataclass
class ExceptionInfo:
    """One exception of a chain: its name, message, notes and frames."""

    type_name: str
    message: str
    notes: list[str]
    frames: list[Frame]
    #: How this exception led to the next one in the chain: ``"cause"`` (``raise ... from``),
    #: ``"context"`` (raised while handling), or ``None`` for the last.
    relation: str | None = None
    #: Sub-exceptions of an exception group, each its own chain.
    group: list[list[ExceptionInfo]] = field(default_factory=list)
    #: Sub-exceptions not shown (a group wider than the limit).
    group_hidden: int = 0


def exception_chain(exc: BaseException, depth: int = 0) -> list[ExceptionInfo]:
    """The exceptions that led to ``exc``, oldest first (the order Python prints them in)."""
    chain: list[ExceptionInfo] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    # Set on the older exception as the walk reaches it: how it led to the one before it.
    relation: str | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        info = _exception_info(current, depth)
        info.relation = relation
        chain.append(info)
        if current.__cause__ is not None:
            current, relation = current.__cause__, "cause"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, relation = current.__context__, "context"
        else:
            current = None
    chain.reverse()
    return chain


def _exception_info(exc: BaseException, depth: int) -> ExceptionInfo:
    notes = getattr(exc, "__notes__", None)
    info = ExceptionInfo(
        type_name=exception_type_name(exc),
        message=exception_message(exc),
        notes=[_safe_str(n) for n in notes] if isinstance(notes, (list, tuple)) else [],
        frames=_frames(exc.__traceback__),
    )
    if sys.version_info >= (3, 11) and isinstance(exc, BaseExceptionGroup):  # noqa: F821 (3.11+)
        if depth < _MAX_GROUP_DEPTH:
            subs = exc.exceptions[:_MAX_GROUP_WIDTH]
            info.group = [exception_chain(sub, depth + 1) for sub in subs]
            info.group_hidden = len(exc.exceptions) - len(subs)
        else:
            info.group_hidden = len(exc.exceptions)
    return info


def exception_type_name(exc: BaseException) -> str:
    """The exception's class as Python's traceback names it (module-qualified unless builtin)."""
    cls = type(exc)
    module = getattr(cls, "__module__", None)
    if module in (None, "builtins", "__main__"):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def exception_message(exc: BaseException) -> str:
    """``str(exc)``, or a stand-in when its ``__str__`` raises: the page must still render."""
    return _safe_str(exc)


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:
        try:
            return f"<str() failed; repr: {object.__repr__(value)}>"
        except Exception:  # pragma: no cover - object.__repr__ does not fail
            return "<str() failed>"


def _frames(tb: TracebackType | None) -> list[Frame]:
    frames: list[Frame] = []
    while tb is not None:
        frame = _frame(tb)
        last = frames[-1] if frames else None
        if (
            last is not None
            and (last.filename, last.lineno, last.name)
            == (frame.filename, frame.lineno, frame.name)
            and len(frames) >= _MAX_REPEATS
            and all(
                (f.filename, f.lineno, f.name) == (frame.filename, frame.lineno, frame.name)
                for f in frames[-_MAX_REPEATS:]
            )
        ):
            last.repeated += 1
        else:
            frames.append(frame)
        tb = tb.tb_next
    return frames


def _frame(tb: TracebackType) -> Frame:
    code = tb.tb_frame.f_code
    filename = code.co_filename
    lineno = tb.tb_lineno or 0
    linecache.checkcache(filename)
    lines = linecache.getlines(filename, tb.tb_frame.f_globals)
    first = max(lineno - _CONTEXT_LINES, 1)
    last = min(lineno + _CONTEXT_LINES, len(lines))
    context = [(n, lines[n - 1].rstrip("\r\n")) for n in range(first, last + 1)] if lineno else []
    path = os.path.normcase(os.path.abspath(filename))
    return Frame(
        filename=filename,
        lineno=lineno,
        name=code.co_qualname if sys.version_info >= (3, 11) else code.co_name,
        context=context,
        columns=_columns(tb, context, lineno),
        library=path.startswith(_LIBRARY_PREFIXES),
    )


def _columns(
    tb: TracebackType, context: list[tuple[int, str]], lineno: int
) -> tuple[int, int] | None:
    """The failing expression's span in the current line (Python 3.11+ records it)."""
    if sys.version_info < (3, 11) or tb.tb_lasti < 0:
        return None
    positions = list(tb.tb_frame.f_code.co_positions())
    index = tb.tb_lasti // 2
    if index >= len(positions):  # pragma: no cover - defensive: tb_lasti is always in range
        return None
    start_line, end_line, start, end = positions[index]
    if start_line != lineno or end_line != lineno or start is None or end is None:
        return None
    line = next((text for n, text in context if n == lineno), None)
    if line is None:
        return None
    # The offsets count UTF-8 bytes; the page and the text count characters.
    raw = line.encode("utf-8")
    start_char = len(raw[:start].decode("utf-8", "replace"))
    end_char = len(raw[:end].decode("utf-8", "replace"))
    if not line[:start_char].strip() and end_char >= len(line.rstrip()):
        return None  # the whole line: marking it says nothing more than the line marker
    return start_char, end_char


# -- The request ----------------------------------------------------------------------------------


def _decode(value: str) -> str:
    # PEP 3333 carries bytes in latin-1 strings; URLs are UTF-8 on the wire.
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value


def request_url(environ: WSGIEnvironment) -> str:
    """The request's URL rebuilt from the environ, without trusting or validating the host."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "")
        port = environ.get("SERVER_PORT", "")
        if port and port != {"http": "80", "https": "443"}.get(scheme):
            host = f"{host}:{port}"
    path = quote(
        _decode(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")),
        safe="/:@!$&'()*+,;=-._~%",
    )
    query = environ.get("QUERY_STRING", "")
    return f"{scheme}://{host}{path or '/'}" + (f"?{_decode(query)}" if query else "")


def request_headers(environ: WSGIEnvironment) -> list[tuple[str, str]]:
    """The request headers, with credentials masked."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key.replace("_", "-").title()
        else:
            continue
        headers.append((name, _mask(name, str(value))))
    return headers


def _mask(name: str, value: str) -> str:
    if not _SECRET_HEADER.search(name):
        return value
    lower = name.lower()
    if lower == "cookie":
        names = [part.split("=", 1)[0].strip() for part in value.split(";") if part.strip()]
        return "; ".join(f"{n}={_MASK}" for n in names)
    if lower in ("authorization", "proxy-authorization"):
        scheme, sep, _ = value.strip().partition(" ")
        return f"{scheme} {_MASK}" if sep and scheme.isalnum() else _MASK
    return _MASK


# -- Rendering ------------------------------------------------------------------------------------

_RELATION_TEXT = {
    "cause": "The above exception was the direct cause of the following exception:",
    "context": "During handling of the above exception, another exception occurred:",
}


def render_text(exc: BaseException, environ: WSGIEnvironment) -> str:
    """The debug page as plain text: the headline, Python's own traceback, and the request."""
    lines = [f"{exception_type_name(exc)}: {exception_message(exc)}", ""]
    lines.append("".join(traceback.format_exception(exc)).rstrip("\n"))
    lines += ["", "Request:", f"  {environ.get('REQUEST_METHOD', 'GET')} {request_url(environ)}"]
    lines += [f"  {name}: {value}" for name, value in request_headers(environ)]
    lines += ["", "This page is shown because the app runs in debug mode.", ""]
    return "\n".join(lines)


_e = html.escape

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #fff; }
header { background: #a4161a; color: #fff; padding: 1.2em 2em; }
header h1 { margin: 0; font-size: 1.5em; }
header pre { margin: .4em 0 0; white-space: pre-wrap; font: 1.1em/1.4 ui-monospace, monospace; }
main { padding: 1em 2em 3em; max-width: 75em; }
h2 { font-size: 1.15em; margin: 1.6em 0 .6em; }
.hint { color: #59636e; }
.exception { margin: .8em 0; font: 1em ui-monospace, monospace; white-space: pre-wrap; }
.exception strong { color: #a4161a; }
.note, .relation, .repeated { color: #59636e; font-style: italic; }
details { border: 1px solid #d1d9e0; border-radius: 4px; margin: .35em 0; }
details.library { border-color: #eaeef2; }
details.library summary { color: #59636e; }
summary { padding: .35em .7em; cursor: pointer; font: .95em ui-monospace, monospace; }
summary .name { font-weight: bold; }
pre.source { margin: 0; padding: .4em 0; background: #f6f8fa; overflow-x: auto;
  font: .9em/1.5 ui-monospace, monospace; }
pre.source span { display: block; padding: 0 .7em; }
pre.source .current { background: #ffe4e1; }
pre.source mark { background: #ffb3b3; }
.group { border-left: 3px solid #d1d9e0; padding-left: 1em; margin-left: .4em; }
table { border-collapse: collapse; font: .9em ui-monospace, monospace; }
td, th { text-align: left; vertical-align: top; padding: .2em 1.2em .2em 0; }
td { word-break: break-all; }
"""


def render_html(exc: BaseException, environ: WSGIEnvironment) -> str:
    """The debug page: every value from the exception or the request is HTML-escaped."""
    type_name = exception_type_name(exc)
    message = exception_message(exc)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(type_name)}: {_e(message[:200])} // Kolba debug page</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<header><h1>{_e(type_name)}</h1><pre>{_e(message)}</pre></header><main>",
        '<p class="hint">Shown because the app runs in debug mode. Never enable debug mode on'
        " a server others can reach. Library frames are folded: click to open them.</p>",
        "<h2>Traceback <small>(most recent call last)</small></h2>",
    ]
    _render_chain(parts, exception_chain(exc))
    method = environ.get("REQUEST_METHOD", "GET")
    parts.append(
        f'<h2>Request</h2><p class="exception">{_e(method)} {_e(request_url(environ))}</p>'
    )
    parts.append("<table><tr><th>Header</th><th>Value</th></tr>")
    for name, value in request_headers(environ):
        parts.append(f"<tr><td>{_e(name)}</td><td>{_e(value)}</td></tr>")
    parts.append("</table></main></body></html>\n")
    return "".join(parts)


def _render_chain(parts: list[str], chain: list[ExceptionInfo]) -> None:
    for info in chain:
        for frame in info.frames:
            _render_frame(parts, frame)
        parts.append(
            f'<p class="exception"><strong>{_e(info.type_name)}</strong>: {_e(info.message)}</p>'
        )
        for note in info.notes:
            parts.append(f'<p class="note">{_e(note)}</p>')
        if info.group or info.group_hidden:
            parts.append('<div class="group">')
            for number, sub in enumerate(info.group, 1):
                parts.append(f'<p class="relation">Sub-exception {number}:</p>')
                _render_chain(parts, sub)
            if info.group_hidden:
                parts.append(f'<p class="relation">and {info.group_hidden} more not shown</p>')
            parts.append("</div>")
        if info.relation is not None:
            parts.append(f'<p class="relation">{_RELATION_TEXT[info.relation]}</p>')


def _render_frame(parts: list[str], frame: Frame) -> None:
    css = "library" if frame.library else "app"
    opened = "" if frame.library else " open"
    parts.append(
        f'<details class="{css}"{opened}><summary>File "{_e(frame.filename)}", line'
        f' {frame.lineno}, in <span class="name">{_e(frame.name)}</span></summary>'
    )
    if frame.context:
        parts.append('<pre class="source">')
        width = len(str(frame.context[-1][0]))
        for number, text in frame.context:
            if number == frame.lineno:
                parts.append(f'<span class="current">{number:>{width}} &gt; ')
                if frame.columns is not None:
                    start, end = frame.columns
                    parts.append(
                        f"{_e(text[:start])}<mark>{_e(text[start:end])}</mark>{_e(text[end:])}"
                    )
                else:
                    parts.append(_e(text))
                parts.append("</span>")
            else:
                parts.append(f"<span>{number:>{width}}   {_e(text)}</span>")
        parts.append("</pre>")
    parts.append("</details>")
    if frame.repeated:
        parts.append(
            f'<p class="repeated">[previous frame repeated {frame.repeated} more times]</p>'
        )
