"""Signals: sent with Flask's sender, keyword arguments and order, and only when someone listens.

The same app is built on both frameworks and every core signal is recorded with
``signal.connected_to``; the two recordings must be equal, and are checked against the literal
expected sequence too, so the test still fails if both frameworks changed together.
"""

# The apps are built on either framework through ``t.Any``, so their decorators are untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import typing as t
from contextlib import ExitStack
from types import ModuleType

import blinker
import flask
import flask.signals
import pytest

import kolba
import kolba.signals

CORE_SIGNALS = [
    "request_started",
    "request_finished",
    "request_tearing_down",
    "got_request_exception",
    "appcontext_tearing_down",
    "appcontext_pushed",
    "appcontext_popped",
]

Event = tuple[str, bool, dict[str, t.Any]]


def make_app(mod: ModuleType) -> t.Any:
    app = (flask.Flask if mod is flask else kolba.Kolba)("sigapp")

    @app.route("/")
    def index() -> str:
        return "ok"

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("boom")

    @app.route("/handled")
    def handled() -> str:
        raise KeyError("k")

    @app.errorhandler(KeyError)
    def on_key_error(e: KeyError) -> tuple[str, int]:
        return "handled", 409

    return app


def _describe(name: str, value: t.Any) -> t.Any:
    if name == "response":
        return (type(value).__name__ == "Response", value.status_code, value.get_data())
    if isinstance(value, BaseException):
        return (type(value).__name__, str(value))
    return value


def record(mod: ModuleType, action: t.Callable[[t.Any], t.Any]) -> tuple[t.Any, list[Event]]:
    """Run ``action(app)`` with every core signal recorded (name, sender is app, kwargs)."""
    app = make_app(mod)
    signals = flask.signals if mod is flask else kolba.signals
    events: list[Event] = []
    with ExitStack() as stack:
        for name in CORE_SIGNALS:

            def receiver(sender: t.Any, _name: str = name, **kwargs: t.Any) -> None:
                described = {k: _describe(k, v) for k, v in kwargs.items()}
                events.append((_name, sender is app, described))

            stack.enter_context(getattr(signals, name).connected_to(receiver, app))
        result = action(app)
    return result, events


def _get(path: str) -> t.Callable[[t.Any], int]:
    def action(app: t.Any) -> int:
        app.config["PROPAGATE_EXCEPTIONS"] = False
        app.logger.disabled = True  # the 500 is expected; keep its traceback out of the output
        return int(app.test_client().get(path).status_code)

    return action


def test_successful_request_sends_flasks_signals_in_order() -> None:
    k = record(kolba, _get("/"))
    f = record(flask, _get("/"))
    assert k == f
    assert k == (
        200,
        [
            ("appcontext_pushed", True, {}),
            ("request_started", True, {}),
            ("request_finished", True, {"response": (True, 200, b"ok")}),
            ("request_tearing_down", True, {"exc": None}),
            ("appcontext_tearing_down", True, {"exc": None}),
            ("appcontext_popped", True, {}),
        ],
    )


def test_unhandled_error_sends_got_request_exception_and_teardown_exc() -> None:
    k = record(kolba, _get("/boom"))
    f = record(flask, _get("/boom"))
    assert k[0] == f[0] == 500
    assert [e[0] for e in k[1]] == [e[0] for e in f[1]]
    assert k[1] == f[1]
    names = [e[0] for e in k[1]]
    assert names == [
        "appcontext_pushed",
        "request_started",
        "got_request_exception",
        "request_finished",
        "request_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]
    assert k[1][2][2] == {"exception": ("ValueError", "boom")}
    assert k[1][3][2]["response"][1] == 500
    assert k[1][4][2] == {"exc": ("ValueError", "boom")}


@pytest.mark.parametrize(("path", "status"), [("/handled", 409), ("/missing", 404)])
def test_handled_errors_send_no_exception_signal(path: str, status: int) -> None:
    k = record(kolba, _get(path))
    f = record(flask, _get(path))
    assert k == f
    assert k[0] == status
    assert "got_request_exception" not in [e[0] for e in k[1]]
    assert ("request_tearing_down", True, {"exc": None}) in k[1]


def test_bare_app_context_sends_push_teardown_pop() -> None:
    def action(app: t.Any) -> None:
        with app.app_context():
            pass

    k = record(kolba, action)
    f = record(flask, action)
    assert k == f
    assert k[1] == [
        ("appcontext_pushed", True, {}),
        ("appcontext_tearing_down", True, {"exc": None}),
        ("appcontext_popped", True, {}),
    ]


def test_request_inside_app_context_reuses_it_like_flask() -> None:
    # The request reuses the enclosing app context of the same app: one push and one pop.
    def action(app: t.Any) -> int:
        with app.app_context():
            return int(app.test_client().get("/").status_code)

    k = record(kolba, action)
    assert k == record(flask, action)
    assert k[0] == 200
    assert [e[0] for e in k[1]] == [
        "appcontext_pushed",
        "request_started",
        "request_finished",
        "request_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]


def test_signals_for_another_sender_are_not_received() -> None:
    other = kolba.Kolba("other")
    got: list[str] = []

    def receiver(sender: t.Any, **kwargs: t.Any) -> None:
        got.append("x")

    with kolba.signals.request_started.connected_to(receiver, other):
        assert make_app(kolba).test_client().get("/").status_code == 200
    assert got == []


def test_async_receivers_run_through_ensure_sync() -> None:
    app = make_app(kolba)
    got: list[tuple[str, t.Any]] = []

    async def on_started(sender: t.Any, **kwargs: t.Any) -> None:
        got.append(("started", kolba.request.path))

    async def on_finished(sender: t.Any, response: t.Any, **kwargs: t.Any) -> None:
        got.append(("finished", response.status_code))

    async def on_popped(sender: t.Any, **kwargs: t.Any) -> None:
        got.append(("popped", sender is app))

    with (
        kolba.signals.request_started.connected_to(on_started, app),
        kolba.signals.request_finished.connected_to(on_finished, app),
        kolba.signals.appcontext_popped.connected_to(on_popped, app),
    ):
        assert app.test_client().get("/").status_code == 200
    assert got == [("started", "/"), ("finished", 200), ("popped", True)]


def test_async_receiver_also_works_on_flask() -> None:
    pytest.importorskip("asgiref")
    app = make_app(flask)
    got: list[str] = []

    async def on_started(sender: t.Any, **kwargs: t.Any) -> None:
        got.append(flask.request.path)

    with flask.signals.request_started.connected_to(on_started, app):
        assert app.test_client().get("/").status_code == 200
    assert got == ["/"]


def test_nothing_is_sent_without_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    # The receivers of another test (or a leaked connection) would make the check meaningless.
    for name in CORE_SIGNALS:
        assert not getattr(kolba.signals, name).receivers, name

    def fail(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise AssertionError("a signal was sent with no receivers")

    monkeypatch.setattr(blinker.base.Signal, "send", fail)
    app = make_app(kolba)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    client = app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/boom").status_code == 500
    assert client.get("/handled").status_code == 409
    assert client.get("/missing").status_code == 404
    with app.app_context():
        pass
    with app.test_request_context("/"):
        pass


def test_the_patch_in_the_previous_test_would_catch_a_send(monkeypatch: pytest.MonkeyPatch) -> None:
    # Proof the method above can fail: with one receiver connected, send is called.
    sent: list[str] = []

    def fake_send(self: t.Any, *args: t.Any, **kwargs: t.Any) -> list[t.Any]:
        sent.append(self.name)
        return []

    monkeypatch.setattr(blinker.base.Signal, "send", fake_send)
    app = make_app(kolba)

    def receiver(sender: t.Any, **kwargs: t.Any) -> None:
        pass

    with kolba.signals.request_started.connected_to(receiver, app):
        assert app.test_client().get("/").status_code == 200
    assert sent == ["request-started"]


def test_signal_names_match_flask() -> None:
    for name in [*CORE_SIGNALS, "template_rendered", "before_render_template", "message_flashed"]:
        assert getattr(kolba.signals, name).name == getattr(flask.signals, name).name
