"""Every content file read and cross-checked when a process starts (the action server, the
channel, the CLI), so a broken file stops it with an error naming the file and the key instead
of failing in a client's conversation. Outside bot/content because it needs the engine's
parsers too (bot/coaching/library.py), which read their files through the loader."""

from __future__ import annotations

from bot.coaching.library import default_library, default_rules, home_equipment
from bot.coaching.models import PLAN_KINDS
from bot.content.loader import (
    ContentError,
    answers,
    channel_texts,
    clarify,
    clinic,
    coach_texts,
    entity_intents,
    entity_patterns,
    messages,
    red_flags,
    reminders,
)


def validate_all() -> None:
    """Reads and checks every content file, and what one file says about another."""
    for accessor in (messages, clinic, answers, clarify, channel_texts, coach_texts, reminders,
                     default_rules, default_library, entity_patterns, entity_intents, red_flags):
        accessor()
    _check_equipment_words()
    _check_plan_titles()


def _check_equipment_words() -> None:
    """Every home item has the words clients use for it (entity_patterns.yml `equipment`)."""
    named = set(entity_patterns()["labels"].get("equipment", {}).get("values") or {})
    missing = sorted(home_equipment() - named)
    if missing:
        raise ContentError(
            f"bot/content/entity_patterns.yml: labels.equipment.values: no words for {missing} "
            "(exercises.yml equipment.home)"
        )


def _check_plan_titles() -> None:
    missing = sorted(set(PLAN_KINDS) - set(messages().plan.titles))
    if missing:
        raise ContentError(f"bot/content/messages.yml: plan.titles: missing {missing}")
