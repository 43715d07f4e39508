"""The coach desk's words (bot/content/coach_texts.yml) and how it shows dates and times."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

COACH_TEXTS = Path(__file__).resolve().parent.parent / "content" / "coach_texts.yml"


@cache
def coach_texts() -> dict[str, Any]:
    return dict(yaml.safe_load(COACH_TEXTS.read_text(encoding="utf-8")))


def kind_label(kind: str) -> str:
    return str(coach_texts()["kinds"].get(kind, kind))


def local_time(at: datetime, zone: str) -> str:
    """"Wed 25 Nov 2026, 13:05 CST": the zone's abbreviation says whose clock it is."""
    return at.astimezone(ZoneInfo(zone)).strftime("%a %d %b %Y, %H:%M %Z")


def short_day(day: date) -> str:
    return day.strftime("%a %d %b")
