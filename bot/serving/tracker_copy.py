"""A copy of a conversation's tracker without replaying the conversation from its first event.

Rasa 3.6 copies the tracker before every action it runs (`MessageProcessor._run_action`, so that a
rejected action's events can be dropped) and forms copy it again; `DialogueStateTracker.copy`
builds a fresh tracker and applies every event of the conversation to it, one by one: 13 % of the
Rasa server's time per turn under cProfile after 100 turns (bench/profile_turn.py). The copy's
state is that replay's, so the replay is kept per conversation and resumed at the first new
event; each copy is a clone of it (its own slots, loop and event list; the events themselves are
shared, as Rasa's copy shares them). A kept replay is used only while the events it applied are,
object for object, the start of the tracker's events (a temporary copy with the action's events
added extends it, and the conversation's next turn extends it with the same objects); otherwise
Rasa's copy runs, and its result starts the conversation's replay anew.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import operator
from collections import deque

from rasa.shared.core.trackers import DialogueStateTracker

from bot.serving.kept import Kept

_RASA_COPY = DialogueStateTracker.copy


def _follows(replay: DialogueStateTracker, tracker: DialogueStateTracker) -> bool:
    """Are the replay's events, object for object, the start of the tracker's?"""
    done = len(replay.events)
    return (
        len(tracker.events) >= done
        and all(map(operator.is_, itertools.islice(tracker.events, done), replay.events))
        and tracker.slots.keys() == replay.slots.keys()
        and tracker.is_rule_tracker == replay.is_rule_tracker
    )


_replays: Kept[str, DialogueStateTracker] = Kept()


def clone(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A tracker in the same state as `tracker` that shares nothing mutable with it (events are
    shared objects, as in every Rasa copy)."""
    twin = DialogueStateTracker.__new__(DialogueStateTracker)
    twin._max_event_history = tracker._max_event_history
    twin.events = deque(tracker.events, tracker._max_event_history)
    twin.sender_id = tracker.sender_id
    twin.slots = copy.copy(tracker.slots)
    for name, slot in tracker.slots.items():
        twin.slots[name] = copy.copy(slot)
    twin.sender_source = tracker.sender_source
    twin.is_rule_tracker = tracker.is_rule_tracker
    twin._paused = tracker._paused
    twin.followup_action = tracker.followup_action
    twin.latest_action = dict(tracker.latest_action) if tracker.latest_action is not None else None
    twin.latest_message = tracker.latest_message
    twin.latest_bot_utterance = tracker.latest_bot_utterance
    twin.active_loop = dataclasses.replace(tracker.active_loop) if tracker.active_loop else None
    twin.model_id = tracker.model_id
    twin.assistant_id = tracker.assistant_id
    return twin


def copy_tracker(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """What Rasa's `tracker.copy()` returns, from the conversation's kept replay."""
    if tracker._max_event_history is not None:  # a capped event list forgets its start
        return _RASA_COPY(tracker)
    replay = _replays.get(tracker.sender_id)
    if replay is None or not _follows(replay, tracker):
        fresh = _RASA_COPY(tracker)
        _replays.keep(tracker.sender_id, clone(fresh))
        return fresh
    for event in itertools.islice(tracker.events, len(replay.events), None):
        replay.update(event)  # as Rasa's copy applies each event
    _replays.keep(tracker.sender_id, replay)
    return clone(replay)


def install() -> None:
    DialogueStateTracker.copy = copy_tracker  # type: ignore[method-assign]


def uninstall() -> None:
    DialogueStateTracker.copy = _RASA_COPY  # type: ignore[method-assign]
