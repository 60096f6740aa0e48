"""The README's quickstart does what it says: its commands serve taskman with a working database.

The first command's steps after the install (``kolba --app taskman init-db`` and ``kolba --app
taskman run --debug``) are read from the README and run for real, on a free port, then a user
signs up and adds a task over HTTP. The second command must be the one ``.ci/run`` runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .servers import Client, Process, free_port, wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses POSIX process groups")

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "quickstart password"


def quickstart_commands() -> list[list[str]]:
    """The README's two quickstart commands, each split into its ``&&`` steps."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", section, re.S)
    assert len(blocks) == 2, "the quickstart has exactly two commands"
    return [[step.strip() for step in block.split("&&")] for block in blocks]


def test_the_readme_test_command_is_what_ci_runs() -> None:
    venv, install, run_tests = quickstart_commands()[1]
    assert venv == "python3 -m venv .venv"
    assert install.startswith(".venv/bin/pip install ")
    packages = install.removeprefix(".venv/bin/pip install ")
    ci = (ROOT / ".ci" / "run").read_text()
    assert f'"$venv/bin/python" -m pip install --quiet {packages}\n' in ci
    assert run_tests == ".venv/bin/python -m pytest"
    assert '"$venv/bin/python" -m pytest -p no:cacheprovider\n' in ci


def kolba_argv(step: str) -> list[str]:
    """A README step ``.venv/bin/kolba ...`` as the same command for this interpreter."""
    words = shlex.split(step)
    assert words[0] == ".venv/bin/kolba", step
    return [sys.executable, "-m", "kolba.cli", *words[1:]]


def test_the_first_command_serves_taskman(tmp_path: Path) -> None:
    serve = quickstart_commands()[0]
    assert serve[0] == "python3 -m venv .venv"
    assert serve[1] == ".venv/bin/pip install -e . -e examples/taskman"
    init_db, run = (kolba_argv(step) for step in serve[2:])
    assert init_db[-3:] == ["--app", "taskman", "init-db"]
    assert run[3:6] == ["--app", "taskman", "run"]

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KOLBA_") and k not in ("DATABASE_URL", "COVERAGE_PROCESS_START")
    }
    # The README's database is the instance folder's SQLite file; the test uses its own file so
    # a developer's data is left alone (the default location is covered in test_config.py).
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'quickstart.sqlite3'}", PYTHONUNBUFFERED="1")
    if "COVERAGE_PROCESS_START" in os.environ:
        env["COVERAGE_PROCESS_START"] = os.environ["COVERAGE_PROCESS_START"]
    done = subprocess.run(
        init_db, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "quickstart.sqlite3").exists()

    port = free_port()
    server = Process("kolba run", [*run, "--port", str(port)], log=tmp_path / "run.log", env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: url in server.output(), "the printed URL", [server])
        client = Client(url)
        wait_until(lambda: client.get("/").status == 302, "taskman to answer", [server])
        assert client.get("/").headers["Location"] == "/auth/login"

        form = client.get("/auth/register").page()
        signed_up = client.post_form(
            "/auth/register",
            {"username": "quinn", "password": PASSWORD, "csrf_token": form.csrf_token()},
        )
        assert (signed_up.status, signed_up.headers["Location"]) == (302, "/auth/login")
        form = client.get("/auth/login").page()
        signed_in = client.post_form(
            "/auth/login",
            {"username": "quinn", "password": PASSWORD, "csrf_token": form.csrf_token()},
        )
        assert (signed_in.status, signed_in.headers["Location"]) == (302, "/")
        dashboard = client.get("/").page()
        added = client.post_form(
            "/tasks", {"title": "Read the docs", "csrf_token": dashboard.csrf_token()}
        )
        assert added.status == 302
        page = client.get("/")
        assert page.status == 200
        assert "Read the docs" in page.text
        assert "development server" in server.output().lower()
    finally:
        server.stop()
