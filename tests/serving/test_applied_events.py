"""The kept applied events (bot/serving/applied_events.py) are Rasa's own, event after event."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.serving import applied_events
from tests.serving.test_tracker_states import DOMAIN, events, greet, new_tracker

RASA = applied_events._RASA_APPLIED_EVENTS


@pytest.fixture(autouse=True)
def fresh_walks() -> None:
    applied_events._walks.clear()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversation=st.lists(st.lists(events, min_size=1, max_size=6), min_size=1, max_size=12),
       back=st.integers(min_value=1, max_value=8))
def test_same_applied_events_as_rasa_after_every_batch(conversation: list[list[Event]], back: int) -> None:
    applied_events._walks.clear()
    tracker = new_tracker("client-1")
    for batch in conversation:
        for event in batch:
            tracker.update(event)
        got = applied_events.applied_events(tracker)
        assert got == RASA(tracker) and all(a is b for a, b in zip(got, RASA(tracker), strict=True))
        got.clear()  # a caller's edits must not reach the kept list
        # A copy cut back in time (as Rasa's processor makes) is answered as Rasa would...
        copy = DialogueStateTracker.from_events("client-1", list(tracker.events)[:-back], DOMAIN.slots)
        assert applied_events.applied_events(copy) == RASA(copy)
        # ...and the conversation's own walk goes on.
        assert applied_events.applied_events(tracker) == RASA(tracker)


def test_a_plain_turn_walks_only_its_new_events(monkeypatch: pytest.MonkeyPatch) -> None:
    tracker = new_tracker("client-2")
    applied_events.applied_events(tracker)

    def refuse(_tracker: DialogueStateTracker) -> list[Event]:
        raise AssertionError("Rasa's walk over the whole conversation")

    monkeypatch.setattr(applied_events, "_RASA_APPLIED_EVENTS", refuse)
    for number in range(3):
        greet(tracker, number)
        assert len(applied_events.applied_events(tracker)) == 1 + 3 * (number + 1)
