from __future__ import annotations

import os
import typing as t

import pytest
from hypothesis import settings

from kolba import Kolba
from kolba.ctx import AppContext
from kolba.globals import _cv_ctx


def pytest_configure(config: pytest.Config) -> None:
    """Hold the coverage floor only on a full run: a subset of tests covers less by design."""
    full_run = config.args_source != pytest.Config.ArgsSource.ARGS or [
        os.path.abspath(a) for a in config.args
    ] == [str(config.rootpath / "tests")]
    plugin = config.pluginmanager.getplugin("_cov")
    if not full_run and plugin is not None:
        plugin.options.cov_fail_under = 0


# Property tests run the same examples everywhere: a failure in CI reproduces locally.
settings.register_profile("kolba", derandomize=True, deadline=None, database=None)
settings.load_profile("kolba")


@pytest.fixture
def app(tmp_path: t.Any) -> Kolba:
    """A fresh app rooted in a temporary folder, in testing mode."""
    app = Kolba("test_app", root_path=os.fspath(tmp_path))
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture
def client(app: Kolba) -> t.Any:
    return app.test_client()


@pytest.fixture
def app_ctx(app: Kolba) -> t.Iterator[AppContext]:
    with app.app_context() as ctx:
        yield ctx


@pytest.fixture(autouse=True)
def _leak_detector() -> t.Iterator[None]:
    """Fail any test that leaves an application or request context pushed."""
    yield
    leaks = []
    while True:
        ctx = _cv_ctx.get(None)
        if ctx is None:
            break
        leaks.append(ctx)
        ctx.pop()
    assert not leaks, f"contexts left pushed: {leaks!r}"
