"""Plans: the client's profile (onboarding answers, screening), today's plan and why, progress
and its chart, the clinic's flags, and the plan a reminder quotes. One transaction per call."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.coaching import models as cm
from bot.coaching.chart import progress_chart_png as render_chart
from bot.coaching.engine import explain_plan
from bot.coaching.progress import ProgressSummary, summarize_progress
from bot.content.loader import messages
from bot.db import alerts, clients, symptoms
from bot.db.engine import unit_of_work
from bot.db.models import Client
from bot.db.status import AlertKind, ClientState, SymptomKind
from bot.services.context import Service, client_for
from bot.services.history import client_history, engine_profile
from bot.services.pain import alert_on_pain, detail, pain_zones
from bot.services.planning import SCREENING, plan_reply, replan_if_planned, screening_question, todays_plan
from bot.services.types import ProfileAnswers, Reply

# Flags only the clinic sets (columns of clients), read by the rules engine.
CLINIC_FLAGS = ("high_risk", "recent_fracture_uncleared", "cleared_for_weights", "cleared_floor")


class PlanService(Service):
    """Profile, screening, today's plan, progress, the clinic's flags, the reminder's plan."""

    # --- the profile -------------------------------------------------------------------------
    def profile_complete(self, chat_id: int) -> bool:
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            return bool(client and client.profile and client.consent_at)

    def display_name(self, chat_id: int) -> str:
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            name: str = client.display_name if client else messages().default_name
            return name

    def profile_answers(self, chat_id: int) -> ProfileAnswers | None:
        """The stored onboarding answers, so "change my training days" asks only about the days
        even when the conversation that first gave them has expired."""
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            p = client.profile if client is not None else None
            if client is None or p is None:
                return None
            profile = engine_profile(client)
            return ProfileAnswers(
                experience=p.experience,
                vertebral_fracture=bool(p.vertebral_fracture),
                vertebral_fracture_unsure=bool(p.vertebral_fracture_unsure),
                falls_last_year=p.falls_last_year,
                balance_confidence=p.balance_confidence,
                pain_today=p.baseline_pain,
                sessions_per_week=p.sessions_per_week,
                training_days=profile.training_days,
                reminder_time=p.reminder_time,
                equipment=profile.equipment,
                **{q: getattr(p, q) for q in SCREENING},
            )

    def save_profile(self, chat_id: int, name: str | None, answers: ProfileAnswers) -> Reply:
        """Onboarding's answers (or an edit of them): consent, the profile, what screening sets;
        red pain today is a pain report; a plan already made today is made again."""
        with unit_of_work(self.engine) as s:
            now = self.clock()
            client = client_for(s, chat_id, now, name)
            # An edit keeps the stored answers: their pain was handled when first given.
            pain_before = client.profile.baseline_pain if client.profile is not None else None
            if name:
                client.display_name = name
            if client.consent_at is None:
                clients.set_consent(s, client, now)
            client.state = ClientState.ACTIVE
            clients.save_profile(
                s, client,
                experience=answers.experience,
                vertebral_fracture=answers.vertebral_fracture,
                falls_last_year=answers.falls_last_year,
                balance_confidence=answers.balance_confidence,
                baseline_pain=answers.pain_today,
                sessions_per_week=answers.sessions_per_week,
                training_days=answers.training_days,
                reminder_time=answers.reminder_time,
                equipment=answers.equipment,
                vertebral_fracture_unsure=answers.vertebral_fracture and answers.vertebral_fracture_unsure,
                **{q: getattr(answers, q) for q in SCREENING if getattr(answers, q) is not None},
            )
            _act_on_screening(s, client, now)
            if answers.pain_today != pain_before and answers.pain_today >= pain_zones()["red"]:
                # The question is about today: red pain makes today's first plan gentle.
                symptoms.record_symptom(s, client, SymptomKind.PAIN, answers.pain_today, None,
                                        detail("pain_at_onboarding"), now)
                alert_on_pain(s, client, answers.pain_today, now)
            replan_if_planned(s, client, now)
            text = messages()["profile_saved"].format(
                name=client.display_name,
                days=", ".join(calendar.day_name[d] for d in answers.training_days),
                per_week=answers.sessions_per_week,
                time=answers.reminder_time.strftime("%H:%M"),
                equipment=", ".join(sorted(answers.equipment)) or messages().no_equipment,
            )
        return Reply(text)

    def answer_screening(self, chat_id: int, question: str, answer: bool) -> Reply:
        """One screening answer from a client onboarded before the questions existed: the next
        question, or, with all answered, today's plan made with them."""
        if question not in SCREENING:
            raise ValueError(f"not a screening question: {question!r}")
        with unit_of_work(self.engine) as s:
            now = self.clock()
            client = clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return Reply(messages()["not_onboarded"])
            clients.save_profile(s, client, now=now, **{question: answer})
            _act_on_screening(s, client, now)
            if not client.profile.screened:
                return screening_question(client.profile, first=False)
            replan_if_planned(s, client, now)
            return plan_reply(s, client, now)

    # --- today's plan ------------------------------------------------------------------------
    def todays_plan(self, chat_id: int, symptoms_changed: bool = False) -> Reply:
        """Today's plan (made once a day, remade when a symptom report changes the picture).
        A client onboarded before the screening questions existed answers them first, once."""
        with unit_of_work(self.engine) as s:
            return plan_reply(s, clients.get_client(s, chat_id), self.clock(), replan=symptoms_changed)

    def explain_today(self, chat_id: int) -> Reply:
        """Every reason behind today's plan with its source: the answer the plan's "Ask me
        'why'" promises (the plan message itself shows only the first few)."""
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return Reply(messages()["not_onboarded"])
            plan = todays_plan(s, client, self.clock())
        return Reply(explain_plan(plan))

    def reminder_plan(self, chat_id: int) -> cm.Plan | None:
        """Today's plan for the check-in reminder: the same stored plan /today then shows, so
        the reminder's numbers are the real ones. None for a chat without a profile."""
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return None
            return todays_plan(s, client, self.clock())

    # --- progress ----------------------------------------------------------------------------
    def progress(self, chat_id: int) -> Reply:
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return Reply(messages()["not_onboarded"])
            today, history, reports = client_history(s, client, self.clock())
            summary = summarize_progress(history, reports, today)
            if not history.sessions:
                return Reply(messages()["progress_none"])
            return Reply(messages()["progress"].format(name=client.display_name, **_summary(summary)))

    def progress_chart_png(self, chat_id: int) -> bytes | None:
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            if client is None:
                return None
            today, history, reports = client_history(s, client, self.clock())
        return render_chart(history, today, reports) if history.sessions else None

    # --- what the clinic marks ---------------------------------------------------------------
    def set_clinic_flags(self, chat_id: int, flags: Mapping[str, bool]) -> dict[str, bool] | None:
        """Staff set what the clinic assessed (CLINIC_FLAGS); today's plan is made again so the
        next /today follows it. Returns every flag as it now stands; None for an unknown chat."""
        unknown = set(flags) - set(CLINIC_FLAGS)
        if unknown:
            raise ValueError(f"unknown clinic flags: {sorted(unknown)}")
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            if client is None:
                return None
            for name, value in flags.items():
                setattr(client, name, value)
            if flags and client.profile is not None:
                s.flush()
                todays_plan(s, client, self.clock(), replan=True)
            return {name: bool(getattr(client, name)) for name in CLINIC_FLAGS}


def _act_on_screening(s: Session, client: Client, now: datetime) -> None:
    """What the screening answers set (EXERCISE_SCIENCE.md section 0): a fracture in the last
    12 weeks stops every session until the clinic clears it, and the clinic is told; two or
    more fractures since 50, or height loss or a forward curve, mark high fracture risk
    (spine-protect). Only ever sets flags: clearing them is the clinic's call (/flags)."""
    p = client.profile
    if p.recent_fracture and not client.recent_fracture_uncleared:
        client.recent_fracture_uncleared = True
        alerts.create_alert(s, client, AlertKind.RECENT_FRACTURE, messages()["screening"]["alert"], now)
    if p.several_fractures or p.height_loss_or_curve:
        client.high_risk = True


def _summary(summary: ProgressSummary) -> dict[str, Any]:
    return {
        "week_done": summary.week_done,
        "month_done": summary.four_weeks_done, "streak": summary.streak,
        "climbed": summary.rungs_climbed, "pain_trend": summary.pain_trend,
    }
