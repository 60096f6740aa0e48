"""A throwaway PostgreSQL server for the test session.

The server runs from a temporary data directory on a free loopback port, with fsync off
(nothing here needs to survive a crash), and is always stopped and removed afterwards.
PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
``postgres`` user through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

DATABASE = "taskman_test"
_START_TIMEOUT = 60.0


def find_bindir() -> str | None:
    """The newest installed PostgreSQL's ``bin`` directory (Debian layout), or ``None``."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")

    def version(path: str) -> tuple[int, ...]:
        name = path.split("/")[-3]
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    return os.path.dirname(max(found, key=version)) if found else None


def missing_reason() -> str | None:
    """Why the PostgreSQL tests cannot run here, or ``None`` when they can."""
    if find_bindir() is None:
        return "PostgreSQL is not installed (Debian package postgresql: no initdb found)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing: PostgreSQL refuses to run as root"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run PostgreSQL as"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """Start with :meth:`start`, always :meth:`stop` (it also removes the data)."""

    def __init__(self) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError(missing_reason())
        self.bindir = bindir
        self.root = tempfile.mkdtemp(prefix="taskman-pg-")
        self.data = os.path.join(self.root, "data")
        self.log = os.path.join(self.root, "postgres.log")
        self.port = 0
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.started = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [os.path.join(self.bindir, args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=_START_TIMEOUT, check=False
        )

    def _check(self, result: subprocess.CompletedProcess[str], what: str) -> None:
        if result.returncode != 0:
            log = ""
            if os.path.exists(self.log):
                with open(self.log, encoding="utf-8", errors="replace") as f:
                    log = f.read()[-2000:]
            raise RuntimeError(f"{what} failed: {result.stdout}{result.stderr}{log}")

    def start(self) -> None:
        self._check(
            self._run(
                "initdb",
                "-D",
                self.data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ),
            "initdb",
        )
        options = (
            f"-p {{port}} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off"
        )
        # The free port may be taken between probing and binding: try a few.
        for _ in range(5):
            self.port = _free_port()
            result = self._run(
                "pg_ctl",
                "-D",
                self.data,
                "-l",
                self.log,
                "-w",
                "-t",
                str(int(_START_TIMEOUT)),
                "-o",
                options.format(port=self.port),
                "start",
            )
            if result.returncode == 0:
                self.started = True
                break
        else:
            self._check(result, "pg_ctl start")
        self._create_database()

    def _create_database(self) -> None:
        import psycopg

        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            try:
                conn = psycopg.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user="postgres",
                    dbname="postgres",
                    autocommit=True,
                )
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # polling readiness with a deadline, not synchronisation
        with conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def stop(self) -> None:
        try:
            if self.started:
                self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
