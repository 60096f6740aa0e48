"""The reloader, with a real server process: edit the app's file and watch the server follow."""

from __future__ import annotations

import http.client
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import typing as t

import pytest
import watchfiles

from kolba.reloader import ChangeFilter, watch_roots

APPS = pathlib.Path(__file__).parent / "serving_apps"
DEADLINE = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def poll(proc: subprocess.Popen[bytes], check: t.Callable[[], bool], what: str) -> None:
    """Retry ``check`` until it holds, pausing on the process (which fails fast if it dies)."""
    waited = 0.0
    while not check():
        try:
            proc.wait(0.05)
        except subprocess.TimeoutExpired:
            waited += 0.05
            if waited > DEADLINE:
                raise AssertionError(f"timed out waiting for {what}") from None
            continue
        raise AssertionError(f"the server exited ({proc.returncode}) waiting for {what}")


def fetch(port: int, path: str = "/") -> bytes | None:
    """The body at ``path``, or None when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    try:
        conn.request("GET", path)
        return conn.getresponse().read()
    except (ConnectionError, http.client.RemoteDisconnected):
        return None
    finally:
        conn.close()


def serves(proc: subprocess.Popen[bytes], port: int, body: bytes) -> None:
    poll(proc, lambda: fetch(port) == body, f"{body!r} to be served")


def stop(proc: subprocess.Popen[bytes]) -> int:
    """Ctrl+C for the whole group (as a terminal sends it), SIGKILL if it does not exit."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    try:
        return proc.wait(DEADLINE)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise AssertionError("the server ignored Ctrl+C") from None


def write_app(folder: pathlib.Path, body: str) -> None:
    source = (APPS / "hello.py").read_text().replace('"hello v1"', body)
    (folder / "hello.py").write_text(source)


def start(folder: pathlib.Path, port: int, *flags: str) -> subprocess.Popen[bytes]:
    with (folder / "server.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, str(APPS / "serve.py"), "hello", str(port), "--reload", *flags],
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def log_of(folder: pathlib.Path) -> str:
    return (folder / "server.log").read_text()


def test_edits_are_served_broken_edits_keep_the_old_code(tmp_path: pathlib.Path) -> None:
    write_app(tmp_path, '"hello v1"')
    port = free_port()
    proc = start(tmp_path, port)
    try:
        serves(proc, port, b"hello v1")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"hello v1"
        conn.request("GET", "/")  # keep-alive, served by the reloader's child
        assert conn.getresponse().read() == b"hello v1"
        conn.close()

        # Same size, same second: stale bytecode would still say v1.
        write_app(tmp_path, '"hello v2"')
        serves(proc, port, b"hello v2")

        (tmp_path / "hello.py").write_text("def broken(:\n")
        poll(proc, lambda: "SyntaxError" in log_of(tmp_path), "the syntax error to be reported")
        poll(proc, lambda: "waiting for a change" in log_of(tmp_path), "the reload to give up")
        assert fetch(port) == b"hello v2"  # the previous code still answers

        write_app(tmp_path, '"hello, fixed"')
        serves(proc, port, b"hello, fixed")
    finally:
        code = stop(proc)
    output = log_of(tmp_path)
    assert code == 0, output
    assert f" * Running on http://127.0.0.1:{port}\nPress CTRL+C to quit\n" in output
    assert " * Restarting with watchfiles" in output
    assert output.count(" * Detected change in ") >= 3
    assert "KeyboardInterrupt" not in output
    assert output.count("Traceback") == 1  # the syntax error, nothing at shutdown


def test_first_start_with_an_error_keeps_the_socket_and_recovers(
    tmp_path: pathlib.Path,
) -> None:
    # The supervisor imports the app fine; its first server process does not.
    crash = "import os\nif os.environ.get('KOLBA_RUN_MAIN'):\n    raise RuntimeError('not yet')\n"
    source = (APPS / "hello.py").read_text().replace("\nfrom kolba", crash + "from kolba")
    (tmp_path / "hello.py").write_text(source)
    port = free_port()
    proc = start(tmp_path, port)
    try:
        poll(proc, lambda: "not yet" in log_of(tmp_path), "the import error to be printed")
        # The supervisor holds the socket: a connection is accepted into the backlog, not
        # refused, and is answered once the app imports.
        with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as early:
            write_app(tmp_path, '"hello v1"')
            early.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := early.recv(65536):
                data += chunk
        assert data.endswith(b"hello v1")
    finally:
        code = stop(proc)
    assert code == 0, log_of(tmp_path)


def test_extra_files_reload_and_excluded_files_do_not(tmp_path: pathlib.Path) -> None:
    (tmp_path / "settings.txt").write_text("one")
    write_app(tmp_path, 'open("settings.txt").read()')
    port = free_port()
    proc = start(tmp_path, port, "--extra=settings.txt", "--exclude=*/scratch_*.py")
    try:
        serves(proc, port, b"one")
        (tmp_path / "scratch_notes.py").write_text("x = 1\n")
        (tmp_path / "settings.txt").write_text("two")
        serves(proc, port, b"two")
    finally:
        code = stop(proc)
    output = log_of(tmp_path)
    assert code == 0, output
    assert "scratch_notes" not in output


def test_child_is_told_it_runs_from_the_reloader(tmp_path: pathlib.Path) -> None:
    write_app(tmp_path, '__import__("os").environ.get("KOLBA_RUN_MAIN", "unset")')
    port = free_port()
    proc = start(tmp_path, port)
    try:
        serves(proc, port, b"true")
    finally:
        assert stop(proc) == 0


def test_sigterm_to_the_supervisor_stops_its_server(tmp_path: pathlib.Path) -> None:
    write_app(tmp_path, '"hello v1"')
    port = free_port()
    proc = start(tmp_path, port)
    try:
        serves(proc, port, b"hello v1")
        proc.send_signal(signal.SIGTERM)  # the supervisor only, not the group
        assert proc.wait(DEADLINE) == 0
        # Its server process went with it: nothing accepts on the port any more.
        poll(proc, lambda: fetch(port) is None, "the port to close")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_change_filter() -> None:
    accept = ChangeFilter(["/srv/app/settings.toml"], ["*/migrations/*"], ["/usr/lib/py/"])
    modified = watchfiles.Change.modified
    assert accept(modified, "/srv/app/views.py")
    assert accept(watchfiles.Change.deleted, "/srv/app/old.py")
    assert accept(modified, "/srv/app/settings.toml")
    assert not accept(modified, "/srv/app/notes.txt")
    assert not accept(modified, "/srv/app/migrations/0001.py")
    assert not accept(modified, "/srv/app/__pycache__/views.cpython-311.py")
    assert not accept(modified, "/usr/lib/py/json/__init__.py")


def test_watch_roots_are_project_folders_not_libraries(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "proj" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text("")
    (tmp_path / "conf").mkdir()
    monkeypatch.chdir(tmp_path / "proj")
    monkeypatch.syspath_prepend(str(tmp_path / "proj"))
    __import__("pkg.views")
    try:
        folders, libraries = watch_roots(None, [str(tmp_path / "conf" / "x.cfg")])
    finally:
        for name in ("pkg", "pkg.views"):
            sys.modules.pop(name, None)
    real = os.path.realpath
    assert real(package) in folders
    assert real(tmp_path / "conf") in folders
    assert real(package / "..") not in folders  # no module was loaded from there
    assert not any(f.startswith(real(os.path.dirname(shutil.__file__))) for f in folders)
    assert any(real(os.path.dirname(shutil.__file__)).startswith(p[:-1]) for p in libraries)
