"""Real servers for the deployment tests: free ports, process groups, readiness, nginx.

Every server runs in its own process group so that stopping it also stops its workers (gunicorn
and uWSGI fork); :class:`Process` sends SIGTERM, waits with a deadline, then SIGKILLs. Output goes
to a log file so that a server which fails to start can be diagnosed from the test failure alone.
"""

from __future__ import annotations

import email.message
import functools
import http.client
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import typing as t
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TASKMAN = ROOT / "examples" / "taskman"
DEPLOY = TASKMAN / "deploy"
STATIC_DIR = TASKMAN / "taskman" / "static"
NGINX = "/usr/sbin/nginx"
MIME_TYPES = "/etc/nginx/mime.types"

_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def free_port(*taken: int) -> int:
    """A loopback port nobody listens on right now (the OS picks it), not one of ``taken``."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in taken:
            return port


def require_tool(name: str, package: str) -> str:
    """The path of an executable, or skip the test saying what to install."""
    path = name if os.path.isabs(name) and os.access(name, os.X_OK) else shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed ({package})")
    return path


class Process:
    """A server started in its own process group, its output captured in ``log``.

    :param name: what to call it in failure messages.
    :param argv: the command.
    :param log: the file that receives stdout and stderr.
    """

    def __init__(
        self,
        name: str,
        argv: t.Sequence[str],
        *,
        log: Path,
        env: t.Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log = log
        with open(log, "wb") as out:
            # The child keeps its own copy of the descriptor; ours can close at once.
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def describe(self) -> str:
        """The command, its state and the tail of its log, for failure messages."""
        state = "running" if self.running else f"exited with {self.proc.returncode}"
        return f"--- {self.name} ({state}): {' '.join(self.argv)}\n{self.output()[-4000:]}"

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the whole process group, then SIGKILL it if it outlives ``timeout``.

        :return: the exit status if SIGTERM stopped it in time (negative: killed by the
            signal), ``None`` if it had to be killed: a server that ignores SIGTERM would hang
            a systemd stop or a container shutdown.
        """
        graceful: int | None = None
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            graceful = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        # Workers may linger after their master exits: the group is killed either way.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=timeout)
        return graceful


def http_status(port: int, path: str = "/", host: str = "127.0.0.1") -> int:
    """The status of a GET, raising :class:`OSError` while nothing listens."""
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path)
        rv = conn.getresponse()
        rv.read()
        return rv.status
    finally:
        conn.close()


def wait_until(
    condition: t.Callable[[], bool],
    what: str,
    processes: t.Sequence[Process],
    timeout: float = 30.0,
) -> None:
    """Poll ``condition`` until it holds; fail with the servers' logs if one dies or time is up.

    Connection errors count as "not yet": a server is still binding its port.
    """
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            if condition():
                return
        except (OSError, http.client.HTTPException) as e:
            last = e
        dead = [p for p in processes if not p.running]
        if dead or time.monotonic() > deadline:
            why = f"{dead[0].name} exited" if dead else f"timed out after {timeout:g} s"
            logs = "\n".join(p.describe() for p in processes)
            raise AssertionError(f"waiting for {what}: {why} (last error: {last!r})\n{logs}")
        time.sleep(0.05)  # polling interval only: the condition decides


def render(template: str, values: t.Mapping[str, str]) -> str:
    """Fill ``{{NAME}}`` placeholders, refusing missing or unused values (catches typos)."""
    names = set(_PLACEHOLDER.findall(template))
    if names != set(values):
        raise ValueError(f"placeholders {sorted(names)} do not match values {sorted(values)}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def render_nginx_conf(prefix: Path, *, listen_port: int, upstream_port: int) -> Path:
    """Render ``examples/taskman/deploy/nginx.conf`` for a run in ``prefix``; return its path."""
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    text = render(
        (DEPLOY / "nginx.conf").read_text(),
        {
            "PREFIX": str(prefix),
            "LISTEN": f"127.0.0.1:{listen_port}",
            "SERVER_NAME": "_",
            "STATIC_DIR": f"{STATIC_DIR}/",
            "UPSTREAM": f"127.0.0.1:{upstream_port}",
            "MIME_TYPES": MIME_TYPES,
        },
    )
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


def start_nginx(prefix: Path, *, listen_port: int, upstream_port: int) -> Process:
    """Check the rendered config with ``nginx -t``, then run nginx in the foreground."""
    nginx = require_tool(NGINX, "Debian package nginx-light")
    conf = render_nginx_conf(prefix, listen_port=listen_port, upstream_port=upstream_port)
    argv = [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    check = subprocess.run([*argv, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, f"nginx -t refused {conf}:\n{check.stderr}"
    return Process("nginx", argv, log=prefix / "nginx.out")


def console_script(name: str) -> str:
    """A tool installed beside this Python (its bin folder), else from PATH, else skip."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return require_tool(name, f"pip install {name}")


def gunicorn_command(port: int, target: str = "taskman:create_app()") -> list[str]:
    return [
        console_script("gunicorn"),
        "--config",
        str(DEPLOY / "gunicorn.conf.py"),
        "--workers",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        # Gunicorn 23+ opens a control socket in ~/.gunicorn: shared by parallel runs.
        "--no-control-socket",
        target,
    ]


def waitress_command(port: int, target: str = "taskman:create_app") -> list[str]:
    return [
        console_script("waitress-serve"),
        f"--listen=127.0.0.1:{port}",
        # Waitress deletes X-Forwarded-* from untrusted peers by default; the app's ProxyFix
        # is the one place that decides which to trust.
        "--no-clear-untrusted-proxy-headers",
        "--call",
        target,
    ]


def uwsgi_command(port: int) -> list[str]:
    # The ini holds everything but the socket, which differs per run and per site.
    return [
        console_script("uwsgi"),
        "--ini",
        str(DEPLOY / "uwsgi.ini"),
        "--http-socket",
        f"127.0.0.1:{port}",
    ]


# The HTTP client: a user's browser, reduced to what the tests need.

#: The address the test client connects from. Linux routes all of 127/8 to loopback, so a
#: different source address than nginx's own 127.0.0.1 shows that the app saw the real client
#: (through X-Forwarded-For) and not the proxy.
CLIENT_ADDRESS = "127.0.0.2"


class _FromClientAddress(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(
            http.client.HTTPConnection, source_address=(CLIENT_ADDRESS, 0)
        )
        return self.do_open(connection, req)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are answers to check (status, Location), not something to follow blindly."""

    def redirect_request(self, *args: t.Any, **kwargs: t.Any) -> None:
        return None


class Reply:
    """One HTTP response, read completely."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: email.message.Message, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> t.Any:
        return json.loads(self.body)

    def page(self) -> Page:
        return Page(self.text)

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.body[:300]!r}>"


class Client:
    """Cookies kept across requests, redirects returned rather than followed.

    :param base: the site, e.g. ``http://127.0.0.1:8080``.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            _FromClientAddress(),
            _NoRedirects(),
            urllib.request.HTTPCookieProcessor(self.cookies),
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: t.Mapping[str, str] | None = None,
    ) -> Reply:
        req = urllib.request.Request(
            self.base + path, data=body, headers=dict(headers or {}), method=method
        )
        try:
            with self._opener.open(req, timeout=10) as rv:
                return Reply(rv.status, rv.headers, rv.read())
        except urllib.error.HTTPError as e:  # 3xx (not followed), 4xx and 5xx
            with e:
                return Reply(e.code, e.headers, e.read())

    def get(self, path: str, headers: t.Mapping[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, fields: t.Mapping[str, str]) -> Reply:
        body = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body=body, headers=headers)

    def send_json(
        self, method: str, path: str, data: t.Any, headers: t.Mapping[str, str] | None = None
    ) -> Reply:
        headers = {"Content-Type": "application/json", **(headers or {})}
        return self.request(method, path, body=json.dumps(data).encode(), headers=headers)


class Element:
    """An HTML element as :class:`Page` saw it: its attributes and all the text inside it."""

    __slots__ = ("tag", "attrs", "parts", "children")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parts: list[str] = []
        self.children: list[Element] = []

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def find(self, match: t.Callable[[Element], bool]) -> list[Element]:
        """Every element below this one that ``match`` accepts, in document order."""
        found = []
        for child in self.children:
            if match(child):
                found.append(child)
            found.extend(child.find(match))
        return found

    def find_class(self, name: str) -> list[Element]:
        return self.find(lambda e: name in e.classes)

    def find_tag(self, tag: str) -> list[Element]:
        return self.find(lambda e: e.tag == tag)


class Page(HTMLParser):
    """Just enough of the DOM: elements by id and by class, with their text."""

    _VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self._open = [self.root]
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self._open[-1].children.append(element)
        if tag not in self._VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, 0, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                return

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.parts.append(data)

    def by_class(self, name: str) -> list[Element]:
        return self.root.find_class(name)

    def by_id(self, ident: str) -> Element:
        def walk(element: Element) -> Element | None:
            for child in element.children:
                if child.attrs.get("id") == ident:
                    return child
                found = walk(child)
                if found is not None:
                    return found
            return None

        found = walk(self.root)
        if found is None:
            raise AssertionError(f"no element with id {ident!r} in the page")
        return found

    def csrf_token(self) -> str:
        """The value of the first hidden ``csrf_token`` input: what a browser would submit."""

        def walk(element: Element) -> str | None:
            for child in element.children:
                if child.tag == "input" and child.attrs.get("name") == "csrf_token":
                    return child.attrs.get("value", "")
                found = walk(child)
                if found is not None:
                    return found
            return None

        token = walk(self.root)
        if not token:
            raise AssertionError("no csrf_token input in the page")
        return token

    def flashes(self) -> list[str]:
        return [e.text for e in self.by_id("flashes").find_class("flash")]
