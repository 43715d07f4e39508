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
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

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

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept = self._kept.pop(sender_id, None)
        if kept is not None and len(kept.tracker.events) == kept.events:
            with self.session_scope() as session:
                if self._newest_id(session, sender_id) == kept.newest_id:
                    self._kept[sender_id] = kept
                    return kept.tracker
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        self._kept.pop(tracker.sender_id, None)
        if _forgot_in_last_turn(tracker):
            self._forget(tracker.sender_id)
            return
        await super().save(tracker)
        with self.session_scope() as session:
            loadable = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            if loadable == len(tracker.events):
                self._kept[tracker.sender_id] = _Kept(tracker, loadable, self._newest_id(session, tracker.sender_id))
                while len(self._kept) > KEPT_TRACKERS:
                    self._kept.popitem(last=False)

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


def _forgot_in_last_turn(tracker: DialogueStateTracker) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == FORGET_ACTION:
            return True
    return False
