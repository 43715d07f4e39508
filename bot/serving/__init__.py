"""Speed-ups for serving the trained model, installed in the Rasa server by `bot.rasa_main`.

Each replaces one Rasa 3.6 step that costs time on every start or every turn with one that gives
the same result faster (measured in BENCHMARKS.md, checked against Rasa's own in the tests).
"""

from __future__ import annotations

from bot.serving import action_call, action_reply, applied_events, model_loader, rule_lookup, tracker_states


def install() -> None:
    """Install every speed-up in this process."""
    model_loader.install()
    action_reply.install()
    action_call.install()
    applied_events.install()
    tracker_states.install()
    rule_lookup.install()
