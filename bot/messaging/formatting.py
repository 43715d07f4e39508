"""Telegram's limits on what we send: the one place that knows them.

Texts go out as plain text (no parse_mode): nothing a client typed or the database holds can
break formatting or inject markup, so no escaping is needed anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

logger = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 4096  # Telegram counts UTF-16 code units (an emoji can count as two)
MAX_CALLBACK_DATA_BYTES = 64
ROW_CHARACTERS = 24  # short buttons ("Yes", "No", "3") share a row; longer ones get their own
ROW_BUTTONS = 4


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split a reply into messages of at most `limit`, at paragraph, then line, then word
    boundaries; a single word longer than a message is the only thing cut in the middle."""
    chunks = []
    rest = text.strip()
    while telegram_length(rest) > limit:
        cut = _cut_point(rest, limit)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def _cut_point(text: str, limit: int) -> int:
    fits = _longest_prefix(text, limit)  # < len(text): the text is over the limit
    for separator in ("\n\n", "\n"):
        # A separator right after the limit is a clean cut too (hence fits + 1).
        at = text.rfind(separator, 0, fits + 1)
        if at > fits // 2:  # don't leave a tiny first message for a far-away paragraph
            return at
    for at in range(fits, 0, -1):  # any word boundary
        if text[at].isspace():
            return at
    return fits


def _longest_prefix(text: str, limit: int) -> int:
    """Number of characters from the start of `text` that fit in `limit` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def inline_keyboard(buttons: Sequence[Mapping[str, Any]]) -> InlineKeyboardMarkup:
    """Rasa buttons ({title, payload}) as an inline keyboard, short buttons side by side."""
    rows: list[list[InlineKeyboardButton]] = []
    row_chars = 0
    for button in buttons:
        title = str(button["title"])
        key = InlineKeyboardButton(title, callback_data=callback_data(button))
        if rows and len(rows[-1]) < ROW_BUTTONS and row_chars + len(title) <= ROW_CHARACTERS:
            rows[-1].append(key)
            row_chars += len(title)
        else:
            rows.append([key])
            row_chars = len(title)
    return InlineKeyboardMarkup(rows)


def callback_data(button: Mapping[str, Any]) -> str:
    """The button's payload, which comes back as the pressed message's text.

    Telegram allows 64 bytes. Our domain's payloads are short intents; a longer one falls back to
    the title, which Rasa then classifies like typed text.
    """
    for candidate in (str(button.get("payload") or ""), str(button["title"])):
        if 0 < len(candidate.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            if candidate != button.get("payload"):
                logger.warning("Button payload over %d bytes: sending its title instead",
                               MAX_CALLBACK_DATA_BYTES)
            return candidate
    raise ValueError(f"button {button['title']!r}: payload and title exceed "
                     f"{MAX_CALLBACK_DATA_BYTES} bytes")
