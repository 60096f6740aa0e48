"""Run every benchmark in its own virtual environment and write ``benchmarks/RESULTS.md``.

One command, from anywhere::

    python benchmarks/run.py              # full runs, a few minutes
    python benchmarks/run.py --quick      # short runs: a smoke check, not figures to quote
    python benchmarks/run.py --only inprocess     # or http, startup, instructions

It creates ``benchmarks/.venv`` on first use and installs Kolba from this checkout with the
peers (``pip install -e '.[bench]'``, plus gunicorn for the HTTP benchmark), again only when
``pyproject.toml`` changes; then it runs each benchmark script that exists as a subprocess of
that venv's Python, bounded in time, and writes the Markdown results: the machine, the exact
version of every framework, the date, and each script's tables. A script that is missing is
listed as not run; one that fails is listed with its exit code and the tail of its error
output, and makes this command exit 1.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VENV = BENCH_DIR / ".venv"
RESULTS = BENCH_DIR / "RESULTS.md"
#: The venv records the pyproject.toml it was installed from; a different one reinstalls.
STAMP = VENV / ".kolba-bench-stamp"
#: Installed beside the bench extra (which already lists the peers and gunicorn).
EXTRA_PACKAGES: tuple[str, ...] = ()
#: Distributions whose exact versions the results record (missing ones are listed as such).
PACKAGES = (
    "kolba",
    "flask",
    "werkzeug",
    "jinja2",
    "itsdangerous",
    "markupsafe",
    "bottle",
    "falcon",
    "gunicorn",
)


@dataclass(frozen=True)
class Benchmark:
    """One benchmark script and how to run it.

    :param args: arguments of a full run.
    :param quick_args: arguments of a ``--quick`` run; ``None`` means ask the script's
        ``--help`` which short-run option it has (for scripts written elsewhere).
    """

    name: str
    title: str
    script: str
    args: tuple[str, ...]
    quick_args: tuple[str, ...] | None
    timeout: float


BENCHMARKS = {
    benchmark.name: benchmark
    for benchmark in (
        Benchmark(
            "inprocess",
            "In-process WSGI",
            "bench_inprocess.py",
            ("--markdown", "--repeats", "7"),
            ("--markdown", "--seconds", "0.02", "--repeats", "1"),
            1200,
        ),
        # Three rounds of 5 s runs: on a shared machine the best of three rounds interleaved
        # across frameworks says more than one 10 s run each.
        Benchmark(
            "http",
            "Over HTTP (gunicorn + wrk)",
            "bench_http.py",
            ("--repeats", "3", "--duration", "5"),
            None,
            1800,
        ),
        Benchmark("startup", "Start-up and size", "bench_startup.py", (), None, 1200),
        Benchmark(
            "instructions",
            "Instructions per request (callgrind)",
            "bench_instructions.py",
            ("--markdown",),
            ("--markdown", "--quick"),
            # About 10 minutes on two shared cores; valgrind's pace varies with the load.
            2400,
        ),
    )
}


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """Create the venv if needed and install Kolba and the peers into it if needed."""
    python = venv_python()
    if not python.exists():
        print(f"creating {VENV.relative_to(ROOT)}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    wanted = (ROOT / "pyproject.toml").read_bytes() + " ".join(EXTRA_PACKAGES).encode()
    digest = hashlib.sha256(wanted).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != digest:
        print("installing kolba (editable) and the peers: pip install -e '.[bench]'", flush=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "-e", ".[bench]", *EXTRA_PACKAGES],
            cwd=ROOT,
            check=True,
        )
        STAMP.write_text(digest + "\n")
    return python


def run_bounded(command: list[str], timeout: float) -> tuple[int, str, str]:
    """Run ``command`` in its own process group; kill the whole group if it overruns."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        return -1, stdout, stderr + f"\n(killed after {timeout:.0f} s)"
    finally:
        if process.poll() is None:  # interrupted (Ctrl+C): leave nothing running
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, stdout, stderr


def quick_args_of(python: Path, script: Path) -> list[str]:
    """The short-run option a script offers, read from its ``--help``; none if it has none."""
    code, help_text, _ = run_bounded([str(python), str(script), "--help"], 60)
    if code != 0:
        return []
    for option, value in (("--quick", None), ("--duration", "2"), ("--repeats", "1")):
        if option in help_text:
            return [option] if value is None else [option, value]
    return []


def machine(python: Path) -> list[tuple[str, str]]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip().strip('"')
                os_name = f"{pretty}, {os_name}"
    except OSError:
        pass
    code = "import platform, sys; print(platform.python_implementation(), sys.version.split()[0])"
    version = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    return [("CPU", cpu), ("cores", str(os.cpu_count())), ("Python", version), ("OS", os_name)]


def kolba_revision() -> str:
    """The commit the figures are of, and whether ``src/`` differed from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown (no git)"
    return f"{commit} with uncommitted changes in src/" if dirty else commit or "unknown"


def versions(python: Path) -> dict[str, str]:
    code = (
        "import json, sys\n"
        "from importlib import metadata\n"
        "found = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        found[name] = metadata.version(name)\n"
        "    except metadata.PackageNotFoundError:\n"
        "        found[name] = 'not installed'\n"
        "print(json.dumps(found))\n"
    )
    result = subprocess.run(
        [str(python), "-c", code, *PACKAGES], capture_output=True, text=True, check=True
    )
    found: dict[str, str] = json.loads(result.stdout)
    return found


def section(benchmark: Benchmark, command: list[str], code: int, out: str, err: str) -> str:
    """One benchmark's part of the results: its command, then its tables."""
    lines = [f"## {benchmark.title}", "", f"`python benchmarks/{' '.join(command)}`", ""]
    body = out.strip()
    if "\n|---" in "\n" + body:
        lines.append(body)  # the script printed Markdown tables: keep them as tables
    elif body:
        lines += ["```text", body, "```"]
    if code != 0:
        tail = "\n".join(err.strip().splitlines()[-15:])
        lines += ["", f"**Exited {code}.** Last lines of its error output:", "", "```text"]
        lines += [tail, "```"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke check")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="the results file")
    args = parser.parse_args(argv)

    python = ensure_venv()
    started = datetime.datetime.now(datetime.timezone.utc)
    sections: list[str] = []
    failed = False
    for benchmark in BENCHMARKS.values():
        if args.only and benchmark.name not in args.only:
            continue
        script = BENCH_DIR / benchmark.script
        if not script.exists():
            print(f"{benchmark.name}: benchmarks/{benchmark.script} does not exist; skipped")
            sections.append(
                f"## {benchmark.title}\n\nNot run: `benchmarks/{benchmark.script}` "
                "does not exist yet."
            )
            continue
        if not args.quick:
            extra = list(benchmark.args)
        elif benchmark.quick_args is not None:
            extra = list(benchmark.quick_args)
        else:
            extra = quick_args_of(python, script)
        print(f"{benchmark.name}: running {benchmark.script} {' '.join(extra)}", flush=True)
        began = time.perf_counter()
        code, out, err = run_bounded([str(python), str(script), *extra], benchmark.timeout)
        print(out, end="", flush=True)
        print(f"{benchmark.name}: exit {code} after {time.perf_counter() - began:.0f} s")
        failed |= code != 0
        sections.append(section(benchmark, [benchmark.script, *extra], code, out, err))

    header = [
        "# Benchmark results",
        "",
        f"Generated by `python benchmarks/run.py{' --quick' if args.quick else ''}` on "
        f"{started:%Y-%m-%d %H:%M} UTC. Numbers never gate CI: compare them as ratios, on one "
        "machine at a time. `benchmarks/README.md` says what each scenario does.",
    ]
    if args.quick:
        header += ["", "**Quick run: a smoke check, not figures to quote.**"]
    header += ["", "## Machine", "", "| | |", "|---|---|"]
    header += [f"| {key} | {value} |" for key, value in machine(python)]
    header += [f"| Kolba source | {kolba_revision()} |"]
    header += ["", "## Versions", "", "| package | version |", "|---|---|"]
    header += [f"| {name} | {version} |" for name, version in versions(python).items()]
    text = "\n".join(header) + "\n\n" + "\n\n".join(sections) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
