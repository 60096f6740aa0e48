"""Hostile ``Range`` headers and path-traversal spellings against files.

tests/test_ranges.py checks range semantics against Werkzeug and tests/test_static.py the
basic traversal names; this module adds what an attacker sends on top of them.

Cases covered:

- thousands of byte ranges, overlapping ranges (the "Apache Killer"), a megabyte ``Range``
  header, inverted, unordered, out-of-range and 20-digit ranges: ignored (200 and the whole
  body) or 416, in bounded memory;
- a ``Range`` on a POST, with a stale ``If-Range``, or on a 404: no partial content;
- traversal spellings that reach the app undecoded (raw ``PATH_INFO``): encoded and double
  encoded dots and slashes, full-width dots, overlong UTF-8, backslashes, ``..;/``, NUL,
  absolute and UNC paths, Windows drive letters, device names, trailing dots, NTFS streams;
  through the static route, a ``<path:>`` view with ``send_from_directory``, and ``safe_join``;
- a symlinked folder leading outside, a directory asked for as a file;
- a user-controlled download name with quotes and CR/LF in ``Content-Disposition``;
- an uploaded file's name (``../../etc/passwd``, absolute, UNC, device names): kept as sent
  in ``FileStorage.filename``, as Werkzeug does, and made safe by ``secure_filename``.

No answer ever contains the secret file that sits beside the served folder.
"""

from __future__ import annotations

import io
import os
import sys
import tracemalloc
import typing as t
from pathlib import Path

import pytest
import werkzeug.utils
from hypothesis import given
from hypothesis import strategies as st

from kolba import Kolba, request
from kolba.files import safe_join, send_file, send_from_directory
from kolba.helpers import secure_filename
from kolba.http.headers import parse_options_header

SECRET = b"TOP-SECRET-CONTENT"
BODY = bytes(range(256)) * 400  # 102,400 bytes


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """``static/`` with a file, a sub folder and a link out; secrets beside and above it."""
    static = tmp_path / "static"
    (static / "sub").mkdir(parents=True)
    (static / "data.bin").write_bytes(BODY)
    (static / "sub" / "a.txt").write_bytes(b"a")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "static-secrets").mkdir()
    (tmp_path / "static-secrets" / "key.txt").write_bytes(SECRET)
    (static / "sub" / "up").symlink_to(tmp_path, target_is_directory=True)
    return tmp_path


@pytest.fixture
def files_app(root: Path) -> Kolba:
    app = Kolba("files_app", root_path=os.fspath(root), static_folder="static")
    app.config["TESTING"] = True
    static = os.fspath(root / "static")

    @app.route("/dl/<path:name>", methods=["GET", "POST"])
    def dl(name: str) -> t.Any:
        return send_from_directory(static, name)

    @app.route("/q")
    def q() -> t.Any:
        return send_from_directory(static, request.args["name"])

    @app.route("/named")
    def named() -> t.Any:
        return send_file(io.BytesIO(b"x"), as_attachment=True, download_name=request.args["name"])

    @app.route("/show-if-range")
    def show_if_range() -> str:
        return f"{request.if_range} {request.if_range!r}"

    @app.post("/upload")
    def upload() -> str:
        f = request.files["f"]
        assert f.filename is not None
        app.extensions.setdefault("sent_names", []).append(f.filename)
        target = root / "uploads"
        target.mkdir(exist_ok=True)
        name = secure_filename(f.filename) or "unnamed"
        f.save(os.fspath(target / name))
        return name

    # Warm up: the first file response imports and loads the MIME database, which would
    # count in the first measured request's memory.
    app.test_client().get("/static/data.bin").close()
    return app


class _Result(t.NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes
    peak: int


def _wsgi(app: Kolba, path: str, method: str = "GET", **headers: str) -> _Result:
    """Call the app with a raw ``PATH_INFO`` (undecoded, as a proxy may forward it)."""
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    environ.update(headers)
    got: list[t.Any] = []

    def start_response(s: str, hdrs: list[tuple[str, str]], exc_info: t.Any = None) -> t.Any:
        got[:] = [s, dict(hdrs)]

    tracemalloc.start()
    try:
        it = app.wsgi_app(environ, start_response)
        try:
            body = b"".join(it)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return _Result(int(got[0].split()[0]), got[1], body, peak)


# ------------------------------------------------------------------------------------------
# Ranges


def _range(app: Kolba, value: str, method: str = "GET", **headers: str) -> _Result:
    return _wsgi(app, "/static/data.bin", method, HTTP_RANGE=value, **headers)


# CVE-2011-3192 Apache "Killer": many overlapping ranges multiply the response.
@pytest.mark.parametrize(
    "value",
    [
        "bytes=0-," + ",".join(f"5-{i}" for i in range(1300)),
        "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 20_000, 2)),
        "bytes=" + ",".join(["0-102399"] * 5000),
        "bytes=" + "0-1," * 250_000 + "0-1",
        "bytes=" + "," * 1_000_000,
        "bytes=" + "0" * 1_000_000 + "-1",
    ],
    ids=["apache-killer", "10000-ranges", "whole-body-5000-times", "1mb-header", "commas", "zeros"],
)
def test_range_amplification_is_ignored(files_app: Kolba, value: str) -> None:
    rv = _range(files_app, value)
    assert rv.status == 200
    assert rv.body == BODY
    assert "Content-Range" not in rv.headers
    # The answer is the body once: nothing is built per requested range; memory is linear
    # in the header (a copy or two of it) and the body.
    assert rv.peak < 3 * len(value) + 4 * len(BODY) + 512 * 1024


@pytest.mark.parametrize(
    "value",
    ["bytes=500-100", "bytes=200-299,100-199", "bytes=0-99,50-149", "bytes=1-" + "9" * 20],
    ids=["inverted", "unordered", "overlapping", "20-digits"],
)
def test_unusable_ranges_are_ignored(files_app: Kolba, value: str) -> None:
    # Werkzeug answers 416 (or, for the 20-digit end, clamps it); Kolba sends the whole body.
    rv = _range(files_app, value)
    assert (rv.status, rv.body) == (200, BODY)


@pytest.mark.parametrize(
    "value",
    ["bytes=102400-", "bytes=102400-200000", "bytes=999999999-", "bytes=200000-200010,300000-"],
)
def test_out_of_range_is_416(files_app: Kolba, value: str) -> None:
    rv = _range(files_app, value)
    assert rv.status == 416
    assert rv.headers["Content-Range"] == f"bytes */{len(BODY)}"
    assert BODY[:16] not in rv.body


def test_sixteen_ranges_are_served(files_app: Kolba) -> None:
    spec = ",".join(f"{i * 100}-{i * 100 + 9}" for i in range(16))
    rv = _range(files_app, "bytes=" + spec)
    assert rv.status == 206
    assert rv.headers["Content-Type"].startswith("multipart/byteranges; boundary=")
    assert rv.body.count(b"Content-Range: bytes ") == 16


def test_range_is_ignored_on_post(files_app: Kolba) -> None:
    rv = _wsgi(files_app, "/dl/data.bin", "POST", HTTP_RANGE="bytes=0-9")
    assert (rv.status, rv.body) == (200, BODY)


def test_range_with_a_stale_if_range(files_app: Kolba) -> None:
    rv = _range(files_app, "bytes=0-9", HTTP_IF_RANGE='"not-the-etag"')
    assert (rv.status, rv.body) == (200, BODY)
    rv = _range(files_app, "bytes=0-9", HTTP_IF_RANGE="Thu, 01 Jan 1970 00:00:00 GMT")
    assert (rv.status, rv.body) == (200, BODY)


@pytest.mark.parametrize("if_range", ["x" * 100_000, '"' * 100_000, "W/" * 50_000])
def test_hostile_if_range(files_app: Kolba, if_range: str) -> None:
    rv = _range(files_app, "bytes=0-9", HTTP_IF_RANGE=if_range)
    assert (rv.status, rv.body) == (200, BODY)


@pytest.mark.parametrize("if_range", ['0"', 'W/"a"b"', '"'])
def test_malformed_if_range_can_be_shown(files_app: Kolba, if_range: str) -> None:
    # Werkzeug's IfRange raises ValueError from str() and repr() for these.
    rv = _range(files_app, "bytes=0-9", HTTP_IF_RANGE=if_range)
    assert (rv.status, rv.body) == (200, BODY)
    rv = _wsgi(files_app, "/show-if-range", HTTP_IF_RANGE=if_range)
    assert rv.status == 200
    assert b" <IfRange " in rv.body


def test_range_on_a_missing_file(files_app: Kolba) -> None:
    rv = _wsgi(files_app, "/static/nope.bin", HTTP_RANGE="bytes=0-9")
    assert rv.status == 404


# ------------------------------------------------------------------------------------------
# Traversal through raw paths


# Spellings that reach the app undecoded. Starlette CVE-2023-29159 (prefix check),
# Werkzeug CVE-2024-49766 (UNC paths in safe_join), Werkzeug's Windows device-name advisory,
# IIS/Tomcat "..;/", overlong UTF-8 (CVE-2000-0884 IIS) and full-width dots.
RAW_PATHS = [
    "../secret.txt",
    "%2e%2e/secret.txt",
    "%2E%2E%2Fsecret.txt",
    "..%2fsecret.txt",
    "..%5csecret.txt",
    "%252e%252e%252fsecret.txt",
    "..\\secret.txt",
    "sub\\..\\..\\secret.txt",
    "sub/../../secret.txt",
    "sub/./../../secret.txt",
    "..;/secret.txt",
    "\xef\xbc\x8e\xef\xbc\x8e/secret.txt",
    "\xc0\xae\xc0\xae/secret.txt",
    "\xc0\xae\xc0\xae\xc0\xafsecret.txt",
    "\xe0\x80\xae\xe0\x80\xae/secret.txt",
    "sub/up/secret.txt",
    "sub/up/static-secrets/key.txt",
    "../static-secrets/key.txt",
    "//etc/passwd",
    "\\\\server\\share\\secret.txt",
    "//server/share/secret.txt",
    "C:/Windows/win.ini",
    "C:secret.txt",
    "c%3A%5Csecret.txt",
    "CON",
    "nul.txt",
    "sub/AUX.bin",
    "COM1.log",
    "data.bin.",
    "data.bin ",
    "data.bin::$DATA",
    "data.bin%00.png",
    "data.bin\x00.png",
    "sub",
    "sub/",
    ".",
    "",
    "~/secret.txt",
    "sub/" * 2000 + "a.txt",
    ".." + "/.." * 2000 + str(Path("/etc/passwd")),
]


@pytest.mark.parametrize("name", RAW_PATHS)
@pytest.mark.parametrize("prefix", ["/static/", "/dl/"])
def test_raw_traversal_spellings(files_app: Kolba, prefix: str, name: str) -> None:
    rv = _wsgi(files_app, prefix + name)
    assert SECRET not in rv.body
    assert rv.status in (404, 308), (rv.status, rv.body[:200])
    if rv.status == 308:
        # "//x" is merged into "/x" by the router's redirect, which stays on this site and
        # inside the folder.
        location = rv.headers["Location"]
        assert location.startswith(f"http://localhost{prefix}")
        followed = _wsgi(files_app, location.removeprefix("http://localhost"))
        assert followed.status == 404
        assert SECRET not in followed.body
    assert len(rv.body) < 1000


@pytest.mark.parametrize("name", RAW_PATHS)
def test_traversal_through_send_from_directory_argument(files_app: Kolba, name: str) -> None:
    # The name a view takes from the query string, where no router ever normalised it.
    rv = files_app.test_client().get("/q", query_string={"name": name})
    assert rv.status_code == 404
    assert SECRET not in rv.data


@pytest.mark.parametrize(
    "parts",
    [
        ("sub", "..", "..", "secret.txt"),
        ("sub/..", "../secret.txt"),
        ("/", "secret.txt"),
        ("sub", "/etc/passwd"),
        ("\\\\server\\share",),
        ("//server/share",),
        ("sub", "up"),
        ("C:",),
        ("a\0b",),
        ("sub", "con.txt"),
        ("sub", "LPT9"),
        ("CONIN$",),
    ],
)
def test_safe_join_refuses(root: Path, parts: tuple[str, ...]) -> None:
    assert safe_join(os.fspath(root / "static"), *parts) is None


def test_safe_join_keeps_legitimate_names(root: Path) -> None:
    static = os.fspath(root / "static")
    assert safe_join(static, "sub", "a.txt") == f"{static}/sub/a.txt"
    assert safe_join(static, "sub/../data.bin") == f"{static}/data.bin"
    assert safe_join(static, "..data.bin") == f"{static}/..data.bin"
    assert safe_join(static, "con-tacts.txt") == f"{static}/con-tacts.txt"


def test_legitimate_files_are_still_served(files_app: Kolba) -> None:
    for path in ("/static/data.bin", "/dl/data.bin", "/static/sub/a.txt", "/dl/sub/./a.txt"):
        rv = _wsgi(files_app, path)
        assert rv.status == 200, path
        assert rv.body in (BODY, b"a")


# ------------------------------------------------------------------------------------------
# Download names


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ('a"b.txt', 'a"b.txt'),
        ("a;filename=evil.exe", "a;filename=evil.exe"),
        ("a\r\nSet-Cookie: x=y.txt", "aSet-Cookie: x=y.txt"),
        ("\xe9\r\n.txt", "e.txt"),
        ("a\x00b\x7f", "ab"),
        ("\u202etxt.exe", "txt.exe"),
    ],
)
def test_download_name_cannot_inject(files_app: Kolba, name: str, fallback: str) -> None:
    # Werkzeug refuses CR/LF here with a ValueError (a 500); Kolba drops control characters
    # from the ASCII name and keeps the exact name percent-encoded in filename*.
    rv = files_app.test_client().get("/named", query_string={"name": name})
    assert rv.status_code == 200
    assert "Set-Cookie" not in rv.headers
    disposition = rv.headers["Content-Disposition"]
    assert not any(c in disposition for c in "\r\n\x00\x7f")
    # The ASCII name a browser falls back to, then the exact name (filename* wins on parsing).
    head = disposition.partition("; filename*=")[0].replace('\\"', '"')
    assert head in (f'attachment; filename="{fallback}"', f"attachment; filename={fallback}")
    kind, params = parse_options_header(disposition)
    assert (kind, params["filename"]) == ("attachment", name)


# ------------------------------------------------------------------------------------------
# Uploaded file names


UPLOAD_NAMES = [
    ("../../etc/passwd", "etc_passwd"),
    ("/etc/passwd", "etc_passwd"),
    ("..", ""),
    ("../", ""),
    (".htaccess", "htaccess"),
    ("a/../../b.txt", "a_.._.._b.txt"),
    ("C:\\Windows\\win.ini", "CWindowswin.ini"),
    ("\\\\server\\share\\x", "serversharex"),
    ("nul.txt", "_nul.txt"),
    ("CON", "_CON"),
    ("com1.tar.gz", "_com1.tar.gz"),
    ("My cool movie.mov", "My_cool_movie.mov"),
    ("i contain cool \xfcml\xe4uts.txt", "i_contain_cool_umlauts.txt"),
    ("\x00\r\n.txt", "txt"),
    ("\u202egnp.exe", "gnp.exe"),
]


def test_uploaded_file_name_is_kept_as_sent(files_app: Kolba, root: Path) -> None:
    # Werkzeug semantics: the name is the client's; joining it to a folder is the app's job,
    # with secure_filename (or safe_join). Like Werkzeug, the parser does not cut Windows
    # paths itself.
    client = files_app.test_client()
    sendable = [(n, e) for n, e in UPLOAD_NAMES if n.isprintable()]
    for name, expected in sendable:
        rv = client.post("/upload", data={"f": (io.BytesIO(b"x"), name)})
        assert rv.status_code == 200
        assert rv.data.decode() == (expected or "unnamed")
    # CR, LF or NUL in a part header is a malformed body.
    rv = client.post("/upload", data={"f": (io.BytesIO(b"x"), "\x00\r\n.txt")})
    assert rv.status_code == 400
    assert (root / "secret.txt").read_bytes() == SECRET
    sent = files_app.extensions["sent_names"]
    assert sent[:6] == [name for name, _ in UPLOAD_NAMES[:6]]
    assert sorted(p.name for p in (root / "uploads").iterdir()) == sorted(
        {e or "unnamed" for _, e in sendable}
    )


@pytest.mark.parametrize(("name", "expected"), UPLOAD_NAMES)
def test_secure_filename(name: str, expected: str) -> None:
    assert secure_filename(name) == expected


@given(st.text())
def test_secure_filename_matches_werkzeug_and_never_leaves_the_folder(name: str) -> None:
    rv = secure_filename(name)
    assert "/" not in rv and "\\" not in rv and rv not in (".", "..")
    assert not rv.startswith(".")
    # Werkzeug prefixes device names only on Windows; Kolba on every OS.
    werkzeug_rv = werkzeug.utils.secure_filename(name)
    assert rv in (werkzeug_rv, f"_{werkzeug_rv}")
