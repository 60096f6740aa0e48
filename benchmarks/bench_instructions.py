"""Instructions per request under valgrind's callgrind: a benchmark column free of noise.

Requests/second on a shared machine move by a third between runs; the number of CPU
instructions a request executes does not (to about 0.5%). For every framework and every
scenario of ``bench_inprocess.py`` (and its routing scenarios at 20 and 200 routes, and 2,000
with ``--routing-sizes 20 200 2000``), this runs a child Python under ``valgrind
--tool=callgrind`` twice, once making N requests per scenario and once 3N, each after building
the app, checking its answer and warming it up, and reports ``(I(3N) - I(N)) / 2N``. The loop
is ``bench_inprocess.timed_loop``'s: a fresh environ per request, the body drained,
``close`` called; the collector is off during it.

I is what callgrind counted over the loop alone: the child calls ``os.getppid()`` just before
and just after each scenario's loop, and callgrind (``--dump-before=getppid``) writes its
counters at each call, so start-up, imports, app building and the other scenarios are left
out, and the difference cancels the two marker calls. (Counting the whole process instead, from
valgrind's ``Collected :`` line, needs a pair of children per cell: nine minutes for the first
table alone at the ``--quick`` N, and start-ups that differed between the two children by more
than the loop's cost, giving negative figures.)

Instructions are not time (memory stalls and C-library work cost differently), so req/s stays
the headline figure; this column is what to judge a hot-path change by on a noisy machine.

    python benchmarks/bench_instructions.py                      # everything, ~10 min
    python benchmarks/bench_instructions.py --quick --only hello --frameworks kolba flask

Without ``valgrind`` on PATH it prints one line saying so and exits 0.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench_inprocess import (
    BUILDERS,
    FEATURES,
    ROUTE_COUNT,
    ROUTING_BUILDERS,
    ROUTING_SIZES,
    SCENARIOS,
    Scenario,
    WSGIApp,
    _start_response,
    call,
    make_environ_factory,
    routing_scenarios,
)

SCRIPT = Path(__file__).resolve()
#: Requests per scenario of the short run (the long one makes three times as many).
DEFAULT_N = 1000
#: Scenarios whose request costs ten times a hello's or more: fewer requests keep the run short,
#: and the figure is as exact (each request counts that many more instructions).
HEAVY = frozenset({"multipart 100 KB", "template render", "session read+write"})
HEAVY_N = 200
QUICK_N = 60
QUICK_HEAVY_N = 20
#: Route counts of the routing table by default. 2,000 is ``--routing-sizes 20 200 2000``:
#: building Bottle's 2,000-route app takes 4 s natively (each rule added recompiles its
#: regexes) and minutes under valgrind, in each of the two children.
DEFAULT_ROUTING_SIZES = (20, 200)
#: Requests before counting starts: caches, lazy imports, the interpreter's inline caches.
WARMUP = 200
#: How long one valgrind child may run before it is reported as failed.
CHILD_TIMEOUT = 900.0
#: The libc function the child calls around each loop, on which callgrind dumps its counters.
#: Nothing else in these apps calls it; the child checks the number of dumps anyway.
MARKER = "getppid"
TOTALS = re.compile(r"^totals:\s*(\d+)", re.MULTILINE)
#: Speed ratios, as bench_inprocess prints them: the other's instructions over Kolba's, so
#: higher is better for Kolba, like the req/s ratios.
RATIOS = [("kolba/flask", "flask"), ("kolba/falcon", "falcon")]
VALGRIND_MISSING = (
    "valgrind not found on PATH: instructions per request not measured "
    "(install the Debian package `valgrind`)"
)


def all_scenarios() -> dict[str, tuple[Scenario, int | None]]:
    """Every scenario by name, with its route count for a routing one (``None`` otherwise)."""
    found: dict[str, tuple[Scenario, int | None]] = {s.name: (s, None) for s in SCENARIOS}
    for size in ROUTING_SIZES:
        found.update((s.name, (s, size)) for s in routing_scenarios(size))
    return found


# -- the child: runs under valgrind --------------------------------------------------------------


def child(framework: str, runs: list[tuple[str, int]]) -> int:
    """Make ``count`` requests of each scenario in ``runs``, between two marker calls.

    One app serves every scenario of the main table, built once, as bench_inprocess's does (the
    session scenario, last, gives it its secret key); each routing size gets its own. A scenario
    whose answer is wrong prints ``broken`` and makes no requests, but still calls both markers
    so that the parent's count of dumps holds.
    """
    scenarios = all_scenarios()
    apps: dict[int | None, WSGIApp] = {}
    for name, count in runs:
        scenario, size = scenarios[name]
        if size not in apps:
            apps[size] = (
                BUILDERS[framework]() if size is None else ROUTING_BUILDERS[framework](size)
            )
        app = apps[size]
        try:
            extra = scenario.prepare(app) if scenario.prepare else None
            new_environ = make_environ_factory(scenario, extra)
            status, headers, body = call(app, new_environ())
            scenario.check(status, headers, body)
        except Exception as exc:
            print(f"broken\t{name}\t{type(exc).__name__}: {exc}", flush=True)
            count = 0
            new_environ = make_environ_factory(scenario)
        # PERF: the loops below are timed_loop's, written out the same way, so the
        # instructions counted are those of the loop bench_inprocess times.
        start_response = _start_response
        for _ in range(WARMUP if count else 0):
            result = app(new_environ(), start_response)
            b"".join(result)
            if hasattr(result, "close"):
                result.close()
        gc.collect()
        gc.disable()
        os.getppid()  # callgrind dumps: everything since the last dump is discarded
        for _ in range(count):
            result = app(new_environ(), start_response)
            b"".join(result)
            if hasattr(result, "close"):
                result.close()
        os.getppid()  # callgrind dumps: this dump is the loop
        gc.enable()
    return 0


# -- the parent: runs the children, prints the tables --------------------------------------------


@dataclass(frozen=True)
class Job:
    """One framework's scenarios measured by one pair of children (N and 3N requests)."""

    framework: str
    runs: tuple[tuple[str, int], ...]


@dataclass
class Outcome:
    instructions: float | None = None
    error: str = ""


@dataclass
class ChildResult:
    loops: list[int] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)
    error: str = ""


@functools.cache
def child_env() -> dict[str, str]:
    """The children's environment: a fixed hash seed, and byte code cached in a temporary
    folder (removed at exit) even where PYTHONDONTWRITEBYTECODE is set, so that no child
    compiles every module from source under valgrind (a 50-fold slowdown of the start-up).
    """
    cache = tempfile.mkdtemp(prefix="kolba-bench-pyc-")
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPYCACHEPREFIX": cache}
    # Nor measure their coverage (the test suite's subprocess patch): its tracer would run in
    # the loop, and be counted.
    for name in ("PYTHONDONTWRITEBYTECODE", "COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START"):
        env.pop(name, None)
    return env


def child_command(job: Job, factor: int) -> list[str]:
    spec = {"framework": job.framework, "runs": [[name, n * factor] for name, n in job.runs]}
    return [sys.executable, str(SCRIPT), "--child", json.dumps(spec)]


def run_child(job: Job, factor: int) -> ChildResult:
    """One child under callgrind; the instructions of each scenario's loop, in order."""
    folder = tempfile.mkdtemp(prefix="kolba-bench-callgrind-")
    try:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--dump-before={MARKER}",
            f"--callgrind-out-file={folder}/callgrind.out",
            *child_command(job, factor),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, env=child_env(), timeout=CHILD_TIMEOUT
            )
        except subprocess.TimeoutExpired:
            return ChildResult(error=f"timed out after {CHILD_TIMEOUT:.0f} s")
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if not line.startswith("==")]
            return ChildResult(error=(lines or [f"exit {done.returncode}"])[-1].strip())
        broken = {}
        for line in done.stdout.splitlines():
            if line.startswith("broken\t"):
                _, name, message = line.split("\t", 2)
                broken[name] = message
        # callgrind.out.1, .2, ...: one per marker call, each holding what ran since the last.
        dumps = sorted(
            (path for path in Path(folder).glob("callgrind.out.*")),
            key=lambda path: int(path.suffix[1:]),
        )
        if len(dumps) != 2 * len(job.runs):
            return ChildResult(
                error=f"expected {2 * len(job.runs)} callgrind dumps, got {len(dumps)} "
                f"(does something else call {MARKER}()?)"
            )
        totals = []
        for path in dumps[1::2]:
            match = TOTALS.search(path.read_text(errors="replace"))
            if match is None:
                return ChildResult(error=f"no totals in {path.name}")
            totals.append(int(match.group(1)))
        return ChildResult(totals, broken)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(jobs: list[Job], workers: int) -> dict[tuple[str, str], Outcome]:
    """Run each job's N and 3N children, ``workers`` at a time; instructions per request."""
    # Without valgrind and with no requests, each child compiles and caches its modules first.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        commands = [child_command(job, 0) for job in jobs]
        list(pool.map(lambda c: subprocess.run(c, capture_output=True, env=child_env()), commands))
        pairs = [(job, factor) for job in jobs for factor in (1, 3)]
        results = list(pool.map(lambda pair: run_child(*pair), pairs))
    outcomes: dict[tuple[str, str], Outcome] = {}
    for index, job in enumerate(jobs):
        short, long = results[2 * index], results[2 * index + 1]
        for position, (name, count) in enumerate(job.runs):
            error = short.error or long.error or short.broken.get(name) or long.broken.get(name)
            if error:
                outcomes[job.framework, name] = Outcome(error=error)
            else:
                difference = long.loops[position] - short.loops[position]
                outcomes[job.framework, name] = Outcome(difference / (2 * count))
    return outcomes


def print_table(
    title: str,
    scenarios: list[Scenario],
    names: list[str],
    outcomes: dict[tuple[str, str], Outcome],
    markdown: bool,
) -> None:
    """Instructions per request per scenario and framework, then Kolba's speed ratios.

    ``-`` is a framework without the scenario's feature; ``broken`` one that failed.
    """
    cells: list[list[str]] = []
    for scenario in scenarios:
        row = [scenario.name]
        for name in names:
            outcome = outcomes.get((name, scenario.name))
            if outcome is None:
                row.append("-")
            elif outcome.instructions is None:
                row.append("broken")
            else:
                row.append(f"{outcome.instructions:,.0f}")
        kolba = outcomes.get(("kolba", scenario.name))
        for _, other_name in RATIOS:
            other = outcomes.get((other_name, scenario.name))
            if kolba and kolba.instructions and other and other.instructions:
                row.append(f"{other.instructions / kolba.instructions:.2f}x")
            else:
                row.append("-")
        cells.append(row)
    headers = ["scenario", *names, *(label for label, _ in RATIOS)]
    if markdown:
        print(f"\n### {title}\n")
        print("| " + " | ".join(headers) + " |")
        print("|---" + "|---:" * (len(headers) - 1) + "|")
        for row in cells:
            print("| " + " | ".join(row) + " |")
        return
    widths = [20] + [12] * len(names) + [14] * len(RATIOS)
    print(f"\n{title}")
    lines = [
        "".join(
            f"{text:<{width}}" if i == 0 else f"{text:>{width}}"
            for i, (text, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in [headers, *cells]
    ]
    print("\n".join([lines[0], "-" * len(lines[0]), *lines[1:]]))


def print_notes(title: str, lines: list[str], markdown: bool) -> None:
    if lines:
        print(f"\n{title}:" if not markdown else f"\n{title}:\n")
        for line in lines:
            print(f"- {line}" if markdown else f"  {line}")


def importable(name: str) -> str:
    """Why framework ``name`` cannot be built here, or ``""`` if it can."""
    module = {"bare-wsgi": "json"}.get(name, name)
    try:
        __import__(module)
    except ImportError as exc:
        return f"skipping {name}: {type(exc).__name__}: {exc}"
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"N={QUICK_N} ({QUICK_HEAVY_N} heavy): a smoke check"
    )
    parser.add_argument("--only", nargs="+", metavar="SCENARIO", help="scenarios to measure")
    parser.add_argument(
        "--frameworks", nargs="+", choices=list(BUILDERS), help="frameworks to measure"
    )
    parser.add_argument("--no-routing", action="store_true", help="skip the routing table")
    parser.add_argument(
        "--markdown", action="store_true", help="print Markdown tables (for RESULTS.md)"
    )
    parser.add_argument(
        "--routing-sizes",
        nargs="*",
        type=int,
        choices=ROUTING_SIZES,
        default=list(DEFAULT_ROUTING_SIZES),
        help="route counts of the routing table (2000 adds minutes)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="valgrind children run at once")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        return child(spec["framework"], [(name, count) for name, count in spec["runs"]])
    markdown: bool = args.markdown

    if shutil.which("valgrind") is None:
        print(VALGRIND_MISSING)
        return 0

    known = all_scenarios()
    unknown = [name for name in args.only or () if name not in known]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; known: {list(known)}")
    scenarios = [s for s in SCENARIOS if not args.only or s.name in args.only]
    routing = [
        s
        for size in ([] if args.no_routing else args.routing_sizes)
        for s in routing_scenarios(size)
        if not args.only or s.name in args.only
    ]
    names: list[str] = []
    for name in args.frameworks or list(BUILDERS):
        reason = importable(name)
        if reason:
            print(reason)
        else:
            names.append(name)

    def count(scenario: Scenario) -> int:
        heavy = scenario.name in HEAVY
        if args.quick:
            return QUICK_HEAVY_N if heavy else QUICK_N
        return HEAVY_N if heavy else DEFAULT_N

    jobs: list[Job] = []
    skipped: list[str] = []
    routing_names = [name for name in names if name in ROUTING_BUILDERS]
    for name in names:
        runs = []
        for scenario in scenarios:
            if scenario.feature and scenario.feature not in FEATURES.get(name, ()):
                skipped.append(f"{name} / {scenario.name}: no {scenario.feature} feature")
            else:
                runs.append((scenario.name, count(scenario)))
        if runs:
            jobs.append(Job(name, tuple(runs)))
        if routing and name in routing_names:
            jobs.append(Job(name, tuple((s.name, count(s)) for s in routing)))
    # Longest first, so the two workers finish together: Flask's children are the long ones.
    jobs.sort(key=lambda job: job.framework != "flask")

    outcomes = measure(jobs, args.jobs)
    broken = [
        f"{framework} / {scenario}: {outcome.error}"
        for (framework, scenario), outcome in outcomes.items()
        if outcome.instructions is None
    ]
    n, heavy_n = (QUICK_N, QUICK_HEAVY_N) if args.quick else (DEFAULT_N, HEAVY_N)
    method = f"(I(3N) - I(N)) / 2N, N={n} ({heavy_n} for multipart, template, session)"
    if scenarios and names:
        print_table(
            f"instructions per request, callgrind (lower is better; the ratios are speed, "
            f"higher is better), {ROUTE_COUNT} routes, {method}",
            scenarios,
            names,
            outcomes,
            markdown,
        )
    if routing and routing_names:
        print_table(
            f"routing: instructions per request by route count, N={n}",
            routing,
            routing_names,
            outcomes,
            markdown,
        )
    print_notes("Skipped (the framework lacks the feature)", skipped, markdown)
    print_notes("BROKEN (failed or answered wrongly, not counted)", broken, markdown)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
