"""Bone Coach's Telegram channel for Rasa (`bot.telegram.TelegramInput` in credentials.yml).

The names below load on first use: the scheduler and the coach desk use only the Bot API client
and the formatting helpers, and should not pay for importing Rasa.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "TelegramInput": "bot.telegram.channel",
    "TelegramOutput": "bot.telegram.output",
    "make_bot": "bot.telegram.client",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
