"""Speed-ups for serving the trained model, installed in the Rasa server by `bot.rasa_main`.

Each replaces one Rasa 3.6 step that costs time on every start or every turn with one that gives
the same result faster (measured in BENCHMARKS.md, checked against Rasa's own in the tests).
"""

from __future__ import annotations

from types import ModuleType

from bot.serving import (
    action_call,
    action_reply,
    applied_events,
    graph_runs,
    model_loader,
    rule_lookup,
    tracker_copy,
    tracker_states,
)

SPEED_UPS: dict[str, ModuleType] = {module.__name__.rsplit(".", 1)[1]: module for module in (
    model_loader, action_reply, action_call, applied_events, tracker_states, rule_lookup, graph_runs,
    tracker_copy)}


def install(without: frozenset[str] = frozenset()) -> None:
    """Install every speed-up in this process (those named in `without` excepted: benchmarks)."""
    if without - SPEED_UPS.keys():
        raise ValueError(f"no such serving speed-up: {sorted(without - SPEED_UPS.keys())}")
    for name, module in SPEED_UPS.items():
        if name not in without:
            module.install()
