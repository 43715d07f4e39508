"""The trained Rasa model, loaded once for the NLU tests (no server needed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.stack import MODEL


@pytest.fixture(scope="session")
def parse() -> Iterator[Callable[[str], dict[str, Any]]]:
    from rasa.core.agent import Agent

    assert MODEL.exists(), "no trained model: run bin/test (it trains when data changed)"
    agent = Agent.load(str(MODEL))
    loop = asyncio.new_event_loop()

    def _parse(text: str) -> dict[str, Any]:
        return loop.run_until_complete(agent.parse_message(text))

    yield _parse
    loop.close()


def label(result: dict[str, Any]) -> str:
    """The intent, or for FAQ questions the retrieval sub-intent (faq/is_safe …)."""
    intent = result["intent"]["name"]
    if intent == "faq":
        selector = result.get("response_selector", {}).get("faq", {})
        return str(selector.get("response", {}).get("intent_response_key") or "faq")
    return str(intent)
