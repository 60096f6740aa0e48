"""Hostile ``multipart/form-data`` bodies, re-created from published advisories.

Cases covered (each answered with a short 4xx or parsed safely, in bounded memory):

- thousands of parts (over ``MAX_FORM_PARTS``): 413;
- a file part that starts with CR, then megabytes with no line break: parsed, memory bounded;
- a file part made of megabytes of CR, of hyphens, or of near-boundaries: parsed, bounded;
- megabytes of junk before the first boundary: 400; after the last boundary: ignored;
- a huge part header, and hundreds of thousands of part headers: 400;
- a non-file field over ``MAX_FORM_MEMORY_SIZE``: 413, memory bounded by the limit;
- catastrophic-backtracking and oversized ``boundary`` parameters: 400;
- a ``Content-Type`` with tens of thousands of parameters: parsed in linear time;
- a body cut short, LF-only line breaks, a part without ``Content-Disposition``, CR/LF or NUL
  smuggled into a part header: 400;
- a body over ``MAX_CONTENT_LENGTH``: 413 before anything is read;
- uploads spilled to temporary files are closed whether parsing succeeds or fails midway.

Bodies are sized so a quadratic or backtracking parser would take minutes; no time is
asserted. Memory is measured with :mod:`tracemalloc` around the request only.
"""

from __future__ import annotations

import io
import os
import sys
import tracemalloc
import typing as t

import pytest

from kolba import Kolba, request

B = "hostileb0undary"
MULTIPART = f"multipart/form-data; boundary={B}"
END = f"--{B}--\r\n".encode()
MiB = 1024 * 1024


def _part(name: str, value: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"--{B}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
    return head + value + b"\r\n"


@pytest.fixture
def app(app: Kolba) -> Kolba:
    app.config["MAX_CONTENT_LENGTH"] = 64 * MiB

    @app.post("/form")
    def form() -> str:
        # Sizes by seeking: reading the file into memory here would hide what the parser holds.
        sizes = [f.stream.seek(0, 2) for f in request.files.values()]
        return f"{len(request.form)} fields, files {sizes}"

    return app


class _Result(t.NamedTuple):
    status: int
    body: bytes
    peak: int


def _post(
    app: Kolba,
    body: bytes,
    content_type: str = MULTIPART,
    environ_overrides: dict[str, str] | None = None,
) -> _Result:
    """POST *body* as a server would pass it (a hand-built environ), measuring the peak memory
    of the request alone: the body already sits in ``wsgi.input`` before measuring starts."""
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/form",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    environ.update(environ_overrides or {})
    status: list[str] = []

    def start_response(s: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> t.Any:
        status.append(s)

    tracemalloc.start()
    try:
        out = b"".join(app.wsgi_app(environ, start_response))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return _Result(int(status[0].split()[0]), out, peak)


def _assert_clean_error(rv: _Result, status: int, message: bytes | None = None) -> None:
    """A short error page: the status, no traceback, no source paths."""
    assert rv.status == status, rv.body[:300]
    assert len(rv.body) < 1000
    assert b"Traceback" not in rv.body
    assert b".py" not in rv.body
    if message is not None:
        assert message in rv.body


# CVE-2023-25577 Werkzeug / CVE-2023-30798 Starlette: unlimited multipart parts.
def test_thousands_of_parts(app: Kolba) -> None:
    body = b"".join(_part(f"f{i}", b"1") for i in range(20_000)) + END
    rv = _post(app, body)
    _assert_clean_error(rv, 413)
    # The parts before the limit are small fields; nothing near the 600 KB body is held.
    assert rv.peak < 2 * MiB


def test_parts_up_to_the_limit_are_accepted(app: Kolba) -> None:
    body = b"".join(_part(f"f{i}", b"1") for i in range(1_000)) + END
    rv = _post(app, body)
    assert rv.status == 200
    assert rv.body == b"1000 fields, files []"


# CVE-2023-46136 Werkzeug: a file part starting with CR then megabytes without a line break.
@pytest.mark.parametrize(
    "content",
    [
        b"\r" + b"a" * (8 * MiB),
        b"\n" + b"a" * (8 * MiB),
        b"\r" * (8 * MiB),
        b"-" * (8 * MiB),
        (b"\r\n--" + B[:-1].encode()) * 400_000,
    ],
    ids=["cr-then-text", "lf-then-text", "all-cr", "all-hyphens", "near-boundaries"],
)
def test_file_part_without_line_breaks(app: Kolba, content: bytes) -> None:
    rv = _post(app, _part("f", content, "x.bin") + END)
    assert rv.status == 200
    assert rv.body == f"0 fields, files [{len(content)}]".encode()
    # The file is spooled to disk past 500 KiB; a parser that buffers it would hold 8 MiB.
    assert rv.peak < 3 * MiB


# CVE-2024-53981 python-multipart: megabytes of junk before the first boundary.
def test_junk_before_first_boundary(app: Kolba) -> None:
    body = b"x" * (4 * MiB) + b"\r\n" + _part("a", b"1") + END
    rv = _post(app, body)
    _assert_clean_error(rv, 400, b"Malformed multipart/form-data body.")
    assert rv.peak < 1 * MiB


def test_short_preamble_is_skipped(app: Kolba) -> None:
    # RFC 2046 allows a preamble; a short one is ignored, as Werkzeug does.
    body = b"This is a preamble.\r\n" + _part("a", b"1") + END
    rv = _post(app, body)
    assert (rv.status, rv.body) == (200, b"1 fields, files []")


# CVE-2024-53981 python-multipart: megabytes of junk after the last boundary.
def test_junk_after_last_boundary(app: Kolba) -> None:
    body = _part("a", b"1") + END + b"x" * (4 * MiB)
    rv = _post(app, body)
    # The epilogue is ignored (RFC 2046), read in chunks and dropped.
    assert (rv.status, rv.body) == (200, b"1 fields, files []")
    assert rv.peak < 1 * MiB


# Werkzeug / python-multipart: part headers buffered without a bound.
def test_huge_part_header(app: Kolba) -> None:
    head = f'--{B}\r\nContent-Disposition: form-data; name="a"\r\nX-Pad: '.encode()
    body = head + b"a" * (4 * MiB) + b"\r\n\r\n1\r\n" + END
    rv = _post(app, body)
    _assert_clean_error(rv, 400, b"Malformed multipart/form-data body.")
    assert rv.peak < 1 * MiB


def test_hundreds_of_thousands_of_part_headers(app: Kolba) -> None:
    head = f'--{B}\r\nContent-Disposition: form-data; name="a"\r\n'.encode()
    body = head + b"X: y\r\n" * 200_000 + b"\r\n1\r\n" + END
    rv = _post(app, body)
    _assert_clean_error(rv, 400, b"Malformed multipart/form-data body.")
    assert rv.peak < 1 * MiB


# CVE-2024-49767 Werkzeug / CVE-2024-47874 Starlette: a non-file field held in memory unbounded.
def test_field_over_form_memory_limit(app: Kolba) -> None:
    app.config["MAX_FORM_MEMORY_SIZE"] = 100_000
    rv = _post(app, _part("a", b"a" * (8 * MiB)) + END)
    _assert_clean_error(rv, 413)
    # Refused as soon as the field passes the limit: held memory is a few chunks, not 8 MiB.
    assert rv.peak < 100_000 * 4 + 256 * 1024


def test_field_at_form_memory_limit_is_accepted(app: Kolba) -> None:
    app.config["MAX_FORM_MEMORY_SIZE"] = 100_000
    rv = _post(app, _part("a", b"a" * 100_000) + END)
    assert (rv.status, rv.body) == (200, b"1 fields, files []")


# CVE-2024-24762 python-multipart / Werkzeug: ReDoS in the Content-Type boundary parameter.
@pytest.mark.parametrize(
    "content_type",
    [
        'multipart/form-data; boundary="' + "a" * 100_000,
        'multipart/form-data; boundary="' + '\\"' * 50_000,
        "multipart/form-data; boundary=" + " " * 50_000 + "x" + ";" * 50_000,
        "multipart/form-data; boundary=" + "a" * 100_000,
        "multipart/form-data; boundary=" + "a " * 50_000 + "\t",
        "multipart/form-data; boundary=a\x00b",
        "multipart/form-data; boundary=",
        "multipart/form-data",
    ],
    ids=[
        "unclosed-quote",
        "escaped-quotes",
        "blanks",
        "too-long",
        "spaces",
        "nul",
        "empty",
        "none",
    ],
)
def test_hostile_boundary_parameter(app: Kolba, content_type: str) -> None:
    rv = _post(app, _part("a", b"1") + END, content_type=content_type)
    # Refused as an invalid boundary, or cut at the first blank/NUL so no part matches.
    _assert_clean_error(rv, 400, b"multipart/form-data")


def test_many_content_type_parameters(app: Kolba) -> None:
    content_type = "multipart/form-data; " + "a=b; " * 50_000 + f"boundary={B}"
    rv = _post(app, _part("a", b"1") + END, content_type=content_type)
    assert (rv.status, rv.body) == (200, b"1 fields, files []")


# CVE-2022-31799 Bottle and Werkzeug issues: malformed bodies raising an unhandled error (500).
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_part("a", b"1")[:-5], b"Unexpected end of multipart/form-data body."),
        (_part("a", b"1") + f"--{B}".encode(), b"Unexpected end of multipart/form-data body."),
        ((_part("a", b"1") + END).replace(b"\r\n", b"\n"), b"Malformed multipart/form-data body."),
        (f"--{B}\r\nX: y\r\n\r\n1\r\n".encode() + END, b"missing a Content-Disposition header."),
        (f"--{B}\r\nContent-Disposition: form-data; na\nme=a\r\n\r\n1\r\n".encode() + END, None),
        (f"--{B}\r\nContent-Disposition: form-data\0; name=a\r\n\r\n1\r\n".encode() + END, None),
        (f"--{B}\r\nContent-Disposition\r\n\r\n1\r\n".encode() + END, None),
        (b"\xff" * 100 + END, b"Unexpected end of multipart/form-data body."),
    ],
    ids=["cut", "no-end", "lf-only", "no-disposition", "lf-in-header", "nul", "no-colon", "junk"],
)
def test_malformed_bodies(app: Kolba, body: bytes, message: bytes | None) -> None:
    rv = _post(app, body)
    _assert_clean_error(rv, 400, message)


def test_declared_length_longer_than_body(app: Kolba) -> None:
    # A client that disconnects mid-upload: the body ends before its Content-Length.
    body = _part("a", b"1") + END
    rv = _post(app, body, environ_overrides={"CONTENT_LENGTH": str(len(body) + 1000)})
    _assert_clean_error(rv, 400)


def test_body_over_max_content_length(app: Kolba) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1 * MiB
    rv = _post(app, _part("f", b"a" * (2 * MiB), "x.bin") + END)
    _assert_clean_error(rv, 413)
    assert rv.peak < 1 * MiB


def test_invalid_utf8_in_names_and_values(app: Kolba) -> None:
    @app.post("/echo")
    def echo() -> dict[str, t.Any]:
        return {
            "form": sorted(request.form.items(multi=True)),
            "files": [(k, f.filename) for k, f in request.files.items(multi=True)],
        }

    body = (
        f'--{B}\r\nContent-Disposition: form-data; name="a\xff"\r\n\r\n'.encode("latin-1")
        + b"\xc3\x28\r\n"
        + f'--{B}\r\nContent-Disposition: form-data; name="f"; filename="\xfe.txt"\r\n\r\n'.encode(
            "latin-1"
        )
        + b"x\r\n"
        + END
    )
    rv = app.test_client().post("/echo", data=body, content_type=MULTIPART)
    assert rv.status_code == 200
    assert rv.json == {"form": [["a\ufffd", "\ufffd("]], "files": [["f", "\ufffd.txt"]]}


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd (Linux)")
@pytest.mark.parametrize("cut", [False, True], ids=["complete", "truncated"])
def test_spilled_uploads_are_closed(app: Kolba, cut: bool) -> None:
    # Ten files past the 500 KiB spool size each get a temporary file on disk; a body cut
    # after them must not leave ten open descriptors behind (per request, per attacker).
    body = b"".join(_part(f"f{i}", b"x" * (600 * 1024), f"{i}.bin") for i in range(10))
    body = body[:-10] if cut else body + END
    before = _open_fds()
    rv = _post(app, body)
    assert rv.status == (400 if cut else 200)
    assert _open_fds() == before
