"""Pain and symptom thresholds as the services apply them: the engine's pain zones, when a
score alerts the clinic, and when a score earns the safety question first (rules.yml)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.coaching.library import Rule, default_rules
from bot.content.loader import coach_texts
from bot.db import alerts, symptoms
from bot.db.models import Client
from bot.db.status import AlertKind, SymptomKind
from bot.services.context import local_midnight


def pain_zones() -> dict[str, int]:
    """The engine's pain zones (rules.yml `pain_zones`), by the names the services use."""
    zones = default_rules()["pain_zones"]
    return {"amber": zones["amber_min"], "red": zones["red_min"], "alert": zones["coach_alert_min"]}


def detail(key: str, **fields: Any) -> str:
    """What an alert or a stored note tells the clinic (coach_texts.yml `alert.details`)."""
    return str(coach_texts().alert.details[key].format(**fields))


def onset_question_needed(score: int, body_part: str | None) -> bool:
    """A pain score that earns the safety question ("are you hurt, did it start suddenly or
    after a fall?") before anything else: thresholds in rules.yml `safety_check`."""
    check = default_rules()["safety_check"]
    threshold = check.values.get("body_part_score_min", {}).get(body_part or "", check["score_min"])
    return score >= min(int(threshold), int(check["score_min"]))


def count_reports(s: Session, client: Client, now: datetime, rule: Rule, kind: str, score_min: int = 0) -> int:
    """The client's `kind` reports (scored `score_min` or more) in the rule's `days`."""
    return sum(
        1 for r in symptoms.symptoms_since(s, client, local_midnight(client, now, rule["days"]))
        if r.kind == kind and (r.score or 0) >= score_min
    )


def alert_on_pain(s: Session, client: Client, score: int, now: datetime) -> bool:
    """Alert the clinic to a score at the alert level, or to a second red report this week
    (a report or a check-in, already recorded; rules.yml `pain_two_red`); True for the
    second, which the client is told."""
    zones, two_red = pain_zones(), default_rules()["pain_two_red"]
    if score >= zones["alert"]:
        alerts.create_alert(s, client, AlertKind.PAIN_HIGH, detail("pain_high", score=score), now)
    elif (score >= zones["red"]
          and count_reports(s, client, now, two_red, SymptomKind.PAIN, zones["red"]) >= two_red["count"]):
        alerts.create_alert(s, client, AlertKind.PAIN_HIGH, detail("pain_two_red"), now)
        return True
    return False
