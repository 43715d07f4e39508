"""The channel's own words and its slash commands, read from bot/content/channel_texts.yml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from bot.content.loader import channel_texts, clinic
from bot.slash import Command, commands_from


@dataclass(frozen=True)
class ChannelTexts:
    commands: Mapping[str, Command]
    not_enrolled: str
    invite_invalid: str
    group_refused: str
    non_text: str
    caption_note: str
    unknown_command: str
    long_message: str
    error: str
    error_kept: str
    choose: str
    button_passed: str

    @classmethod
    def load(cls) -> ChannelTexts:
        data = channel_texts()
        contact = {key: clinic()[key] for key in ("name", "phone", "email")}
        commands = commands_from(c.dict() for c in data.commands)
        listing = "\n".join(f"/{c.name} – {c.description}" for c in commands.values())
        return cls(
            commands=commands,
            not_enrolled=data["not_enrolled"].format(**contact),
            invite_invalid=data["invite_invalid"].format(**contact),
            group_refused=data["group_refused"],
            non_text=data["non_text"],
            caption_note=data["caption_note"],
            unknown_command=data["unknown_command"].format(commands=listing),
            long_message=data["long_message"],
            error=data["error"],
            error_kept=data["error_kept"],
            choose=data["choose"],
            button_passed=data["button_passed"],
        )


@lru_cache(maxsize=1)
def default_texts() -> ChannelTexts:
    return ChannelTexts.load()
