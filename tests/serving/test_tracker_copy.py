"""The tracker copy from a kept replay (bot/serving/tracker_copy.py) is Rasa's own copy, copy after copy."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.serving import tracker_copy

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
ACTIONS = ["action_listen", "action_todays_workout", "utter_greet", "pain_form", "checkin_form"]
INTENTS = ["greet", "report_pain", "affirm", "deny"]
SLOTS = [("pain_score", 3), ("pain_score", None), ("body_part", "back"), ("requested_slot", "pain_score"),
         ("requested_slot", None)]

events = st.one_of(
    st.builds(lambda i, t: UserUttered(t, {"name": i, "confidence": 0.9}), st.sampled_from(INTENTS),
              st.sampled_from(["hi", "my back hurts", "a 4"])),
    st.builds(ActionExecuted, st.sampled_from(ACTIONS)),
    st.builds(lambda s: SlotSet(*s), st.sampled_from(SLOTS)),
    st.builds(ActiveLoop, st.sampled_from(["pain_form", "checkin_form", None])),
    st.builds(ActionExecutionRejected, st.sampled_from(["pain_form", "checkin_form"])),
    st.builds(LoopInterrupted, st.booleans()),
    st.builds(BotUttered, st.sampled_from(["ok", "how bad is it?"])),
    st.builds(FollowupAction, st.sampled_from(["pain_form", "action_listen"])),
    st.builds(lambda kind: kind(), st.sampled_from([UserUtteranceReverted, ActionReverted, Restarted,
                                                    SessionStarted, ConversationPaused, ConversationResumed])),
)
# One step of a conversation's life: events added to the conversation's tracker, or a copy taken of
# it (as `_run_action` does), or events added to that copy and the copy copied (as forms do).
steps = st.one_of(
    st.tuples(st.just("add"), st.lists(events, min_size=1, max_size=6)),
    st.tuples(st.just("copy"), st.just([])),
    st.tuples(st.just("copy_of_temporary"), st.lists(events, max_size=3)),
)


@pytest.fixture(autouse=True)
def fresh_replays() -> None:
    tracker_copy._replays.clear()


def state(tracker: DialogueStateTracker) -> dict[str, Any]:
    """Everything a tracker holds; events and messages by identity."""
    return {
        "attributes": sorted(vars(tracker)),
        "events": [id(event) for event in tracker.events],
        "slots": {name: (slot.value, slot.has_been_set, type(slot)) for name, slot in tracker.slots.items()},
        "loop": dataclasses.asdict(tracker.active_loop) if tracker.active_loop else None,
        "messages": [_message(tracker, m) for m in (tracker.latest_message, tracker.latest_bot_utterance)],
        "plain": {key: getattr(tracker, key) for key in (
            "sender_id", "sender_source", "is_rule_tracker", "_paused", "followup_action", "latest_action",
            "model_id", "assistant_id", "_max_event_history")},
    }


def _message(tracker: DialogueStateTracker, message: Any) -> Any:
    """One of the tracker's events by identity; the empty placeholder of a new tracker by kind (its
    timestamp is the moment it was made)."""
    if any(message is event for event in tracker.events):
        return id(message)
    return type(message).__name__, message.text, message.as_dict().get("parse_data")


def rasa_copy(tracker: DialogueStateTracker) -> DialogueStateTracker:
    return tracker_copy._RASA_COPY(tracker)


def assert_independent(mine: DialogueStateTracker, original: DialogueStateTracker) -> None:
    """Changing the copy changes nothing in the tracker it was taken from or in the kept replay."""
    before, kept = state(original), [state(t) for t in tracker_copy._replays.values()]
    mine.update(SlotSet("pain_score", 9))
    mine.update(LoopInterrupted(True))  # changes the active loop in place
    mine.update(ActionExecutionRejected(mine.active_loop_name or "pain_form"))
    mine.update(ActiveLoop("pain_form"))
    mine.update(ActionExecuted("action_todays_workout"))
    assert state(original) == before
    assert [state(t) for t in tracker_copy._replays.values()] == kept


@settings(max_examples=150, deadline=None)
@given(life=st.lists(steps, min_size=1, max_size=25))
def test_every_copy_is_rasas_copy(life: list[tuple[str, list[Any]]]) -> None:
    tracker = DialogueStateTracker.from_events("client", [ActionExecuted("action_listen")], DOMAIN.slots)
    tracker.model_id, tracker.assistant_id = "model", "bone-coach"
    for kind, new in life:
        if kind == "add":
            for event in new:
                tracker.update(event)
            continue
        source = tracker
        if kind == "copy_of_temporary":
            source = tracker_copy.copy_tracker(tracker)
            for event in new:
                source.update(event)
        expected = state(rasa_copy(source))
        mine = tracker_copy.copy_tracker(source)
        assert state(mine) == expected
        assert_independent(mine, source)


def test_a_long_conversation_is_copied_from_its_replay_not_replayed() -> None:
    tracker = DialogueStateTracker.from_events("client", [ActionExecuted("action_listen")], DOMAIN.slots)
    tracker_copy.copy_tracker(tracker)
    replayed: list[Any] = []
    original_update = DialogueStateTracker.update

    def counting_update(self: DialogueStateTracker, event: Any, domain: Any = None) -> None:
        replayed.append(event)
        original_update(self, event, domain)

    for turn in range(50):
        tracker.update(UserUttered(f"hi {turn}", {"name": "greet", "confidence": 1.0}))
        tracker.update(ActionExecuted("utter_greet"))
        tracker.update(ActionExecuted("action_listen"))
    DialogueStateTracker.update = counting_update  # type: ignore[method-assign]
    try:
        mine = tracker_copy.copy_tracker(tracker)
    finally:
        DialogueStateTracker.update = original_update  # type: ignore[method-assign]
    assert len(replayed) == 150  # the new events only, not the 151 of the whole conversation again
    assert state(mine) == state(rasa_copy(tracker))


def test_another_conversation_or_changed_history_gets_rasas_copy() -> None:
    first = DialogueStateTracker.from_events("client", [ActionExecuted("action_listen")], DOMAIN.slots)
    first.update(SlotSet("pain_score", 4))
    tracker_copy.copy_tracker(first)
    rewritten = DialogueStateTracker.from_events("client", [ActionExecuted("action_listen")], DOMAIN.slots)
    rewritten.update(SlotSet("pain_score", 7))  # same conversation id, other events: not the replay's
    assert state(tracker_copy.copy_tracker(rewritten)) == state(rasa_copy(rewritten))
    assert tracker_copy.copy_tracker(rewritten).get_slot("pain_score") == 7

