"""Over-HTTP benchmark: Kolba beside Flask, Bottle, Falcon and a bare WSGI app, under gunicorn.

Each framework's app (``benchmarks/apps/<name>_app.py``, the same two routes: ``/hello`` plain
text and ``/users/<int:id>`` JSON) is served by gunicorn on a free loopback port with the same
settings, once per server setup (one sync worker; one gthread worker with 4 threads), and driven
by wrk. Run it with ``python benchmarks/bench_http.py``; at the default ``--duration`` of 10 s it
takes about four minutes and prints requests/second, wrk's p50/p99 latency, Kolba's ratio to
each other framework and Kolba's share of the bare WSGI ceiling under the same server.

Unlike ``bench_inprocess.py`` this includes the server, the sockets and HTTP parsing, so the
gaps between frameworks shrink: it answers "how much of a real deployment's throughput is the
framework's", not "how fast is the framework". wrk and gunicorn run on the same machine and
share its cores, so compare ratios, never absolute figures across machines.

wrk is Debian's ``wrk`` package; when it is missing the script installs it with apt-get if run
as root, and otherwise says how and exits 2. Each app's answers are checked once (status and
body) before it is driven, so a broken app cannot look fast: it is reported and the script
exits 1. A framework that is not installed is skipped with a note.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

APPS_DIR = pathlib.Path(__file__).resolve().parent / "apps"
#: Seconds to wait for gunicorn to answer its first request, and for it to stop on SIGTERM.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Framework:
    """A framework under test: its app module in :data:`APPS_DIR` and the package it needs."""

    name: str
    module: str
    requires: str  # the importable package; "" for none


FRAMEWORKS = [
    Framework("kolba", "kolba_app", "kolba"),
    Framework("flask", "flask_app", "flask"),
    Framework("bottle", "bottle_app", "bottle"),
    Framework("falcon", "falcon_app", "falcon"),
    Framework("bare-wsgi", "bare_wsgi_app", ""),
]


@dataclass(frozen=True)
class Server:
    """One gunicorn setup; every framework is served with exactly these arguments."""

    name: str
    args: tuple[str, ...]


SERVERS = [
    Server("sync x1", ("--workers", "1", "--worker-class", "sync")),
    Server("gthread x1x4", ("--workers", "1", "--worker-class", "gthread", "--threads", "4")),
]


def _expect_text(expected: bytes) -> Callable[[int, bytes], None]:
    def check(status: int, body: bytes) -> None:
        assert status == 200, status
        assert body == expected, body

    return check


def _expect_json(expected: object) -> Callable[[int, bytes], None]:
    # Frameworks format JSON differently (spacing, trailing newline); the value must match.
    def check(status: int, body: bytes) -> None:
        assert status == 200, status
        assert json.loads(body) == expected, body

    return check


@dataclass(frozen=True)
class Route:
    """A path wrk requests, and the check of the answer made once before it does."""

    name: str
    path: str
    check: Callable[[int, bytes], None]


ROUTES = [
    Route("hello", "/hello", _expect_text(b"Hello, World!")),
    Route("json /users/<int>", "/users/42", _expect_json({"id": 42, "name": "user42"})),
]

#: wrk's ``done`` hook prints the raw figures on one line, so nothing depends on its text
#: report's units (us/ms/s) or layout. Latencies are in microseconds.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("KOLBA-BENCH %.0f %.0f %.1f %.1f %.0f %.0f %.0f %.0f %.0f\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class Result:
    """One wrk run: throughput, latency percentiles and the errors wrk counted."""

    rps: float
    p50_ms: float
    p99_ms: float
    socket_errors: int  # connect + read + write + timeout
    bad_status: int  # responses that were not 2xx/3xx


# -- wrk ----------------------------------------------------------------------------------------


def ensure_wrk() -> str | None:
    """The path of wrk, installing Debian's package first if it is missing and we are root."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0:
        return found
    print("wrk is not on PATH: installing it with apt-get install -y wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "wrk"]
    if subprocess.run(install, env=env, timeout=300).returncode != 0:
        # A fresh container has no package lists yet.
        subprocess.run(["apt-get", "update"], env=env, timeout=300)
        subprocess.run(install, env=env, timeout=300)
    return shutil.which("wrk")


def run_wrk(
    wrk: str, script: str, port: int, path: str, seconds: float, connections: int, threads: int
) -> Result:
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "-s",
        script,
        f"http://127.0.0.1:{port}{path}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("KOLBA-BENCH "):
            requests, duration, p50, p99, *errors = (float(v) for v in line.split()[1:])
            return Result(
                rps=requests / (duration / 1e6),
                p50_ms=p50 / 1000,
                p99_ms=p99 / 1000,
                socket_errors=int(sum(errors[:4])),
                bad_status=int(errors[4]),
            )
    raise RuntimeError(f"wrk gave no summary (exit {done.returncode}): {done.stderr.strip()}")


# -- gunicorn -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fetch(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace").strip()[-2000:]


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to gunicorn's process group (arbiter and workers), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def gunicorn(framework: Framework, server: Server) -> Iterator[int]:
    """Serve ``framework``'s app on a free loopback port until the block ends; yields the port.

    Waits until the app answers (the first request also loads it in the worker), and always
    stops the whole process group, whatever happens in the block.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(APPS_DIR),
        "--log-level",
        "warning",
        "--graceful-timeout",
        "5",
        *server.args,
        f"{framework.module}:app",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited ({process.returncode}): {_tail(log)}")
                try:
                    fetch(port, "/", timeout=1.0)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"gunicorn did not answer in {START_TIMEOUT:.0f} s: {_tail(log)}"
                        ) from None
                    time.sleep(0.1)
            yield port
        finally:
            stop(process)


# -- report -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of one wrk run")
    parser.add_argument("--warmup", type=float, default=1.0, help="untimed wrk seconds; 0: none")
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="rounds over all frameworks; each one's best run counts",
    )
    parser.add_argument("--connections", "-c", type=int, default=16, help="wrk -c")
    parser.add_argument("--threads", "-t", type=int, default=2, help="wrk -t")
    names = [f.name for f in FRAMEWORKS]
    parser.add_argument("--only", nargs="*", choices=names, help="frameworks to run")
    parser.add_argument(
        "--servers", nargs="*", choices=[s.name for s in SERVERS], help="server setups to run"
    )
    args = parser.parse_args(argv)

    wrk = ensure_wrk()
    if wrk is None:
        print(
            "wrk is not installed: run `apt-get install -y wrk` as root (after `apt-get update`"
            " on a fresh machine), or install it from https://github.com/wg/wrk",
            file=sys.stderr,
        )
        return 2

    frameworks: list[Framework] = []
    for framework in FRAMEWORKS:
        if args.only and framework.name not in args.only:
            continue
        if framework.requires and importlib.util.find_spec(framework.requires) is None:
            print(f"skipping {framework.name}: {framework.requires} is not installed")
            continue
        frameworks.append(framework)
    servers = [s for s in SERVERS if not args.servers or s.name in args.servers]

    # Another benchmark or build running beside this one skews every figure: say so up front.
    print(f"load average before starting: {os.getloadavg()[0]:.2f}")
    results: dict[tuple[str, str, str], Result] = {}
    broken: list[str] = []
    broken_keys: set[tuple[str, str, str]] = set()
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        # Rounds, not back-to-back repeats: each round serves every framework once more, so a
        # burst of outside load on this shared machine is spread across frameworks rather
        # than landing on one of them.
        for number in range(1, args.repeats + 1):
            for server in servers:
                for framework in frameworks:
                    print(f"  round {number}: {server.name:<13} {framework.name}", flush=True)
                    try:
                        with gunicorn(framework, server) as port:
                            for route in ROUTES:
                                key = (server.name, route.name, framework.name)
                                label = " / ".join(key)
                                if key in broken_keys:
                                    continue
                                try:
                                    route.check(*fetch(port, route.path))
                                except Exception as exc:
                                    broken_keys.add(key)
                                    broken.append(f"{label}: {type(exc).__name__}: {exc}")
                                    continue
                                if args.warmup > 0:
                                    run_wrk(wrk, script.name, port, route.path, args.warmup, 4, 1)
                                run = run_wrk(
                                    wrk,
                                    script.name,
                                    port,
                                    route.path,
                                    args.duration,
                                    args.connections,
                                    args.threads,
                                )
                                if run.bad_status:
                                    broken_keys.add(key)
                                    results.pop(key, None)
                                    broken.append(f"{label}: {run.bad_status} non-2xx/3xx")
                                elif key not in results or run.rps > results[key].rps:
                                    results[key] = run
                    except Exception as exc:
                        label = f"{server.name} / {framework.name}"
                        broken.append(f"{label}: {type(exc).__name__}: {exc}")

    cores = os.cpu_count() or 0
    print(
        f"\nwrk -t{args.threads} -c{args.connections}, {args.duration:g} s per run, best of"
        f" {args.repeats} round(s); gunicorn on 127.0.0.1. This machine has {cores} cores,"
        " and wrk and gunicorn share them:\ncompare ratios, not absolute figures."
    )
    header = (
        f"{'server':<14}{'route':<19}{'framework':<11}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'sock err':>10}{'kolba/this':>12}"
    )
    print(header)
    print("-" * len(header))
    for server in servers:
        for route in ROUTES:
            kolba = results.get((server.name, route.name, "kolba"))
            for framework in frameworks:
                result = results.get((server.name, route.name, framework.name))
                row = f"{server.name:<14}{route.name:<19}{framework.name:<11}"
                if result is None:
                    print(row + f"{'broken':>10}")
                    continue
                row += f"{result.rps:>10,.0f}{result.p50_ms:>9.2f}{result.p99_ms:>9.2f}"
                row += f"{result.socket_errors:>10}"
                if kolba and framework.name == "bare-wsgi":
                    row += f"{kolba.rps / result.rps:>11.0%} of ceiling"
                elif kolba and framework.name != "kolba":
                    row += f"{kolba.rps / result.rps:>11.2f}x"
                print(row)
    print(
        "\nkolba/this: Kolba's requests/second over this framework's under the same server and"
        " route;\non the bare-wsgi row, Kolba's percentage of that ceiling. `sock err` is wrk's"
        " connect+read+write+timeout\ncount (the sync worker closes every connection, so wrk"
        " reconnects for each request)."
    )
    if broken:
        print("\nBROKEN (not timed, or answered wrongly under load):")
        for line in broken:
            print(f"  {line}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
