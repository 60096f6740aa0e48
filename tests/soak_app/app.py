"""The soak test's app: one Kolba app that touches most of the framework on every kind of request.

Served by gunicorn and driven by wrk (``tests/soak_app/soak.lua``) for a bounded time, it must
answer every request with the status the driver expects and keep each worker's memory flat. Each
route exercises a different part of the framework so a leak anywhere shows up as RSS growth:

- ``GET /items/<int:id>`` and ``POST /items``: JSON reads and writes to an in-memory store under
  a lock (bounded, so the store itself cannot look like a leak);
- ``POST /form``: a urlencoded form;
- ``POST /upload``: a ~100 KB multipart upload, read and hashed;
- ``GET /session``: a signed session cookie, read and rewritten;
- ``GET /page``: a Jinja template that extends a base;
- ``GET /static/blob.bin`` with a ``Range`` header: a partial static file (206);
- ``GET /boom/<int:attempt>``: a deliberate exception (500, logged once);
- any unknown path: 404.

wrk's ``response()`` hook cannot tell which request an answer belongs to when a thread drives
several connections, so the script names each request's kind in an ``X-Soak-Kind`` header and
:func:`echo_kind`, plain WSGI middleware around ``app.wsgi_app``, echoes it on every answer,
including 404s and the 500 (a framework hook would not run for every one of those).

On ``SIGRTMIN`` a worker collects garbage, hands the C heap's free memory back to the system
(glibc's ``malloc_trim``) and writes ``trimmed-<pid>-<n>`` into ``$KOLBA_SOAK_DIR``: the driver
reads memory after that, so what it compares is memory the process holds, not free memory
glibc keeps (see :func:`trim_memory`).

The static folder is ``$KOLBA_SOAK_DIR`` (the driver writes ``blob.bin`` there), or a fresh
temporary folder made here when the variable is unset, so the app also runs on its own.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import hashlib
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from jinja2 import DictLoader

from kolba import Kolba, abort, request, session

# Not ``from kolba import render_template``: kolba loads it lazily through a module
# ``__getattr__`` typed ``-> object``, which mypy --strict cannot call.
from kolba.templating import render_template

#: Bytes in the static file the driver asks ranges of.
BLOB_SIZE = 64 * 1024
#: Items seeded at start (ids 1..SEEDED); reads ask for these, and they are never evicted.
SEEDED = 100
#: Written items kept; each write beyond it evicts the oldest written one, so memory stays bounded.
STORE_LIMIT = 200
#: The message of the deliberate exception; the soak test looks for it in the error log.
BOOM_MESSAGE = "deliberate soak failure"


def _static_dir() -> str:
    folder = os.environ.get("KOLBA_SOAK_DIR") or tempfile.mkdtemp(prefix="kolba-soak-")
    blob = os.path.join(folder, "blob.bin")
    if not os.path.exists(blob):
        write_blob(blob)
    return folder


def write_blob(path: str) -> None:
    """Write the static file the ``Range`` requests read: a repeating, checkable byte pattern."""
    with open(path, "wb") as f:
        f.write(bytes(i % 251 for i in range(BLOB_SIZE)))


app = Kolba(__name__, static_folder=_static_dir(), static_url_path="/static")
app.secret_key = "soak test key"
app.jinja_loader = DictLoader(
    {
        "base.html": "<!doctype html><title>{% block title %}{% endblock %}</title>"
        "<body>{% block body %}{% endblock %}</body>",
        "page.html": "{% extends 'base.html' %}{% block title %}Items{% endblock %}"
        "{% block body %}<ul>{% for i in items %}<li>{{ i.name }}</li>{% endfor %}</ul>"
        "<p>{{ count }} stored</p>{% endblock %}",
    }
)

_lock = threading.Lock()
_store: dict[int, dict[str, object]] = {
    i: {"id": i, "name": f"item{i}"} for i in range(1, SEEDED + 1)
}
_next_id = SEEDED + 1


@app.get("/items/<int:item_id>")
def get_item(item_id: int) -> dict[str, object]:
    with _lock:
        item = _store.get(item_id)
    if item is None:
        abort(404)
    return item


@app.post("/items")
def add_item() -> tuple[dict[str, object], int]:
    global _next_id
    data = request.get_json()
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        abort(400)
    with _lock:
        item_id = _next_id
        _next_id += 1
        if item_id - STORE_LIMIT > SEEDED:
            del _store[item_id - STORE_LIMIT]
        item: dict[str, object] = {"id": item_id, "name": data["name"]}
        _store[item_id] = item
    return item, 201


@app.post("/form")
def form() -> str:
    name = request.form.get("name", "")
    tags = request.form.getlist("tag")
    return f"{name}:{len(tags)}"


@app.post("/upload")
def upload() -> dict[str, object]:
    file = request.files.get("file")
    if file is None:
        abort(400)
    data = file.read()
    return {
        "filename": file.filename,
        "size": len(data),
        "sha1": hashlib.sha1(data).hexdigest(),
        "note": request.form.get("note"),
    }


@app.get("/session")
def visits() -> dict[str, int]:
    count = int(session.get("visits", 0)) + 1
    session["visits"] = count
    return {"visits": count}


@app.get("/page")
def page() -> str:
    with _lock:
        items = [_store[k] for k in sorted(_store)[:10]]
        count = len(_store)
    return render_template("page.html", items=items, count=count)


@app.get("/boom/<int:attempt>")
def boom(attempt: int) -> str:
    # Each request names a different attempt, so the log line ("Exception on /boom/<n>") shows
    # whether one failure was logged more than once.
    raise RuntimeError(BOOM_MESSAGE)


def echo_kind(wsgi_app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """Wrap ``wsgi_app`` so each answer carries the request's ``X-Soak-Kind`` header back."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        kind = environ.get("HTTP_X_SOAK_KIND", "none")

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, ("X-Soak-Kind", kind)], exc_info)

        return wsgi_app(environ, start)

    return middleware


app.wsgi_app = echo_kind(app.wsgi_app)  # type: ignore[method-assign]


def trim_memory(signum: int, frame: FrameType | None) -> None:
    """Free what can be freed, then write a marker file saying so.

    glibc keeps memory that Python freed and reuses it later rather than returning it; after
    many requests of varied sizes its heap can hold megabytes of free memory, which RSS counts
    as if it were live. Trimming before each reading lets the soak test compare live memory.
    """
    gc.collect()
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        libc = ctypes.CDLL(libc_name)
        if hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    global _trims
    _trims += 1
    folder = os.environ.get("KOLBA_SOAK_DIR")
    if folder:
        marker = os.path.join(folder, f"trimmed-{os.getpid()}-{_trims}")
        with open(marker, "w"):
            pass


_trims = 0
signal.signal(signal.SIGRTMIN, trim_memory)
