"""A small Kolba app: a page, a JSON API with validation, and error handlers.

Run it with ``python examples/hello/app.py`` (or ``kolba --app examples/hello/app.py run``); it
serves on http://127.0.0.1:5000/ with Kolba's development server (for development only:
production runs on gunicorn, waitress or uWSGI, e.g. ``gunicorn --chdir examples/hello app:app``).
"""

from __future__ import annotations

import os

from kolba import Kolba, abort, jsonify, request, url_for

app = Kolba(__name__)
app.config.from_mapping(SECRET_KEY=os.environ.get("KOLBA_SECRET_KEY", "dev"))

NOTES: dict[int, dict[str, object]] = {1: {"id": 1, "text": "Try POST /api/notes", "done": False}}


@app.get("/")
def index() -> str:
    items = "".join(f"<li>{n['text']}</li>" for n in NOTES.values())
    return (
        "<!doctype html><title>Kolba</title><h1>Hello from Kolba</h1>"
        f"<ul>{items}</ul><p>JSON: <a href='{url_for('list_notes')}'>{url_for('list_notes')}</a>"
    )


@app.get("/api/notes")
def list_notes() -> object:
    done = request.args.get("done", type=lambda v: v == "true")
    notes = [n for n in NOTES.values() if done is None or n["done"] == done]
    return jsonify(notes)


@app.post("/api/notes")
def create_note() -> object:
    data = request.get_json()
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip():
        return {"error": "'text' must be a non-empty string"}, 422
    note_id = max(NOTES, default=0) + 1
    NOTES[note_id] = {"id": note_id, "text": text.strip(), "done": False}
    return NOTES[note_id], 201, {"Location": url_for("get_note", note_id=note_id)}


@app.get("/api/notes/<int:note_id>")
def get_note(note_id: int) -> object:
    if note_id not in NOTES:
        abort(404)
    return NOTES[note_id]


@app.errorhandler(404)
def not_found(e: Exception) -> object:
    if request.path.startswith("/api/"):
        return {"error": "not found"}, 404
    return e


def main() -> None:
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))


if __name__ == "__main__":
    main()
