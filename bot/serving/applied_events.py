"""A conversation's applied events, worked out once per event instead of once per call.

Rasa 3.6 calls `DialogueStateTracker.applied_events` several times a turn (the session check, the
last applied action, the policies), and each call walks the whole conversation from its first
event: 37 ms of a turn under cProfile after 100 turns (bench/profile_turn.py). Its walk is one
loop over the events that carries a single list, except for one input taken from all of them: the
names of the forms ever activated. So the list is kept per conversation and the walk resumes at
the first new event, as long as the events already walked are the tracker's own (same objects,
same count: the tracker store keeps a conversation's tracker between turns) and the new events
activate no form that was never active before. Otherwise Rasa's own walk runs, and its result is
kept when the tracker is not shorter than the one kept (a copy travelled back in time is not).
"""

from __future__ import annotations

from dataclasses import dataclass

from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.serving.kept import Kept

_RASA_APPLIED_EVENTS = DialogueStateTracker.applied_events


@dataclass
class _Walk:
    """Rasa's walk after `count` events of the tracker, the last of them `last`."""

    count: int
    last: Event | None
    loop_names: frozenset[str]
    applied: list[Event]

    def extends(self, tracker: DialogueStateTracker) -> list[Event] | None:
        """The tracker's events after the walked ones, when the walk can take them."""
        events = tracker.events
        if len(events) < self.count or (self.count and events[self.count - 1] is not self.last):
            return None
        new = [events[i] for i in range(self.count, len(events))]
        return None if _loop_names(new) - self.loop_names else new

    def take(self, tracker: DialogueStateTracker, new: list[Event]) -> None:
        """Rasa's loop body, event by event, on the kept list."""
        for event in new:
            if isinstance(event, Restarted | SessionStarted):
                self.applied = []
            elif isinstance(event, ActionReverted):
                tracker._undo_till_previous(ActionExecuted, self.applied)
            elif isinstance(event, UserUtteranceReverted):
                tracker._undo_till_previous(UserUttered, self.applied)
                tracker._undo_till_previous(ActionExecuted, self.applied)
            elif (
                isinstance(event, ActionExecuted)
                and event.action_name in self.loop_names
                and not tracker._first_loop_execution_or_unhappy_path(event.action_name, self.applied)
            ):
                tracker._undo_till_previous_loop_execution(event.action_name, self.applied)
            else:
                self.applied.append(event)
        self.count = len(tracker.events)
        self.last = tracker.events[-1] if tracker.events else None


_walks: Kept[str, _Walk] = Kept()


def _loop_names(events: list[Event]) -> frozenset[str]:
    return frozenset(e.name for e in events if isinstance(e, ActiveLoop) and e.name)


def applied_events(tracker: DialogueStateTracker) -> list[Event]:
    """Rasa's applied events of `tracker` (a new list, as Rasa's is)."""
    walk = _walks.get(tracker.sender_id)
    new = walk.extends(tracker) if walk is not None else None
    if walk is not None and new is not None:
        walk.take(tracker, new)
        _walks.keep(tracker.sender_id, walk)
        return list(walk.applied)
    applied = _RASA_APPLIED_EVENTS(tracker)
    if walk is None or len(tracker.events) >= walk.count:
        events = tracker.events
        _walks.keep(tracker.sender_id, _Walk(len(events), events[-1] if events else None,
                                             _loop_names(list(events)), list(applied)))
    return applied


def install() -> None:
    DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]
