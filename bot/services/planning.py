"""Today's plan inside a unit of work: made by the rules engine once a day, stored as JSON,
read back, remade when something changes the picture, and shown as a reply.

Every service that changes what today's plan depends on (a profile, a symptom, a red flag, the
clinic's flags) replans here, in its own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.coaching import models as cm
from bot.coaching.engine import plan_today
from bot.coaching.formatting import format_plan
from bot.content.loader import messages
from bot.db import clients, sessions, symptoms
from bot.db.models import Client, Profile
from bot.services.context import local_today
from bot.services.history import engine_profile, history
from bot.services.types import Reply

# Onboarding screening questions (profile columns), in the order they are asked.
SCREENING = ("recent_fracture", "several_fractures", "height_loss_or_curve")


def plan_buttons() -> tuple[tuple[str, str], ...]:
    """The buttons under a plan with exercises (messages.yml `plan.buttons`)."""
    return tuple((b.title, b.payload) for b in messages().plan.buttons)


def todays_plan(s: Session, client: Client, now: datetime, replan: bool = False) -> cm.Plan:
    """The client's plan for their local today: the stored one, or made (and stored, with the
    ladders it moved) when there is none, when `replan`, or when the stored one is "stop"."""
    today = local_today(client, now)
    stored = sessions.planned_session(s, client, today)
    # A "stop" day is checked again: the clinic may clear the red flag the same day.
    if stored is not None and not replan and stored.kind != "stop":
        return plan_from_json(stored.plan_json)
    # The rungs from before today's plan, so a replan never progresses twice in one day.
    rungs_before = (
        json.loads(stored.plan_json)["rungs_before"] if stored is not None
        else clients.ladder_positions(s, client)
    )
    found, reports = history(s, client, now, rungs_before)
    plan = plan_today(engine_profile(client), found, today, reports)
    sessions.save_planned_session(s, client, today, plan.kind, plan_to_json(plan, rungs_before), now)
    clients.set_ladder_positions(s, client, plan.rungs, now)
    return plan


def replan_if_planned(s: Session, client: Client, now: datetime) -> None:
    """Make today's plan again if one was made already (after a change to what it follows)."""
    if sessions.planned_session(s, client, local_today(client, now)) is not None:
        s.flush()
        todays_plan(s, client, now, replan=True)


def plan_reply(s: Session, client: Client | None, now: datetime, replan: bool = False) -> Reply:
    """Today's plan as the client reads it, with its buttons. A client onboarded before the
    screening questions existed answers them first, once; an open red flag comes before any
    question ("no exercise")."""
    if client is None or client.profile is None:
        return Reply(messages()["not_onboarded"])
    if not client.profile.screened and not symptoms.open_red_flags(s, client):
        return screening_question(client.profile, first=True)
    plan = todays_plan(s, client, now, replan)
    buttons = plan_buttons() if plan.exercises else ()
    footer = messages()["plan_footer"] if plan.exercises else ""
    return Reply("\n\n".join(t for t in (format_plan(plan), footer) if t), buttons)


def screening_question(profile: Profile, first: bool) -> Reply:
    """The next unanswered screening question, with Yes / No / Not sure buttons whose payloads
    carry the answer (the `screening_answer` intent, handled by action_save_screening_answer)."""
    texts = messages()["screening"]
    question = next(q for q in SCREENING if getattr(profile, q) is None)
    text = texts["questions"][question]
    buttons = tuple(
        (title, f'/screening_answer{{"screening": "{question}:{value}"}}')
        for title, value in texts["buttons"]
    )
    return Reply(f"{texts['intro']}\n\n{text}" if first else text, buttons)


def plan_to_json(plan: cm.Plan, rungs_before: Mapping[str, int]) -> str:
    data = asdict(plan)
    data["day"] = plan.day.isoformat()
    data["tiers"] = sorted(plan.tiers)
    data["rungs"] = dict(plan.rungs)
    data["rungs_before"] = dict(rungs_before)
    return json.dumps(data)


def plan_from_json(raw: str) -> cm.Plan:
    data = json.loads(raw)
    return cm.Plan(
        day=date.fromisoformat(data["day"]),
        kind=data["kind"],
        exercises=tuple(cm.PlannedExercise(**e) for e in data["exercises"]),
        reasons=tuple(cm.Reason(**r) for r in data["reasons"]),
        minutes=data["minutes"],
        rungs=data["rungs"],
        tiers=frozenset(data["tiers"]),
    )
