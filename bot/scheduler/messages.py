"""What a reminder says: today's real plan in a sentence, with Done / Skip / Plan buttons."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.coaching.models import Plan
from bot.db.status import ReminderKind
from bot.messaging.formatting import inline_keyboard
from bot.scheduler.config import ReminderConfig


@dataclass(frozen=True)
class ReminderMessage:
    text: str
    keyboard: InlineKeyboardMarkup


def compose(kind: str, plan: Plan | None, name: str | None, config: ReminderConfig) -> ReminderMessage | None:
    """The reminder of `kind` for today's `plan`; None when there is nothing to remind about
    (no profile, a rest day, or a "stop" day while a red flag is open: never a workout then)."""
    if plan is None or not plan.exercises:
        return None
    texts = config.texts
    template = texts[kind] if kind == ReminderKind.NUDGE else texts[kind].get(plan.kind)
    if template is None:
        return None
    moves = len(plan.exercises)
    text = template.format(name=name or "there", moves=f"{moves} move{'s' if moves != 1 else ''}", minutes=plan.minutes)
    buttons = [{"title": title, "payload": payload} for title, payload in config.buttons]
    return ReminderMessage(text, inline_keyboard(buttons))
