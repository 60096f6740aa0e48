"""Soak test: the soak app under gunicorn, driven by wrk with a mix of every kind of request.

One run (~25 s: start, 3 s warm-up, 15 s measured, stop) backs every assertion below, so it is
made once per module. What is asserted is behaviour, never speed: every kind of request got its
expected status (and uploads, ranges, sessions and writes the right body), no 5xx beyond the
deliberate route, no socket errors, no worker died, the deliberate exception was logged once per
request and nothing else at ERROR, and each worker's resident memory grew by at most
:data:`MAX_GROWTH_PERCENT` between warm-up and the end (5% of a ~28 MiB worker is ~1.4 MiB: a
leak of a few hundred bytes a request passes it within the run's ~8,000 requests a worker).
Memory is compared after each worker collected garbage and returned glibc's free heap memory
(see ``soak_app/driver.py``): raw RSS also counts freed memory glibc keeps, which grows with
the number of requests served, so it would measure the machine's speed rather than a leak. Raw
figures are printed and recorded too.
The figures are printed (``pytest -s``) and recorded as properties in the test report.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from soak_app import driver
from soak_app.driver import SoakFigures

#: wrk's connections: at most this many requests are in flight at once.
CONNECTIONS = 8
#: Largest RSS growth allowed per worker from warm-up to the end of the run, in percent.
MAX_GROWTH_PERCENT = 5.0


@pytest.fixture(scope="module")
def figures() -> SoakFigures:
    reason = driver.missing_tools()
    if reason:
        pytest.skip(reason)
    result = driver.run_soak(
        seconds=15.0, warmup=3.0, workers=2, threads=2, connections=CONNECTIONS
    )
    print(f"\nsoak figures:\n{result.table()}")
    return result


def test_records_figures(
    figures: SoakFigures, record_property: Callable[[str, object], None]
) -> None:
    for name, value in figures.as_properties().items():
        record_property(name, value)
    assert figures.requests > 0
    assert figures.requests == sum(sum(s.values()) for s in figures.kinds.values())


def test_every_kind_got_its_expected_status(figures: SoakFigures) -> None:
    assert figures.unexpected() == {}
    assert set(figures.kinds) == set(driver.EXPECTED)


def test_no_5xx_beyond_the_deliberate_route(figures: SoakFigures) -> None:
    assert figures.server_errors() == {}
    assert set(figures.kinds[driver.DELIBERATE_500]) == {500}


def test_no_socket_errors(figures: SoakFigures) -> None:
    assert figures.socket_errors == {"connect": 0, "read": 0, "write": 0, "timeout": 0}


def test_no_worker_died(figures: SoakFigures) -> None:
    assert len(figures.workers_before) == 2
    assert figures.workers_after == figures.workers_before


def test_worker_memory_is_stable(figures: SoakFigures) -> None:
    growth = figures.growth_percent()
    assert set(growth) == set(figures.workers_before)
    too_much = {pid: g for pid, g in growth.items() if g > MAX_GROWTH_PERCENT}
    assert too_much == {}, f"RSS grew more than {MAX_GROWTH_PERCENT}%:\n{figures.table()}"


def test_deliberate_exception_logged_once_per_request(figures: SoakFigures) -> None:
    # Each failing request has its own path, logged with its traceback exactly once.
    logged = figures.boom_paths_logged()
    assert logged and set(logged.values()) == {1}
    assert figures.boom_tracebacks() == len(logged)
    # Every 500 wrk counted was logged; the few more are the requests in flight when wrk
    # stopped (one per connection at most, at each end), answered after wrk stopped counting.
    booms = figures.kinds[driver.DELIBERATE_500][500]
    assert booms <= figures.boom_logged() <= booms + 2 * CONNECTIONS


def test_nothing_else_logged_at_error(figures: SoakFigures) -> None:
    assert figures.error_log_lines() == []
    assert "Booting worker" in figures.log  # the log was captured at all
