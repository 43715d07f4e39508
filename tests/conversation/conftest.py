"""The trained Rasa model's NLU for the conversation tests: parsed by the shared stack's Rasa
server (tests.support.stacks), which has the model loaded already, through its HTTP API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from bot.stack import Stack


@pytest.fixture(scope="session")
def parse(telegram_stack: Stack) -> Iterator[Callable[[str], dict[str, Any]]]:
    """What `Agent.parse_message` returns for a text (POST /model/parse answers the same)."""
    with httpx.Client(base_url=telegram_stack.rasa_url, timeout=60,
                      params={"token": telegram_stack.config.api_token}) as client:

        def _parse(text: str) -> dict[str, Any]:
            response = client.post("/model/parse", json={"text": text})
            response.raise_for_status()
            return dict(response.json())

        yield _parse


def label(result: dict[str, Any]) -> str:
    """The intent, or for FAQ questions the retrieval sub-intent (faq/is_safe …)."""
    intent = result["intent"]["name"]
    if intent == "faq":
        selector = result.get("response_selector", {}).get("faq", {})
        return str(selector.get("response", {}).get("intent_response_key") or "faq")
    return str(intent)
