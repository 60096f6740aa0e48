"""The reloader: a supervisor process that restarts the development server when code changes.

The supervisor binds the listening socket once and hands it to each server process it starts
(``KOLBA_SERVER_FD``), so connections wait in the socket's backlog during a restart instead of
being refused. A new server process is started *beside* the running one, which is stopped only
when the new one reports that it imported the app and serves (through a pipe, ``KOLBA_READY_FD``).
So a change that breaks the import (a syntax error) prints its traceback while the previous code
keeps answering, and the next save tries again.

Changes are watched with ``watchfiles`` (operating-system notifications, no stat loop): every
``.py`` file in the folders of the modules loaded from the project (the working directory and the
app's folder, never the standard library or site-packages), plus ``extra_files``, minus the
``exclude_patterns``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import signal
import site
import socket
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Iterable
from fnmatch import fnmatch

import watchfiles

from .serving import _log

__all__ = ["ChangeFilter", "is_running_from_reloader", "run_with_reloader", "watch_roots"]

#: How long a stopped server process gets to finish its requests before it is killed.
STOP_TIMEOUT = 10.0


def is_running_from_reloader() -> bool:
    """Whether this process is a server started by the reloader (not the supervisor)."""
    return os.environ.get("KOLBA_RUN_MAIN") == "true"


def _library_paths() -> list[str]:
    paths = {sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    with contextlib.suppress(AttributeError):  # virtualenv's old site.py lacks these
        paths.update(site.getsitepackages())
        paths.add(site.getusersitepackages())
    return sorted(os.path.realpath(p) + os.sep for p in paths if p)


def _within(path: str, folders: Iterable[str]) -> bool:
    return any(path.startswith(folder) for folder in folders)


def watch_roots(
    root_path: str | None = None, extra_files: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """The folders to watch and the library prefixes to ignore inside them.

    The folders are those of the ``.py`` modules loaded from the working directory, the app's
    folder or the main script's folder (reduced to the outermost ones), plus the folders of
    ``extra_files``.
    """
    libraries = _library_paths()
    bases = {os.getcwd()}
    if root_path:
        bases.add(root_path)
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    if main:
        bases.add(os.path.dirname(os.path.abspath(main)))
    bases = {os.path.realpath(b) + os.sep for b in bases}
    folders = set()
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if not filename or not filename.endswith(".py"):
            continue
        filename = os.path.realpath(filename)
        if _within(filename, bases) and not _within(filename, libraries):
            folders.add(os.path.dirname(filename))
    for filename in extra_files:
        folder = os.path.dirname(os.path.realpath(filename))
        if os.path.isdir(folder):
            folders.add(folder)
    outermost: list[str] = []
    for folder in sorted(folders):
        if not _within(folder + os.sep, [f + os.sep for f in outermost]):
            outermost.append(folder)
    return outermost, libraries


class ChangeFilter:
    """Which changed paths reload: project ``.py`` files and the extra files, minus excludes."""

    def __init__(
        self, extra_files: Iterable[str], exclude_patterns: Iterable[str], libraries: list[str]
    ) -> None:
        self.extra = {os.path.realpath(f) for f in extra_files}
        self.exclude = list(exclude_patterns)
        self.libraries = libraries

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if any(fnmatch(path, pattern) for pattern in self.exclude):
            return False
        if os.path.realpath(path) in self.extra:
            return True
        return (
            path.endswith(".py")
            and f"{os.sep}__pycache__{os.sep}" not in path
            and not _within(path, self.libraries)
        )


def _child_command() -> list[str]:
    """The command that started this process (``python -m``, ``-c``, scripts and flags alike)."""
    return [sys.executable, *sys.orig_argv[1:]]


def _forget_bytecode(paths: Iterable[str]) -> None:
    """Remove the cached bytecode of changed files: it is checked by mtime in whole seconds and
    by size, so an edit of the same size within a second would otherwise run the old code."""
    for path in paths:
        if path.endswith(".py"):
            with contextlib.suppress(OSError, ValueError):
                os.unlink(importlib.util.cache_from_source(path))


class _Supervisor:
    """Start server processes on one socket and replace them when the code changes."""

    def __init__(self, sock: socket.socket, command: list[str]) -> None:
        self.sock = sock
        self.command = command
        self.lock = threading.Lock()
        self.serving: subprocess.Popen[bytes] | None = None
        self.starting: subprocess.Popen[bytes] | None = None
        self.stopping = False

    def start(self) -> None:
        ready_read, ready_write = os.pipe()
        fd = self.sock.fileno()
        env = {
            **os.environ,
            "KOLBA_RUN_MAIN": "true",
            "KOLBA_SERVER_FD": str(fd),
            "KOLBA_READY_FD": str(ready_write),
        }
        try:
            with self.lock:
                if self.stopping:
                    return
                previous, self.starting = self.starting, None
                process = subprocess.Popen(self.command, env=env, pass_fds=(fd, ready_write))
                self.starting = process
        finally:
            os.close(ready_write)
        if previous is not None:
            _stop(previous)  # it was loading code that is already outdated
        threading.Thread(target=self._follow, args=(process, ready_read), daemon=True).start()

    def _follow(self, process: subprocess.Popen[bytes], ready_read: int) -> None:
        """Wait for the process to serve (then retire the previous one) or to die."""
        with os.fdopen(ready_read, "rb") as pipe:
            ready = pipe.read(1) == b"1"
        with self.lock:
            current = self.starting is process and not self.stopping
            if current:
                self.starting = None
            previous = None
            if current and ready:
                previous, self.serving = self.serving, process
        if previous is not None:
            _stop(previous)
        code = process.wait()
        with self.lock:
            if self.stopping or not current:
                return
            if self.serving is process:
                self.serving = None
            still = self.serving is not None
        if ready:
            _log(logging.ERROR, " * The server exited with code %s.", code)
        else:
            _log(logging.ERROR, " * The app failed to start (exit code %s).", code)
        if still:
            _log(logging.INFO, " * Still serving the previous code; waiting for a change.")
        else:
            _log(logging.INFO, " * Waiting for a change to restart.")

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            processes = [p for p in (self.starting, self.serving) if p is not None]
        for process in processes:
            _stop(process, wait=True)


def _stop(process: subprocess.Popen[bytes], wait: bool = False) -> None:
    """SIGTERM (the server finishes its requests), then SIGKILL if it does not exit in time."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    if wait:
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    else:
        timer = threading.Timer(STOP_TIMEOUT, _kill_if_running, args=(process,))
        timer.daemon = True
        timer.start()


def _kill_if_running(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()


def run_with_reloader(
    sock: socket.socket,
    extra_files: Iterable[str] | None = None,
    exclude_patterns: Iterable[str] | None = None,
    root_path: str | None = None,
    command: list[str] | None = None,
) -> None:
    """Supervise server processes serving on ``sock`` until Ctrl+C (or SIGTERM, which the
    caller turns into ``KeyboardInterrupt``). The processes rerun ``command``, by default the
    command that started this one, with ``KOLBA_RUN_MAIN=true`` so it serves instead.
    """
    extra = list(extra_files or ())
    folders, libraries = watch_roots(root_path, extra)
    if not folders:
        folders = [os.getcwd()]
    accept = ChangeFilter(extra, exclude_patterns or (), libraries)
    sock.set_inheritable(True)
    supervisor = _Supervisor(sock, command or _child_command())
    _log(logging.INFO, " * Restarting with watchfiles")
    started = False
    try:
        # With a timeout the first (empty) batch arrives once the watches are in place: the
        # first server starts only then, so no change made after it answers can be missed.
        for changes in watchfiles.watch(
            *folders,
            watch_filter=accept,
            rust_timeout=200,
            yield_on_timeout=True,
            raise_interrupt=True,
        ):
            if not started:
                started = True
                supervisor.start()
            if not changes:
                continue
            paths = sorted({path for _, path in changes})
            _log(logging.INFO, " * Detected change in %r, reloading", paths[0])
            _forget_bytecode(paths)
            supervisor.start()
    except KeyboardInterrupt:
        pass  # the caller's stop_on_sigterm() ignores further signals during the cleanup
    finally:
        supervisor.stop()
