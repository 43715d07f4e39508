"""Sends the action server the recent part of a conversation instead of all of it.

Rasa 3.6 (`RemoteAction._action_call_format`) serialises every event of the tracker into every
custom action call: 114 KB a call early in a conversation and 509 KB after 100 turns
(bench/profile_turn.py), built by Rasa and parsed by the action server each time, so a turn grew
slower the longer a client talked. Our actions look back a few messages at most (a form's
answers, the report a safety question was about, fallbacks in a row, the reminder choice), so the
call carries the events since the client's last `RECENT_MESSAGES` messages. Everything else in
the call (slots, the active form, the latest message, the domain when an action asks for it) is
Rasa's own, unchanged.
"""

from __future__ import annotations

from typing import Any

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

# Ten messages cover the longest look-back of any action (a pain report, its form's answers,
# the safety question and its answer) with room for a question asked inside a form.
RECENT_MESSAGES = 10

def recent_events(tracker: DialogueStateTracker, messages: int = RECENT_MESSAGES) -> list[Event]:
    """The events from the client's `messages`-th newest message on (all of them when fewer)."""
    events = list(tracker.events)
    seen = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            seen += 1
            if seen == messages:
                return events[index:]
    return events


def action_call_format(action: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
    """Rasa's request to the action server (same keys, same domain rule), with only the recent
    events in its tracker."""
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [event.as_dict() for event in recent_events(tracker)]
    call: dict[str, Any] = {
        "next_action": action.name(),
        "sender_id": tracker.sender_id,
        "tracker": state,
        "version": rasa.__version__,
    }
    if not action._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(action.name()):
        call["domain"] = domain.as_dict()
    return call


def install() -> None:
    RemoteAction._action_call_format = action_call_format  # type: ignore[method-assign]
