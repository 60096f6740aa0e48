"""``LocalProxy``: every operation goes to the object bound *now*, and unbound ones fail clearly.

The proxies are checked through the public globals (``g``, ``current_app``, ``request``,
``session``) where Flask has the same global, and through a proxy over a plain getter for the
container operations Flask's globals rarely exercise.
"""

from __future__ import annotations

import typing as t

import flask
import pytest

import kolba
from kolba import Kolba
from kolba.globals import LocalProxy


class _Box:
    """What a proxy points at; ``None`` means unbound, as outside a context."""

    value: t.Any = None

    def get(self) -> t.Any:
        if self.value is None:
            raise RuntimeError("unbound")
        return self.value


@pytest.fixture
def box() -> _Box:
    return _Box()


@pytest.fixture
def proxy(box: _Box) -> t.Any:
    return LocalProxy(box.get)


# --- outside any context --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["g", "current_app", "request", "session"])
def test_unbound_globals_look_like_flasks(name: str) -> None:
    kp, fp = getattr(kolba, name), getattr(flask, name)
    assert repr(kp) == repr(fp) == "<LocalProxy unbound>"
    assert bool(kp) is bool(fp) is False
    assert dir(kp) == dir(fp) == []
    with pytest.raises(RuntimeError, match="Working outside of"):
        str(kp)
    with pytest.raises(RuntimeError, match="Working outside of"):
        kp.anything  # noqa: B018


def test_unbound_messages_match_flask() -> None:
    for name in ["g", "request"]:
        with pytest.raises(RuntimeError) as ke:
            getattr(kolba, name).x  # noqa: B018
        with pytest.raises(RuntimeError) as fe:
            getattr(flask, name).x  # noqa: B018
        assert str(ke.value) == str(fe.value)


def test_errors_other_than_unbound_are_not_hidden() -> None:
    def broken() -> t.Any:
        raise KeyError("not a context error")

    bad = LocalProxy(broken)
    with pytest.raises(KeyError):
        repr(bad)
    with pytest.raises(KeyError):
        bool(bad)
    with pytest.raises(KeyError):
        dir(bad)


# --- bound --------------------------------------------------------------------------------------


def test_repr_str_bool_dir_when_bound(app: Kolba) -> None:
    with app.app_context():
        assert repr(kolba.current_app) == f"<Kolba {app.name!r}>"
        assert str(kolba.current_app) == repr(app)
        assert repr(kolba.g) == f"<kolba.g of {app.name!r}>"
        assert bool(kolba.current_app) is True
        assert "url_for" in dir(kolba.current_app)
        assert kolba.current_app._get_current_object() is app  # type: ignore[attr-defined]


def test_bool_follows_the_object(box: _Box, proxy: t.Any) -> None:
    box.value = []
    assert bool(proxy) is False
    box.value = [0]
    assert bool(proxy) is True


def test_equality_and_hash(box: _Box, proxy: t.Any) -> None:
    box.value = "abc"
    assert proxy == "abc"
    assert not (proxy != "abc")
    assert proxy != "abd"
    assert not (proxy == "abd")
    assert hash(proxy) == hash("abc")
    assert {proxy: 1}["abc"] == 1


def test_container_operations(box: _Box, proxy: t.Any) -> None:
    box.value = {"a": 1}
    assert len(proxy) == 1
    assert list(iter(proxy)) == ["a"]
    assert "a" in proxy
    assert "b" not in proxy
    assert proxy["a"] == 1
    proxy["b"] = 2
    assert box.value == {"a": 1, "b": 2}
    del proxy["a"]
    assert box.value == {"b": 2}
    with pytest.raises(KeyError):
        proxy["missing"]


def test_call_forwards_arguments(box: _Box, proxy: t.Any) -> None:
    box.value = lambda *a, **k: (a, k)
    assert proxy(1, 2, x=3) == ((1, 2), {"x": 3})


def test_proxy_follows_rebinding(box: _Box, proxy: t.Any) -> None:
    box.value = [1, 2]
    assert len(proxy) == 2
    box.value = [1, 2, 3]
    assert len(proxy) == 3
    assert proxy._get_current_object() is box.value


def test_setattr_delattr_through_g(app: Kolba) -> None:
    with app.app_context() as ctx:
        kolba.g.user = "ann"
        assert ctx.g.user == "ann"
        assert "user" in kolba.g
        assert list(kolba.g) == ["user"]
        del kolba.g.user
        assert "user" not in ctx.g
        with pytest.raises(AttributeError):
            del kolba.g.user
        with pytest.raises(AttributeError):
            kolba.g.user  # noqa: B018


def test_setattr_delattr_on_plain_object(box: _Box, proxy: t.Any) -> None:
    class Obj:
        pass

    box.value = Obj()
    proxy.x = 1
    assert box.value.x == 1
    del proxy.x
    assert not hasattr(box.value, "x")


def test_g_matches_flask_g_operations() -> None:
    results = []
    pairs: list[tuple[t.Any, t.Any]] = [(kolba, Kolba("p")), (flask, flask.Flask("p"))]
    for mod, app in pairs:
        with app.app_context():
            mod.g.a = 1
            mod.g.setdefault("b", 2)
            results.append(
                (
                    mod.g.get("a"),
                    mod.g.get("zz", 9),
                    mod.g.pop("b"),
                    mod.g.pop("b", "gone"),
                    "a" in mod.g,
                    sorted(mod.g),
                )
            )
    assert results[0] == results[1] == (1, 9, 2, "gone", True, ["a"])


def test_request_and_session_proxies_in_a_request(app: Kolba) -> None:
    with app.test_request_context("/p?x=1"):
        assert kolba.request.path == "/p"
        assert kolba.request.args["x"] == "1"
        kolba.session["k"] = "v"
        assert kolba.session["k"] == "v"
        assert "k" in kolba.session
        assert len(kolba.session) == 1
        del kolba.session["k"]
        assert "k" not in kolba.session
        assert repr(kolba.request) == "<Request 'http://localhost/p?x=1' [GET]>"
    assert bool(kolba.request) is False


def test_proxy_is_weakly_referenceable(proxy: t.Any) -> None:
    import weakref

    assert weakref.ref(proxy)() is proxy


def test_isinstance_sees_the_target_as_flasks_proxies_do(app: Kolba) -> None:
    flask_app = flask.Flask(__name__)
    with flask_app.test_request_context("/"):
        assert isinstance(flask.request, flask.Request)
        assert isinstance(flask.current_app, flask.Flask)
    with app.test_request_context("/"):
        assert isinstance(kolba.request, kolba.Request)
        assert isinstance(kolba.current_app, Kolba)
        assert kolba.request.__class__ is app.request_class
        # The proxy is still a proxy to type() and to the proxy's own names.
        assert type(kolba.request) is LocalProxy  # type: ignore[comparison-overlap]
        assert kolba.request._get_current_object().__class__ is app.request_class


def test_isinstance_outside_a_context_is_false_not_an_error() -> None:
    assert not isinstance(flask.request, flask.Request)
    assert not isinstance(kolba.request, kolba.Request)
    assert isinstance(kolba.request, LocalProxy)
    assert kolba.request.__class__ is LocalProxy
    with pytest.raises(RuntimeError, match="outside of request context"):
        kolba.request.args  # noqa: B018


def test_attribute_errors_of_the_target_pass_through(box: _Box, proxy: t.Any) -> None:
    box.value = _Box()
    with pytest.raises(AttributeError):
        proxy.no_such_attribute  # noqa: B018
    assert getattr(proxy, "no_such_attribute", "fallback") == "fallback"
    assert hasattr(proxy, "get")
