"""The hello example app (examples/hello) works as documented."""

from __future__ import annotations

import importlib.util
import pathlib
import types

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def example() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "kolba_example_hello", ROOT / "examples" / "hello" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_index_and_api_flow(example: types.ModuleType) -> None:
    client = example.app.test_client()
    page = client.get("/")
    assert page.status_code == 200
    assert "Hello from Kolba" in page.text
    assert client.get("/api/notes").json == [
        {"done": False, "id": 1, "text": "Try POST /api/notes"}
    ]
    created = client.post("/api/notes", json={"text": "  write docs "})
    assert created.status_code == 201
    assert created.headers["Location"] == "/api/notes/2"
    assert created.json == {"done": False, "id": 2, "text": "write docs"}
    assert client.get("/api/notes/2").json["text"] == "write docs"
    assert client.get("/api/notes?done=true").json == []


def test_errors_are_json_under_api(example: types.ModuleType) -> None:
    client = example.app.test_client()
    missing = client.get("/api/notes/99")
    assert (missing.status_code, missing.json) == (404, {"error": "not found"})
    assert client.get("/nope").mimetype == "text/html"
    bad = client.post("/api/notes", json={"text": ""})
    assert (bad.status_code, bad.json) == (422, {"error": "'text' must be a non-empty string"})
    not_json = client.post("/api/notes", data="text=x")
    assert not_json.status_code == 415
