"""``kolba run`` for real: a subprocess on a free port, driven over HTTP, edited, broken, stopped.

Every server here is started by the test in its own process group and always stopped. Waiting is
polling with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import typing as t
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses POSIX process groups")

APP = """\
from kolba import Kolba

app = Kolba(__name__)


@app.route("/")
def index():
    return "{text}"


@app.route("/boom")
def boom():
    raise ValueError("kaboom <b>")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str = "/") -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Accept": "text/html"})
        rv = conn.getresponse()
        return rv.status, rv.read().decode()
    finally:
        conn.close()


def wait_for(condition: t.Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError as e:  # not listening yet, or restarting
            last = e
        time.sleep(0.05)  # polling interval, not synchronisation: the condition decides
    raise AssertionError(f"timed out waiting for {what} (last error: {last!r})")


def body_is(port: int, text: str) -> bool:
    return get(port) == (200, text)


class Server:
    def __init__(self, folder: Path, *args: str) -> None:
        self.port = free_port()
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
        env.pop("KOLBA_RUN_MAIN", None)
        env.pop("KOLBA_DEBUG", None)
        self.log = folder / "server.log"
        self._log = open(self.log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kolba.cli", "--app", "app", *args, "--port", str(self.port)],
            cwd=folder,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        try:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGINT)
                try:
                    return self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=15)
                    raise AssertionError("the server did not stop on Ctrl+C") from None
            return self.proc.returncode
        finally:
            self._log.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP.format(text="first"))
    return tmp_path


def write_app(project: Path, source: str) -> None:
    path = project / "app.py"
    path.write_text(source)
    # Make sure the change is seen as a change even within the same second.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_kolba_run_reloads_survives_breakage_and_malformed_requests(project: Path) -> None:
    server = Server(project, "run", "--reload")
    try:
        wait_for(lambda: body_is(server.port, "first"), "the first answer")
        out = server.output()
        assert "development server" in out and f"http://127.0.0.1:{server.port}" in out

        # Keep-alive: two requests on one connection.
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        for _ in range(2):
            conn.request("GET", "/")
            rv = conn.getresponse()
            assert (rv.status, rv.read()) == (200, b"first")
        conn.close()

        write_app(project, APP.format(text="second"))
        wait_for(lambda: body_is(server.port, "second"), "the edited code")

        write_app(project, APP.format(text="third") + "\ndef broken(:\n")
        wait_for(lambda: "SyntaxError" in server.output(), "the syntax error to be reported")
        assert body_is(server.port, "second"), "the last good code keeps serving"

        write_app(project, APP.format(text="fixed"))
        wait_for(lambda: body_is(server.port, "fixed"), "the fixed code")

        # Malformed requests: each is answered or dropped, and the server keeps serving.
        for raw in (
            b"GARBAGE\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf",
        ):
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
                s.sendall(raw)
                s.shutdown(socket.SHUT_WR)
                try:
                    s.recv(65536)
                except OSError:
                    pass
            assert body_is(server.port, "fixed")
        status, body = get(server.port, "/boom")
        assert status == 500 and "Traceback" not in body and "kaboom" not in body
    finally:
        code = server.stop()
    assert code == 0, server.output()
    assert "KeyboardInterrupt" not in server.output()  # a clean stop, no traceback


def test_kolba_run_debug_shows_the_debug_page(project: Path) -> None:
    server = Server(project, "--debug", "run", "--no-reload")
    try:
        wait_for(lambda: body_is(server.port, "first"), "the first answer")
        status, body = get(server.port, "/boom")
        assert status == 500
        assert "ValueError" in body and "kaboom &lt;b&gt;" in body and "app.py" in body
        assert "<b>" not in body.split("kaboom", 1)[1][:10]
        assert "Debug mode: on" in server.output()
    finally:
        code = server.stop()
    assert code == 0, server.output()


def test_kolba_run_refuses_a_missing_app(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kolba.cli", "--app", "nothing_here", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("KOLBA_")},
    )
    assert result.returncode != 0
    assert "Could not import 'nothing_here'" in result.stderr


def test_app_run_serves_from_a_script(project: Path) -> None:
    script = project / "serve_me.py"
    port = free_port()
    script.write_text(
        textwrap.dedent(
            f"""\
            from app import app

            if __name__ == "__main__":
                app.run(port={port}, load_dotenv=False)
            """
        )
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("KOLBA_")},
    )
    try:
        wait_for(lambda: body_is(port, "first"), "app.run to serve")
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out = proc.communicate(timeout=15)[0].decode()
    assert proc.returncode == 0, out
    assert "Serving Kolba app" in out and "development server" in out
