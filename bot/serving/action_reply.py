"""Checks an action server's reply against Rasa's schema with a validator built once.

Rasa 3.6 (`RemoteAction._validate_action_result`) calls `jsonschema.validate` on every reply,
which first re-checks the schema itself: about 21 ms per custom action here, 16 % of a turn
(bench/profile_turn.py). The schema never changes, so it is checked and compiled once; replies
are judged exactly as `jsonschema.validate` judges them.
"""

from __future__ import annotations

from typing import Any

from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

_RASA_VALIDATE = RemoteAction._validate_action_result
_SCHEMA = RemoteAction.action_response_format_spec()
_VALIDATOR_CLASS = validator_for(_SCHEMA)
_VALIDATOR_CLASS.check_schema(_SCHEMA)
_VALIDATOR = _VALIDATOR_CLASS(_SCHEMA)


def validate_action_result(action: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's check of a reply, with the compiled validator; an invalid reply (rare) goes through
    Rasa's own check, so it fails with Rasa's own error."""
    if _VALIDATOR.is_valid(result):
        return True
    return bool(_RASA_VALIDATE(action, result))


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def uninstall() -> None:
    RemoteAction._validate_action_result = _RASA_VALIDATE  # type: ignore[method-assign]

