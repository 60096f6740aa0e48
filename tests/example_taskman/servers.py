"""Real servers for the deployment tests: free ports, process groups, readiness, nginx.

Every server runs in its own process group so that stopping it also stops its workers (gunicorn
and uWSGI fork); :class:`Process` sends SIGTERM, waits with a deadline, then SIGKILLs. Output goes
to a log file so that a server which fails to start can be diagnosed from the test failure alone.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TASKMAN = ROOT / "examples" / "taskman"
DEPLOY = TASKMAN / "deploy"
STATIC_DIR = TASKMAN / "taskman" / "static"
NGINX = "/usr/sbin/nginx"
MIME_TYPES = "/etc/nginx/mime.types"

_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_tool(name: str, package: str) -> str:
    """The path of an executable, or skip the test saying what to install."""
    path = name if os.path.isabs(name) and os.access(name, os.X_OK) else shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed ({package})")
    return path


class Process:
    """A server started in its own process group, its output captured in ``log``.

    :param name: what to call it in failure messages.
    :param argv: the command.
    :param log: the file that receives stdout and stderr.
    """

    def __init__(
        self,
        name: str,
        argv: t.Sequence[str],
        *,
        log: Path,
        env: t.Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log = log
        with open(log, "wb") as out:
            # The child keeps its own copy of the descriptor; ours can close at once.
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def describe(self) -> str:
        """The command, its state and the tail of its log, for failure messages."""
        state = "running" if self.running else f"exited with {self.proc.returncode}"
        return f"--- {self.name} ({state}): {' '.join(self.argv)}\n{self.output()[-4000:]}"

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the whole process group, then SIGKILL it if it outlives ``timeout``."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        # Workers may linger after their master exits: the group is killed either way.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=timeout)


def http_status(port: int, path: str = "/", host: str = "127.0.0.1") -> int:
    """The status of a GET, raising :class:`OSError` while nothing listens."""
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path)
        rv = conn.getresponse()
        rv.read()
        return rv.status
    finally:
        conn.close()


def wait_until(
    condition: t.Callable[[], bool],
    what: str,
    processes: t.Sequence[Process],
    timeout: float = 30.0,
) -> None:
    """Poll ``condition`` until it holds; fail with the servers' logs if one dies or time is up.

    Connection errors count as "not yet": a server is still binding its port.
    """
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            if condition():
                return
        except (OSError, http.client.HTTPException) as e:
            last = e
        dead = [p for p in processes if not p.running]
        if dead or time.monotonic() > deadline:
            why = f"{dead[0].name} exited" if dead else f"timed out after {timeout:g} s"
            logs = "\n".join(p.describe() for p in processes)
            raise AssertionError(f"waiting for {what}: {why} (last error: {last!r})\n{logs}")
        time.sleep(0.05)  # polling interval only: the condition decides


def render(template: str, values: t.Mapping[str, str]) -> str:
    """Fill ``{{NAME}}`` placeholders, refusing missing or unused values (catches typos)."""
    names = set(_PLACEHOLDER.findall(template))
    if names != set(values):
        raise ValueError(f"placeholders {sorted(names)} do not match values {sorted(values)}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def render_nginx_conf(prefix: Path, *, listen_port: int, upstream_port: int) -> Path:
    """Render ``examples/taskman/deploy/nginx.conf`` for a run in ``prefix``; return its path."""
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    text = render(
        (DEPLOY / "nginx.conf").read_text(),
        {
            "PREFIX": str(prefix),
            "LISTEN": f"127.0.0.1:{listen_port}",
            "SERVER_NAME": "_",
            "STATIC_DIR": f"{STATIC_DIR}/",
            "UPSTREAM": f"127.0.0.1:{upstream_port}",
            "MIME_TYPES": MIME_TYPES,
        },
    )
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


def start_nginx(prefix: Path, *, listen_port: int, upstream_port: int) -> Process:
    """Check the rendered config with ``nginx -t``, then run nginx in the foreground."""
    nginx = require_tool(NGINX, "Debian package nginx-light")
    conf = render_nginx_conf(prefix, listen_port=listen_port, upstream_port=upstream_port)
    argv = [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    check = subprocess.run([*argv, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, f"nginx -t refused {conf}:\n{check.stderr}"
    return Process("nginx", argv, log=prefix / "nginx.out")


def console_script(name: str) -> str:
    """A tool installed beside this Python (its bin folder), else from PATH, else skip."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return require_tool(name, f"pip install {name}")


def gunicorn_command(port: int, target: str = "taskman:create_app()") -> list[str]:
    return [
        console_script("gunicorn"),
        "--config",
        str(DEPLOY / "gunicorn.conf.py"),
        "--workers",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        # Gunicorn 23+ opens a control socket in ~/.gunicorn: shared by parallel runs.
        "--no-control-socket",
        target,
    ]


def waitress_command(port: int, target: str = "taskman:create_app") -> list[str]:
    return [
        console_script("waitress-serve"),
        f"--listen=127.0.0.1:{port}",
        # Waitress deletes X-Forwarded-* from untrusted peers by default; the app's ProxyFix
        # is the one place that decides which to trust.
        "--no-clear-untrusted-proxy-headers",
        "--call",
        target,
    ]


def uwsgi_command(port: int) -> list[str]:
    # The ini holds everything but the socket, which differs per run and per site.
    return [
        console_script("uwsgi"),
        "--ini",
        str(DEPLOY / "uwsgi.ini"),
        "--http-socket",
        f"127.0.0.1:{port}",
    ]
