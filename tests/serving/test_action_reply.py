"""The compiled reply check (bot/serving/action_reply.py) judges replies as Rasa's own does."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.serving import action_reply

REPLIES: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "pain_score", "value": 3}],
     "responses": [{"text": "Noted.", "buttons": [{"title": "OK", "payload": "/affirm"}]}]},
    {"events": [{"event": "followup", "name": "pain_form"}], "responses": [{"response": "utter_ask_pain"}]},
    {},
    {"events": "not a list"},
    {"events": [{"name": "no event key"}]},
    {"events": [], "responses": "not a list"},
    {"events": [{"event": 7}]},
]


def _verdict(check: Any, reply: dict[str, Any]) -> tuple[bool, str | None]:
    action = RemoteAction("action_example", EndpointConfig("http://127.0.0.1:1/webhook"))
    try:
        return check(action, reply), None
    except ValidationError as error:
        return False, error.message


@pytest.mark.parametrize("reply", REPLIES)
def test_same_verdict_and_message_as_rasa(reply: dict[str, Any]) -> None:
    rasa_check = action_reply._RASA_VALIDATE
    assert _verdict(action_reply.validate_action_result, reply) == _verdict(rasa_check, reply)


def test_install_replaces_rasas_check_and_uninstall_restores_it() -> None:
    action_reply.install()
    try:
        assert RemoteAction._validate_action_result is action_reply.validate_action_result
    finally:
        action_reply.uninstall()
    assert RemoteAction._validate_action_result is action_reply._RASA_VALIDATE


def test_an_invalid_reply_is_refused_with_rasas_hint() -> None:
    ok, message = _verdict(action_reply.validate_action_result, {"events": "not a list"})
    assert not ok
    assert message is not None and "Failed to validate Action server response" in message
