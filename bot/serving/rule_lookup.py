"""RulePolicy's work at each prediction, without the parts that change nothing.

The rule lookup. Rasa 3.6 (`RulePolicy._get_possible_keys`) filters its rules against the conversation's states from
the newest back to the very first, at every prediction (twice or more a turn). A rule of n states
can only be ruled out by the newest n states: further back, every rule left stays. So the walk stops
when it has gone past the longest rule still possible (or none is left), and returns what Rasa's
full walk would: 7 % of a turn under cProfile after 100 turns (bench/profile_turn.py).

The debug text. Before each lookup RulePolicy writes the whole conversation's states out as text
(`Policy.format_tracker_states`) for one debug log line, which is thrown away unless the server
logs at debug level: 2 % of a turn. It is written only when it will be logged.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import State

_RASA_POSSIBLE_KEYS = RulePolicy._get_possible_keys
_RASA_FORMAT_STATES = Policy.format_tracker_states
_RULE_POLICY_LOG = logging.getLogger("rasa.core.policies.rule_policy")


def get_possible_keys(policy: RulePolicy, lookup: dict[str, Any], states: list[State]) -> set[str]:
    """The rule keys of `lookup` whose states match the end of `states` (Rasa's own test per
    state, `_is_rule_applicable`)."""
    possible = set(lookup)
    for index, state in enumerate(reversed(states)):
        if not possible or index >= max(len(policy._rule_key_to_state(key)) for key in possible):
            break
        possible = {key for key in possible if policy._is_rule_applicable(key, index, state)}
    return possible


def format_tracker_states(states: list[dict[str, Any]]) -> str:
    """Rasa's debug text of the states when debug lines are logged; empty otherwise."""
    return _RASA_FORMAT_STATES(states) if _RULE_POLICY_LOG.isEnabledFor(logging.DEBUG) else ""


def install() -> None:
    RulePolicy._get_possible_keys = get_possible_keys  # type: ignore[method-assign]
    Policy.format_tracker_states = staticmethod(format_tracker_states)  # type: ignore[assignment]
