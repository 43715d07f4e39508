"""The real stack (action server + Rasa server + SQLite session database) for end-to-end tests."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.chat import send
from bot.stack import MODEL, Stack, StackConfig


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    assert MODEL.exists(), "no trained model: run bin/test (it trains when data changed)"
    folder: Path = tmp_path_factory.mktemp("stack")
    config = StackConfig(
        database_url=f"sqlite:///{folder / 'bone_coach.db'}",
        run_dir=folder,
        api_token=secrets.token_hex(16),
    )
    with Stack(config) as running:
        yield running


Chat = Callable[[str], list[dict[str, Any]]]


@pytest.fixture
def chat(stack: Stack) -> Chat:
    """A fresh client (new numeric chat id) talking through the REST channel."""
    sender = str(secrets.randbelow(10**9) + 10**9)

    def _say(text: str) -> list[dict[str, Any]]:
        return send(stack.rasa_url, sender, text, {"first_name": "Ruth"})

    _say.sender = sender  # type: ignore[attr-defined]
    return _say


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)
