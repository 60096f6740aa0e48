"""Router benchmark: µs per match and build at 20, 200 and 2,000 routes, beside Werkzeug.

Each size gets a map of resource-style routes (a third static, the rest with ``<int:id>``
or ``<name>`` and a static tail). The timed URLs are the *last* routes added, so a linear
scan would show up as growth with size; Kolba's static dict and segment trie should stay
flat. Werkzeug's map is bound once (as its per-request ``bind`` cost is not the router's).
Run ``python benchmarks/bench_routing.py [--seconds 0.2] [--repeats 5]``. Never used as a
test gate: compare the ratios on one machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

from kolba.routing import Map, Rule

try:
    from werkzeug import routing as wz
except ImportError:  # pragma: no cover - Werkzeug is an optional peer here
    wz = None  # type: ignore[assignment]

SIZES = (20, 200, 2000)


def rule_specs(n: int) -> list[tuple[str, str]]:
    """``n`` (rule, endpoint) pairs shaped like a real API's routes."""
    specs = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            specs.append((f"/static{i}/page", f"s{i}"))
        elif kind == 1:
            specs.append((f"/res{i}/<int:id>", f"i{i}"))
        else:
            specs.append((f"/res{i}/<name>/edit", f"n{i}"))
    return specs


def timeit(fn: Callable[[], object], seconds: float, repeats: int) -> float:
    """Best-of-``repeats`` µs per call of a loop sized to about ``seconds``."""
    for _ in range(200):
        fn()
    loops = 1000
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        took = time.perf_counter() - start
        if took > seconds / 4:
            break
        loops *= 2
    loops = max(1, int(loops * seconds / took))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / loops * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    header = f"{'routes':>6}  {'case':<16}{'kolba µs':>10}{'werkzeug µs':>13}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for n in SIZES:
        specs = rule_specs(n)
        ours = Map([Rule(rule, endpoint=ep, methods=["GET"]) for rule, ep in specs])
        theirs = None
        if wz is not None:
            theirs = wz.Map([wz.Rule(r, endpoint=ep, methods=["GET"]) for r, ep in specs])
            adapter = theirs.bind("localhost", "/")
        last = n - 1
        static_path = f"/static{last - last % 3}/page"
        int_i = last - (last - 1) % 3
        int_path = f"/res{int_i}/42"
        name_i = last - (last - 2) % 3
        name_path = f"/res{name_i}/bob/edit"
        cases: list[tuple[str, Callable[[], object], Callable[[], object] | None]] = [
            ("match static", partial(ours.match, static_path, "GET"), None),
            ("match <int>", partial(ours.match, int_path, "GET"), None),
            ("match <name>/x", partial(ours.match, name_path, "GET"), None),
            ("build <int>", partial(ours.build, f"i{int_i}", {"id": 42}), None),
        ]
        if theirs is not None:
            wz_cases: list[Callable[[], object]] = [
                partial(adapter.match, static_path, "GET"),
                partial(adapter.match, int_path, "GET"),
                partial(adapter.match, name_path, "GET"),
                partial(adapter.build, f"i{int_i}", {"id": 42}),
            ]
            cases = [(name, fn, w) for (name, fn, _), w in zip(cases, wz_cases, strict=True)]
        for name, fn, wfn in cases:
            k = timeit(fn, args.seconds, args.repeats)
            if wfn is not None:
                w = timeit(wfn, args.seconds, args.repeats)
                print(f"{n:>6}  {name:<16}{k:>10.2f}{w:>13.2f}{w / k:>7.1f}x")
            else:
                print(f"{n:>6}  {name:<16}{k:>10.2f}{'-':>13}{'-':>8}")


if __name__ == "__main__":
    main()
