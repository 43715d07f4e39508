"""The serving loader (bot/serving/model_loader.py) serves the model Rasa's own loader serves.

bin/setup.sh records, with Rasa's own loader, the intents, FAQ answers and next-action scores the
model gives for a set of messages (tests/support/serving_probe.py); the shared stack, started
with the serving loader, must give the same to four decimals.
"""

from __future__ import annotations

import json
import secrets

from bot.stack import Stack
from tests.support.serving_probe import RECORD, probe


def test_served_predictions_equal_rasas_own_loader(telegram_stack: Stack) -> None:
    assert RECORD.exists(), "bin/setup.sh records the stock loader's predictions after training"
    assert RECORD.stat().st_mtime >= telegram_stack.config.model.stat().st_mtime, "stale record"
    expected = json.loads(RECORD.read_text())
    api_token = telegram_stack.config.api_token
    assert api_token is not None
    served = probe(telegram_stack.rasa_url, api_token, sender=f"serving-probe-{secrets.token_hex(4)}")
    for want, got in zip(expected["parse"], served["parse"], strict=True):
        assert got == want, f"parse of {want['text']!r} differs"
    for want, got in zip(expected["predict"], served["predict"], strict=True):
        assert got == want, f"next action after {want['after']!r} differs"


def test_the_stack_serves_with_the_serving_loader(telegram_stack: Stack) -> None:
    """Guards the point of the loader: a stack start does not run Rasa's training step."""
    assert "bot.rasa_main" in telegram_stack.procs["rasa"].args
