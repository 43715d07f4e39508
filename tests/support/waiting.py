"""Waiting for something to happen, with a deadline instead of a fixed sleep: fast when the
machine is fast, and still patient (up to the deadline) when it is loaded."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], timeout: float = 60.0, what: str = "condition",
               interval: float = 0.05) -> None:
    """Until `condition()` is true; fails naming `what` once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:.0f} s")
        time.sleep(interval)


def holds_for(condition: Callable[[], object], seconds: float, interval: float = 0.05) -> bool:
    """Whether `condition()` stays true for `seconds` (checked every `interval`): for "nothing
    more happens", where only waiting can tell."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not condition():
            return False
        time.sleep(interval)
    return bool(condition())
