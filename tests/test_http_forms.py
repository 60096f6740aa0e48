"""Tests for kolba.http.forms and kolba.http.streams (the body stream the forms read).

Bodies are built by hand and compared with ``werkzeug.formparser.parse_form_data``.
"""

from __future__ import annotations

import io
import typing as t

import pytest
import werkzeug.formparser
from hypothesis import assume, given
from hypothesis import strategies as st

from kolba.http.datastructures import FileStorage, ImmutableMultiDict
from kolba.http.exceptions import BadRequest, ClientDisconnected, RequestEntityTooLarge
from kolba.http.forms import default_stream_factory, parse_form_data
from kolba.http.streams import LimitedStream

# ---------------------------------------------------------------------------------
# LimitedStream


class _ReadOnly:
    """A stream with only ``read(n)``, as the WSGI spec minimally promises."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.calls = 0

    def read(self, size: int) -> bytes:
        self.calls += 1
        return self._data.read(size)


class _Trickle:
    """Returns one byte per read, so every boundary is split across reads."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int) -> bytes:
        return self._data.read(1)


class _Broken:
    def read(self, size: int) -> bytes:
        raise OSError("connection reset")

    def readline(self, size: int) -> bytes:
        raise OSError("connection reset")


def test_limited_read_stops_at_limit() -> None:
    stream = LimitedStream(io.BytesIO(b"hello world"), 5)
    assert stream.read() == b"hello"
    assert stream.is_exhausted
    assert stream.read() == b""
    assert stream.read(10) == b""
    assert stream.tell() == 5


def test_limited_read_sizes() -> None:
    stream = LimitedStream(io.BytesIO(b"abcdefgh"), 6)
    assert stream.read(0) == b""
    assert stream.read(2) == b"ab"
    assert stream.read(100) == b"cdef"
    assert stream.read(None) == b""


def test_limited_readall_and_exhaust() -> None:
    data = b"x" * 200_000
    stream = LimitedStream(io.BytesIO(data + b"next request"), len(data))
    assert stream.readall() == data
    assert stream.exhaust() == b""

    stream = LimitedStream(io.BytesIO(b"abcdef"), 4)
    stream.read(1)
    assert stream.exhaust() == b"bcd"
    assert stream.is_exhausted


def test_limited_readinto() -> None:
    stream = LimitedStream(io.BytesIO(b"abcdef"), 4)
    buf = bytearray(10)
    assert stream.readinto(buf) == 4
    assert buf[:4] == b"abcd"
    assert stream.readinto(buf) == 0


def test_limited_short_body_disconnects() -> None:
    stream = LimitedStream(io.BytesIO(b"abc"), 10)
    assert stream.read(3) == b"abc"

    with pytest.raises(ClientDisconnected):
        stream.read(3)

    with pytest.raises(ClientDisconnected):
        LimitedStream(io.BytesIO(b"abc"), 10).read()

    stream = LimitedStream(io.BytesIO(b"abc"), 10)
    assert stream.readline() == b"abc"

    with pytest.raises(ClientDisconnected):
        stream.readline()


def test_limited_read_error_disconnects() -> None:
    with pytest.raises(ClientDisconnected) as info:
        LimitedStream(_Broken(), 10).read(5)

    assert isinstance(info.value.__cause__, OSError)

    # Even with a maximum, an error is not a normal end of the body.
    with pytest.raises(ClientDisconnected):
        LimitedStream(_Broken(), 10, is_max=True).readline()


def test_limited_max_allows_short_body() -> None:
    stream = LimitedStream(io.BytesIO(b"abc"), 10, is_max=True)
    assert stream.read() == b"abc"
    assert stream.read() == b""
    assert stream.read(5) == b""


def test_limited_max_allows_body_exactly_at_limit() -> None:
    raw = _ReadOnly(b"abcd")
    stream = LimitedStream(raw, 4, is_max=True)
    assert stream.read() == b"abcd"
    assert stream.read(1) == b""
    assert stream.read(1) == b""


def test_limited_max_refuses_larger_body() -> None:
    with pytest.raises(RequestEntityTooLarge):
        LimitedStream(io.BytesIO(b"abcde"), 4, is_max=True).read()

    stream = LimitedStream(io.BytesIO(b"abcde"), 4, is_max=True)
    assert stream.read(4) == b"abcd"

    with pytest.raises(RequestEntityTooLarge):
        stream.read(1)

    with pytest.raises(RequestEntityTooLarge):
        list(LimitedStream(io.BytesIO(b"a\nb\nc\n"), 4, is_max=True))


def test_limited_readline() -> None:
    stream = LimitedStream(io.BytesIO(b"one\ntwo\nthree\nfour"), 14)
    assert stream.readline() == b"one\n"
    assert stream.readline(2) == b"tw"
    assert stream.readline() == b"o\n"
    assert stream.readline() == b"three\n"
    assert stream.readline() == b""


def test_limited_readline_without_underlying_readline() -> None:
    stream = LimitedStream(_ReadOnly(b"ab\ncd\nef"), 7)
    assert stream.readline() == b"ab\n"
    assert stream.readline(1) == b"c"
    assert list(stream) == [b"d\n", b"e"]


def test_limited_iteration_and_readlines() -> None:
    assert list(LimitedStream(io.BytesIO(b"a\nb\nc\nd"), 6)) == [b"a\n", b"b\n", b"c\n"]
    assert LimitedStream(io.BytesIO(b"a\nb\nc\n"), 6).readlines() == [b"a\n", b"b\n", b"c\n"]
    assert LimitedStream(io.BytesIO(b"a\nb\nc\n"), 6).readlines(3) == [b"a\n", b"b\n"]


def test_limited_is_raw_io() -> None:
    stream = LimitedStream(io.BytesIO(b"abc\ndef"), 7)
    assert isinstance(stream, io.RawIOBase)
    assert stream.readable()
    # Works under the stdlib's buffered reader and text wrapper.
    assert io.TextIOWrapper(io.BufferedReader(stream)).read() == "abc\ndef"


# ---------------------------------------------------------------------------------
# Helpers for form bodies


def _contents(files: t.Any) -> list[tuple[str, tuple[str | None, str | None, bytes]]]:
    """Read and close every uploaded file (spooled files warn if left open)."""
    out = []

    for key, f in files.items(multi=True):
        out.append((key, (f.filename, f.content_type, f.read())))
        f.close()

    return out


def _werkzeug(
    body: bytes, content_type: str, **kwargs: t.Any
) -> tuple[list[tuple[str, str]], list[tuple[str, tuple[str | None, str | None, bytes]]]]:
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    _, form, files = werkzeug.formparser.parse_form_data(environ, **kwargs)
    return list(form.items(multi=True)), _contents(files)


def _kolba(
    body: bytes, mimetype: str, options: dict[str, str], **kwargs: t.Any
) -> tuple[list[tuple[str, str]], list[tuple[str, tuple[str | None, str | None, bytes]]]]:
    form, files = parse_form_data(io.BytesIO(body), mimetype, options, len(body), **kwargs)
    assert isinstance(form, ImmutableMultiDict)
    assert isinstance(files, ImmutableMultiDict)
    return list(form.items(multi=True)), _contents(files)


def _part(headers: str, data: bytes) -> bytes:
    return headers.encode() + b"\r\n\r\n" + data


def _multipart(*parts: bytes, boundary: bytes = b"BOUNDARY", end: bytes = b"--\r\n") -> bytes:
    out = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
    return out + b"--" + boundary + end


def _field(name: str, value: bytes) -> bytes:
    return _part(f'Content-Disposition: form-data; name="{name}"', value)


def _file(name: str, filename: str, value: bytes, ctype: str = "text/plain") -> bytes:
    headers = f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'
    return _part(f"{headers}\r\nContent-Type: {ctype}", value)


# ---------------------------------------------------------------------------------
# application/x-www-form-urlencoded

URLENCODED = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"a=1&b=2&a=3",
        b"name=J%C3%BCrgen+M&empty=&flag",
        b"a=1;b=2",
        b"x=%zz&&y=%41",
        b"bad=%ff&%fe=1",
    ],
)
def test_urlencoded_matches_werkzeug(body: bytes) -> None:
    assert _kolba(body, URLENCODED, {}) == _werkzeug(body, URLENCODED)


def test_urlencoded_invalid_utf8_kept_quoted() -> None:
    form, files = parse_form_data(io.BytesIO(b"a=\xff%fe%C3%A9"), URLENCODED, {}, 12)
    assert form["a"] == "%FF%FEé"
    assert len(files) == 0


def test_urlencoded_declared_length_too_large() -> None:
    # Refused before reading anything.
    raw = _ReadOnly(b"a=1")

    with pytest.raises(RequestEntityTooLarge):
        parse_form_data(raw, URLENCODED, {}, 11, max_form_memory_size=10)

    assert raw.calls == 0


def test_urlencoded_body_too_large_without_length() -> None:
    body = b"a=" + b"x" * 100

    with pytest.raises(RequestEntityTooLarge):
        parse_form_data(io.BytesIO(body), URLENCODED, {}, None, max_form_memory_size=50)

    form, _ = parse_form_data(io.BytesIO(body), URLENCODED, {}, None, max_form_memory_size=None)
    assert form["a"] == "x" * 100


def test_urlencoded_too_many_fields() -> None:
    body = b"&".join(b"f%d=1" % i for i in range(11))

    with pytest.raises(RequestEntityTooLarge):
        parse_form_data(io.BytesIO(body), URLENCODED, {}, len(body), max_form_parts=10)

    form, _ = parse_form_data(io.BytesIO(body), URLENCODED, {}, len(body), max_form_parts=11)
    assert len(form) == 11


@pytest.mark.parametrize("mimetype", ["application/json", "text/plain", "", "multipart/mixed"])
def test_other_mimetypes_give_empty_results(mimetype: str) -> None:
    form, files = parse_form_data(io.BytesIO(b"a=1"), mimetype, {"boundary": "x"}, 3)
    assert isinstance(form, ImmutableMultiDict) and len(form) == 0
    assert isinstance(files, ImmutableMultiDict) and len(files) == 0


# ---------------------------------------------------------------------------------
# multipart/form-data

MULTIPART = "multipart/form-data"


@pytest.mark.parametrize(
    "body",
    [
        _multipart(_field("a", b"1"), _field("b", b"two words"), _field("a", b"3")),
        _multipart(_field("text", "Jürgen ☃".encode()), _file("f", "a.txt", b"line1\r\nline2\n")),
        _multipart(_file("f", "", b""), _file("g", "b.bin", b"\x00\xff", "application/x")),
        _multipart(_file("f", "tést.txt", b"x"), _field("empty", b"")),
        _multipart(_field("a", b"--BOUNDAR not quite\r\n--BOUNDAR")),
        _multipart(_field("a", b"1"), end=b"--\r\nepilogue is ignored"),
        b"preamble\r\n" + _multipart(_field("a", b"1")),
        _multipart(_field("a", b"x" * 300_000)),
        # Names as Werkzeug reads them: RFC 2231 filename*, %22 for a quote, Windows paths.
        _multipart(
            _part(
                'Content-Disposition: form-data; name="f"; filename="e.txt"; '
                "filename*=UTF-8''%C3%A9t%C3%A9.txt",
                b"x",
            )
        ),
        _multipart(_field("a%22b", b"1"), _file("g", "C:\\Users\\me\\a%22.txt", b"y")),
        _multipart(_part("Content-Disposition: form-data; name=unquoted; filename=bare.txt", b"z")),
        _multipart(_part('content-disposition: attachment; name="kind"', b"any type")),
        # A header folded over two lines (obsolete, but Werkzeug joins it) is joined.
        _multipart(_part('Content-Disposition: form-data;\r\n name="folded"', b"1")),
    ],
)
def test_multipart_matches_werkzeug(body: bytes) -> None:
    expected = _werkzeug(body, "multipart/form-data; boundary=BOUNDARY")
    assert _kolba(body, MULTIPART, {"boundary": "BOUNDARY"}) == expected


def test_multipart_file_storage() -> None:
    body = _multipart(_file("upload", "report.csv", b"a,b\n1,2\n", "text/csv"))
    form, files = parse_form_data(io.BytesIO(body), MULTIPART, {"boundary": "BOUNDARY"}, None)
    assert len(form) == 0
    upload = files["upload"]
    assert isinstance(upload, FileStorage)
    assert upload.name == "upload"
    assert upload.filename == "report.csv"
    assert upload.content_type == "text/csv"
    assert upload.headers["Content-Disposition"].startswith("form-data;")
    assert upload.stream.tell() == 0
    assert upload.read() == b"a,b\n1,2\n"
    upload.close()


def test_multipart_empty_filename_is_a_file() -> None:
    body = _multipart(_file("f", "", b""))
    form, files = parse_form_data(io.BytesIO(body), MULTIPART, {"boundary": "BOUNDARY"}, None)
    assert "f" not in form
    assert files["f"].filename == ""
    assert files["f"].read() == b""
    files["f"].close()


def test_multipart_part_charset() -> None:
    part = _part(
        'Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=latin-1',
        "é".encode("latin-1"),
    )
    part_iso = _part(
        'Content-Disposition: form-data; name="b"\r\nContent-Type: text/plain; charset=ISO-8859-1',
        "é".encode("latin-1"),
    )
    body = _multipart(part, part_iso, _field("c", b"\xff"))
    form, _ = parse_form_data(io.BytesIO(body), MULTIPART, {"boundary": "BOUNDARY"}, None)
    # "latin-1" is not on the safe list, so UTF-8 with replacement is used.
    assert form["a"] == "\ufffd"
    assert form["b"] == "é"
    assert form["c"] == "\ufffd"


def test_multipart_small_chunks_from_stream() -> None:
    """A stream returning one byte per read still parses (boundary split across reads)."""

    body = _multipart(_field("a", b"hello\r\n--BOUNDAR"), _file("f", "x", b"data"))
    form, files = parse_form_data(_Trickle(body), MULTIPART, {"boundary": "BOUNDARY"}, None)
    assert form["a"] == "hello\r\n--BOUNDAR"
    assert files["f"].read() == b"data"
    files["f"].close()


def test_multipart_stream_factory_arguments() -> None:
    calls: list[tuple[int | None, str | None, str | None, int | None]] = []

    def factory(
        total: int | None, ctype: str | None, filename: str | None, length: int | None
    ) -> t.IO[bytes]:
        calls.append((total, ctype, filename, length))
        return io.BytesIO()

    part = _part(
        'Content-Disposition: form-data; name="f"; filename="a.png"\r\n'
        "Content-Type: image/png\r\nContent-Length: 3",
        b"png",
    )
    body = _multipart(part, _file("g", "b", b""))
    _, files = parse_form_data(
        io.BytesIO(body), MULTIPART, {"boundary": "BOUNDARY"}, len(body), stream_factory=factory
    )
    assert calls == [(len(body), "image/png", "a.png", 3), (len(body), "text/plain", "b", None)]
    assert files["f"].read() == b"png"


def test_default_stream_factory_spools() -> None:
    container = default_stream_factory(None, None, None, None)

    try:
        container.write(b"x" * 10)
        assert not container._rolled  # type: ignore[attr-defined]
        container.write(b"x" * 600 * 1024)
        assert container._rolled  # type: ignore[attr-defined]
    finally:
        container.close()


def test_multipart_large_file_without_newlines_is_streamed() -> None:
    size = 3 * 1024 * 1024
    writes: list[int] = []

    class Recorder(io.BytesIO):
        def write(self, data: t.Any) -> int:
            writes.append(len(data))
            return super().write(data)

    body = _multipart(_file("f", "big.bin", b"z" * size))
    _, files = parse_form_data(
        io.BytesIO(body),
        MULTIPART,
        {"boundary": "BOUNDARY"},
        len(body),
        stream_factory=lambda *a: Recorder(),
    )
    assert sum(writes) == size
    # Written as it arrives, never buffered whole.
    assert max(writes) <= 64 * 1024
    assert files["f"].read() == b"z" * size


@pytest.mark.parametrize("options", [{}, {"boundary": ""}])
def test_multipart_missing_boundary(options: dict[str, str]) -> None:
    with pytest.raises(BadRequest, match="Missing boundary"):
        parse_form_data(io.BytesIO(b""), MULTIPART, options, 0)


@pytest.mark.parametrize("boundary", ["a" * 201, "bad\nboundary", "trailing ", "é", "x;y", '"q"'])
def test_multipart_invalid_boundary(boundary: str) -> None:
    with pytest.raises(BadRequest, match="Invalid boundary"):
        parse_form_data(io.BytesIO(b""), MULTIPART, {"boundary": boundary}, 0)


@pytest.mark.parametrize(
    "body",
    [
        b"garbage without boundary",
        b"x" * 70_000,
        _multipart(_field("a", b"1"), end=b""),
        _multipart(_field("a", b"1"))[:-10],
        b"--BOUNDARY\r\nno-colon-header\r\n\r\nx\r\n--BOUNDARY--\r\n",
        b"--BOUNDARY\r\nContent-Type: text/plain\r\n\r\nx\r\n--BOUNDARY--\r\n",
        b"--BOUNDARY\r\n" + b"X-Long: " + b"a" * 10_000 + b"\r\n\r\nx\r\n--BOUNDARY--\r\n",
        b"--BOUNDARYxx\r\n",
        b"--BOUNDARY\r\nContent-Disposition: form-data; name=a\r\nbad\r\n",
        # RFC 2046: the delimiter may not occur inside a part. Werkzeug takes it for data
        # when something other than CRLF or "--" follows it; Kolba refuses the body.
        _multipart(_field("a", b"x\r\n--BOUNDARY-ish")),
        # Whitespace between a delimiter and its CRLF (RFC 2046's transport padding, which no
        # browser sends) is refused too.
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--BOUNDARY \r\n'
        b'Content-Disposition: form-data; name="b"\r\n\r\n2\r\n--BOUNDARY--\r\n',
        # A part's own Content-Length must be a number that matches its body.
        _multipart(_part('Content-Disposition: form-data; name="a"\r\nContent-Length: 5', b"1")),
        _multipart(_part('Content-Disposition: form-data; name="a"\r\nContent-Length: x', b"1")),
        # Part header names are letters, digits, "-" and "_".
        _multipart(_part('Content-Disposition: form-data; name="a"\r\nX.Odd: 1', b"1")),
        # At most 8 header lines a part.
        _multipart(_part('Content-Disposition: form-data; name="a"' + "\r\nX-A: 1" * 8, b"1")),
    ],
)
def test_multipart_malformed_is_bad_request(body: bytes) -> None:
    with pytest.raises(BadRequest) as info:
        parse_form_data(io.BytesIO(body), MULTIPART, {"boundary": "BOUNDARY"}, len(body))

    assert info.value.code == 400


def test_multipart_empty_body() -> None:
    form, files = parse_form_data(io.BytesIO(b""), MULTIPART, {"boundary": "BOUNDARY"}, 0)
    assert len(form) == 0 and len(files) == 0
    assert _werkzeug(b"", "multipart/form-data; boundary=BOUNDARY") == ([], [])


def test_multipart_preamble_split_across_reads() -> None:
    body = b"pre\r\namble --BOUNDARY not a delimiter\n" + _multipart(_field("a", b"1"))
    form, _ = parse_form_data(_Trickle(body), MULTIPART, {"boundary": "BOUNDARY"}, None)
    assert form["a"] == "1"


def test_multipart_malformed_closes_files() -> None:
    created: list[io.BytesIO] = []

    def factory(*args: t.Any) -> t.IO[bytes]:
        created.append(io.BytesIO())
        return created[-1]

    body = _multipart(_file("f", "a", b"data"), end=b"")

    with pytest.raises(BadRequest):
        parse_form_data(
            io.BytesIO(body), MULTIPART, {"boundary": "BOUNDARY"}, None, stream_factory=factory
        )

    assert len(created) == 1 and created[0].closed


def test_multipart_too_many_parts() -> None:
    body = _multipart(*(_field(f"f{i}", b"1") for i in range(6)))

    with pytest.raises(RequestEntityTooLarge):
        parse_form_data(
            io.BytesIO(body), MULTIPART, {"boundary": "BOUNDARY"}, None, max_form_parts=5
        )

    form, _ = parse_form_data(
        io.BytesIO(body), MULTIPART, {"boundary": "BOUNDARY"}, None, max_form_parts=6
    )
    assert len(form) == 6


def test_multipart_field_too_large() -> None:
    body = _multipart(_field("a", b"x" * 101))

    with pytest.raises(RequestEntityTooLarge):
        parse_form_data(
            io.BytesIO(body), MULTIPART, {"boundary": "BOUNDARY"}, None, max_form_memory_size=100
        )

    # The limit is per field, and files are not held in memory so do not count.
    body = _multipart(_field("a", b"x" * 100), _field("b", b"y" * 100), _file("f", "f", b"z" * 500))
    form, files = parse_form_data(
        io.BytesIO(body), MULTIPART, {"boundary": "BOUNDARY"}, None, max_form_memory_size=100
    )
    assert form["b"] == "y" * 100
    assert files["f"].read() == b"z" * 500
    files["f"].close()


def test_multipart_field_too_large_across_chunks() -> None:
    body = _multipart(_field("a", b"x" * 200_000))

    with pytest.raises(RequestEntityTooLarge):
        parse_form_data(
            io.BytesIO(body),
            MULTIPART,
            {"boundary": "BOUNDARY"},
            None,
            max_form_memory_size=150_000,
        )


def test_multipart_through_limited_stream() -> None:
    body = _multipart(_field("a", b"1"))

    with pytest.raises(ClientDisconnected):
        parse_form_data(
            LimitedStream(io.BytesIO(body[:-5]), len(body)),
            MULTIPART,
            {"boundary": "BOUNDARY"},
            len(body),
        )

    with pytest.raises(RequestEntityTooLarge):
        parse_form_data(
            LimitedStream(io.BytesIO(body), len(body) - 1, is_max=True),
            MULTIPART,
            {"boundary": "BOUNDARY"},
            None,
        )

    form, _ = parse_form_data(
        LimitedStream(io.BytesIO(body + b"next request"), len(body)),
        MULTIPART,
        {"boundary": "BOUNDARY"},
        len(body),
    )
    assert form["a"] == "1"


def test_multipart_header_with_bare_lf_is_bad_request() -> None:
    body = (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="a"\r\n'
        b'Content-Type: text/plain; charset="\nx"\r\n\r\n1\r\n--BOUNDARY--\r\n'
    )

    with pytest.raises(BadRequest, match="part header"):
        parse_form_data(io.BytesIO(body), MULTIPART, {"boundary": "BOUNDARY"}, None)


def test_multipart_non_latin1_header_values() -> None:
    part = _part(
        'Content-Disposition: form-data; name="\u2603"\r\n'
        "Content-Type: text/\u2603; charset=\u00ff",
        b"v",
    )
    form, _ = parse_form_data(
        io.BytesIO(_multipart(part)), MULTIPART, {"boundary": "BOUNDARY"}, None
    )
    assert form["\u2603"] == "v"


def test_multipart_malformed_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(BadRequest):
        parse_form_data(
            io.BytesIO(b"--BOUNDARY\r\n\x00bad\r\n"), MULTIPART, {"boundary": "BOUNDARY"}, None
        )

    assert caplog.records == []


def test_multipart_mutated_bodies_only_raise_http_errors() -> None:
    """Random corruptions of a valid body parse or raise a 4xx, never anything else."""
    import random

    from kolba.http.exceptions import HTTPException

    base = _multipart(
        _field("a", b"hello"),
        _part(
            'Content-Disposition: form-data; name="f"; filename="t\u00e9.txt"\r\n'
            'Content-Type: text/plain; charset="x"',
            b"file\r\ndata",
        ),
        boundary=b"B",
    )
    rng = random.Random(1234)
    alphabet = b'\r\n-B:;="\x00\xff \\*'
    outcomes = {"ok": 0, "4xx": 0}

    for _ in range(3000):
        body = bytearray(base)

        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(body) + 1)
            op = rng.random()

            if op < 0.4 and body:
                del body[pos % len(body)]
            elif op < 0.8:
                body.insert(pos, rng.choice(alphabet))
            else:
                body[pos % len(body)] = rng.randrange(256)

        try:
            form, files = parse_form_data(
                io.BytesIO(bytes(body)), MULTIPART, {"boundary": "B"}, len(body)
            )
        except HTTPException as e:
            assert 400 <= e.code < 500  # type: ignore[operator]
            outcomes["4xx"] += 1
        else:
            _contents(files)
            outcomes["ok"] += 1

    assert outcomes["ok"] > 100 and outcomes["4xx"] > 100


# ---------------------------------------------------------------------------------
# Content-Disposition of a part: the one-regex fast path gives the full parser's answer


def _full_disposition(value: str) -> tuple[str, str | None]:
    from kolba.http.header_values import parse_options_header

    params = parse_options_header(value)[1]
    return params.get("name", ""), params.get("filename")


@pytest.mark.parametrize(
    "value",
    [
        'form-data; name="note"',
        'form-data; name="file"; filename="photo.jpg"',
        'form-data; name=""; filename=""',
        'form-data; name="a;b"; filename="c;d=e.txt"',
        'form-data; name="J\u00fcrgen \u2603"; filename="t\u00e9st \ufffd.txt"',
        'form-data; name=" spaced "; filename=" x "',
        'form-data; name="q\\"uote"; filename="back\\\\slash"',
        'form-data; name="back\\\\slash"',
        'form-data; name="a%22b"; filename="%22quoted%22.txt"',
        'form-data; name="f"; filename="C:\\\\Users\\\\me\\\\a.txt"',
        'form-data; name="f"; filename="C:\\Users\\me\\a.txt"',
        'form-data; name="f"; filename*=UTF-8\'\'%C3%A9.txt; filename="e.txt"',
        'form-data; name="f"; filename="e.txt"; filename*=UTF-8\'\'%C3%A9.txt',
        "form-data; name=unquoted; filename=bare.txt",
        'Form-Data; NAME="f"; FileName="a.txt"',
        'form-data;name="f";filename="a.txt"',
        'form-data;  name="f" ;\tfilename="a.txt"',
        'form-data; filename="a.txt"; name="f"',
        'form-data; name="f"; name="g"',
        'attachment; name="f"',
        'form-data; name="f"; filename="a.txt"; size=3',
        'form-data; name="unclosed',
        "form-data",
    ],
)
def test_part_disposition_fast_path_matches_full_parser(value: str) -> None:
    from kolba.http.forms import _disposition

    assert _disposition(value) == _full_disposition(value)


_DISPOSITION_TEXT = st.text(
    st.sampled_from(list('ab"\\;= \t:\u00e9\u2603/%*2'))
    | st.characters(codec="utf-8", exclude_characters="\r\n\0"),
    max_size=12,
)


@given(name=_DISPOSITION_TEXT, filename=st.none() | _DISPOSITION_TEXT)
def test_part_disposition_fast_path_matches_full_parser_on_any_text(
    name: str, filename: str | None
) -> None:
    from kolba.http.forms import _disposition

    value = f'form-data; name="{name}"'
    if filename is not None:
        value += f'; filename="{filename}"'
    assume("\r" not in value and "\n" not in value and "\0" not in value)
    value = value.strip()

    assert _disposition(value) == _full_disposition(value)
