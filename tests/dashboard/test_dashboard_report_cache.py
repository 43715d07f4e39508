"""The clinic's report behind the clients table is kept a minute: served from the copy while it is
young, rebuilt when old (in the background for the server, so no page waits but the first)."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.dashboard.report_cache import ReportCache
from bot.services import Services
from tests.dashboard.conftest import Clock, enrol


def test_a_young_copy_is_served_and_an_old_one_rebuilt(db_engine: Engine, clock: Clock, services: Services) -> None:
    cache = ReportCache(db_engine, clock, timedelta(minutes=1))
    assert cache.peek() is None
    first = cache.current()
    assert first.by_chat == {}
    enrol(services, 5_600_000_001, "Ada Quill")
    clock.advance(seconds=59)
    assert cache.current() is first
    clock.advance(seconds=1)
    assert set(cache.current().by_chat) == {5_600_000_001}


def test_in_the_background_mode_an_old_copy_is_served_while_the_new_one_is_built(
    db_engine: Engine, clock: Clock, services: Services
) -> None:
    cache = ReportCache(db_engine, clock, timedelta(minutes=1), background=True)
    first = cache.current()  # the first page waits for it
    enrol(services, 5_600_000_002, "Bea Marsh")
    clock.advance(minutes=2)
    assert cache.current() is first  # old, but served at once
    deadline = time.monotonic() + 10
    while cache.peek() is first and time.monotonic() < deadline:
        time.sleep(0.02)
    assert set(cache.current().by_chat) == {5_600_000_002}
