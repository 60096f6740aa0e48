"""Start-up and size benchmark: import time, a 2,000-route app, and a worker's memory.

Three figures that matter when a worker starts (a deploy, an autoscaler, a CLI command, a
test run) rather than once it is warm, for Kolba beside Flask, Bottle and Falcon:

1. **Import time** of the package, from ``python -X importtime -c "import kolba"`` (the
   cumulative microseconds of the top-level package), and the wall time of
   ``python -c "import kolba"`` minus that of ``python -c "pass"``; best of ``--repeats``
   fresh interpreters each.
2. **Building an app with 2,000 routes** (a mix of static rules and dynamic ones with
   ``int``, ``float``, ``uuid``, ``path`` and string converters), each registered one at a
   time as an app does at import, then the first request, which pays for any router
   compilation left for later; best of ``--repeats`` fresh processes per framework.
3. **Resident memory** (``VmRSS``) of a worker built with ``bench_inprocess.py``'s app,
   before and after serving 10,000 in-process requests (hello, JSON, query args in turn, a
   fresh environ each), in a fresh process per framework.

Run ``python benchmarks/bench_startup.py``; it needs about a minute. Every measurement
runs in a child interpreter (this script run again with ``--child``), so nothing one framework
imported or cached can help the next. Answers are checked once before they count; a wrong one
is reported as ``broken`` and makes the script exit 1. Never used as a test gate.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

FRAMEWORKS = ("kolba", "flask", "bottle", "falcon")
#: Bound on any one child interpreter; a hung child is killed and reported as broken.
CHILD_TIMEOUT = 120.0
ROUTES = 2000
REQUESTS = 10_000
#: The bench_inprocess scenarios the memory worker serves, in turn.
MEMORY_SCENARIOS = ("hello", "json /users/<int>", "query args")
TOP_IMPORTS = 12

#: (rule in Flask's syntax, a URL it matches) for each kind of route; ``{i}`` makes each
#: copy distinct. Three in ten are static, as in a typical app with pages beside a JSON API.
ROUTE_KINDS: tuple[tuple[str, str], ...] = (
    ("/about{i}", "/about{i}"),
    ("/api/res{i}", "/api/res{i}"),
    ("/docs{i}/guide/install", "/docs{i}/guide/install"),
    ("/api/res{i}/<int:id>", "/api/res{i}/42"),
    ("/api/res{i}/<int:id>/edit", "/api/res{i}/42/edit"),
    ("/blog{i}/<slug>", "/blog{i}/hello-world"),
    ("/archive{i}/<int:year>/<int:month>/<slug>", "/archive{i}/2024/5/hello-world"),
    ("/items{i}/<uuid:uid>", "/items{i}/12345678-1234-5678-1234-567812345678"),
    ("/prices{i}/<float:amount>", "/prices{i}/9.5"),
    ("/files{i}/<path:subpath>", "/files{i}/a/b/c.txt"),
)
_VARIABLE = re.compile(r"<(?:(\w+):)?(\w+)>")
#: Flask converter -> Bottle filter; Bottle has no uuid filter, so a regex stands in.
_BOTTLE_FILTERS = {"int": ":int", "float": ":float", "path": ":path", "uuid": ":re:[0-9a-f-]{36}"}


def route_specs(count: int) -> list[tuple[str, str, str]]:
    """``count`` (rule in Flask's syntax, endpoint, sample URL), cycling through the kinds."""
    specs = []
    for number in range(count):
        rule, sample = ROUTE_KINDS[number % len(ROUTE_KINDS)]
        copy = number // len(ROUTE_KINDS)
        specs.append((rule.format(i=copy), f"e{number}", sample.format(i=copy)))
    return specs


def bottle_rule(rule: str) -> str:
    return _VARIABLE.sub(
        lambda m: f"<{m.group(2)}{_BOTTLE_FILTERS.get(m.group(1) or '', '')}>", rule
    )


def falcon_rule(rule: str) -> str:
    return _VARIABLE.sub(
        lambda m: f"{{{m.group(2)}{':' + m.group(1) if m.group(1) else ''}}}", rule
    )


# -- children: each runs in a fresh interpreter and prints one JSON object ----------------------


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _views(specs: list[tuple[str, str, str]]) -> list[Callable[..., str]]:
    # One function per route, as a real app has, made before the clock starts.
    def make(endpoint: str) -> Callable[..., str]:
        def view(**kwargs: Any) -> str:
            return endpoint

        return view

    return [make(endpoint) for _, endpoint, _ in specs]


def _build_flask_like(
    module: str, class_name: str, specs: list[tuple[str, str, str]]
) -> Callable[[], Any]:
    app_class = getattr(__import__(module), class_name)
    views = _views(specs)

    def build() -> Any:
        app = app_class(__name__)
        for (rule, endpoint, _), view in zip(specs, views, strict=True):
            app.add_url_rule(rule, endpoint, view)
        return app

    return build


def _build_bottle(specs: list[tuple[str, str, str]]) -> Callable[[], Any]:
    import bottle  # type: ignore[import-untyped]

    rules = [bottle_rule(rule) for rule, _, _ in specs]
    views = _views(specs)

    def build() -> Any:
        app = bottle.Bottle()
        for rule, view in zip(rules, views, strict=True):
            app.route(rule, callback=view)
        return app

    return build


def _build_falcon(specs: list[tuple[str, str, str]]) -> Callable[[], Any]:
    import falcon

    class Resource:
        def __init__(self, endpoint: str) -> None:
            self.endpoint = endpoint

        def on_get(self, req: Any, resp: Any, **kwargs: Any) -> None:
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = self.endpoint

    rules = [falcon_rule(rule) for rule, _, _ in specs]
    resources = [Resource(endpoint) for _, endpoint, _ in specs]

    def build() -> Any:
        app = falcon.App()
        for rule, resource in zip(rules, resources, strict=True):
            app.add_route(rule, resource)
        return app

    return build


def child_build(framework: str, routes: int) -> dict[str, Any]:
    """Time building one ``routes``-route app, then its first request; check every kind."""
    import bench_inprocess as inproc

    specs = route_specs(routes)
    builders: dict[str, Callable[[], Callable[[], Any]]] = {
        "kolba": lambda: _build_flask_like("kolba", "Kolba", specs),
        "flask": lambda: _build_flask_like("flask", "Flask", specs),
        "bottle": lambda: _build_bottle(specs),
        "falcon": lambda: _build_falcon(specs),
    }
    build = builders[framework]()  # imports the framework: not timed here
    began = time.perf_counter()
    app = build()
    built = time.perf_counter()
    # The last copy of each kind: a router that scans its rules in order pays the most here.
    samples = route_specs(routes)[-len(ROUTE_KINDS) :]
    first_url = inproc.Scenario("sample", "GET", samples[0][2], "", b"", "", lambda *a: None)
    inproc.call(app, inproc.make_environ_factory(first_url)())
    first = time.perf_counter()
    for _, endpoint, url in samples:
        scenario = inproc.Scenario("sample", "GET", url, "", b"", "", lambda *a: None)
        status, _, body = inproc.call(app, inproc.make_environ_factory(scenario)())
        if not status.startswith("200") or body != endpoint.encode():
            raise AssertionError(f"GET {url}: {status} {body[:60]!r}, expected {endpoint}")
    return {"build": built - began, "first": first - built}


def child_memory(framework: str, requests: int) -> dict[str, Any]:
    """RSS after building bench_inprocess's app, and after ``requests`` mixed requests."""
    import bench_inprocess as inproc

    start = _rss_kib()
    app = inproc.BUILDERS[framework]()
    built = _rss_kib()
    scenarios = {scenario.name: scenario for scenario in inproc.SCENARIOS}
    factories = []
    for name in MEMORY_SCENARIOS:
        factory = inproc.make_environ_factory(scenarios[name])
        status, headers, body = inproc.call(app, factory())
        scenarios[name].check(status, headers, body)
        factories.append(factory)
    for number in range(requests):
        inproc.call(app, factories[number % len(factories)]())
    return {"start": start, "built": built, "after": _rss_kib()}


def ms(value: float) -> str:
    return f"{value:,.1f}"


def mib(kib: float) -> str:
    return f"{kib / 1024:,.1f}"


# -- parent -------------------------------------------------------------------------------------


@dataclass
class Results:
    """Figures per (framework, measure), and notes on what was skipped or broken."""

    figures: dict[tuple[str, str], float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)


@functools.cache
def child_env() -> dict[str, str]:
    """The children's environment: bytecode cached, in a temporary folder removed at exit.

    PERF: with ``PYTHONDONTWRITEBYTECODE`` set (as on the development machine) a source
    checkout recompiles every module on every import while an installed Flask loads the
    ``.pyc`` files pip wrote, which would compare compilers, not packages. A private
    ``PYTHONPYCACHEPREFIX`` gives every package the same cache, written by a warm-up run,
    and writes nothing into the repository.
    """
    folder = tempfile.mkdtemp(prefix="kolba-bench-pycache-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = folder
    return env


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
        env=child_env(),
    )


def _failure(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit status {proc.returncode}"


def run_child(mode: str, framework: str, number: int) -> dict[str, Any]:
    """Run this script as ``--child mode framework number``; its JSON answer, or raise."""
    command = [sys.executable, __file__, "--child", mode, framework, str(number)]
    proc = _run(command)
    if proc.returncode != 0:
        raise RuntimeError(_failure(proc))
    answer: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return answer


@dataclass(frozen=True)
class ImportEntry:
    depth: int
    self_us: int
    cumulative_us: int
    name: str


def parse_importtime(stderr: str) -> list[ImportEntry]:
    """The ``-X importtime`` lines, in the order printed (a module after its imports)."""
    entries = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|")
        if not self_us.strip().isdigit():  # the header line
            continue
        indent = len(name) - len(name.lstrip()) - 1  # one space after the bar, then 2 a level
        entries.append(ImportEntry(indent // 2, int(self_us), int(cumulative_us), name.strip()))
    return entries


def import_subtree(
    entries: list[ImportEntry], package: str
) -> tuple[ImportEntry, list[ImportEntry]]:
    """The top-level ``package`` entry and every module imported while it was imported."""
    for index, entry in enumerate(entries):
        if entry.depth == 0 and entry.name == package:
            begin = index
            while begin > 0 and entries[begin - 1].depth > 0:
                begin -= 1
            return entry, entries[begin:index]
    raise RuntimeError(f"{package} not in the -X importtime output")


def outside_imports(tree: list[ImportEntry]) -> list[tuple[ImportEntry, str]]:
    """Each non-kolba module a kolba module imported directly, with that importer's name.

    These are what a lazy import could cut. ``-X importtime`` prints a module after its own
    imports, so an entry's importer is the next entry printed one level up.
    """
    found = []
    for index, entry in enumerate(tree):
        if entry.name.startswith("kolba"):
            continue
        importer = next((e for e in tree[index:] if e.depth < entry.depth), None)
        name = importer.name if importer else "kolba"
        if name.startswith("kolba"):
            found.append((entry, name))
    return found


def measure_imports(results: Results, frameworks: list[str], repeats: int) -> list[ImportEntry]:
    """Fill in import times; return the kolba subtree of its fastest run, for the report."""
    bare = min(_wall([sys.executable, "-c", "pass"]) for _ in range(repeats + 1))
    kolba_tree: list[ImportEntry] = []
    for name in frameworks:
        best: tuple[int, list[ImportEntry]] | None = None
        try:
            for _ in range(repeats + 1):  # one more: the first may write the bytecode caches
                proc = _run([sys.executable, "-X", "importtime", "-c", f"import {name}"])
                if proc.returncode != 0:
                    raise RuntimeError(_failure(proc))
                top, tree = import_subtree(parse_importtime(proc.stderr), name)
                if best is None or top.cumulative_us < best[0]:
                    best = (top.cumulative_us, tree)
            command = [sys.executable, "-c", f"import {name}"]
            wall = min(_wall(command) for _ in range(repeats))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            results.broken.append(f"{name} / import: {exc}")
            continue
        assert best is not None
        results.figures[name, "importtime"] = best[0] / 1000
        results.figures[name, "wall"] = (wall - bare) * 1000
        if name == "kolba":
            kolba_tree = best[1]
    return kolba_tree


def _wall(command: list[str]) -> float:
    began = time.perf_counter()
    proc = _run(command)
    took = time.perf_counter() - began
    if proc.returncode != 0:
        raise RuntimeError(_failure(proc))
    return took


def measure_children(
    results: Results, frameworks: list[str], mode: str, number: int, repeats: int
) -> None:
    for name in frameworks:
        best: dict[str, float] = {}
        try:
            for _ in range(repeats):
                for key, value in run_child(mode, name, number).items():
                    best[key] = min(best.get(key, value), value)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            results.broken.append(f"{name} / {mode}: {exc}")
            continue
        for key, value in best.items():
            results.figures[name, f"{mode}.{key}"] = value


def _table(
    title: str,
    results: Results,
    names: list[str],
    columns: list[tuple[str, str, Callable[[float], str]]],
    ratios: bool = True,
) -> None:
    print(f"\n{title}")
    header = f"{'framework':<12}" + "".join(f"{label:>22}" for label, _, _ in columns)
    print(header)
    print("-" * len(header))
    rows = [(name, name, "") for name in names]
    if ratios:
        pairs = [("kolba/flask", "kolba", "flask"), ("kolba/falcon", "kolba", "falcon")]
        rows += [(label, a, b) for label, a, b in pairs if a in names and b in names]
    for label, top, bottom in rows:
        line = f"{label:<12}"
        for _, key, fmt in columns:
            a = results.figures.get((top, key))
            if bottom:
                b = results.figures.get((bottom, key))
                line += f"{a / b:>21.2f}x" if a is not None and b else f"{'-':>22}"
            else:
                line += f"{fmt(a):>22}" if a is not None else f"{'broken':>22}"
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes; the best counts")
    parser.add_argument("--routes", type=int, default=ROUTES, help="routes in the big app")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="requests for memory")
    parser.add_argument("--only", nargs="*", choices=FRAMEWORKS, help="frameworks to run")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        mode, framework, number = args.child
        child = child_build if mode == "build" else child_memory
        print(json.dumps(child(framework, int(number))))
        return 0

    results = Results()
    frameworks = []
    for name in args.only or FRAMEWORKS:
        if importlib.util.find_spec(name) is None:
            results.skipped.append(f"{name}: not installed")
        else:
            frameworks.append(name)

    kolba_tree = measure_imports(results, frameworks, args.repeats)
    measure_children(results, frameworks, "build", args.routes, args.repeats)
    # Memory is not a timing: one fresh worker each; bare WSGI shows the harness's own share.
    measure_children(results, [*frameworks, "bare-wsgi"], "memory", args.requests, 1)
    for name in [*frameworks, "bare-wsgi"]:
        built = results.figures.get((name, "memory.built"))
        after = results.figures.get((name, "memory.after"))
        if built is not None and after is not None:
            results.figures[name, "memory.growth"] = after - built

    _table(
        f"import time (ms, best of {args.repeats} fresh interpreters; lower is better)",
        results,
        frameworks,
        [("-X importtime cumul.", "importtime", ms), ("wall - bare python", "wall", ms)],
    )
    _table(
        f"{args.routes:,}-route app (ms, best of {args.repeats} fresh processes)",
        results,
        frameworks,
        [
            ("add_url_rule x N", "build.build", lambda s: ms(s * 1000)),
            ("first request", "build.first", lambda s: ms(s * 1000)),
        ],
    )
    _table(
        f"resident memory (MiB VmRSS; bench_inprocess app, {args.requests:,} requests)",
        results,
        [*frameworks, "bare-wsgi"],
        [
            ("harness only", "memory.start", mib),
            ("app built", "memory.built", mib),
            ("after requests", "memory.after", mib),
            ("growth", "memory.growth", mib),
        ],
    )

    if kolba_tree:
        print(f"\nkolba's import, top {TOP_IMPORTS} modules by own time (ms; cumulative beside):")
        for entry in sorted(kolba_tree, key=lambda e: -e.self_us)[:TOP_IMPORTS]:
            print(
                f"  {entry.self_us / 1000:>7.2f}  {entry.cumulative_us / 1000:>7.2f}  {entry.name}"
            )
        print("outside modules kolba's own modules import, by cumulative time (ms):")
        for entry, importer in sorted(
            outside_imports(kolba_tree), key=lambda p: -p[0].cumulative_us
        )[:TOP_IMPORTS]:
            print(f"  {entry.cumulative_us / 1000:>7.2f}  {entry.name:<28} from {importer}")

    for title, lines in (("Skipped:", results.skipped), ("BROKEN:", results.broken)):
        if lines:
            print(f"\n{title}")
            for line in lines:
                print(f"  {line}")
    return 1 if results.broken else 0


if __name__ == "__main__":
    sys.exit(main())
