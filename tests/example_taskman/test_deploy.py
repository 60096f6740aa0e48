"""Taskman deployed as docs/deployment.md says: a WSGI server behind nginx, used over HTTP.

For each of gunicorn, waitress and uWSGI: ``init-db`` on a fresh SQLite file, the server with
``KOLBA_SECRET_KEY`` and ``KOLBA_TRUSTED_PROXIES=1``, nginx from the rendered
``examples/taskman/deploy/nginx.conf`` in front. The client connects from 127.0.0.2 while nginx
connects from 127.0.0.1, so ``/api/status`` proves that ProxyFix trusted nginx's headers.
"""

from __future__ import annotations

import os
import re
import subprocess
import typing as t
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .servers import (
    CLIENT_ADDRESS,
    DEPLOY,
    ROOT,
    STATIC_DIR,
    Client,
    Page,
    Process,
    Reply,
    console_script,
    free_port,
    gunicorn_command,
    http_status,
    require_tool,
    start_nginx,
    uwsgi_command,
    wait_until,
    waitress_command,
)

COMMANDS: dict[str, t.Callable[[int], list[str]]] = {
    "gunicorn": gunicorn_command,
    "waitress": waitress_command,
    "uwsgi": uwsgi_command,
}
#: The Server header each WSGI server sends (nginx passes it on); uWSGI sends none.
SERVER_HEADER = {"gunicorn": "gunicorn", "waitress": "waitress", "uwsgi": None}
PASSWORD = "correct horse battery"


@dataclass
class Site:
    server: str
    database: str
    port: int
    upstream_port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> Client:
        return Client(self.base)


def server_env(tmp: Path, database_url: str) -> dict[str, str]:
    """The environment docs/deployment.md asks for, without a developer's debug settings."""
    env = dict(
        os.environ,
        KOLBA_SECRET_KEY="deployment-test-secret-" + tmp.name,
        KOLBA_TRUSTED_PROXIES="1",
        DATABASE_URL=database_url,
        PYTHONUNBUFFERED="1",
    )
    for name in ("KOLBA_DEBUG", "KOLBA_TESTING", "KOLBA_RUN_MAIN", "KOLBA_APP"):
        env.pop(name, None)
    return env


@pytest.fixture(
    scope="module",
    params=[
        ("gunicorn", "sqlite"),
        ("waitress", "sqlite"),
        ("uwsgi", "sqlite"),
        ("gunicorn", "postgresql"),
    ],
    ids="-".join,
)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> t.Any:
    """Taskman under one WSGI server behind nginx, stopped (process groups) whatever happens."""
    server, database = request.param
    require_tool("/usr/sbin/nginx", "Debian package nginx-light")
    tmp = tmp_path_factory.mktemp(f"{server}-{database}")
    if database == "postgresql":
        database_url: str = request.getfixturevalue("postgres_url")
    else:
        database_url = f"sqlite:///{tmp / 'taskman.sqlite3'}"
    env = server_env(tmp, database_url)
    init = subprocess.run(
        [console_script("kolba"), "--app", "taskman", "init-db"],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert init.returncode == 0, f"init-db failed:\n{init.stdout}\n{init.stderr}"

    upstream_port = free_port()
    port = free_port(upstream_port)
    processes: list[Process] = []
    try:
        app = Process(
            server, COMMANDS[server](upstream_port), log=tmp / "app.log", env=env, cwd=tmp
        )
        processes.append(app)
        wait_until(
            lambda: http_status(upstream_port, "/api/status") == 200,
            f"{server} to serve taskman",
            processes,
        )
        prefix = tmp / "nginx"
        prefix.mkdir()
        processes.append(start_nginx(prefix, listen_port=port, upstream_port=upstream_port))
        wait_until(
            lambda: http_status(port, "/api/status") == 200,
            "nginx to proxy to taskman",
            processes,
        )
        yield Site(server, database, port, upstream_port)
    finally:
        stopped = [(process, process.stop()) for process in reversed(processes)]
    # Reached only when the tests ran: systemd and containers stop servers with SIGTERM.
    hung = [process.describe() for process, status in stopped if status is None]
    assert not hung, "SIGTERM did not stop:\n" + "\n".join(hung)


def test_the_app_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    """A forgotten KOLBA_SECRET_KEY stops the server instead of signing with a known key."""
    env = server_env(tmp_path, f"sqlite:///{tmp_path / 'taskman.sqlite3'}")
    del env["KOLBA_SECRET_KEY"]
    port = free_port()
    server = Process("waitress", waitress_command(port), log=tmp_path / "app.log", env=env)
    try:
        wait_until(lambda: not server.running, "waitress to give up", [], timeout=60)
    finally:
        server.stop()
    assert server.proc.returncode != 0
    assert "set KOLBA_SECRET_KEY" in server.output()


def redirects_to(reply: Reply, site: Site, path: str) -> bool:
    """A 302 to ``path``; an absolute Location must name nginx's host and port (ProxyFix)."""
    assert reply.status == 302, reply
    location = urlsplit(str(reply.headers["Location"]))
    if location.netloc:
        assert f"{location.scheme}://{location.netloc}" == site.base, location
    return location.path == path


def sign_up_and_in(site: Site, username: str) -> Client:
    client = site.client()
    form = client.get("/auth/register")
    assert form.status == 200, form
    reply = client.post_form(
        "/auth/register",
        {"username": username, "password": PASSWORD, "csrf_token": form.page().csrf_token()},
    )
    assert redirects_to(reply, site, "/auth/login")
    login = client.get("/auth/login")
    assert login.status == 200, login
    assert login.page().flashes(), "registration flashes a message on the login page"
    reply = client.post_form(
        "/auth/login",
        {"username": username, "password": PASSWORD, "csrf_token": login.page().csrf_token()},
    )
    assert redirects_to(reply, site, "/")
    return client


def counters(page: Page) -> tuple[int, int, int]:
    """The dashboard's total, pending and done counters."""
    total, pending, done = (
        int(page.by_id(f"count-{n}").text) for n in ("total", "pending", "done")
    )
    return total, pending, done


def test_pages_and_forms_work_through_nginx(site: Site) -> None:
    anonymous = site.client()
    assert redirects_to(anonymous.get("/"), site, "/auth/login")

    client = sign_up_and_in(site, f"ada-{site.server}")
    dashboard = client.get("/")
    assert dashboard.status == 200, dashboard
    # Pages come from the WSGI server through nginx.
    assert dashboard.headers["X-Upstream"] == f"127.0.0.1:{site.upstream_port}"
    assert dashboard.headers.get("Server") == SERVER_HEADER[site.server]
    assert dashboard.headers.get("X-Served-By") is None
    assert counters(dashboard.page()) == (0, 0, 0)

    for title in ("Write the report", "Buy milk"):
        token = client.get("/").page().csrf_token()
        reply = client.post_form("/tasks", {"title": title, "csrf_token": token})
        assert redirects_to(reply, site, "/")
    page = client.get("/").page()
    assert "Task added." in page.flashes()
    assert counters(page) == (2, 2, 0)
    tasks = {e.find_class("task-title")[0].text: e for e in page.by_class("task")}
    assert sorted(tasks) == ["Buy milk", "Write the report"]

    milk = tasks["Buy milk"].attrs["data-id"]
    reply = client.post_form(f"/tasks/{milk}/toggle", {"csrf_token": page.csrf_token()})
    assert redirects_to(reply, site, "/")
    page = client.get("/").page()
    assert counters(page) == (2, 1, 1)
    done = [
        e.find_class("task-title")[0].text for e in page.by_class("task") if "done" in e.classes
    ]
    assert done == ["Buy milk"]

    reply = client.post_form("/tasks/purge", {"csrf_token": page.csrf_token()})
    assert redirects_to(reply, site, "/")
    page = client.get("/").page()
    assert any(re.match(r"Removed 1 completed task", f) for f in page.flashes()), page.flashes()
    assert counters(page) == (1, 1, 0)
    assert [e.find_class("task-title")[0].text for e in page.by_class("task")] == [
        "Write the report"
    ]

    # A form posted without its CSRF token is refused, not served a 500.
    reply = client.post_form("/tasks", {"title": "no token"})
    assert reply.status == 400, reply


def test_api_sees_the_client_through_proxyfix(site: Site) -> None:
    client = site.client()
    status = client.get("/api/status")
    assert status.status == 200, status
    assert status.json() == {
        "status": "ok",
        "database": site.database,
        "remote_addr": CLIENT_ADDRESS,
        "scheme": "http",
        "external_url": f"{site.base}/",
    }

    unauthenticated = client.get("/api/tasks")
    assert unauthenticated.status == 401, unauthenticated
    assert "error" in unauthenticated.json()

    user = sign_up_and_in(site, f"grace-{site.server}")
    account = user.get("/account").page()
    assert account.by_id("api-token").text == ""
    reply = user.post_form("/account/token", {"csrf_token": account.csrf_token()})
    assert redirects_to(reply, site, "/account")
    token = user.get("/account").page().by_id("api-token").text
    assert len(token) >= 16, token

    bearer = {"Authorization": f"Bearer {token}"}
    api = site.client()  # no cookies: the token alone
    created = api.send_json("POST", "/api/tasks", {"title": "From the API"}, bearer)
    assert created.status == 201, created
    task = created.json()
    assert task["title"] == "From the API"
    assert task["done"] is False
    assert urlsplit(created.headers["Location"]).path == f"/api/tasks/{task['id']}"
    listed = api.get("/api/tasks", headers=bearer)
    assert listed.status == 200, listed
    assert [t["title"] for t in listed.json()["tasks"]] == ["From the API"]
    refused = api.get("/api/tasks", headers={"Authorization": "Bearer not-the-token"})
    assert refused.status == 401, refused
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_static_files_come_from_nginx(site: Site) -> None:
    reply = site.client().get("/static/style.css")
    assert reply.status == 200, reply
    assert reply.body == (STATIC_DIR / "style.css").read_bytes()
    assert reply.headers["Content-Type"].startswith("text/css")
    assert reply.headers["Server"].startswith("nginx")
    assert reply.headers["X-Served-By"] == "nginx"
    assert reply.headers.get("X-Upstream") is None
    missing = site.client().get("/static/nope.css")
    assert missing.status == 404, missing
    assert missing.headers.get("X-Upstream") is None


def test_the_app_runs_under_a_path_prefix(site: Site) -> None:
    client = site.client()
    status = client.get("/taskman/api/status").json()
    assert status["external_url"] == f"{site.base}/taskman/"
    assert status["remote_addr"] == CLIENT_ADDRESS
    assert redirects_to(client.get("/taskman/"), site, "/taskman/auth/login")
    login = client.get("/taskman/auth/login")
    assert login.status == 200, login
    stylesheets = [
        e.attrs["href"]
        for e in login.page().root.find_tag("link")
        if e.attrs.get("rel") == "stylesheet"
    ]
    assert stylesheets and all(h.startswith("/taskman/static/") for h in stylesheets), stylesheets
    css = client.get(urlsplit(stylesheets[0]).path)
    assert css.status == 200, css
    assert css.headers["X-Served-By"] == "nginx"


def _blocks(language: str) -> list[str]:
    text = (ROOT / "docs" / "deployment.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def _settings(text: str) -> list[str]:
    """The lines that configure something: no comments, no blank lines."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_the_docs_show_the_deploy_files_as_they_are() -> None:
    """docs/deployment.md shows the files this module runs, not a copy drifting away."""
    assert _blocks("nginx")[0] == (DEPLOY / "nginx.conf").read_text()
    unit = (DEPLOY / "taskman.service").read_text()
    assert _settings(_blocks("ini")[0]) == _settings(unit)
    # The Dockerfile is built from the repository root: everything it copies is there.
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    copied = [
        source
        for line in _settings(dockerfile)
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
    ]
    assert "src" in copied, copied
    missing = [source for source in copied if not (ROOT / source).exists()]
    assert not missing, missing
    assert re.search(r"^FROM python:3\.12-slim$", dockerfile, re.M)
    assert re.search(r"^USER taskman$", dockerfile, re.M)
