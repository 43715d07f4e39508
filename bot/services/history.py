"""Rows to the rules engine's dataclasses: the client's profile, and the history of check-ins
and symptom reports the engine plans from (the same one /progress and the coach desk's report
read, so their numbers agree)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.coaching import models as cm
from bot.coaching.library import default_rules
from bot.db import clients, sessions, symptoms
from bot.db.models import CheckIn, Client
from bot.db.status import DONE_STATUSES, CheckInStatus, RedFlagState
from bot.services.context import local_midnight, local_today
from bot.services.pain import pain_zones


def engine_profile(client: Client) -> cm.Profile:
    """The onboarding answers and the clinic's flags, as the engine reads them."""
    p = client.profile
    return cm.Profile(
        experience=p.experience,
        vertebral_fracture=bool(p.vertebral_fracture),
        falls_last_year=p.falls_last_year,
        balance_confidence=p.balance_confidence,
        baseline_pain=p.baseline_pain,
        sessions_per_week=p.sessions_per_week,
        training_days=p.training_weekdays,
        equipment=p.equipment_items,
        high_risk=bool(client.high_risk),
        recent_fracture_uncleared=bool(client.recent_fracture_uncleared),
        cleared_for_weights=bool(client.cleared_for_weights),
        cleared_floor=bool(client.cleared_floor),
        vertebral_fracture_unsure=bool(p.vertebral_fracture_unsure),
        several_fractures=bool(p.several_fractures),
        height_loss_or_curve=bool(p.height_loss_or_curve),
    )


def history(
    s: Session, client: Client, now: datetime, rungs: Mapping[str, int]
) -> tuple[cm.History, list[cm.SymptomReport]]:
    """The engine's history window (rules.yml `history.days`): one session per local day with
    a check-in, and the symptom reports of the window plus every red flag not yet cleared."""
    days = default_rules()["history"]["days"]
    since = local_today(client, now) - timedelta(days=days)
    by_day: dict[date, list[CheckIn]] = {}
    for checkin in sessions.recent_checkins(s, client, since):
        by_day.setdefault(checkin.day, []).append(checkin)
    done = tuple(day_record(day_checkins) for day_checkins in by_day.values())
    tz = ZoneInfo(client.timezone)
    reports = {r.id: r for r in symptoms.symptoms_since(s, client, local_midnight(client, now, days))}
    reports.update({r.id: r for r in symptoms.open_red_flags(s, client)})
    found = [
        cm.SymptomReport(
            day=r.at.astimezone(tz).date(), kind=r.kind, score=r.score,
            body_part=r.body_part, cleared=r.state == RedFlagState.CLEARED,
        )
        for r in reports.values()
    ]
    return cm.History(sessions=done, rungs=dict(rungs)), found


def client_history(s: Session, client: Client, now: datetime) -> tuple[date, cm.History, list[cm.SymptomReport]]:
    """The client's local today, history and symptoms exactly as /progress sees them (the
    ladders as they stand)."""
    found, reports = history(s, client, now, clients.ladder_positions(s, client))
    return local_today(client, now), found, reports


def day_record(checkins: Sequence[CheckIn]) -> cm.SessionRecord:
    """One local day's check-ins (oldest first) as the one session the engine sees.

    A day with two check-ins is one session day, so it counts once and never moves a ladder
    twice: done beats partly done beats skipped; effort and pain are the day's highest (the
    cautious reading); the exercises are those of the newest session done. The kind is what
    the plan said when the session was logged (`session_kind`), not the day's plan now. Carry
    distances come from that day's plan (the log stores sets and reps only). The session's pain
    is given to each exercise only below the red zone: one red score should hold the ladders
    (it is also a symptom report), not step every exercise of the session down.
    """
    done = [c for c in checkins if c.status in DONE_STATUSES]
    newest = (done or list(checkins))[-1]
    status = CheckInStatus.DONE if any(c.status == CheckInStatus.DONE for c in done) else newest.status
    logged = next((c for c in reversed(done) if c.exercise_logs), None)
    planned = newest.planned_session
    kind = newest.session_kind or (planned.kind if planned is not None else "strength")
    metres = {}
    if logged is not None and logged.planned_session is not None:
        exercises = json.loads(logged.planned_session.plan_json).get("exercises", [])
        metres = {e["pattern"]: e.get("metres") for e in exercises}
    rpe = max((c.rpe for c in done if c.rpe is not None), default=None)
    day_pain = max((c.pain for c in checkins if c.pain is not None), default=None)
    pain = day_pain if day_pain is not None and day_pain < pain_zones()["red"] else None
    return cm.SessionRecord(
        day=newest.day, kind=kind, status=status, rpe=rpe, pain=day_pain,
        results=tuple(
            cm.ExerciseResult(
                pattern=log.pattern, rung=log.rung, sets=log.sets, reps=log.reps,
                seconds=log.seconds, metres=metres.get(log.pattern), rpe=rpe, pain=pain,
            )
            for log in (logged.exercise_logs if logged is not None else ())
        ),
    )
