"""The request-parsing fuzz target: its glue, its seed corpus, and a bounded atheris run.

The seed corpus is replayed in-process on every run, so the target's glue is exercised even
where atheris is not installed; the coverage-guided run itself takes about 20 seconds.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import typing as t

import pytest

import kolba

FUZZ_DIR = pathlib.Path(__file__).parent / "fuzz"
CORPUS = FUZZ_DIR / "corpus"
TARGET = FUZZ_DIR / "fuzz_request.py"


def _load_target() -> t.Any:
    spec = importlib.util.spec_from_file_location("fuzz_request", TARGET)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fuzz_request = _load_target()

# What each seed gets: the seeds reach every route and each body parser.
SEED_STATUS = {
    "abort": 415,
    "bad_json": 400,
    "conditional": 200,
    "cookies_session": 200,
    "get_query": 200,
    "lying_length": 400,
    "not_found_method": 404,
    "post_json": 200,
    "post_multipart": 200,
    "post_urlencoded": 200,
    "echo": 200,
    "redirect": 302,
    "range": 200,
    "range_single": 206,
    "routes": 200,
    "routes_uuid": 200,
}


def test_every_seed_has_an_expected_status() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(SEED_STATUS)


@pytest.mark.parametrize("name", sorted(SEED_STATUS))
def test_seed_corpus_replays_in_process(name: str) -> None:
    assert fuzz_request.run_one((CORPUS / name).read_bytes()) == SEED_STATUS[name]


def test_environ_is_built_from_the_fields() -> None:
    data = b"\x00".join(
        [
            b" post ",
            b"caf\xe9",
            b"a=1",
            b"X-Thing: one \nbad line\nContent-Length: 2\n: empty",
            b"k=v",
            b"text/plain",
            b"body\x00with nul",
        ]
    )
    environ = fuzz_request.make_environ(data)
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["PATH_INFO"] == "/caf\xe9"  # latin-1, as PEP 3333 has it
    assert environ["QUERY_STRING"] == "a=1"
    assert environ["HTTP_X_THING"] == "one"
    assert environ["CONTENT_LENGTH"] == "2"  # the header line overrides the real length
    assert environ["HTTP_COOKIE"] == "k=v"
    assert environ["CONTENT_TYPE"] == "text/plain"
    assert environ["wsgi.input"].read() == b"body\x00with nul"
    assert fuzz_request.make_environ(b"")["REQUEST_METHOD"] == "GET"


def test_a_server_error_is_a_finding() -> None:
    app: kolba.Kolba = fuzz_request.make_app()

    @app.route("/broken")
    def broken() -> str:
        raise LookupError("a bug")

    original = fuzz_request._app
    fuzz_request._app = app
    try:
        with pytest.raises(LookupError):
            fuzz_request.run_one(b"GET\x00/broken")
        app.config["PROPAGATE_EXCEPTIONS"] = False
        with pytest.raises(AssertionError, match="500 INTERNAL SERVER ERROR"):
            fuzz_request.run_one(b"GET\x00/broken")
    finally:
        fuzz_request._app = original


def _serve(app: kolba.Kolba, data: bytes) -> tuple[str, dict[str, str], bytes]:
    statuses: list[str] = []
    headers: dict[str, str] = {}

    def start_response(status: str, head: t.Any, exc_info: t.Any = None) -> t.Any:
        statuses.append(status)
        headers.update(head)
        return statuses.append

    body = b"".join(app.wsgi_app(fuzz_request.make_environ(data), start_response))
    return statuses[0], headers, body


# Regression tests for what the fuzzer found; each raised ValueError from urllib (as Werkzeug
# does) until fixed in the core.


def test_host_with_port_out_of_range_does_not_break_request_url() -> None:
    app = kolba.Kolba("host_port")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/", "index", lambda: kolba.request.url)
    status, _, body = _serve(app, b"GET\x00/\x00\x00Host: example.com:99999")
    assert status == "200 OK"
    assert body.startswith(b"http://example.com")


@pytest.mark.parametrize(
    "target", ["http://%C3%A4.example:x/", "http://%C3%A4.example:99999/", "http://%C3%A4[/"]
)
def test_redirect_to_a_malformed_authority_is_a_redirect(target: str) -> None:
    app = kolba.Kolba("bad_port_redirect")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/", "index", lambda: kolba.redirect(kolba.request.args["next"]))
    status, headers, _ = _serve(app, b"GET\x00/\x00next=" + target.encode())
    assert status == "302 FOUND"
    assert headers["Location"].isascii() and headers["Location"].startswith("http://")


def test_malformed_if_range_is_served_and_printable() -> None:
    app = kolba.Kolba("if_range")
    app.add_url_rule("/", "index", lambda: str(kolba.request.if_range))
    status, _, body = _serve(app, b'GET\x00/\x00\x00If-Range: "e')
    assert status == "200 OK"
    assert isinstance(body, bytes)


@pytest.mark.parametrize(
    ("path", "location"),
    [
        # Merged slashes and a missing trailing slash both redirect with the query string.
        (b"/a//b", "http://localhost/a/b?q=1%0D%0AX-Injected:%201%01%7F&ok=%C3%A9"),
        (b"/dir", "http://localhost/dir/?q=1%0D%0AX-Injected:%201%01%7F&ok=%C3%A9"),
    ],
)
def test_routing_redirect_keeps_a_query_with_control_characters(path: bytes, location: str) -> None:
    # Found by the fuzzer: a raw CR/LF in the query string went into the redirect's Location
    # and made a 500. Control characters and bytes beyond ASCII are percent-encoded as they
    # came (the UTF-8 of "é" stays %C3%A9 instead of being encoded twice).
    app = kolba.Kolba("redirect_query")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/a/b", "ab", lambda: "ab")
    app.add_url_rule("/dir/", "dir", lambda: "dir")
    query = b"q=1\r\nX-Injected: 1\x01\x7f&ok=\xc3\xa9"
    status, headers, _ = _serve(app, b"GET\x00" + path + b"\x00" + query)
    assert status == "308 PERMANENT REDIRECT"
    assert headers["Location"] == location


def test_accept_parameter_without_a_name_is_served() -> None:
    # Found by the fuzzer: "*=1" parses to an empty parameter name, and writing the accept
    # entry back raised IndexError (as Werkzeug's dump_options_header does).
    app = kolba.Kolba("accept_empty_key")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/", "index", lambda: str(kolba.request.accept_mimetypes))
    status, _, body = _serve(app, b"GET\x00/\x00\x00Accept: text/html;*=1, en;*=%zz")
    assert status == "200 OK"
    assert body == b"text/html; =1,en; =%zz"


def test_atheris_run_is_bounded_and_finds_nothing(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("atheris", reason="atheris is not installed (pip install atheris)")
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)  # the fuzzer adds inputs: never to the committed seeds
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    proc = subprocess.run(
        [sys.executable, str(TARGET), "-max_total_time=20", "-atheris_runs=2000000"]
        + [f"-artifact_prefix={artifacts}{os.sep}", str(corpus)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    crashes = [p.name for p in artifacts.iterdir()]
    assert proc.returncode == 0 and not crashes, proc.stderr[-4000:]
    assert "Done " in proc.stderr
    assert len(list(corpus.iterdir())) > len(SEED_STATUS)  # coverage guided it somewhere new


def test_known_bugs_only_let_their_own_error_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fuzz_request, "KNOWN_BUGS", ((ValueError, "known: "),))
    app: kolba.Kolba = fuzz_request.make_app()

    @app.route("/known")
    def known() -> str:
        raise ValueError("known: reported to the core")

    @app.route("/other")
    def other() -> str:
        raise ValueError("something else")

    monkeypatch.setattr(fuzz_request, "_app", app)
    assert fuzz_request.run_one(b"GET\x00/known") == -1
    with pytest.raises(ValueError, match="something else"):
        fuzz_request.run_one(b"GET\x00/other")
