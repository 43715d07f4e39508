"""Terminal chat with the real stack through Rasa's REST channel (the embedded default)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.content.loader import channel_texts
from bot.settings import Settings
from bot.slash import Command, commands_from, parse_slash
from bot.stack import ROOT

if TYPE_CHECKING:
    from bot.services import Services

TERMINAL_CHAT_ID = "1"


def send(rasa_url: str, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """One message to the REST channel; the bot's replies in order."""
    body = json.dumps({"sender": sender, "message": text, "metadata": metadata}).encode()
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook", data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return list(json.load(response))


class TerminalChat:
    """Reads lines, prints replies; a typed title or key picks one of the last buttons."""

    def __init__(self, rasa_url: str, settings: Settings, sender: str = TERMINAL_CHAT_ID) -> None:
        self.rasa_url = rasa_url
        self.settings = settings
        self.sender = sender
        self.buttons: list[dict[str, str]] = []
        self._built: Services | None = None

    def services(self) -> Services:
        """The services on this chat's database, built on first use (imported late: the chat
        starts without the rules engine and the database)."""
        if self._built is None:
            from bot.services import build_services

            self._built = build_services(self.settings)
        return self._built

    def loop(self) -> None:
        print("Bone Coach is ready. Type a message (try 'hi' or '/start'); Ctrl-C to quit.\n")
        while True:
            text = input("You: ")
            self.exchange(self._resolve_button(text))

    def _resolve_button(self, text: str) -> str:
        """A button's title, or the key shown before it, picks that button; anything else is
        sent as typed (a slash command becomes its payload, as on Telegram)."""
        choice = text.strip().lower()
        keys = button_keys(self.buttons)
        for key, button in zip(keys, self.buttons, strict=True):
            if choice in (key.lower(), button["title"].strip().lower()):
                return button["payload"]
        return command_payload(text.strip()) or text

    def exchange(self, text: str) -> None:
        try:
            replies = send(self.rasa_url, self.sender, text, {"first_name": "Friend"})
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError):
            replies = []
        if not replies:
            print(f"Coach: {channel_texts().error}\n")
            return
        self.buttons = []
        for reply in replies:
            self._show(reply)
        if not any((r.get("custom") or {}).get("red_flag") for r in replies):
            self._remind_open_red_flag()
        print()

    def _remind_open_red_flag(self) -> None:
        """As on Telegram: while a red flag is open, every reply ends with the reminder."""
        from bot.services.context import chat_number

        notice = self.services().safety.open_red_flag_notice(chat_number(self.sender))
        if notice:
            print(f"Coach: {notice}")

    def _show(self, reply: dict[str, Any]) -> None:
        if reply.get("text"):
            print(f"Coach: {reply['text']}")
        buttons = list(reply.get("buttons") or [])
        if buttons:  # the newest question's buttons are the ones a typed answer picks from
            self.buttons = buttons
        for key, button in zip(button_keys(buttons), buttons, strict=True):
            print(f"   [{key}] {button['title']}" if key != button["title"] else f"   [{key}]")
        custom = reply.get("custom") or {}
        if custom.get("progress_chart"):
            print(f"   (chart saved to {self._save_chart()})")
        if custom.get("export"):
            print(f"   (your data is saved to {self._save_export()})")

    def _save_chart(self) -> Path | str:
        png = self.services().plans.progress_chart_png(int(self.sender))
        if png is None:
            return "nothing yet"
        return _write(ROOT / "var" / "charts", "progress", ".png", png)

    def _save_export(self) -> Path:
        export = self.services().privacy.export_json(int(self.sender))
        return _write(ROOT / "var" / "exports", "bone-coach-data", ".json", export)


def button_keys(buttons: list[dict[str, str]]) -> list[str]:
    """What the client types to pick each button. A question answered with a number keeps its
    numbers: buttons titled 2 and 3 are picked by typing 2 or 3, and [None] [One] [Two or more]
    (payloads 0, 1, 2) by 0, 1 or 2, so a typed count is never read as a position. Other buttons
    are numbered from 1."""
    titles = [b["title"].strip() for b in buttons]
    payloads = [b["payload"].strip() for b in buttons]
    if titles and all(t.isdigit() for t in titles):
        return titles
    if payloads and all(p.isdigit() for p in payloads):
        return payloads
    return [str(i) for i in range(1, len(buttons) + 1)]


def command_payload(text: str) -> str | None:
    """The same slash commands as on Telegram (bot/content/channel_texts.yml), read by the same
    parser: /today, /done …; None for anything else."""
    slash = parse_slash(text)
    if slash is None or slash.name not in _commands():
        return None
    return _commands()[slash.name].to_rasa(slash.args)


@cache
def _commands() -> dict[str, Command]:
    return commands_from(c.dict() for c in channel_texts().commands)


def _write(folder: Path, stem: str, suffix: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}-{datetime.now():%Y%m%d-%H%M%S}{suffix}"
    path.write_bytes(data)
    return path
