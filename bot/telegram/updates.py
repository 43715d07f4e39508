"""What an incoming Telegram update means for the coach (pure: no I/O).

Deliberately ignored (`parse_update` returns None): edited messages — re-running a conversation
turn for an edit would log a check-in or a pain report twice, and the client can simply send a new
message — and service messages or update types the coach has no use for.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telegram import Update

from bot.slash import Command, Slash, parse_slash

MAX_TEXT_TO_RASA = 4000


class Kind(enum.Enum):
    TEXT = "text"  # goes to Rasa: typed text, a known command or a button's payload
    NON_TEXT = "non_text"  # photo, sticker, voice, document, location, contact, ...
    UNKNOWN_COMMAND = "unknown_command"


@dataclass(frozen=True)
class ButtonPress:
    query_id: str
    message_id: int | None  # the message whose keyboard was pressed, when Telegram still has it


@dataclass(frozen=True)
class Inbound:
    update_id: int
    chat_id: int
    chat_type: str
    first_name: str
    kind: Kind
    text: str = ""
    invite_code: str | None = None
    button: ButtonPress | None = None
    truncated: bool = False
    caption: bool = False  # the text is a photo's, video's or document's caption

    @property
    def private(self) -> bool:
        return self.chat_type == "private"

    def metadata(self) -> dict[str, Any]:
        """What Rasa stores with the user's message."""
        return {"first_name": self.first_name, "chat_type": self.chat_type,
                "telegram_update_id": self.update_id}


def parse_update(update: Update, commands: Mapping[str, Command]) -> Inbound | None:
    """The update as an `Inbound`, or None when the coach ignores it on purpose."""
    query = update.callback_query
    if query is not None:
        chat = update.effective_chat
        return Inbound(
            update_id=update.update_id,
            chat_id=chat.id if chat else query.from_user.id,
            chat_type=chat.type if chat else "private",
            first_name=query.from_user.first_name,
            kind=Kind.TEXT if query.data else Kind.NON_TEXT,
            text=query.data or "",
            button=ButtonPress(query.id, query.message.message_id if query.message else None),
        )
    message = update.message or update.channel_post
    if message is None:
        return None
    sender = message.from_user
    base = {
        "update_id": update.update_id,
        "chat_id": message.chat.id,
        "chat_type": message.chat.type,
        "first_name": sender.first_name if sender else (message.chat.first_name or ""),
    }
    if message.text is None:
        if message.effective_attachment is None:
            return None  # a service message (member joined, pinned, ...)
        # A caption is what the client wrote: it goes through the same understanding (a red
        # flag in a photo's caption is a red flag). Never a command or an intent payload.
        caption = (message.caption or "").strip().lstrip("/").strip()
        if caption:
            return Inbound(**base, kind=Kind.TEXT, text=caption[:MAX_TEXT_TO_RASA],
                           truncated=len(caption) > MAX_TEXT_TO_RASA, caption=True)
        return Inbound(**base, kind=Kind.NON_TEXT)
    # Stripped first: Rasa strips too, and " /red_flag" must not reach it as an intent.
    text = message.text.strip()
    slash = parse_slash(text)
    if slash is not None:
        return _command(slash, commands, base)
    return Inbound(**base, kind=Kind.TEXT, text=text[:MAX_TEXT_TO_RASA],
                   truncated=len(text) > MAX_TEXT_TO_RASA)


def _command(slash: Slash, commands: Mapping[str, Command], base: dict[str, Any]) -> Inbound:
    """A known command becomes its intent payload (whichever bot it names: a client's chat
    with the coach is private)."""
    command = commands.get(slash.name)
    if command is None:
        return Inbound(**base, kind=Kind.UNKNOWN_COMMAND)
    # A deep link t.me/<bot>?start=CODE arrives as "/start CODE".
    invite = slash.args.split()[0] if slash.name == "start" and slash.args else None
    return Inbound(**base, kind=Kind.TEXT, text=command.to_rasa(slash.args[:MAX_TEXT_TO_RASA]),
                   invite_code=invite)
