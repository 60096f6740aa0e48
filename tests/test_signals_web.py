"""The web-layer signals: ``message_flashed`` and the two template signals, compared with Flask.

The same app is built on both frameworks, every web signal is recorded (name, whether the sender
is the app, the keyword arguments described as plain values) together with markers the views
add, and the two recordings must be equal; the literal expected sequence is written out too, so
a test still fails if both frameworks changed together.
"""

# The apps are built on either framework through ``t.Any``, so their decorators are untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import os
import typing as t
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType

import flask
import flask.signals
import pytest

import kolba
import kolba.signals

WEB_SIGNALS = ["message_flashed", "before_render_template", "template_rendered"]

Event = tuple[str, bool, dict[str, t.Any]]


def _has(name: str) -> bool:
    try:
        getattr(kolba, name)
    except (AttributeError, ImportError):
        return False
    return True


needs_flash = pytest.mark.skipif(not _has("flash"), reason="kolba.flash not written yet")
needs_templates = pytest.mark.skipif(
    not _has("render_template"), reason="kolba.templating not written yet"
)


# Both frameworks' default context processor puts ``g`` and ``request`` in the context the
# template signals carry; they are framework objects, so the recordings leave them out and
# their presence is tested once, on its own.
_PROCESSOR_KEYS = {"g", "request"}


def _describe(name: str, value: t.Any) -> t.Any:
    """A value both frameworks can give equal: names and plain data, never framework objects."""
    if name == "template":
        return ("template", value.name)
    if name == "context":
        plain = {k: v for k, v in value.items() if isinstance(v, str | int | list)}
        return (sorted(set(value) - _PROCESSOR_KEYS), plain)
    return value


def _new_app(mod: ModuleType, root: Path) -> t.Any:
    app = (flask.Flask if mod is flask else kolba.Kolba)("webapp", root_path=os.fspath(root))
    app.config.update(TESTING=True, SECRET_KEY="k")
    return app


def record(
    mod: ModuleType,
    root: Path,
    build: t.Callable[[t.Any, ModuleType, list[Event]], None],
    action: t.Callable[[t.Any], t.Any],
) -> tuple[t.Any, list[Event]]:
    """Build the app (``build`` may add views and append markers), run ``action`` recorded."""
    app = _new_app(mod, root)
    events: list[Event] = []
    build(app, mod, events)
    signals = flask.signals if mod is flask else kolba.signals
    with ExitStack() as stack:
        for name in WEB_SIGNALS:

            def receiver(sender: t.Any, _name: str = name, **kwargs: t.Any) -> None:
                described = {k: _describe(k, v) for k, v in kwargs.items()}
                events.append((_name, sender is app, described))

            stack.enter_context(getattr(signals, name).connected_to(receiver, app))
        result = action(app)
    return result, events


def both(
    tmp_path: Path,
    build: t.Callable[[t.Any, ModuleType, list[Event]], None],
    action: t.Callable[[t.Any], t.Any],
) -> tuple[t.Any, list[Event]]:
    """Record on Kolba and Flask; the results and recordings must be equal. Returns Kolba's."""
    k = record(kolba, tmp_path, build, action)
    f = record(flask, tmp_path, build, action)
    assert k == f
    return k


def _get(*paths: str) -> t.Callable[[t.Any], list[tuple[int, bytes]]]:
    def action(app: t.Any) -> list[tuple[int, bytes]]:
        client = app.test_client()
        return [(r.status_code, r.get_data()) for r in map(client.get, paths)]

    return action


def _marker(label: str) -> Event:
    return ("marker", True, {"at": label})


# --- message_flashed ----------------------------------------------------------------------------


def _flash_app(app: t.Any, mod: ModuleType, events: list[Event]) -> None:
    @app.route("/flash")
    def flash_view() -> str:
        mod.flash("saved")
        events.append(_marker("between"))
        mod.flash("careful", "warning")
        return "ok"

    @app.route("/show")
    def show() -> str:
        return repr(mod.get_flashed_messages(with_categories=True))


@needs_flash
def test_flash_sends_message_and_category_like_flask(tmp_path: Path) -> None:
    result, events = both(tmp_path, _flash_app, _get("/flash", "/show"))
    assert result == [(200, b"ok"), (200, b"[('message', 'saved'), ('warning', 'careful')]")]
    assert events == [
        ("message_flashed", True, {"message": "saved", "category": "message"}),
        _marker("between"),
        ("message_flashed", True, {"message": "careful", "category": "warning"}),
    ]


@needs_flash
def test_reading_flashed_messages_sends_nothing(tmp_path: Path) -> None:
    def build(app: t.Any, mod: ModuleType, events: list[Event]) -> None:
        _flash_app(app, mod, events)
        app.config["SECRET_KEY"] = "k"

    def action(app: t.Any) -> t.Any:
        client = app.test_client()
        client.get("/flash")
        return client.get("/show").status_code

    result, events = both(tmp_path, build, action)
    assert result == 200
    assert [e[0] for e in events] == ["message_flashed", "marker", "message_flashed"]


@needs_flash
def test_flash_without_a_secret_key_fails_before_sending(tmp_path: Path) -> None:
    def build(app: t.Any, mod: ModuleType, events: list[Event]) -> None:
        _flash_app(app, mod, events)
        app.config.update(SECRET_KEY=None, TESTING=False, PROPAGATE_EXCEPTIONS=False)
        app.logger.disabled = True  # the 500 is expected; keep its traceback out of the output

    result, events = both(tmp_path, build, _get("/flash"))
    assert result[0][0] == 500
    assert events == []


@needs_flash
def test_async_message_flashed_receiver_runs(tmp_path: Path) -> None:
    got: dict[str, list[tuple[str, str]]] = {}

    def run(mod: ModuleType) -> int:
        app = _new_app(mod, tmp_path)
        _flash_app(app, mod, [])
        seen = got.setdefault(mod.__name__, [])

        async def receiver(sender: t.Any, message: str, category: str, **kwargs: t.Any) -> None:
            seen.append((category, message))

        signals = flask.signals if mod is flask else kolba.signals
        with signals.message_flashed.connected_to(receiver, app):
            return int(app.test_client().get("/flash").status_code)

    assert run(kolba) == run(flask) == 200
    assert got["kolba"] == got["flask"] == [("message", "saved"), ("warning", "careful")]


# --- template signals ---------------------------------------------------------------------------


def _templates(root: Path) -> None:
    folder = root / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "page.html").write_text("<p>{{ name }}{% include 'part.html' %}</p>")
    (folder / "part.html").write_text("[{{ extra | default('-') }}]")


def _template_app(app: t.Any, mod: ModuleType, events: list[Event]) -> None:
    _templates(Path(app.root_path))

    @app.context_processor
    def site() -> dict[str, t.Any]:
        return {"site": "demo"}

    @app.route("/page")
    def page() -> str:
        return str(mod.render_template("page.html", name="ada"))

    @app.route("/string")
    def string() -> str:
        return str(mod.render_template_string("{{ site }}:{{ n }}", n=3))

    @app.route("/stream")
    def stream() -> t.Any:
        body = mod.stream_template("page.html", name="bo")
        events.append(_marker("view returned"))
        return mod.Response(body)

    @app.route("/stream-request")
    def stream_request() -> t.Any:
        return mod.Response(mod.stream_template_string("{{ request.path }} {{ site }}"))

    @app.route("/broken")
    def broken() -> str:
        return str(mod.render_template_string("{{ 1 // n }}", n=0))


_CTX_KEYS = ["site"]


@needs_templates
def test_render_template_sends_before_then_rendered_like_flask(tmp_path: Path) -> None:
    result, events = both(tmp_path, _template_app, _get("/page"))
    assert result == [(200, b"<p>ada[-]</p>")]
    context = (sorted([*_CTX_KEYS, "name"]), {"site": "demo", "name": "ada"})
    expected = {"template": ("template", "page.html"), "context": context}
    # One pair for the page: the included template sends nothing of its own.
    assert events == [
        ("before_render_template", True, expected),
        ("template_rendered", True, expected),
    ]


@needs_templates
def test_render_template_string_sends_a_template_without_a_name(tmp_path: Path) -> None:
    result, events = both(tmp_path, _template_app, _get("/string"))
    assert result == [(200, b"demo:3")]
    context = (sorted([*_CTX_KEYS, "n"]), {"site": "demo", "n": 3})
    assert [e[0] for e in events] == ["before_render_template", "template_rendered"]
    assert events[0][2] == events[1][2] == {"template": ("template", None), "context": context}


@needs_templates
def test_before_render_template_receiver_can_change_the_context(tmp_path: Path) -> None:
    def action(app: t.Any) -> bytes:
        def add_extra(sender: t.Any, template: t.Any, context: dict[str, t.Any]) -> None:
            context["extra"] = "from receiver"

        signals = kolba.signals if isinstance(app, kolba.Kolba) else flask.signals
        with signals.before_render_template.connected_to(add_extra, app):
            return bytes(app.test_client().get("/page").get_data())

    result, events = both(tmp_path, _template_app, action)
    assert result == b"<p>ada[from receiver]</p>"
    # The recorder was connected first, so it sees the dict before add_extra changes it; the
    # same dict then goes out with template_rendered.
    assert ["extra" in e[2]["context"][0] for e in events] == [False, True]


@needs_templates
def test_stream_template_sends_rendered_after_the_body_is_consumed(tmp_path: Path) -> None:
    result, events = both(tmp_path, _template_app, _get("/stream"))
    assert result == [(200, b"<p>bo[-]</p>")]
    assert [e[0] if e[0] != "marker" else e[2]["at"] for e in events] == [
        "before_render_template",
        "view returned",
        "template_rendered",
    ]
    assert events[0][2]["template"] == ("template", "page.html")


@needs_templates
def test_streamed_template_sees_the_request(tmp_path: Path) -> None:
    # Flask wraps the stream in stream_with_context when a request is active.
    result, events = both(tmp_path, _template_app, _get("/stream-request"))
    assert result == [(200, b"/stream-request demo")]
    assert [e[0] for e in events] == ["before_render_template", "template_rendered"]


@needs_templates
def test_failed_render_sends_only_before_render_template(tmp_path: Path) -> None:
    def build(app: t.Any, mod: ModuleType, events: list[Event]) -> None:
        _template_app(app, mod, events)
        app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
        app.logger.disabled = True  # the 500 is expected; keep its traceback out of the output

    result, events = both(tmp_path, build, _get("/broken"))
    assert result[0][0] == 500
    assert [e[0] for e in events] == ["before_render_template"]


@needs_templates
def test_template_signals_outside_a_request(tmp_path: Path) -> None:
    def action(app: t.Any) -> str:
        mod = kolba if isinstance(app, kolba.Kolba) else flask
        with app.app_context():
            return str(mod.render_template_string("{{ x }}", x="bare"))

    result, events = both(tmp_path, _template_app, action)
    assert result == "bare"
    assert events[0][2]["context"] == (["site", "x"], {"site": "demo", "x": "bare"})
    assert [e[0] for e in events] == ["before_render_template", "template_rendered"]


@needs_templates
@pytest.mark.parametrize(("path", "keys"), [("/page", {"g", "request"}), (None, {"g"})])
def test_signal_context_has_g_and_request_like_flask(
    tmp_path: Path, path: str | None, keys: set[str]
) -> None:
    found: dict[str, set[str]] = {}

    def run(mod: ModuleType) -> None:
        app = _new_app(mod, tmp_path)
        _template_app(app, mod, [])

        def receiver(sender: t.Any, template: t.Any, context: dict[str, t.Any]) -> None:
            found[mod.__name__] = set(context) & {"g", "request", "session"}

        signals = flask.signals if mod is flask else kolba.signals
        with signals.template_rendered.connected_to(receiver, app):
            if path is None:
                with app.app_context():
                    mod.render_template_string("x")
            else:
                app.test_client().get(path)

    run(flask)
    assert found["flask"] == keys
    run(kolba)
    assert found["kolba"] == keys
