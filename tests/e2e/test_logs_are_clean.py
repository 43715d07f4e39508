"""Clients' health details and secrets never reach the logs at the default level."""

from __future__ import annotations

from tests.e2e.conftest import Chat, texts
from tests.e2e.test_rest_conversation import onboard

HEALTH_DETAILS = [
    "my left knee hurts, about a 6 out of 10",
    "I slipped by the mailbox and heard a crack in my wrist",
    "so exhausted after the chemo appointment",
]


def test_health_details_and_tokens_stay_out_of_the_logs(chat: Chat, stack) -> None:
    onboard(chat)
    for text in HEALTH_DETAILS:
        assert texts(chat(text))
    logs = "\n".join(p.read_text(errors="replace") for p in stack.config.run_dir.glob("*.log"))
    assert logs, "the stack wrote no logs at all"
    for phrase in ("left knee", "mailbox", "chemo", "crack in my wrist"):
        assert phrase not in logs
    assert stack.config.api_token not in logs
