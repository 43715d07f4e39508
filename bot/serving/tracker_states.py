"""The dialogue states of a conversation, computed once per event instead of once per prediction.

Before each prediction, every policy asks Rasa 3.6 for the states of the whole conversation
(`Domain.states_for_tracker_history`), which replays the tracker from its first event: five times
a turn here, 17 ms of a turn's 107 at the median and growing with every message
(bench/profile_turn.py). The state before an action depends only on the events before it, so a
conversation's replay is kept and resumed at the first new event. It is used only while the
events it consumed are, object for object, the start of the tracker's applied events (the tracker
store keeps a conversation's tracker between turns; a reverted message, a form's repeated run or a
tracker loaded anew starts a fresh replay, and a copy of the tracker travelled back in time gets
one of its own without displacing the conversation's). The state after the last event, which the
next event would change, is computed on every call and never kept. Callers get copies: Rasa's
featurizers edit the states they are given.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.serving.kept import Kept

_RASA_STATES = Domain.states_for_tracker_history


@dataclass
class _Replay:
    """Rasa's loop in `states_for_tracker_history`, stopped after `events` and resumable."""

    domain: Domain
    tracker: DialogueStateTracker  # the replayed tracker after `events`
    omit_unset_slots: bool
    ignore_rule_only_turns: bool
    rule_only_data: dict[str, Any] | None
    events: list[Event] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    last_ml_action_sub_state: dict[str, str] | None = None
    turn_was_hidden: bool = False
    tracker_events: int = 0  # how many events the tracker it last answered held

    def follows(self, domain: Domain, applied: Sequence[Event]) -> bool:
        return (
            domain is self.domain
            and len(applied) >= len(self.events)
            and all(new is old for new, old in zip(applied, self.events, strict=False))
        )

    def consume(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, ActionExecuted):
                self.step(self.tracker, event.hide_rule_turn, self.states, keep=True)
            self.tracker.update(event)
            self.events.append(event)

    def step(self, tr: DialogueStateTracker, hide_rule_turn: bool, states: list[State], keep: bool) -> None:
        """One pass of Rasa's loop body; `keep` updates the replay's own carried values."""
        last_ml, hidden = self.last_ml_action_sub_state, self.turn_was_hidden
        if self.ignore_rule_only_turns:
            if not hidden:
                last_ml = self.domain._get_prev_action_sub_state(tr)
            if not tr.followup_action and tr.latest_action_name != tr.active_loop_name:
                hidden = hide_rule_turn
        if keep:
            self.last_ml_action_sub_state, self.turn_was_hidden = last_ml, hidden
        if self.ignore_rule_only_turns and hidden:
            return
        state = self.domain.get_active_state(tr, omit_unset_slots=self.omit_unset_slots)
        if self.ignore_rule_only_turns:
            self.domain._remove_rule_only_features(state, self.rule_only_data)
            if states:
                self.domain._substitute_rule_only_user_input(state, states[-1])
            if last_ml:
                state[PREVIOUS_ACTION] = last_ml
        states.append(self.domain._clean_state(state))

    def all_states(self) -> list[State]:
        """The kept states and the state after the last event, as copies: a state's parts can be
        the replayed tracker's own (its latest action), and callers edit what they get. Parts
        that Rasa's states share stay shared in the copies."""
        states = list(self.states)
        self.step(self.tracker, False, states, keep=False)
        copies: dict[int, dict[str, Any]] = {}

        def copy(part: dict[str, Any]) -> dict[str, Any]:
            if id(part) not in copies:
                copies[id(part)] = dict(part)
            return copies[id(part)]

        return [{kind: copy(part) for kind, part in state.items()} for state in states]


# Each replay holds a tracker and one small dict per action: a few hundred KB for a long
# conversation. The policies of one turn ask with two or three option sets.
_replays: Kept[Hashable, _Replay] = Kept()


def _frozen(data: dict[str, Any] | None) -> Hashable:
    if not data:
        return None
    return tuple(sorted((key, tuple(value)) for key, value in data.items()))


def states_for_tracker_history(
    domain: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """Rasa's states of the tracker's history, resumed from this conversation's last replay."""
    key = (tracker.sender_id, omit_unset_slots, ignore_rule_only_turns, _frozen(rule_only_data))
    applied = tracker.applied_events()  # kept per conversation too (applied_events.py)
    kept = _replays.pop(key, None)
    if kept is not None and kept.follows(domain, applied):
        replay = kept
    else:
        replay = _Replay(domain, tracker.init_copy(), omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    replay.consume(applied[len(replay.events):])
    states = replay.all_states()
    if replay is kept or kept is None or len(tracker.events) >= kept.tracker_events:
        replay.tracker_events = len(tracker.events)
        _replays.keep(key, replay)
    else:
        _replays.keep(key, kept)  # a copy travelled back in time: answered, and the conversation's replay stays
    return states


def install() -> None:
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]
