"""Bone Coach's Telegram channel for Rasa (`bot.telegram.TelegramInput` in credentials.yml).

The channel is given its coach desk and services (channel.py builds them from
bot.settings when Rasa loads it). The coach desk and the command line never import this
package: they send through bot.messaging.

The two names below load on first use, so that the channel's light parts (texts.py, updates.py)
import without Rasa, which takes seconds.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "TelegramInput": "bot.telegram.channel",
    "TelegramOutput": "bot.telegram.output",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
