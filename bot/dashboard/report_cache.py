"""The clinic's report (`build_report`, the numbers of `bone-coach report`), kept for a minute.

Building it reads the whole clinic's last four weeks: about 2 s for 5,000 clients (BENCHMARKS.md
"Cost growth"), far too slow for every page. Adherence, streak, pain and last session change only
when clients check in, so a copy up to `max_age` old serves the clients table and the Today
page's "adherence dropping"; what staff change (red flags, alerts, the clinic's flags) is read
fresh on every page (readmodels.py). Served: an old copy is shown while a new one is built in
the background (`background=True`); only the very first page waits. Tests build synchronously.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from bot.coach_desk.report import ClientReport, build_report
from bot.services.types import Clock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportCopy:
    by_chat: dict[int, ClientReport]
    made_at: datetime


class ReportCache:
    def __init__(self, engine: Engine, clock: Clock, max_age: timedelta, background: bool = False) -> None:
        self.engine = engine
        self.clock = clock
        self.max_age = max_age
        self.background = background
        self._copy: ReportCopy | None = None
        self._lock = threading.Lock()  # guards _copy and _refreshing
        self._building = threading.Lock()  # one build at a time
        self._refreshing = False

    def current(self) -> ReportCopy:
        """A copy no older than `max_age`, or (in the background mode) the last one while a new
        one is made; the first call waits for the first build."""
        with self._lock:
            copy = self._copy
            stale = copy is None or self.clock() - copy.made_at >= self.max_age
            if copy is not None and stale and self.background and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="report-cache", daemon=True).start()
        if copy is not None and (not stale or self.background):
            return copy
        return self._build()

    def peek(self) -> ReportCopy | None:
        """The last copy, however old, without building one (None before the first build)."""
        with self._lock:
            return self._copy

    def warm(self) -> None:
        """Start the first build now, in the background (the server calls this at start-up)."""
        threading.Thread(target=self._build, name="report-cache", daemon=True).start()

    def _refresh(self) -> None:
        try:
            self._build()
        except Exception as exc:  # the next page tries again; the old copy stays meanwhile
            logger.error("Report refresh failed: %s", type(exc).__name__)
        finally:
            with self._lock:
                self._refreshing = False

    def _build(self) -> ReportCopy:
        with self._building:
            with self._lock:
                copy = self._copy
            if copy is not None and self.clock() - copy.made_at < self.max_age:
                return copy  # another thread built it while this one waited
            now = self.clock()
            copy = ReportCopy({row.chat_id: row for row in build_report(self.engine, now)}, now)
            with self._lock:
                self._copy = copy
            return copy
