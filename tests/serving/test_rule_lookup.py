"""The rule lookup that stops early (bot/serving/rule_lookup.py) finds what Rasa's full walk finds."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy

from bot.serving import rule_lookup

ACTIONS = ["action_listen", "utter_greet", "action_todays_workout", "pain_form", None]
INTENTS = ["greet", "report_pain", "affirm", None]
SLOTS = [None, ("pain_score", (1.0,)), ("profile_complete", (1.0,))]


def _state(action: str | None, intent: str | None, slot: Any) -> dict[str, Any]:
    state: dict[str, Any] = {}
    if action is not None:
        state["prev_action"] = {"action_name": action}
    if intent is not None:
        state["user"] = {"intent": intent}
    if slot is not None:
        state["slots"] = {slot[0]: slot[1]}
    return state


states = st.builds(_state, st.sampled_from(ACTIONS), st.sampled_from(INTENTS), st.sampled_from(SLOTS))


@settings(max_examples=200, deadline=None)
@given(rules=st.lists(st.lists(states, min_size=1, max_size=4), min_size=0, max_size=25),
       conversation=st.lists(states, min_size=0, max_size=30))
def test_same_rules_as_rasas_walk(rules: list[list[dict[str, Any]]], conversation: list[dict[str, Any]]) -> None:
    policy = RulePolicy.__new__(RulePolicy)  # the lookup needs no trained state beyond its keys
    lookup = {json.dumps(rule, sort_keys=True): "utter_greet" for rule in rules}
    expected = rule_lookup._RASA_POSSIBLE_KEYS(policy, lookup, conversation)
    assert rule_lookup.get_possible_keys(policy, lookup, conversation) == expected


def test_install_replaces_rasas_lookup_and_debug_text() -> None:
    original, text = RulePolicy._get_possible_keys, Policy.__dict__["format_tracker_states"]
    try:
        rule_lookup.install()
        assert RulePolicy._get_possible_keys is rule_lookup.get_possible_keys
        assert RulePolicy.format_tracker_states is rule_lookup.format_tracker_states
    finally:
        RulePolicy._get_possible_keys = original  # type: ignore[method-assign]
        Policy.format_tracker_states = text  # type: ignore[method-assign]


def test_the_debug_text_is_rasas_when_debug_lines_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    states = [_state("action_listen", "greet", None), _state("utter_greet", None, ("pain_score", (1.0,)))]
    with caplog.at_level(logging.INFO, logger="rasa.core.policies.rule_policy"):
        assert rule_lookup.format_tracker_states(states) == ""
    with caplog.at_level(logging.DEBUG, logger="rasa.core.policies.rule_policy"):
        text = rule_lookup.format_tracker_states(states)
    assert text == rule_lookup._RASA_FORMAT_STATES(states) and "user intent: greet" in text


def test_a_rule_matching_the_end_of_the_conversation_is_found_and_others_not() -> None:
    policy = RulePolicy.__new__(RulePolicy)
    greet = [_state("action_listen", "greet", None), _state("utter_greet", "greet", None)]
    pain = [_state("action_listen", "report_pain", None), _state("pain_form", "report_pain", None)]
    lookup = {json.dumps(greet, sort_keys=True): "action_listen", json.dumps(pain, sort_keys=True): "pain_form"}
    conversation = [_state(None, None, None)] * 20 + greet
    assert rule_lookup.get_possible_keys(policy, lookup, conversation) == {json.dumps(greet, sort_keys=True)}
    assert rule_lookup._RASA_POSSIBLE_KEYS(policy, lookup, conversation) == {json.dumps(greet, sort_keys=True)}
