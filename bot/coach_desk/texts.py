"""The coach desk's words (bot/content/coach_texts.yml) and how it shows dates and times."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.content.loader import coach_texts as coach_texts


def clip(text: str | None, limit: int) -> str:
    """One line of at most `limit` characters, "…" where it was cut."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def is_button_press(text: str | None) -> bool:
    """A Rasa payload ("/request_human", '/affirm{...}'), not words the client typed."""
    return bool(text) and text.lstrip().startswith("/")


def what_client_did(text: str | None) -> str | None:
    """The client's words as stored, but a button press (or command) as a short plain description
    from coach_texts.yml `button_presses`: a coach should never read a raw "/intent" payload."""
    if not is_button_press(text):
        return text
    intent = text.strip()[1:].split("{", 1)[0].strip().lower()
    presses = coach_texts()["button_presses"]
    return str(presses.get(intent, presses["other"]))


def kind_label(kind: str) -> str:
    return str(coach_texts()["kinds"].get(kind, kind))


def local_time(at: datetime, zone: str) -> str:
    """"Wed 2 Dec 2026, 13:05 CST": the zone's abbreviation says whose clock it is."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{short_day(local.date())} {local:%Y, %H:%M %Z}"


def local_moment(at: datetime, zone: str) -> str:
    """"Wed 2 Dec 13:05", for lists where the year and zone are clear from context."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{short_day(local.date())} {local:%H:%M}"


def short_day(day: date) -> str:
    """"Wed 2 Dec"."""
    return f"{day:%a} {day.day} {day:%b}"


def invite_link(code: str, bot_username: str | None) -> str:
    """The deep link that enrols a client; a template to fill in when the bot's name is unknown."""
    texts = coach_texts()["commands"]
    if bot_username:
        return texts["invite_link"].format(bot=bot_username, code=code)
    return texts["invite_link_template"].format(code=code)
