"""Slash commands, one parser for every place a person types them: a client on Telegram
(bot.telegram.updates), a client in the terminal chat (bot.chat) and the clinic's coach chat
(bot.coach_desk)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Slash:
    """`/name@BotName args`, taken apart."""

    name: str  # lower-cased, without the slash
    target: str | None  # the bot it is addressed to, as Telegram adds it in groups
    args: str  # the rest, stripped


def parse_slash(text: str) -> Slash | None:
    """"/handled@BoneCoachBot 12" -> Slash("handled", "BoneCoachBot", "12"); None when the text
    is not a command."""
    text = text.strip()
    if not text.startswith("/"):
        return None
    head, *tail = text.split(maxsplit=1)
    name, _, target = head[1:].partition("@")
    return Slash(name.lower(), target or None, tail[0].strip() if tail else "")


@dataclass(frozen=True)
class Command:
    """A client's slash command and the Rasa message it stands for."""

    name: str
    payload: str
    description: str
    argument: str | None = None

    def to_rasa(self, args: str) -> str:
        """The intent payload; words after the command become the `argument` entity (JSON-escaped,
        so quotes or braces typed by a client cannot break Rasa's `/intent{...}` syntax)."""
        if self.argument and args:
            return self.payload + json.dumps({self.argument: args})
        return self.payload


def commands_from(entries: Iterable[Mapping[str, str]]) -> dict[str, Command]:
    """The `commands` list of channel_texts.yml, by name."""
    return {
        c["command"]: Command(c["command"], c["payload"], c["description"], c.get("argument"))
        for c in entries
    }
