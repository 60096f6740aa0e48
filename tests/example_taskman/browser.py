"""Helpers for driving a Kolba app through a real browser (Debian's Chromium via Playwright).

They live apart from the tests so the same harness serves any app: :func:`serve` runs a WSGI
app on the development server in a thread of the test process (so a failure shows the app's
traceback in the test's output, and no subprocess is left behind), and :func:`launch` starts
the system Chromium with the flags that keep it quiet and offline. Playwright is never allowed
to download a browser of its own: the tests run against what the machine has, or skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import typing as t
from collections.abc import Iterator
from pathlib import Path

from kolba.serving import make_server

if t.TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Browser, Page, Playwright

    from kolba.wsgi import WSGIApplication

#: Debian's ``chromium`` package; Playwright drives it instead of a browser it downloads.
CHROMIUM = Path("/usr/bin/chromium")

#: Headless in a container as root, loopback only: no sandbox (root), no GPU, and nothing that
#: phones home (QUIC probes, component updates, sync) and so could stall or pollute a run.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: How long one browser action or assertion may wait (milliseconds). Generous because CI
#: machines are shared; Playwright returns as soon as the condition holds, so it costs nothing
#: when things work.
ACTION_TIMEOUT_MS = 10_000

#: How long stopping the server thread may take before the test fails loudly instead of hanging.
STOP_TIMEOUT = 10.0

#: The file name the README embeds; written when ``KOLBA_SCREENSHOT_DIR`` is set.
SCREENSHOT_NAME = "taskman-dashboard.png"


def missing_browser_reason() -> str | None:
    """Why browser tests cannot run here, or ``None`` when they can.

    Only the absence of the tools skips: anything else that goes wrong with them is a failure.
    """
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; no browser download needed)"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"chromium is not installed at {CHROMIUM} (Debian package chromium)"
    return None


def launch(playwright: Playwright) -> Browser:
    """Start the system Chromium headless."""
    return playwright.chromium.launch(
        executable_path=os.fspath(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
    )


@contextlib.contextmanager
def serve(app: WSGIApplication) -> Iterator[str]:
    """Serve ``app`` on a free loopback port with the threaded development server and yield its
    base URL (no trailing slash); the server is always stopped and its socket closed.

    Threaded because a browser opens several connections at once (page, stylesheet, script).
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(STOP_TIMEOUT)
        if thread.is_alive():  # pragma: no cover - only when shutdown is broken
            raise RuntimeError("the development server thread did not stop")


def save_screenshot(page: Page, directory: Path) -> Path:
    """Screenshot the viewport into ``directory`` and, when ``KOLBA_SCREENSHOT_DIR`` is set, copy
    it there too (that is how ``docs/img/taskman-dashboard.png`` is made)."""
    path = directory / SCREENSHOT_NAME
    page.screenshot(path=os.fspath(path), full_page=False)
    target = os.environ.get("KOLBA_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / SCREENSHOT_NAME)
    return path
