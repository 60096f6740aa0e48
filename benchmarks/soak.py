"""Soak benchmark: the soak test's app and wrk mix, run longer, printing the figures.

The same driver as ``tests/test_soak.py`` (``tests/soak_app/driver.py``): the soak app under
gunicorn with sync workers and ``--max-requests 0``, warmed up, then driven by wrk with a
weighted mix of JSON reads and writes, forms, 100 KB uploads, sessions, templates, static ranges,
404s, 400s and a deliberate 500. It prints requests, req/s, statuses per class and per kind,
socket errors, and each worker's RSS after warm-up and at the end with the growth in percent.

Run ``python benchmarks/soak.py`` (default: 5 s warm-up, 60 s measured, about 75 s in all).
It exits 1 when the run shows a problem the test would fail on (an unexpected status, a 5xx
beyond the deliberate route, a socket error, a dead worker, RSS growth over ``--max-growth``),
and 2 when wrk or gunicorn is missing. Figures are for this machine only: compare runs, not
machines.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))

from soak_app import driver  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0, help="warm-up seconds")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--max-growth", type=float, default=5.0, help="RSS growth limit, %%")
    args = parser.parse_args(argv)

    reason = driver.missing_tools()
    if reason:
        print(f"cannot run the soak: {reason}", file=sys.stderr)
        return 2
    print(
        f"soak: {args.workers} sync workers, wrk -t{args.threads} -c{args.connections}, "
        f"{args.warmup:.0f} s warm-up, {args.duration:.0f} s measured"
    )
    figures = driver.run_soak(
        args.duration,
        args.warmup,
        workers=args.workers,
        threads=args.threads,
        connections=args.connections,
    )
    print(figures.table())

    problems = []
    if figures.unexpected():
        problems.append(f"unexpected statuses: {figures.unexpected()}")
    if figures.server_errors():
        problems.append(f"5xx beyond the deliberate route: {figures.server_errors()}")
    if any(figures.socket_errors.values()):
        problems.append(f"socket errors: {figures.socket_errors}")
    if figures.workers_after != figures.workers_before:
        problems.append(f"workers changed: {figures.workers_before} -> {figures.workers_after}")
    grown = {p: g for p, g in figures.growth_percent().items() if g > args.max_growth}
    if grown:
        problems.append(f"RSS grew over {args.max_growth}%: {grown}")
    if figures.error_log_lines():
        problems.append(f"unexpected ERROR log lines: {figures.error_log_lines()[:5]}")
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
