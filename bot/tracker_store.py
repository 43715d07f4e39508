"""Rasa's SQL tracker store, plus what `/forget` needs from it and a cache of recent trackers.

When a turn ran `action_forget` (the client confirmed /forget), every stored event of that
conversation is deleted instead of saved: the session database forgets the client in the action,
and the conversation log is forgotten here, where Rasa writes it.

Rasa rebuilds a conversation's tracker from all its stored events at every message (decode and
replay: about 120 ms at 800 events, the largest part of a long conversation's turn; BENCHMARKS.md).
The tracker saved at the end of a turn is kept in memory for the next one instead, and used only
while the database shows nothing newer: the conversation's newest stored event is still the one
seen at the save (no other replica wrote since), the tracker has not changed since (a turn that
failed before saving leaves more events in it), and it holds exactly the events Rasa would load
(none from before the latest session start). Otherwise the tracker is loaded as Rasa does.

On SQLite the store keeps two connections open instead of one per database session. Saving a
kept tracker, the events to store are those after the ones it held when kept, as long as
the conversation's newest stored event is still the one seen then: Rasa would count the stored
events to find them, and we would count them again after the insert. On SQLite the conversation
log is written ahead (WAL) and synced at checkpoints, not at every commit: a process killed
mid-turn loses nothing committed, a power cut at most the last turns' log (the session database,
which holds the health records, keeps SQLite's full sync).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

FORGET_ACTION = "action_forget"
KEPT_TRACKERS = 200  # conversations in the middle of a turn sequence; older ones load from the database
logger = logging.getLogger(__name__)


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    events: int  # len(tracker.events) when it was saved
    newest_id: int | None  # the conversation's newest stored event row then


class ForgetfulSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._saving: dict[str, _Kept] = {}  # the kept entry of a tracker being saved
        if self.engine.dialect.name == "sqlite":
            # Rasa's engine opens and closes a SQLite file per session (SQLAlchemy 1.4's NullPool):
            # three times a turn, with our PRAGMAs each time. A small pool keeps them open.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=QueuePool, pool_size=2,
                                           connect_args={"check_same_thread": False})
            self.sessionmaker = sessionmaker(bind=self.engine)
            sa.event.listen(self.engine, "connect", _write_ahead)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept = self._kept.pop(sender_id, None)
        if kept is not None and len(kept.tracker.events) == kept.events:
            with self.session_scope() as session:
                if self._newest_id(session, sender_id) == kept.newest_id:
                    self._kept[sender_id] = kept
                    return kept.tracker
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        kept = self._kept.pop(tracker.sender_id, None)
        if _forgot_in_last_turn(tracker):
            self._forget(tracker.sender_id)
            return
        following = kept if kept is not None and kept.tracker is tracker else None
        if following is not None:
            self._saving[tracker.sender_id] = following
        try:
            await super().save(tracker)
        finally:
            refused = self._saving.pop(tracker.sender_id, None)  # left by _additional_events
        if following is not None and refused is not None:
            return  # something else wrote to this conversation during the turn: load it next time
        with self.session_scope() as session:
            if following is not None and not _new_session(tracker, following):
                loadable = len(tracker.events)  # what was loadable, plus what was just added
            else:
                loadable = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            if loadable == len(tracker.events):
                self._kept[tracker.sender_id] = _Kept(tracker, loadable, self._newest_id(session, tracker.sender_id))
                while len(self._kept) > KEPT_TRACKERS:
                    self._kept.popitem(last=False)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events a kept tracker gained since it was kept, while nothing newer is stored;
        otherwise Rasa's count of the stored events (Rasa's `save` calls this)."""
        kept = self._saving.get(tracker.sender_id)
        if kept is not None and self._newest_id(session, tracker.sender_id) == kept.newest_id:
            del self._saving[tracker.sender_id]
            return itertools.islice(tracker.events, kept.events, None)
        return super()._additional_events(session, tracker)

    def _newest_id(self, session: Any, sender_id: str) -> int | None:
        newest = session.execute(
            sa.select(sa.func.max(self.SQLEvent.id)).where(self.SQLEvent.sender_id == sender_id)
        ).scalar()
        return None if newest is None else int(newest)

    def _forget(self, sender_id: str) -> None:
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        logger.info("conversation log deleted on request (%d events)", deleted)


def _new_session(tracker: DialogueStateTracker, kept: _Kept) -> bool:
    """Did the events added since `kept` start a new session (Rasa then loads from there)?"""
    return any(isinstance(e, SessionStarted) for e in itertools.islice(tracker.events, kept.events, None))


def _write_ahead(dbapi_connection: Any, _record: Any) -> None:
    """WAL is kept in the file once set; setting it waits for no reader, so a busy first try
    is left to the next connection."""
    with contextlib.suppress(sqlite3.OperationalError):
        dbapi_connection.execute("PRAGMA journal_mode = WAL")
    dbapi_connection.execute("PRAGMA synchronous = NORMAL")


def _forgot_in_last_turn(tracker: DialogueStateTracker) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == FORGET_ACTION:
            return True
    return False
