"""The static route and ``send_from_directory``: configuration, ``url_for``, and every spelling
of a path that tries to leave the folder."""

from __future__ import annotations

import os
import typing as t
from datetime import timedelta
from pathlib import Path

import flask
import pytest

import kolba
from kolba.files import safe_join, send_from_directory

SECRET = b"TOP-SECRET-CONTENT"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An app root with a static folder, a secret beside it and a sibling folder that shares
    the static folder's name as a prefix."""
    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "static" / "index.html").write_bytes(b"<p>hi</p>")
    (tmp_path / "static" / "css" / "site.css").write_bytes(b"body{}")
    (tmp_path / "static" / "con.txt").write_bytes(b"device name")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "static-secrets").mkdir()
    (tmp_path / "static-secrets" / "key.txt").write_bytes(SECRET)
    (tmp_path / "static" / "link-out").symlink_to(tmp_path / "static-secrets")
    (tmp_path / "static" / "link-file").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "static" / "link-in").symlink_to(tmp_path / "static" / "css")
    return tmp_path


def _norm(rv: t.Any) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in rv.headers if k not in ("Date", "Expires")]
    data = rv.data
    rv.close()  # Werkzeug's test client leaves the file open until the response is closed.
    return rv.status_code, headers, data


def _apps(root: Path, **kwargs: t.Any) -> tuple[t.Any, t.Any]:
    f = flask.Flask("static_test", root_path=os.fspath(root), **kwargs)
    k = kolba.Kolba("static_test", root_path=os.fspath(root), **kwargs)
    pairs: tuple[tuple[t.Any, t.Any, t.Any], ...] = (
        (f, flask.send_from_directory, flask.request),
        (k, send_from_directory, kolba.request),
    )
    for app, sfd, req in pairs:

        def download(sfd: t.Any = sfd, req: t.Any = req) -> t.Any:
            return sfd("static", req.args["name"])

        app.add_url_rule("/dl", "dl", download)
    return f.test_client(), k.test_client()


@pytest.mark.parametrize(
    "url", ["/static/index.html", "/static/css/site.css", "/static/nope.css", "/static/css"]
)
def test_static_route_matches_flask(root: Path, url: str) -> None:
    fc, kc = _apps(root)
    assert _norm(kc.get(url)) == _norm(fc.get(url))
    assert _norm(kc.head(url)) == _norm(fc.head(url))


def test_static_conditional_get(root: Path) -> None:
    _, kc = _apps(root)
    first = kc.get("/static/index.html")
    assert first.status_code == 200
    again = kc.get("/static/index.html", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


@pytest.mark.parametrize(
    ("kwargs", "url"),
    [
        ({"static_url_path": "/assets"}, "/assets/index.html"),
        ({"static_url_path": ""}, "/index.html"),
        ({"static_folder": "static/css"}, "/css/site.css"),
        ({"static_folder": "static/css", "static_url_path": "/s"}, "/s/site.css"),
    ],
)
def test_static_configuration(root: Path, kwargs: dict[str, t.Any], url: str) -> None:
    fc, kc = _apps(root, **kwargs)
    rv = kc.get(url)
    assert rv.status_code == 200
    assert _norm(rv) == _norm(fc.get(url))


def test_no_static_folder(root: Path) -> None:
    app = kolba.Kolba("static_test", root_path=os.fspath(root), static_folder=None)
    assert app.test_client().get("/static/index.html").status_code == 404


def test_url_for_static(root: Path) -> None:
    f = flask.Flask("static_test", root_path=os.fspath(root), static_url_path="/assets")
    k = kolba.Kolba("static_test", root_path=os.fspath(root), static_url_path="/assets")
    with f.test_request_context(), k.test_request_context():
        for name in ("index.html", "css/site.css", "a b.css", "é.css"):
            assert kolba.url_for("static", filename=name) == flask.url_for("static", filename=name)
            assert kolba.url_for("static", filename=name, _external=True) == flask.url_for(
                "static", filename=name, _external=True
            )


def test_static_max_age_from_config(root: Path) -> None:
    fc, kc = _apps(root)
    for c in (fc, kc):
        c.application.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(hours=1)
    rv = kc.get("/static/index.html")
    assert rv.headers["Cache-Control"] == "public, max-age=3600"
    assert _norm(rv) == _norm(fc.get("/static/index.html"))


# Traversal -------------------------------------------------------------------------------------

HOSTILE = [
    "../secret.txt",
    "../../etc/passwd",
    "css/../../secret.txt",
    "css/../../../secret.txt",
    "./../secret.txt",
    "..",
    "../",
    "/etc/passwd",
    "//etc/passwd",
    "///etc/passwd",
    "/../secret.txt",
    "..\\secret.txt",
    "css\\..\\..\\secret.txt",
    "\\secret.txt",
    "\\\\server\\share\\secret.txt",
    "//server/share/secret.txt",
    "C:/Windows/win.ini",
    "C:secret.txt",
    "c:\\boot.ini",
    "css/C:/x",
    "index.html\0.png",
    "\0",
    "CON",
    "con.txt",
    "NUL",
    "nul.json",
    "COM1",
    "LPT1.txt",
    "css/aux.css",
    "PRN ",
    "CONIN$",
    "link-out/key.txt",
    "link-file",
    "link-out",
    "../static-secrets/key.txt",
    "css/../../static-secrets/key.txt",
    os.sep + "etc" + os.sep + "passwd",
    "%2e%2e/secret.txt",
    "..%2fsecret.txt",
    "..%5csecret.txt",
    "%2e%2e%2fsecret.txt",
    "css",
    "",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_send_from_directory_refuses(root: Path, name: str) -> None:
    _, kc = _apps(root)
    rv = kc.get("/dl", query_string={"name": name})
    assert rv.status_code == 404
    assert SECRET not in rv.data


@pytest.mark.parametrize("name", [n for n in HOSTILE if n and "\0" not in n])
def test_static_route_refuses(root: Path, name: str) -> None:
    _, kc = _apps(root)
    from urllib.parse import quote

    for url in ("/static/" + name, "/static/" + quote(name, safe="/%")):
        rv = kc.get(url, follow_redirects=True)
        assert rv.status_code == 404, url
        assert SECRET not in rv.data


def test_symlink_inside_the_folder_is_served(root: Path) -> None:
    _, kc = _apps(root)
    rv = kc.get("/static/link-in/site.css")
    assert rv.status_code == 200
    assert rv.data == b"body{}"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("a", "b.txt"), "{d}/a/b.txt"),
        (("a/./b.txt",), "{d}/a/b.txt"),
        (("a/../b.txt",), "{d}/b.txt"),
        (("", "b.txt"), "{d}/b.txt"),
        (("../b.txt",), None),
        (("a", "/b"), None),
        (("a\\b",), None),
        (("D:x",), None),
        (("nul.txt",), None),
    ],
)
def test_safe_join(root: Path, parts: tuple[str, ...], expected: str | None) -> None:
    d = os.fspath(root / "static")
    rv = safe_join(d, *parts)
    assert rv == (None if expected is None else expected.format(d=d))


def test_safe_join_empty_directory(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root / "static")
    assert safe_join("", "index.html") == "./index.html"
    assert safe_join("", "../secret.txt") is None


def test_safe_join_sibling_prefix(root: Path) -> None:
    # A prefix comparison of "/x/static" and "/x/static-secrets" would wrongly accept this.
    assert safe_join(os.fspath(root / "static"), "link-out/key.txt") is None
    assert safe_join(os.fspath(root / "static"), "css/site.css") is not None
