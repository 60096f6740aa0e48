"""``benchmarks/bench_instructions.py``: it counts, and without valgrind it steps aside.

The script is run as ``run.py`` runs it, a subprocess of this interpreter, on Kolba and the bare
WSGI floor only: they need nothing beyond Kolba itself (Bottle and Falcon are not in the test
extra). What is asserted is never a figure, only that one was produced and that the framework
does more work than the floor.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_instructions.py"


def run_script(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def markdown_row(output: str, first: str) -> dict[str, str]:
    """The table row whose first cell is ``first``, as a mapping from column header to cell."""
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in output.splitlines()
        if line.startswith("| ")
    ]
    assert rows, output
    header = rows[0]
    for row in rows[1:]:
        if row[0] == first:
            return dict(zip(header, row, strict=True))
    raise AssertionError(f"no row {first!r} in:\n{output}")


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_counts_instructions_per_request() -> None:
    result = run_script(
        "--quick", "--markdown", "--only", "hello", "--frameworks", "kolba", "bare-wsgi"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    row = markdown_row(result.stdout, "hello")
    kolba, bare = (int(row[name].replace(",", "")) for name in ("kolba", "bare-wsgi"))
    assert kolba > 0 and bare > 0, row
    assert kolba > bare, row


def test_without_valgrind_says_so_and_succeeds(tmp_path: Path) -> None:
    result = run_script("--quick", "--only", "hello", "--frameworks", "kolba", path=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == [
        "valgrind not found on PATH: instructions per request not measured "
        "(install the Debian package `valgrind`)"
    ]
