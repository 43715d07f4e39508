"""The action call (bot/serving/action_call.py) is Rasa's own, with only the recent events."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.serving import action_call

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def _turn(number: int) -> list[Event]:
    return [
        UserUttered(f"message {number}", {"name": "greet", "confidence": 0.9}),
        SlotSet("pain_score", number % 11),
        ActionExecuted("action_greet"),
        BotUttered(f"reply {number}"),
        ActionExecuted("action_listen"),
    ]


def _tracker(domain: Domain, turns: int) -> DialogueStateTracker:
    events: list[Event] = [ActionExecuted("action_listen")]
    for number in range(turns):
        events += _turn(number)
    return DialogueStateTracker.from_events("client-1", events, domain.slots)


def _action(name: str, selective: bool) -> RemoteAction:
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook", enable_selective_domain=selective)
    return RemoteAction(name, endpoint)


@settings(max_examples=40, deadline=None)
@given(turns=st.integers(min_value=0, max_value=40))
def test_same_call_as_rasa_but_the_events(domain: Domain, turns: int) -> None:
    tracker = _tracker(domain, turns)
    action = _action("action_todays_workout", selective=False)
    ours = action_call.action_call_format(action, tracker, domain)
    rasas = RemoteAction._action_call_format(action, tracker, domain)
    events = rasas["tracker"].pop("events")
    sent = ours["tracker"].pop("events")
    assert ours == rasas
    # The newest events, whole, from the RECENT_MESSAGES-th newest message on (all when fewer).
    assert sent == events[len(events) - len(sent):]
    users = [e for e in sent if e["event"] == "user"]
    assert len(users) == min(turns, action_call.RECENT_MESSAGES)
    if turns >= action_call.RECENT_MESSAGES:
        assert sent[0]["event"] == "user"
    else:
        assert sent == events


def test_domain_only_for_the_actions_that_ask_for_it(domain: Domain) -> None:
    tracker = _tracker(domain, 3)
    for name in ("validate_pain_form", "validate_onboarding_form"):
        assert "domain" in action_call.action_call_format(_action(name, selective=True), tracker, domain)
    assert "domain" not in action_call.action_call_format(_action("action_todays_workout", True), tracker, domain)
    # Without selective domain in the endpoint, every action gets it, as in Rasa.
    assert "domain" in action_call.action_call_format(_action("action_todays_workout", False), tracker, domain)


def test_install_replaces_rasas_call_format() -> None:
    original = RemoteAction._action_call_format
    try:
        action_call.install()
        assert RemoteAction._action_call_format is action_call.action_call_format
    finally:
        RemoteAction._action_call_format = original  # type: ignore[method-assign]
