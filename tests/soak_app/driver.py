"""Drive the soak app under gunicorn with wrk and gather the figures (shared by test and benchmark).

:func:`run_soak` serves ``tests/soak_app/app.py`` with gunicorn (sync workers, ``--max-requests
0`` so no worker is recycled and hides a leak) on a free loopback port, warms it up with wrk,
reads each worker's resident memory, drives it with wrk again for the measured run, reads the
memory once more and stops the server. It returns a :class:`SoakFigures`; judging them is the
caller's job (``tests/test_soak.py`` asserts, ``benchmarks/soak.py`` prints a table).

Memory is ``VmRSS`` from ``/proc/<pid>/status`` (Linux only), read after warm-up rather than at
start: the first requests import modules, compile templates and fill caches, which is growth
that stops, not a leak. It is read twice each time: as it is ("raw"), and after the worker
collected garbage and gave glibc's free heap memory back (``SIGRTMIN``, see the app's
``trim_memory``). Raw RSS also counts memory Python freed but glibc kept for reuse, which grows
with the number and variety of requests served; the trimmed figure is the memory the worker
really holds, so it is the one a leak shows in.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE / "soak.lua"
#: Seconds to wait for gunicorn to answer its first request, and for it to stop on SIGTERM.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

#: The one status each kind of request in ``soak.lua`` must get. An answer whose body fails the
#: script's check for its kind (upload size, range length, session count) comes back as the
#: kind ``"<kind>!body"``, which is not here and so counts as unexpected.
EXPECTED: dict[str, int] = {
    "items_get": 200,
    "items_post": 201,
    "items_missing": 404,
    "bad_json": 400,
    "form": 200,
    "upload": 200,
    "session": 200,
    "page": 200,
    "range": 206,
    "boom": 500,
    "not_found": 404,
}
#: The kind whose 500s are deliberate (the app's ``/boom`` route raises).
DELIBERATE_500 = "boom"

_ERROR_LINE = re.compile(r"\bERROR\b")
_BOOM_LOG = re.compile(r"ERROR in app: Exception on (/boom/\d+) \[GET\]")
_BOOM_EXCEPTION = "RuntimeError: deliberate soak failure"


def missing_tools() -> str | None:
    """Why the soak cannot run here (wrk or gunicorn absent), or None when it can."""
    if shutil.which("wrk") is None:
        return "wrk is not installed (Debian package wrk)"
    if importlib.util.find_spec("gunicorn") is None:
        return "gunicorn is not installed (pip install gunicorn)"
    return None


@dataclass
class SoakFigures:
    """What one soak run measured: wrk's totals, per-kind statuses, worker memory and the log."""

    requests: int
    duration_s: float
    latency_p50_ms: float
    latency_p99_ms: float
    socket_errors: dict[str, int]
    #: kind (from ``soak.lua``) -> status -> count; "unlabelled" collects answers without a kind.
    kinds: dict[str, dict[int, int]]
    workers_before: list[int]
    workers_after: list[int]
    #: worker pid -> VmRSS in KiB after warm-up and at the end, after the worker trimmed its
    #: memory (garbage collected, free C heap returned): what a leak shows in.
    rss_warm_kib: dict[int, int]
    rss_end_kib: dict[int, int]
    #: The same, read just before the trim: includes free memory glibc keeps for reuse.
    raw_rss_warm_kib: dict[int, int]
    raw_rss_end_kib: dict[int, int]
    #: gunicorn's combined output (its own log and the app's logging), from start to stop.
    log: str = field(repr=False)
    #: The part of :attr:`log` written during the measured run (warm-up left out).
    measured_log: str = field(repr=False)

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def status_classes(self) -> dict[str, int]:
        """Answers per status class ("2xx", "4xx", ...) over every kind."""
        classes: dict[str, int] = {}
        for by_status in self.kinds.values():
            for status, n in by_status.items():
                key = f"{status // 100}xx"
                classes[key] = classes.get(key, 0) + n
        return dict(sorted(classes.items()))

    def unexpected(self) -> dict[str, dict[int, int]]:
        """Kinds that got any status other than their expected one (or were never answered)."""
        bad: dict[str, dict[int, int]] = {}
        for kind, by_status in self.kinds.items():
            others = {s: n for s, n in by_status.items() if s != EXPECTED.get(kind)}
            if others:
                bad[kind] = others
        for kind in EXPECTED:
            if not self.kinds.get(kind):
                bad[kind] = {}
        return bad

    def server_errors(self) -> dict[str, int]:
        """5xx answers per kind, leaving out the deliberate route's."""
        return {
            kind: n
            for kind, by_status in self.kinds.items()
            if kind != DELIBERATE_500 and (n := sum(c for s, c in by_status.items() if s >= 500))
        }

    def growth_percent(self) -> dict[int, float]:
        """Each worker's trimmed RSS growth from warm-up to the end, in percent."""
        return _growth(self.rss_warm_kib, self.rss_end_kib)

    def raw_growth_percent(self) -> dict[int, float]:
        """Each worker's raw RSS growth (free heap memory included), in percent."""
        return _growth(self.raw_rss_warm_kib, self.raw_rss_end_kib)

    def error_log_lines(self) -> list[str]:
        """Lines of the log at ERROR level that are not the deliberate route's exception."""
        return [
            line
            for line in self.log.splitlines()
            if _ERROR_LINE.search(line) and not _BOOM_LOG.search(line)
        ]

    def boom_logged(self) -> int:
        """How often the measured run logged the deliberate exception (its message line).

        It can exceed the 500s wrk counted by the requests in flight when wrk stopped (at most
        one per connection at each end of the run): the server finishes and logs them, but
        wrk no longer counts their answers.
        """
        return len(_BOOM_LOG.findall(self.measured_log))

    def boom_paths_logged(self) -> dict[str, int]:
        """How often each failing request (``/boom/<n>``, unique) was logged, over the run."""
        counts: dict[str, int] = {}
        for path in _BOOM_LOG.findall(self.log):
            counts[path] = counts.get(path, 0) + 1
        return counts

    def boom_tracebacks(self) -> int:
        """How often the whole run logged the deliberate exception's traceback."""
        return self.log.count(_BOOM_EXCEPTION)

    def table(self) -> str:
        """The figures as an aligned plain-text table, for ``-s`` output and the benchmark."""
        rows = [
            ("requests", f"{self.requests}"),
            ("duration", f"{self.duration_s:.1f} s"),
            ("req/s", f"{self.rps:.0f}"),
            ("latency p50 / p99", f"{self.latency_p50_ms:.1f} / {self.latency_p99_ms:.1f} ms"),
            ("statuses", ", ".join(f"{k}: {v}" for k, v in self.status_classes().items())),
            ("socket errors", ", ".join(f"{k}: {v}" for k, v in self.socket_errors.items())),
        ]
        for kind in sorted(self.kinds):
            statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.kinds[kind].items()))
            rows.append((f"  {kind}", statuses))
        for label, warm, end, growth in (
            ("RSS", self.rss_warm_kib, self.rss_end_kib, self.growth_percent()),
            ("raw RSS", self.raw_rss_warm_kib, self.raw_rss_end_kib, self.raw_growth_percent()),
        ):
            for pid in sorted(warm):
                rows.append(
                    (
                        f"worker {pid} {label}",
                        f"{warm[pid] / 1024:.1f} MiB after warm-up, "
                        f"{end.get(pid, 0) / 1024:.1f} MiB at end "
                        f"({growth.get(pid, float('nan')):+.2f}%)",
                    )
                )
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)

    def as_properties(self) -> dict[str, object]:
        """Flat name/value pairs for pytest's ``record_property``."""
        growth = self.growth_percent()
        return {
            "soak_requests": self.requests,
            "soak_duration_s": round(self.duration_s, 2),
            "soak_rps": round(self.rps),
            "soak_statuses": json.dumps(self.status_classes()),
            "soak_kinds": json.dumps({k: dict(v) for k, v in self.kinds.items()}),
            "soak_socket_errors": json.dumps(self.socket_errors),
            "soak_rss_warm_kib": json.dumps(self.rss_warm_kib),
            "soak_rss_end_kib": json.dumps(self.rss_end_kib),
            "soak_rss_growth_percent": json.dumps({p: round(g, 2) for p, g in growth.items()}),
            "soak_raw_rss_warm_kib": json.dumps(self.raw_rss_warm_kib),
            "soak_raw_rss_end_kib": json.dumps(self.raw_rss_end_kib),
            "soak_raw_rss_growth_percent": json.dumps(
                {p: round(g, 2) for p, g in self.raw_growth_percent().items()}
            ),
        }


def _growth(warm: dict[int, int], end: dict[int, int]) -> dict[int, float]:
    return {pid: 100.0 * (end[pid] - kib) / kib for pid, kib in warm.items() if pid in end}


# -- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (gunicorn's workers are its master's children)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = pathlib.Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # exited while we looked
        # The command name (field 2) is in parentheses and may hold spaces: split after it.
        ppid = int(stat.rpartition(")")[2].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return sorted(found)


def rss_kib(pid: int) -> int:
    """A process's resident set size (``VmRSS``) in KiB."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def trimmed_rss_kib(pids: list[int], folder: str, trim: int) -> dict[int, int]:
    """Have each worker trim its memory (its ``trim``-th time) and read its RSS once it has.

    The worker writes ``trimmed-<pid>-<trim>`` into ``folder`` when done; this polls for that
    file with a deadline, so a worker that cannot trim fails the run instead of hanging it.
    """
    rss: dict[int, int] = {}
    for pid in pids:
        # A real-time signal kills a process that has no handler for it: wait until the worker
        # has loaded the app (which installs the handler) before sending it.
        deadline = time.monotonic() + START_TIMEOUT
        while not _catches(pid, signal.SIGRTMIN):
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker {pid} never installed its SIGRTMIN handler")
            time.sleep(0.02)
        os.kill(pid, signal.SIGRTMIN)
        marker = pathlib.Path(folder, f"trimmed-{pid}-{trim}")
        deadline = time.monotonic() + START_TIMEOUT
        while not marker.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker {pid} did not trim its memory")
            time.sleep(0.02)
        rss[pid] = rss_kib(pid)
    return rss


def _catches(pid: int, signum: int) -> bool:
    """Whether ``pid`` has a handler for ``signum`` (the ``SigCgt`` mask of its status)."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def _get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5.0)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to gunicorn's process group (master and workers), SIGKILL if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    # Whatever is left of the group (a worker that outlived its master) is killed too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def gunicorn(workers: int, log_path: pathlib.Path, static_dir: str) -> Iterator[tuple[int, int]]:
    """Serve the soak app until the block ends; yields ``(port, master pid)``.

    Waits until the app answers and all workers are up, and always stops the process group.
    Coverage's subprocess measurement is switched off for the server: tracing the workers
    would make the memory figures measure coverage's data, not Kolba.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env["KOLBA_SOAK_DIR"] = static_dir
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(HERE),
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--max-requests",
        "0",
        "--graceful-timeout",
        "5",
        "--log-level",
        "info",
        "app:app",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({process.returncode}): {_tail(log_path)}")
            try:
                _get(port, "/items/1")
                if len(children(process.pid)) >= workers:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"gunicorn not ready in {START_TIMEOUT:.0f} s: {_tail(log_path)}"
                )
            time.sleep(0.1)
        yield port, process.pid
    finally:
        _stop(process)


def _tail(path: pathlib.Path) -> str:
    return path.read_text(errors="replace")[-2000:]


def run_wrk(
    port: int, seconds: float, threads: int, connections: int, cookie: str, run: int
) -> dict[str, object]:
    """Run wrk with ``soak.lua`` and return the JSON totals its ``done()`` prints.

    :param run: This run's number (1-9) against the server, so the failing requests of
        different runs have different paths in the log.
    """
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        f"http://127.0.0.1:{port}",
        "--",
        cookie,
        str(run),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("SOAK-RESULT "):
            result: dict[str, object] = json.loads(line.removeprefix("SOAK-RESULT "))
            return result
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}): {done.stderr.strip()}")


def run_soak(
    seconds: float = 15.0,
    warmup: float = 3.0,
    *,
    workers: int = 2,
    threads: int = 2,
    connections: int = 8,
) -> SoakFigures:
    """Warm the app up for ``warmup`` seconds, then drive it for ``seconds`` and measure."""
    with tempfile.TemporaryDirectory(prefix="kolba-soak-") as tmp:
        log_path = pathlib.Path(tmp, "gunicorn.log")
        with gunicorn(workers, log_path, tmp) as (port, master):
            response = _get(port, "/session")
            cookie = (response.getheader("Set-Cookie") or "").partition(";")[0]
            run_wrk(port, warmup, threads, connections, cookie, run=1)
            before = children(master)
            raw_warm = {pid: rss_kib(pid) for pid in before}
            rss_warm = trimmed_rss_kib(before, tmp, 1)
            # The measured run's log starts here (give or take the requests in flight when
            # the warm-up's wrk stopped: see SoakFigures.boom_logged).
            offset = log_path.stat().st_size
            result = run_wrk(port, seconds, threads, connections, cookie, run=2)
            after = children(master)
            raw_end = {pid: rss_kib(pid) for pid in after}
            # A replacement worker (one died: the test fails on that) is not measured.
            rss_end = trimmed_rss_kib([pid for pid in after if pid in before], tmp, 2)
        raw = log_path.read_bytes()
    kinds_raw = result["kinds"]
    errors = result["errors"]
    assert isinstance(kinds_raw, dict) and isinstance(errors, dict)
    return SoakFigures(
        requests=int(str(result["requests"])),
        duration_s=int(str(result["duration_us"])) / 1e6,
        latency_p50_ms=int(str(result["latency_p50_us"])) / 1000,
        latency_p99_ms=int(str(result["latency_p99_us"])) / 1000,
        socket_errors={k: int(errors[k]) for k in ("connect", "read", "write", "timeout")},
        kinds={
            kind: {int(s): int(n) for s, n in by_status.items()}
            for kind, by_status in kinds_raw.items()
        },
        workers_before=before,
        workers_after=after,
        rss_warm_kib=rss_warm,
        rss_end_kib=rss_end,
        raw_rss_warm_kib=raw_warm,
        raw_rss_end_kib=raw_end,
        log=raw.decode(errors="replace"),
        measured_log=raw[offset:].decode(errors="replace"),
    )
