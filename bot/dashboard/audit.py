"""Every change made from the dashboard goes through `Auditor.change`: an audit entry with the
state before is committed first, then the service call makes the change (its own transaction,
as every service call), then the entry gets the state after. A change that fails, or a process
that dies in between, leaves an entry without an `after`: who tried what is never lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db import audit
from bot.db.audit import Snapshot
from bot.db.engine import unit_of_work
from bot.services.types import Clock

T = TypeVar("T")


class Auditor:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def change(
        self,
        staff: str,
        action: str,
        make: Callable[[], T],
        *,
        before: Callable[[Session], Snapshot] = lambda _s: None,
        after: Callable[[Session, T], Snapshot] = lambda _s, _result: None,
        client_id: int | None = None,
        target: str | None = None,
        reason: str | None = None,
        target_after: Callable[[T], str | None] = lambda _result: None,
    ) -> T:
        """Record, make the change (`make`), record what it became; returns what `make` returned."""
        with unit_of_work(self.engine) as s:
            entry = audit.start_entry(s, staff, action, self.clock(), client_id=client_id, target=target,
                                      reason=reason, before=before(s))
        result = make()
        with unit_of_work(self.engine) as s:
            audit.finish_entry(s, entry, self.clock(), after(s, result), target=target_after(result))
        return result
