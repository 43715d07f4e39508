"""The dialogue states of a conversation, computed once per event instead of once per prediction.

Before each prediction, every policy asks Rasa 3.6 for the states of the whole conversation
(`Domain.states_for_tracker_history`), which replays the tracker from its first event: five times
a turn here, 17 ms of a turn's 107 at the median and growing with every message
(bench/profile_turn.py). The state before an action depends only on the events before it, so a
conversation's replay is kept and resumed at the first new event. It is used only while the
events it consumed are, object for object, the start of the tracker's applied events (the tracker
store keeps a conversation's tracker between turns; a reverted message or a tracker loaded anew
starts a fresh replay). The state after the last event, which the next event would change, is
computed on every call and never kept. Callers get copies: Rasa's featurizers edit the states they
are given.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker

# Each replay holds a tracker and one small dict per action: a few hundred KB for a long
# conversation. The policies of one turn ask with two or three option sets.
KEPT_REPLAYS = 200

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
    # Where the tracker's own events stood at the last call (see `seen` and `appended`).
    raw_count: int = 0
    raw_last: Event | None = None
    loop_names: frozenset[str] = frozenset()

    def seen(self, tracker: DialogueStateTracker, loop_names: frozenset[str]) -> None:
        """Remember where the tracker's own event list stood when the replay caught up with it."""
        self.raw_count = len(tracker.events)
        self.raw_last = tracker.events[-1] if tracker.events else None
        self.loop_names = loop_names

    def appended(self, domain: Domain, tracker: DialogueStateTracker) -> list[Event] | None:
        """The tracker's events since `seen`, when they only add to its applied events (Rasa's
        `applied_events` keeps every event but restarts, reverts and a form's repeated runs, and
        a form started for the first time can change how earlier events count); else None, and
        the caller works from `applied_events`, as Rasa does."""
        events = tracker.events
        if domain is not self.domain or self.raw_count == 0 or len(events) < self.raw_count:
            return None
        if events[self.raw_count - 1] is not self.raw_last:
            return None
        new = list(itertools.islice(events, self.raw_count, None))
        if _loop_names(new) - self.loop_names:
            return None
        for event in new:
            if isinstance(event, _UNDOING) or (
                isinstance(event, ActionExecuted) and event.action_name in self.loop_names
            ):
                return None
        return new

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


_replays: OrderedDict[Hashable, _Replay] = OrderedDict()
# Events after which Rasa's `applied_events` is not the events before plus the new ones.
_UNDOING = (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted)


def _loop_names(events: Iterable[Event]) -> frozenset[str]:
    return frozenset(e.name for e in events if isinstance(e, ActiveLoop) and e.name)


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
    replay = _replays.pop(key, None)
    new = replay.appended(domain, tracker) if replay is not None else None
    if replay is not None and new is not None:
        loop_names = replay.loop_names
    else:
        loop_names = _loop_names(tracker.events)
        applied = tracker.applied_events()
        if replay is None or not replay.follows(domain, applied):
            replay = _Replay(domain, tracker.init_copy(), omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        new = applied[len(replay.events):]
    replay.consume(new)
    replay.seen(tracker, loop_names)
    _replays[key] = replay
    while len(_replays) > KEPT_REPLAYS:
        _replays.popitem(last=False)
    return replay.all_states()


def install() -> None:
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]
