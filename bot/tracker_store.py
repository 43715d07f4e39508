"""Rasa's SQL tracker store, plus the one thing `/forget` needs from it.

When a turn ran `action_forget` (the client confirmed /forget), every stored event of that
conversation is deleted instead of saved: the session database forgets the client in the action,
and the conversation log is forgotten here, where Rasa writes it.
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

FORGET_ACTION = "action_forget"
logger = logging.getLogger(__name__)


class ForgetfulSQLTrackerStore(SQLTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        if not _forgot_in_last_turn(tracker):
            await super().save(tracker)
            return
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == tracker.sender_id)
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
