"""``send_file`` against Flask: paths, file objects, mimetypes, names, caching, conditional
requests, X-Sendfile, and the file being closed once the response is done."""

from __future__ import annotations

import io
import os
import typing as t
from datetime import datetime, timezone
from pathlib import Path

import flask
import pytest

import kolba
from kolba.files import FileWrapper, send_file

BODY = b"0123456789" * 1000


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "data.txt").write_bytes(BODY)
    (tmp_path / "page.html").write_bytes(b"<p>x</p>")
    (tmp_path / "archive.tar.gz").write_bytes(b"gz")
    return tmp_path


def _norm(rv: t.Any) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in rv.headers if k not in ("Date", "Expires")]
    data = rv.data
    rv.close()  # Werkzeug's test client leaves the file open until the response is closed.
    return rv.status_code, headers, data


def _pair(root: Path, view: t.Callable[[t.Any], t.Any], **config: t.Any) -> tuple[t.Any, t.Any]:
    """The same view on Flask and Kolba; *view* gets the framework's ``send_file``."""
    f = flask.Flask("files_test", root_path=os.fspath(root))
    k = kolba.Kolba("files_test", root_path=os.fspath(root))
    for app, sf in ((f, flask.send_file), (k, send_file)):
        app.config.update(config)
        app.add_url_rule("/", "index", lambda sf=sf: view(sf))
    return f.test_client(), k.test_client()


def _same(root: Path, view: t.Callable[[t.Any], t.Any], **kw: t.Any) -> t.Any:
    headers = kw.pop("headers", {})
    method = kw.pop("method", "GET")
    fc, kc = _pair(root, view, **kw)
    expected = _norm(fc.open("/", method=method, headers=headers))
    got = kc.open("/", method=method, headers=headers)
    assert _norm(got) == expected
    return got


def test_path(root: Path) -> None:
    rv = _same(root, lambda sf: sf("data.txt"))
    assert rv.status_code == 200
    assert rv.headers["Content-Length"] == str(len(BODY))
    assert rv.headers["Cache-Control"] == "no-cache"
    assert "Date" in rv.headers


def test_pathlike_and_absolute(root: Path) -> None:
    _same(root, lambda sf: sf(Path("page.html")))
    _same(root, lambda sf: sf(os.fspath(root / "page.html")))


def test_head(root: Path) -> None:
    rv = _same(root, lambda sf: sf("data.txt"), method="HEAD")
    assert rv.data == b""


@pytest.mark.parametrize(
    "name",
    ["a.txt", "a.html", "a.json", "a.png", "a.css", "a.js", "a.tar.gz", "a.unknownext", "noext"],
)
def test_bytesio_mimetypes(root: Path, name: str) -> None:
    _same(root, lambda sf: sf(io.BytesIO(b"hello"), download_name=name))


def test_tar_gz_attachment_has_no_content_encoding(root: Path) -> None:
    rv = _same(root, lambda sf: sf("archive.tar.gz", as_attachment=True))
    assert "Content-Encoding" not in rv.headers
    rv = _same(root, lambda sf: sf("archive.tar.gz"))
    assert rv.headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize(
    "name",
    [
        "report.pdf",
        "two words.txt",
        'quo"te.txt',
        "semi;colon.txt",
        "back\\slash.txt",
        "Ünïcödé.txt",
        "日本語.txt",
        "naïve café.csv",
        "emoji-😀.png",
        "percent%20.txt",
    ],
)
@pytest.mark.parametrize("as_attachment", [True, False])
def test_download_names(root: Path, name: str, as_attachment: bool) -> None:
    rv = _same(
        root,
        lambda sf: sf(io.BytesIO(b"x"), download_name=name, as_attachment=as_attachment),
    )
    assert rv.headers["Content-Disposition"].startswith("attachment" if as_attachment else "inline")


def test_explicit_mimetype(root: Path) -> None:
    rv = _same(root, lambda sf: sf(io.BytesIO(b"{}"), mimetype="application/json"))
    assert "Content-Disposition" not in rv.headers
    _same(root, lambda sf: sf("data.txt", mimetype="text/csv"))


def test_file_object_without_name_is_an_error(root: Path) -> None:
    k = kolba.Kolba("files_test", root_path=os.fspath(root))
    with k.test_request_context():
        with pytest.raises(TypeError, match="MIME type"):
            send_file(io.BytesIO(b"x"))
        with pytest.raises(TypeError, match="No name provided"):
            send_file(io.BytesIO(b"x"), mimetype="text/plain", as_attachment=True)
        with open(root / "data.txt") as text, pytest.raises(ValueError, match="binary mode"):
            send_file(text, mimetype="text/plain")  # type: ignore[arg-type]


def test_real_file_object(root: Path) -> None:
    opened: list[t.IO[bytes]] = []

    def view(sf: t.Any) -> t.Any:
        f = open(root / "data.txt", "rb")  # noqa: SIM115 - send_file closes it
        opened.append(f)
        return sf(f, download_name="data.txt")

    rv = _same(root, view)
    assert rv.data == BODY
    # A file object has no known length: no Content-Length, no ranges.
    assert "Content-Length" not in rv.headers
    assert all(f.closed for f in opened)


@pytest.mark.parametrize("max_age", [60, 0, -5, None])
def test_max_age(root: Path, max_age: int | None) -> None:
    rv = _same(root, lambda sf: sf("data.txt", max_age=max_age))
    if max_age:
        assert "Expires" in rv.headers
    else:
        assert rv.headers["Cache-Control"].startswith("no-cache")


def test_max_age_callable_and_config(root: Path) -> None:
    seen: list[str | None] = []

    def age(path: str | None) -> int:
        seen.append(path)
        return 99

    rv = _same(root, lambda sf: sf("data.txt", max_age=age))
    assert rv.headers["Cache-Control"] == "public, max-age=99"
    assert seen == [os.path.join(os.fspath(root), "data.txt")] * 2
    rv = _same(root, lambda sf: sf("data.txt"), SEND_FILE_MAX_AGE_DEFAULT=30)
    assert rv.headers["Cache-Control"] == "public, max-age=30"
    expires = rv.expires
    assert expires is not None and expires > datetime.now(timezone.utc)


def test_etag_options(root: Path) -> None:
    rv = _same(root, lambda sf: sf("data.txt", etag=False))
    assert "ETag" not in rv.headers
    rv = _same(root, lambda sf: sf("data.txt", etag="v1"))
    assert rv.headers["ETag"] == '"v1"'
    _same(root, lambda sf: sf(io.BytesIO(b"x"), download_name="x.txt", etag="v2"))


def test_last_modified_option(root: Path) -> None:
    when = datetime(2020, 5, 17, 12, 0, tzinfo=timezone.utc)
    rv = _same(root, lambda sf: sf("data.txt", last_modified=when))
    assert rv.headers["Last-Modified"] == "Sun, 17 May 2020 12:00:00 GMT"
    _same(root, lambda sf: sf("data.txt", last_modified=1_600_000_000))


def _etag(root: Path) -> str:
    _, kc = _pair(root, lambda sf: sf("data.txt"))
    rv = kc.get("/")
    tag = str(rv.headers["ETag"])
    rv.close()
    return tag


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": "MATCH"},
        {"If-None-Match": "W/MATCH"},
        {"If-None-Match": '"other"'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": "Sun, 01 Jan 2090 00:00:00 GMT"},
        {"If-Modified-Since": "Sun, 01 Jan 2000 00:00:00 GMT"},
        {"If-Modified-Since": "garbage"},
        {"If-Match": '"other"'},
        {"If-Match": "MATCH", "If-None-Match": "MATCH"},
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_conditional(root: Path, headers: dict[str, str], method: str) -> None:
    tag = _etag(root)
    headers = {k: v.replace("MATCH", tag) for k, v in headers.items()}
    rv = _same(root, lambda sf: sf("data.txt"), headers=headers, method=method)
    if headers.get("If-None-Match") == tag and "If-Match" not in headers:
        assert rv.status_code in (304, 412)


def test_conditional_off(root: Path) -> None:
    tag = _etag(root)
    rv = _same(root, lambda sf: sf("data.txt", conditional=False), headers={"If-None-Match": tag})
    assert rv.status_code == 200
    assert "Accept-Ranges" not in rv.headers


def test_x_sendfile(root: Path) -> None:
    rv = _same(root, lambda sf: sf("data.txt"), USE_X_SENDFILE=True)
    assert rv.headers["X-Sendfile"] == os.path.join(os.fspath(root), "data.txt")
    assert rv.data == b""
    tag = str(rv.headers["ETag"])
    rv = _same(root, lambda sf: sf("data.txt"), USE_X_SENDFILE=True, headers={"If-None-Match": tag})
    assert rv.status_code == 304
    assert "X-Sendfile" not in rv.headers


def test_file_closed_after_every_kind_of_response(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[t.IO[bytes]] = []
    real_open = open

    def tracking_open(*args: t.Any, **kwargs: t.Any) -> t.Any:
        f = real_open(*args, **kwargs)
        opened.append(f)
        return f

    tag = _etag(root)
    monkeypatch.setattr("kolba.files.open", tracking_open, raising=False)
    _, kc = _pair(root, lambda sf: sf("data.txt"))
    requests: list[tuple[str, dict[str, str]]] = [
        ("GET", {}),
        ("HEAD", {}),
        ("GET", {"If-None-Match": tag}),
        ("GET", {"Range": "bytes=5-9"}),
        ("HEAD", {"Range": "bytes=5-9,20-29"}),
        ("GET", {"Range": "bytes=99999-"}),
    ]
    for method, headers in requests:
        kc.open("/", method=method, headers=headers)
    assert len(opened) == len(requests)
    assert all(f.closed for f in opened)


def test_file_closed_when_body_abandoned(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that stops reading (the client went away) still closes the body: the file
    is closed then, not when the garbage collector finds it."""
    opened: list[t.IO[bytes]] = []
    real_open = open

    def tracking_open(*args: t.Any, **kwargs: t.Any) -> t.Any:
        f = real_open(*args, **kwargs)
        opened.append(f)
        return f

    monkeypatch.setattr("kolba.files.open", tracking_open, raising=False)
    k = kolba.Kolba("files_test", root_path=os.fspath(root))
    k.add_url_rule("/", "index", lambda: send_file("data.txt"))
    started: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }

    def start_response(status: str, headers: t.Any, exc_info: t.Any = None) -> t.Any:
        started.append(status)
        return lambda data: None

    body = k.wsgi_app(environ, start_response)
    first = next(iter(body))
    assert BODY.startswith(first) and 0 < len(first) < len(BODY) + 1
    assert started == ["200 OK"]
    assert not opened[0].closed
    body.close()  # type: ignore[attr-defined]
    assert opened[0].closed


def test_file_wrapper_blocks() -> None:
    wrapper = FileWrapper(io.BytesIO(b"abcdefg"), buffer_size=3)
    assert list(wrapper) == [b"abc", b"def", b"g"]
    assert wrapper.seekable()
    wrapper.seek(2)
    assert wrapper.tell() == 2
    assert next(wrapper) == b"cde"
    wrapper.close()
    assert wrapper.file.closed
