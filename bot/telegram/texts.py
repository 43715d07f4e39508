"""The channel's own words and its slash commands, read from bot/content/channel_texts.yml."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONTENT = Path(__file__).resolve().parent.parent / "content"
CHANNEL_TEXTS = CONTENT / "channel_texts.yml"
CLINIC = CONTENT / "clinic.yml"


@dataclass(frozen=True)
class Command:
    """A slash command and the Rasa message it stands for."""

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
    def load(cls, path: Path = CHANNEL_TEXTS, clinic_path: Path = CLINIC) -> ChannelTexts:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        clinic = yaml.safe_load(clinic_path.read_text(encoding="utf-8"))
        contact = {key: clinic[key] for key in ("name", "phone", "email")}
        commands = {
            c["command"]: Command(c["command"], c["payload"], c["description"], c.get("argument"))
            for c in data["commands"]
        }
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
