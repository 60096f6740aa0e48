"""Range and conditional responses: single ranges against Flask, multipart/byteranges parsed
back, 416, If-Range, and the ranges Kolba ignores on purpose."""

from __future__ import annotations

import io
import os
import typing as t
from pathlib import Path

import flask
import pytest

import kolba
from kolba.files import FileWrapper, send_file
from kolba.http.ranges import MAX_RANGES, resolve_ranges
from kolba.wrappers import Response

BODY = bytes(range(256)) * 400  # 102,400 bytes: ranges cross the 64 KiB read blocks


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "data.bin").write_bytes(BODY)
    return tmp_path


def _clients(root: Path) -> tuple[t.Any, t.Any]:
    f = flask.Flask("ranges_test", root_path=os.fspath(root))
    k = kolba.Kolba("ranges_test", root_path=os.fspath(root))
    f.add_url_rule("/", "index", lambda: flask.send_file("data.bin"))
    k.add_url_rule("/", "index", lambda: send_file("data.bin"))
    return f.test_client(), k.test_client()


def _norm(rv: t.Any) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in rv.headers if k not in ("Date", "Expires")]
    data = rv.data
    rv.close()
    return rv.status_code, headers, data


def _parse_multipart(rv: t.Any) -> list[tuple[str, str, bytes]]:
    """Split a multipart/byteranges body into (Content-Type, Content-Range, data)."""
    ctype = rv.headers["Content-Type"]
    assert ctype.startswith("multipart/byteranges; boundary=")
    boundary = ctype.split("boundary=", 1)[1].encode()
    body = rv.data
    assert int(rv.headers["Content-Length"]) == len(body)
    assert body.endswith(b"\r\n--" + boundary + b"--\r\n")
    assert body.startswith(b"--" + boundary + b"\r\n")
    parts = []
    for raw in body[: -len(boundary) - 8].split(b"--" + boundary + b"\r\n")[1:]:
        head, _, data = raw.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        parts.append((fields["Content-Type"], fields["Content-Range"], data))
    return parts


@pytest.mark.parametrize(
    "value",
    ["bytes=0-0", "bytes=0-99", "bytes=100-", "bytes=-100", "bytes=65530-65545", "bytes=0-",
     "bytes=102399-", "bytes=500-999999", "bytes=102400-", "bytes=200000-300000"],
)  # fmt: skip
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_single_range_matches_flask(root: Path, value: str, method: str) -> None:
    fc, kc = _clients(root)
    headers = {"Range": value}
    expected = _norm(fc.open("/", method=method, headers=headers))
    got = kc.open("/", method=method, headers=headers)
    assert _norm(got) == expected
    if got.status_code == 206 and method == "GET":
        first, last = got.headers["Content-Range"].split()[1].split("/")[0].split("-")
        assert got.data == BODY[int(first) : int(last) + 1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bytes=0-9,20-29", [(0, 10), (20, 30)]),
        ("bytes=0-0,65535-65537,102399-", [(0, 1), (65535, 65538), (102399, 102400)]),
        ("bytes=10-19,-5", [(10, 20), (102395, 102400)]),
        ("bytes=0-9,200000-", [(0, 10)]),  # the unsatisfiable one is dropped
        ("bytes=0-65600,-40000", [(0, 102400)]),  # overlapping suffix merged
    ],
)
def test_multiple_ranges(root: Path, value: str, expected: list[tuple[int, int]]) -> None:
    _, kc = _clients(root)
    rv = kc.get("/", headers={"Range": value})
    assert rv.status_code == 206
    if len(expected) == 1:
        start, stop = expected[0]
        assert rv.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(BODY)}"
        assert rv.data == BODY[start:stop]
        return
    assert "Content-Range" not in rv.headers
    parts = _parse_multipart(rv)
    assert [(p[1], p[2]) for p in parts] == [
        (f"bytes {a}-{b - 1}/{len(BODY)}", BODY[a:b]) for a, b in expected
    ]
    assert {p[0] for p in parts} == {"application/octet-stream"}
    head = kc.head("/", headers={"Range": value})
    assert head.headers["Content-Length"] == rv.headers["Content-Length"]
    assert head.data == b""


@pytest.mark.parametrize(
    "value",
    [
        "bytes=abc",
        "bytes=5-2",
        "items=0-1",
        "bytes=0-9,5-14",
        "bytes=20-29,0-9",
        ",".join(["bytes=0-0"] + [f"{i}-{i}" for i in range(2, 2 * MAX_RANGES + 2, 2)]),
        "bytes=--1",
        "bytes=1-2-3",
        "bytes= 0x10-20",
        "",
    ],
)
def test_ignored_ranges_send_everything(root: Path, value: str) -> None:
    """Werkzeug answers 416 to these; Kolba ignores the header (RFC 9110 14.2)."""
    _, kc = _clients(root)
    rv = kc.get("/", headers={"Range": value})
    assert rv.status_code == 200
    assert rv.data == BODY


def test_suffix_longer_than_body(root: Path) -> None:
    _, kc = _clients(root)
    rv = kc.get("/", headers={"Range": "bytes=-999999"})
    assert rv.status_code == 206
    assert rv.headers["Content-Range"] == f"bytes 0-{len(BODY) - 1}/{len(BODY)}"
    assert rv.data == BODY


def test_unsatisfiable(root: Path) -> None:
    fc, kc = _clients(root)
    for value in ("bytes=102400-", "bytes=200000-200010,300000-"):
        rv = kc.get("/", headers={"Range": value})
        assert rv.status_code == 416
        assert rv.headers["Content-Range"] == f"bytes */{len(BODY)}"
    assert _norm(kc.get("/", headers={"Range": "bytes=102400-"})) == _norm(
        fc.get("/", headers={"Range": "bytes=102400-"})
    )


@pytest.mark.parametrize(
    "if_range", ["ETAG", "LASTMOD", '"stale"', "Sun, 01 Jan 2000 00:00:00 GMT"]
)
def test_if_range_matches_flask(root: Path, if_range: str) -> None:
    fc, kc = _clients(root)
    full = kc.get("/")
    if_range = if_range.replace("ETAG", full.headers["ETag"]).replace(
        "LASTMOD", full.headers["Last-Modified"]
    )
    full.close()
    headers = {"Range": "bytes=0-9", "If-Range": if_range}
    rv = kc.get("/", headers=headers)
    assert _norm(rv) == _norm(fc.get("/", headers=headers))
    assert rv.status_code == (200 if "2000" in if_range or "stale" in if_range else 206)


def _resp(body: t.Any = BODY) -> Response:
    rv = Response(body, mimetype="application/octet-stream")
    rv.set_etag("abc")
    return rv


def test_make_conditional_buffered_and_environ(app: kolba.Kolba) -> None:
    environ = {"REQUEST_METHOD": "GET", "HTTP_RANGE": "bytes=0-3,10-11"}
    rv = _resp().make_conditional(environ, accept_ranges=True, complete_length=len(BODY))
    assert rv.status_code == 206
    assert rv.headers["Accept-Ranges"] == "bytes"
    assert BODY[:4] in rv.get_data() and BODY[10:12] in rv.get_data()
    rv = _resp().make_conditional({"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": '"abc"'})
    assert rv.status_code == 304
    rv = _resp().make_conditional({"REQUEST_METHOD": "POST", "HTTP_IF_NONE_MATCH": '"abc"'})
    assert rv.status_code == 200
    assert "Date" not in rv.headers
    rv = _resp().make_conditional(environ, accept_ranges="items", complete_length=None)
    assert rv.status_code == 200
    assert rv.headers["Accept-Ranges"] == "items"
    rv = _resp(b"").make_conditional(environ, accept_ranges=True, complete_length=0)
    assert rv.status_code == 200


def test_make_conditional_with_request(app: kolba.Kolba) -> None:
    with app.test_request_context(headers={"Range": "bytes=2-5", "If-Range": '"abc"'}):
        rv = _resp().make_conditional(kolba.request, accept_ranges=True, complete_length=len(BODY))
    assert rv.status_code == 206
    assert rv.get_data() == BODY[2:6]


@pytest.mark.parametrize("seekable", [True, False])
def test_streamed_body_cut_across_blocks(seekable: bool) -> None:
    class OneWay(io.BytesIO):
        def seekable(self) -> bool:
            return seekable

    source = FileWrapper(OneWay(BODY), buffer_size=1000)
    rv = Response(source, direct_passthrough=True)
    env = {"REQUEST_METHOD": "GET", "HTTP_RANGE": "bytes=999-1000,5000-7999,-1"}
    rv.make_conditional(env, accept_ranges=True, complete_length=len(BODY))
    status, headers, body = rv.prepare("GET")
    data = b"".join(body)
    body.close()  # type: ignore[attr-defined]
    assert source.file.closed
    for chunk in (BODY[999:1001], BODY[5000:8000], BODY[-1:]):
        assert chunk in data
    assert int(dict(headers)["Content-Length"]) == len(data)


def test_head_closes_unstarted_range_body() -> None:
    source = FileWrapper(io.BytesIO(BODY))
    rv = Response(source, direct_passthrough=True)
    rv.make_conditional(
        {"REQUEST_METHOD": "HEAD", "HTTP_RANGE": "bytes=0-1"}, True, complete_length=len(BODY)
    )
    _, _, body = rv.prepare("HEAD")
    assert list(body) == []
    body.close()  # type: ignore[attr-defined]
    assert source.file.closed


def test_resolve_ranges() -> None:
    assert resolve_ranges("bytes=0-4", 3) == [(0, 3)]
    assert resolve_ranges("bytes=5-", 3) == []
    assert resolve_ranges("bytes=0-1,3-4", 10) == [(0, 2), (3, 5)]
    assert resolve_ranges("lines=0-1", 10) is None
