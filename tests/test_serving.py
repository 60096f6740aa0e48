"""The development server's HTTP handling, through real sockets on loopback.

Most tests run the server in a thread of the test process (``make_server``), which is fast and
lets one test look at what the app received; ``test_run_simple_*`` start it as a user does, in
its own process, and stop it with a signal.
"""

from __future__ import annotations

import datetime
import http.client
import json
import logging
import os
import pathlib
import signal
import socket
import ssl
import subprocess
import sys
import threading
import typing as t
from collections.abc import Iterator

import pytest

from kolba import Kolba, Response, request, stream_with_context
from kolba.serving import DevServer, make_server

APPS = pathlib.Path(__file__).parent / "serving_apps"
DEADLINE = 10.0

Environ = dict[str, t.Any]


@pytest.fixture
def app() -> Kolba:
    app = Kolba(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/", methods=["GET", "POST", "HEAD"])
    def index() -> str:
        return "hello"

    @app.route("/environ/<path:rest>", methods=["GET", "POST"])
    def environ(rest: str) -> dict[str, t.Any]:
        env = request.environ
        return {
            key: value
            for key, value in env.items()
            if isinstance(value, (str, int, bool)) and not key.startswith("wsgi.errors")
        } | {"rest": rest, "body": request.get_data(as_text=True)}

    @app.route("/echo", methods=["POST"])
    def echo() -> bytes:
        return t.cast(bytes, request.get_data())

    @app.route("/ignore-body", methods=["POST"])
    def ignore_body() -> str:
        return "ignored"

    @app.route("/stream")
    def stream() -> Response:
        def parts() -> Iterator[str]:
            yield "one,"
            yield "two"

        return Response(stream_with_context(parts()))

    @app.route("/big")
    def big() -> Response:
        return Response(b"x" * 65536 for _ in range(160))  # 10 MiB, no length

    @app.route("/fail")
    def fail() -> str:
        raise RuntimeError("boom")

    return app


@pytest.fixture
def server(app: Kolba) -> Iterator[DevServer]:
    srv = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=srv.serve_forever)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(DEADLINE)


def connect(srv: DevServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=DEADLINE)
    return sock


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one response with a known length (or to EOF) from a raw socket."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    body = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def read_to_eof(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def get(srv: DevServer, path: str = "/") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=DEADLINE)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_environ_follows_pep_3333(server: DevServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE)
    conn.putrequest("POST", "/environ/a%20b%C3%A9?x=1&y=%20")
    conn.putheader("X-Thing", "one")
    conn.putheader("X-Thing", "two")
    conn.putheader("X_Spoofed", "dropped")
    conn.putheader("Content-Type", "text/plain")
    conn.putheader("Content-Length", "4")
    conn.endheaders(b"data")
    response = conn.getresponse()
    env = json.loads(response.read())
    conn.close()
    assert response.status == 200
    assert env["REQUEST_METHOD"] == "POST"
    assert env["SCRIPT_NAME"] == ""
    # The path's UTF-8 bytes carried as latin-1, as PEP 3333 wants; the app decodes them.
    assert env["PATH_INFO"] == "/environ/a b\u00c3\u00a9"
    assert env["rest"] == "a b\u00e9"
    assert env["QUERY_STRING"] == "x=1&y=%20"
    assert env["REQUEST_URI"] == env["RAW_URI"] == "/environ/a%20b%C3%A9?x=1&y=%20"
    assert env["SERVER_NAME"] == "127.0.0.1"
    assert env["SERVER_PORT"] == str(server.port)
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert isinstance(env["REMOTE_PORT"], int)
    assert env["HTTP_X_THING"] == "one,two"
    assert "HTTP_X_SPOOFED" not in env
    assert env["CONTENT_TYPE"] == "text/plain"
    assert env["CONTENT_LENGTH"] == "4"
    assert "HTTP_CONTENT_LENGTH" not in env
    assert env["HTTP_HOST"] == f"127.0.0.1:{server.port}"
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.multithread"] is True
    assert env["wsgi.multiprocess"] is False
    assert env["wsgi.run_once"] is False
    assert env["wsgi.input_terminated"] is False
    assert env["body"] == "data"


def test_absolute_form_target_sets_the_host(server: DevServer) -> None:
    sock = connect(server)
    with sock:
        sock.sendall(b"GET http://example.test:81/environ/x?q=1 HTTP/1.1\r\nHost: other\r\n\r\n")
        status, _, body = read_response(sock)
    env = json.loads(body)
    assert status == 200
    assert env["HTTP_HOST"] == "example.test:81"
    assert env["PATH_INFO"] == "/environ/x"
    assert env["QUERY_STRING"] == "q=1"


def test_keep_alive_serves_two_requests_on_one_connection(server: DevServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE)
    try:
        conn.request("GET", "/environ/1")
        first = json.loads(conn.getresponse().read())
        sock = conn.sock
        conn.request("GET", "/environ/2")
        second = json.loads(conn.getresponse().read())
        assert conn.sock is sock  # http.client reconnects silently if the server had closed
    finally:
        conn.close()
    assert first["REMOTE_PORT"] == second["REMOTE_PORT"]
    assert second["rest"] == "2"


def test_unread_body_is_drained_for_the_next_request(server: DevServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE)
    try:
        conn.request("POST", "/ignore-body", body=b"z" * 100_000)
        assert conn.getresponse().read() == b"ignored"
        sock = conn.sock
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"hello"
        assert conn.sock is sock
    finally:
        conn.close()


def test_chunked_request_body_is_dechunked(server: DevServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE)
    try:
        conn.request("POST", "/environ/c", body=iter([b"ab", b"", b"cde"]), encode_chunked=True)
        env = json.loads(conn.getresponse().read())
        conn.request("POST", "/echo", body=iter([b"x" * 70_000, b"y"]), encode_chunked=True)
        echoed = conn.getresponse().read()
    finally:
        conn.close()
    assert env["body"] == "abcde"
    assert env["wsgi.input_terminated"] is True
    assert env["HTTP_TRANSFER_ENCODING"] == "chunked"
    assert "CONTENT_LENGTH" not in env
    assert echoed == b"x" * 70_000 + b"y"


def test_chunked_body_with_content_length_uses_the_chunks(server: DevServer) -> None:
    sock = connect(server)
    with sock:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer: 1\r\n\r\n"
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        data = read_to_eof(sock)
    # Both answered on one connection: the 3-byte Content-Length was not used to frame it.
    assert data.count(b"HTTP/1.1 200 ") == 2
    assert data.count(b"\r\n\r\nhello") == 2


def test_response_without_length_is_chunked_on_http_1_1(server: DevServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE)
    try:
        conn.request("GET", "/stream")
        response = conn.getresponse()
        assert response.getheader("Transfer-Encoding") == "chunked"
        assert response.read() == b"one,two"
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"hello"
    finally:
        conn.close()


def test_http_1_0_response_without_length_ends_with_the_connection(server: DevServer) -> None:
    sock = connect(server)
    with sock:
        sock.sendall(b"GET /stream HTTP/1.0\r\n\r\n")
        data = read_to_eof(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"chunked" not in head.lower()
    assert b"Connection: close" in head
    assert body == b"one,two"


def test_connection_close_is_honoured(server: DevServer) -> None:
    sock = connect(server)
    with sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_to_eof(sock)  # returns only because the server closed
    assert data.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nConnection: close\r\n" in data
    assert data.endswith(b"\r\n\r\nhello")


def test_head_response_has_headers_but_no_body(server: DevServer) -> None:
    sock = connect(server)
    with sock:
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        reader = sock.makefile("rb")
        head = b""
        while (line := reader.readline()) != b"\r\n":
            head += line
        assert b"Content-Length: 5" in head
        # The next bytes are the second response, not a body for HEAD.
        assert reader.readline().startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/1.1 extra\r\n\r\n", 400),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"X-N: 1\r\n" * 200 + b"\r\n", 431),
        (b"POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST /echo HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
    ],
    ids=[
        "garbage",
        "four-words",
        "tls-hello",
        "http2",
        "long-target",
        "100k-header",
        "many-headers",
        "bad-length",
        "negative-length",
        "two-lengths",
        "not-chunked",
    ],
)
def test_malformed_request_is_answered_and_the_server_keeps_serving(
    server: DevServer, raw: bytes, status: int
) -> None:
    sock = connect(server)
    with sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        data = read_to_eof(sock)
    assert data.startswith(b"HTTP/1.1 %d " % status)
    assert get(server) == (200, b"hello")


def test_bad_chunk_header_closes_the_connection(server: DevServer) -> None:
    sock = connect(server)
    with sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        data = read_to_eof(sock)
    assert data.startswith(b"HTTP/1.1 400 ")
    assert get(server) == (200, b"hello")


def test_client_that_leaves_mid_body_does_not_stop_the_server(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    for framing in (b"Content-Length: 1000\r\n", b"Transfer-Encoding: chunked\r\n"):
        sock = connect(server)
        with sock:
            body = b"x" * 500 if b"Length" in framing else b"3e8\r\n" + b"x" * 500
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n" + body)
            sock.shutdown(socket.SHUT_WR)
            data = read_to_eof(sock)
        assert data == b"" or data.startswith(b"HTTP/1.1 400 ")
    assert get(server) == (200, b"hello")
    assert "Traceback" not in caplog.text


def test_client_that_leaves_mid_response_does_not_stop_the_server(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(3):
        sock = connect(server)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
        sock.close()  # linger 0: a reset, like a browser tab closed mid-download
    assert get(server) == (200, b"hello")
    assert "Traceback" not in caplog.text


def test_app_error_is_a_logged_500(server: DevServer, caplog: pytest.LogCaptureFixture) -> None:
    assert get(server, "/fail")[0] == 500
    assert get(server) == (200, b"hello")


def test_error_escaping_the_app_is_a_logged_500_and_the_server_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(environ: Environ, start_response: t.Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/late":
            start_response("200 OK", [])

            def parts() -> Iterator[bytes]:
                yield b"partial"
                raise ValueError("late")

            return parts()  # type: ignore[return-value]
        if environ["PATH_INFO"] == "/ok":
            start_response("200 OK", [("Content-Length", "2")])
            return [b"ok"]
        raise ValueError("early")

    srv = make_server("127.0.0.1", 0, broken, threaded=False)
    thread = threading.Thread(target=srv.serve_forever)
    thread.start()
    try:
        assert get(srv, "/early")[0] == 500
        sock = connect(srv)
        with sock:
            sock.sendall(b"GET /late HTTP/1.1\r\nHost: x\r\n\r\n")
            data = read_to_eof(sock)
        # The head and a chunk were sent; the missing last chunk tells the client it is cut.
        assert data.startswith(b"HTTP/1.1 200 ")
        assert b"partial" in data
        assert not data.endswith(b"0\r\n\r\n")
        assert get(srv, "/ok") == (200, b"ok")
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(DEADLINE)
    errors = [r for r in caplog.records if r.name == "kolba.serving" and r.levelno >= logging.ERROR]
    assert len(errors) == 2
    assert "ValueError: early" in errors[0].getMessage()
    assert "ValueError: late" in errors[1].getMessage()


def test_content_length_is_kept_to(caplog: pytest.LogCaptureFixture) -> None:
    def liar(environ: Environ, start_response: t.Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "3")])
        return [b"ab", b"cdef"] if environ["PATH_INFO"] == "/long" else [b"a"]

    srv = make_server("127.0.0.1", 0, liar)
    thread = threading.Thread(target=srv.serve_forever)
    thread.start()
    try:
        for path, body in (("/long", b"abc"), ("/short", b"a")):
            sock = connect(srv)
            with sock:
                sock.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
                data = read_to_eof(sock)  # the server closes: the framing is broken
            assert data.endswith(b"\r\n\r\n" + body)
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(DEADLINE)


def test_request_lines_are_logged_in_common_log_style(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kolba.serving")
    get(server, "/?a=1")
    line = next(r.getMessage() for r in caplog.records if r.name == "kolba.serving")
    assert line.startswith("127.0.0.1 - - [")
    assert line.endswith('] "GET /?a=1 HTTP/1.1" 200 -')


def _self_signed(tmp_path: pathlib.Path) -> tuple[str, str]:
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


def test_https_with_a_certificate_and_key(app: Kolba, tmp_path: pathlib.Path) -> None:
    cert, key = _self_signed(tmp_path)
    srv = make_server("127.0.0.1", 0, app, ssl_context=(cert, key))
    thread = threading.Thread(target=srv.serve_forever)
    thread.start()
    try:
        # A plain-HTTP client on the HTTPS port fails its handshake without hurting the server.
        with connect(srv) as plain:
            plain.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                assert not read_to_eof(plain).startswith(b"HTTP/1.1 200")
            except ConnectionResetError:
                pass
        client = ssl.create_default_context(cafile=cert)
        conn = http.client.HTTPSConnection("localhost", srv.port, context=client, timeout=DEADLINE)
        try:
            conn.request("GET", "/environ/s")
            env = json.loads(conn.getresponse().read())
            conn.request("GET", "/")
            assert conn.getresponse().read() == b"hello"
        finally:
            conn.close()
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(DEADLINE)
    assert env["wsgi.url_scheme"] == "https"


# --- the server as a process -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(proc: subprocess.Popen[bytes], port: int) -> None:
    """Poll until the port answers, failing early if the process died (no sleeps)."""
    deadline = DEADLINE
    while deadline > 0:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            try:
                proc.wait(0.05)
            except subprocess.TimeoutExpired:
                deadline -= 0.05
                continue
            raise AssertionError(f"the server exited with {proc.returncode}") from None
    raise AssertionError("the server did not answer in time")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> int:
    """Signal the process group, then kill it if it does not exit in time."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        return proc.wait(DEADLINE)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise AssertionError("the server ignored the signal") from None


def start(tmp_path: pathlib.Path, port: int, *flags: str) -> subprocess.Popen[bytes]:
    log = (tmp_path / "server.log").open("wb")
    with log:
        return subprocess.Popen(
            [sys.executable, str(APPS / "serve.py"), "hello", str(port), *flags],
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture
def hello_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "hello.py").write_text((APPS / "hello.py").read_text())
    return tmp_path


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_run_simple_serves_survives_abuse_and_stops_cleanly(
    hello_dir: pathlib.Path, sig: int
) -> None:
    port = free_port()
    proc = start(hello_dir, port)
    try:
        wait_until_serving(proc, port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"hello v1"
        conn.request("GET", "/")  # keep-alive
        assert conn.getresponse().read() == b"hello v1"
        conn.close()
        abuse = [
            b"NOT HTTP AT ALL\r\n\r\n",
            b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: many\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\nhalf a body",
        ]
        for raw in abuse:
            with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
                sock.sendall(raw)
                sock.shutdown(socket.SHUT_WR)
                read_to_eof(sock)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
            conn.request("GET", "/")
            assert conn.getresponse().status == 200
            conn.close()
    finally:
        code = stop(proc, sig)
    output = (hello_dir / "server.log").read_text()
    assert code == 0, output
    assert f" * Running on http://127.0.0.1:{port}\nPress CTRL+C to quit\n" in output
    assert '"GET / HTTP/1.1" 200 -' in output
    assert "Traceback" not in output


def test_run_simple_reports_a_port_in_use(hello_dir: pathlib.Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = start(hello_dir, port)
        try:
            code = proc.wait(DEADLINE)
        finally:
            stop(proc, signal.SIGKILL)
    output = (hello_dir / "server.log").read_text()
    assert code == 1
    assert f"Port {port} is in use by another program" in output
    assert "Traceback" not in output
