"""The resumed states (bot/serving/tracker_states.py) are Rasa's own, call after call."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.serving import tracker_states
from bot.tracker_store import KEPT_TRACKERS

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
RASA = tracker_states._RASA_STATES
ACTIONS = ["action_listen", "action_todays_workout", "utter_greet", "pain_form", "action_handle_pain",
           "action_fallback", "checkin_form"]
INTENTS = ["greet", "report_pain", "checkin_done", "red_flag", "affirm", "deny", "inform"]
SLOTS = [("pain_score", 3), ("pain_score", None), ("body_part", "back"), ("profile_complete", True),
         ("requested_slot", "pain_score"), ("requested_slot", None)]
OPTIONS = [
    {},
    {"omit_unset_slots": True},
    {"ignore_rule_only_turns": True, "rule_only_data": {"slots": ["requested_slot"], "loops": ["pain_form"]}},
    {"ignore_rule_only_turns": True, "rule_only_data": {}},
]

events = st.one_of(
    st.builds(lambda i, t: UserUttered(t, {"name": i, "confidence": 0.9}), st.sampled_from(INTENTS),
              st.sampled_from(["hi", "my back hurts", "a 4", "yes"])),
    st.builds(lambda a, hide: ActionExecuted(a, hide_rule_turn=hide), st.sampled_from(ACTIONS), st.booleans()),
    st.builds(lambda s: SlotSet(*s), st.sampled_from(SLOTS)),
    st.builds(lambda name: ActiveLoop(name), st.sampled_from(["pain_form", "checkin_form", None])),
    st.just(BotUttered("ok")),
    st.builds(FollowupAction, st.sampled_from(["action_handle_pain", "action_listen"])),
    st.just(UserUtteranceReverted()),
    st.sampled_from([ActionReverted(), Restarted(), SessionStarted()]),
)


def new_tracker(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen")], DOMAIN.slots)


def greet(tracker: DialogueStateTracker, number: int) -> None:
    """One plain turn: a greeting, answered."""
    tracker.update(UserUttered(f"hello {number}", {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(ActionExecuted("action_listen"))


@pytest.fixture(autouse=True)
def fresh_replays() -> None:
    tracker_states._replays.clear()


def _mangle(states: list[dict[str, Any]]) -> None:
    """What Rasa's featurizers may do to the states they get (they edit the last one)."""
    for state in states[-2:]:
        for part in state.values():
            part.clear()


def _sharing(states: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """Which parts two states share (Rasa's featurizers edit one and so the other)."""
    return [(i, j, kind) for i, a in enumerate(states) for j, b in enumerate(states[:i])
            for kind in a if kind in b and a[kind] is b[kind]]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversation=st.lists(st.lists(events, min_size=1, max_size=6), min_size=1, max_size=12),
       options=st.sampled_from(OPTIONS))
def test_same_states_as_rasa_after_every_event_batch(conversation: list[list[Event]], options: dict[str, Any]) -> None:
    tracker_states._replays.clear()
    tracker = new_tracker("client-1")
    for batch in conversation:
        for event in batch:
            tracker.update(event)
        expected = RASA(DOMAIN, tracker, **copy.deepcopy(options))
        got = tracker_states.states_for_tracker_history(DOMAIN, tracker, **copy.deepcopy(options))
        assert got == expected
        assert _sharing(got) == _sharing(expected)
        _mangle(got)  # a caller's edits must not reach the next call
        assert tracker_states.states_for_tracker_history(DOMAIN, tracker, **copy.deepcopy(options)) == expected


def test_a_conversation_resumes_its_replay_and_a_new_tracker_starts_afresh() -> None:
    tracker = new_tracker("client-2")
    for number in range(5):
        greet(tracker, number)
        tracker_states.states_for_tracker_history(DOMAIN, tracker)
    (replay,) = tracker_states._replays.values()
    assert len(replay.events) == len(tracker.applied_events())
    # The same conversation loaded anew (other event objects): a fresh replay, same states.
    reloaded = DialogueStateTracker.from_dict("client-2", [e.as_dict() for e in tracker.events], DOMAIN.slots)
    assert tracker_states.states_for_tracker_history(DOMAIN, reloaded) == RASA(DOMAIN, tracker)
    (fresh,) = tracker_states._replays.values()
    assert fresh is not replay and fresh.events[0] is reloaded.events[0]


def test_old_conversations_are_let_go() -> None:
    for number in range(KEPT_TRACKERS + 5):
        tracker = new_tracker(f"client-{number}")
        tracker_states.states_for_tracker_history(DOMAIN, tracker)
    assert len(tracker_states._replays) == KEPT_TRACKERS


def test_a_plain_turn_resumes_the_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    """A turn without a restart, revert or form run only adds events: the replay goes on from
    where it stopped instead of starting again from an empty tracker."""
    tracker = new_tracker("client-3")
    tracker_states.states_for_tracker_history(DOMAIN, tracker)

    def refuse() -> DialogueStateTracker:
        raise AssertionError("the replay started again")

    for number in range(3):
        greet(tracker, number)
        expected = RASA(DOMAIN, tracker)
        with monkeypatch.context() as patched:
            patched.setattr(tracker, "init_copy", refuse)
            assert tracker_states.states_for_tracker_history(DOMAIN, tracker) == expected


def test_a_copy_back_in_time_leaves_the_conversations_replay() -> None:
    tracker = new_tracker("client-4")
    for number in range(4):
        greet(tracker, number)
    tracker_states.states_for_tracker_history(DOMAIN, tracker)
    (replay,) = tracker_states._replays.values()
    earlier = DialogueStateTracker.from_events("client-4", list(tracker.events)[:-3], DOMAIN.slots)
    assert tracker_states.states_for_tracker_history(DOMAIN, earlier) == RASA(DOMAIN, earlier)
    assert list(tracker_states._replays.values()) == [replay]
