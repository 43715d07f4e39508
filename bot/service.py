"""The coaching service: the session database on one side, the pure rules engine on the other.

Actions, the Telegram channel, the scheduler and the CLI call this module; none of them touches
the database or the engine directly. Every public method is one unit of work (one transaction).
"""

from __future__ import annotations

import calendar
import json
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.coaching import models as cm
from bot.coaching.chart import progress_chart_png as render_chart
from bot.coaching.engine import explain_plan, plan_today
from bot.coaching.formatting import format_plan
from bot.coaching.library import Rule, default_rules
from bot.coaching.progress import summarize_progress
from bot.content.loader import clinic, coach_texts, messages
from bot.content_check import validate_all
from bot.db import alerts as db_alerts
from bot.db import clients as db_clients
from bot.db import sessions as db_sessions
from bot.db import symptoms as db_symptoms
from bot.db.engine import ensure_schema, make_engine, unit_of_work
from bot.db.models import Client
from bot.db.status import DONE_STATUSES, AlertKind, CheckInStatus, ClientState, RedFlagState, SymptomKind
from bot.settings import Settings

# Flags only the clinic sets (columns of clients), read by the rules engine.
CLINIC_FLAGS = ("high_risk", "recent_fracture_uncleared", "cleared_for_weights", "cleared_floor")
# A red flag recorded again within this time is the same report: the action and the Telegram
# channel both record a turn's red flag, seconds apart, and after a "yes" to the safety question
# the channel only has the "yes" (see record_red_flag).
RED_FLAG_SAME_MESSAGE = timedelta(minutes=2)
# Onboarding screening questions (profile columns), in the order they are asked.
SCREENING = ("recent_fracture", "several_fractures", "height_loss_or_curve")


def chat_number(sender: str) -> int:
    """Telegram chat ids are numbers; other senders (tests, REST) get a stable number."""
    return int(sender) if sender.lstrip("-").isdigit() else zlib.crc32(sender.encode())


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ProfileAnswers:
    """Parsed onboarding answers (the form's validation has already checked them)."""

    experience: str
    vertebral_fracture: bool
    falls_last_year: int
    balance_confidence: str
    pain_today: int
    sessions_per_week: int
    training_days: tuple[int, ...]
    reminder_time: time
    equipment: frozenset[str]
    vertebral_fracture_unsure: bool = False  # "not sure": vertebral_fracture is True as well
    # Screening (EXERCISE_SCIENCE.md section 0); None = not asked, so it is asked at /today.
    recent_fracture: bool | None = None  # any fracture in the last 12 weeks
    several_fractures: bool | None = None  # two or more fractures since 50
    height_loss_or_curve: bool | None = None


@dataclass(frozen=True)
class Reply:
    """What the coach says back; `buttons` are (title, payload) pairs."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AlertHandled:
    """What /handled did: `already` when someone had handled the alert before (`handled_by`,
    `handled_at` are theirs); `red_flag_open` while the client is still not cleared to train."""

    alert_id: int
    kind: str
    chat_id: int
    name: str
    timezone: str
    handled_by: str
    handled_at: datetime
    already: bool
    red_flag_open: bool


@dataclass(frozen=True)
class RedFlagsCleared:
    """What /clear did: `cleared` red flags, `alerts_closed` red-flag alerts; both 0 when there
    was nothing left to clear (then `cleared_by` / `cleared_at` say who cleared last, if anyone)."""

    chat_id: int
    name: str
    timezone: str
    cleared: int
    alerts_closed: int
    cleared_by: str | None
    cleared_at: datetime | None


def plan_buttons() -> tuple[tuple[str, str], ...]:
    """The buttons under a plan with exercises (messages.yml `plan.buttons`)."""
    return tuple((b.title, b.payload) for b in messages().plan.buttons)


class Coach:
    """One instance per process; thread-safe because every call opens its own session."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Coach:
        validate_all()  # a broken content file stops the process here, not in a conversation
        settings = settings or Settings.from_env()
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        return cls(engine)

    # --- helpers -----------------------------------------------------------------------------
    def _local_today(self, client: Client) -> date:
        return self.clock().astimezone(ZoneInfo(client.timezone)).date()

    def _since(self, client: Client, days: int) -> datetime:
        """Midnight `days` ago in the client's own zone, as an aware datetime."""
        tz = ZoneInfo(client.timezone)
        start = self._local_today(client) - timedelta(days=days)
        return datetime.combine(start, time(), tzinfo=tz)

    def _client(self, s: Session, chat_id: int, name: str | None = None) -> Client:
        return db_clients.get_or_create_client(s, chat_id, name or messages().default_name, self.clock())

    # --- onboarding --------------------------------------------------------------------------
    def profile_complete(self, chat_id: int) -> bool:
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            return bool(client and client.profile and client.consent_at)

    def display_name(self, chat_id: int) -> str:
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            return client.display_name if client else messages().default_name

    def profile_answers(self, chat_id: int) -> ProfileAnswers | None:
        """The stored onboarding answers, so "change my training days" asks only about the days
        even when the conversation that first gave them has expired."""
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            p = client.profile if client is not None else None
            if p is None:
                return None
            return ProfileAnswers(
                experience=p.experience,
                vertebral_fracture=bool(p.vertebral_fracture),
                vertebral_fracture_unsure=bool(p.vertebral_fracture_unsure),
                falls_last_year=p.falls_last_year,
                balance_confidence=p.balance_confidence,
                pain_today=p.baseline_pain,
                sessions_per_week=p.sessions_per_week,
                training_days=_profile(client).training_days,
                reminder_time=p.reminder_time,
                equipment=_profile(client).equipment,
                **{q: getattr(p, q) for q in SCREENING},
            )

    def save_profile(self, chat_id: int, name: str | None, answers: ProfileAnswers) -> Reply:
        now = self.clock()
        with unit_of_work(self.engine) as s:
            client = self._client(s, chat_id, name)
            # An edit keeps the stored answers: their pain was handled when first given.
            pain_before = client.profile.baseline_pain if client.profile is not None else None
            if name:
                client.display_name = name
            if client.consent_at is None:
                db_clients.set_consent(s, client, now)
            client.state = ClientState.ACTIVE
            db_clients.save_profile(
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
            self._act_on_screening(s, client)
            if answers.pain_today != pain_before and answers.pain_today >= _pain_zones()["red"]:
                # The question is about today: red pain makes today's first plan gentle.
                db_symptoms.record_symptom(s, client, SymptomKind.PAIN, answers.pain_today, None,
                                           _detail("pain_at_onboarding"), now)
                self._alert_on_pain(s, client, answers.pain_today)
            if db_sessions.planned_session(s, client, self._local_today(client)) is not None:
                s.flush()
                self._plan(s, client, replan=True)
            text = messages()["profile_saved"].format(
                name=client.display_name,
                days=", ".join(calendar.day_name[d] for d in answers.training_days),
                per_week=answers.sessions_per_week,
                time=answers.reminder_time.strftime("%H:%M"),
                equipment=", ".join(sorted(answers.equipment)) or messages().no_equipment,
            )
        return Reply(text)

    def _act_on_screening(self, s: Session, client: Client) -> None:
        """What the screening answers set (EXERCISE_SCIENCE.md section 0): a fracture in the last
        12 weeks stops every session until the clinic clears it, and the clinic is told; two or
        more fractures since 50, or height loss or a forward curve, mark high fracture risk
        (spine-protect). Only ever sets flags: clearing them is the clinic's call (/flags)."""
        p = client.profile
        if p.recent_fracture and not client.recent_fracture_uncleared:
            client.recent_fracture_uncleared = True
            db_alerts.create_alert(s, client, AlertKind.RECENT_FRACTURE, messages()["screening"]["alert"], self.clock())
        if p.several_fractures or p.height_loss_or_curve:
            client.high_risk = True

    def answer_screening(self, chat_id: int, question: str, answer: bool) -> Reply:
        """One screening answer from a client onboarded before the questions existed: the next
        question, or, with all answered, today's plan made with them."""
        if question not in SCREENING:
            raise ValueError(f"not a screening question: {question!r}")
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return Reply(messages()["not_onboarded"])
            db_clients.save_profile(s, client, now=self.clock(), **{question: answer})
            self._act_on_screening(s, client)
            if not client.profile.screened:
                return _screening_question(client.profile, first=False)
            if db_sessions.planned_session(s, client, self._local_today(client)) is not None:
                s.flush()
                self._plan(s, client, replan=True)
        return self.todays_plan(chat_id)

    # --- plans -------------------------------------------------------------------------------
    def todays_plan(self, chat_id: int, symptoms_changed: bool = False) -> Reply:
        """Today's plan (made once a day, remade when a symptom report changes the picture).
        A client onboarded before the screening questions existed answers them first, once."""
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return Reply(messages()["not_onboarded"])
            # An open red flag comes first: "no exercise" before any questions.
            if not client.profile.screened and not db_symptoms.open_red_flags(s, client):
                return _screening_question(client.profile, first=True)
            plan = self._plan(s, client, replan=symptoms_changed)
        buttons = plan_buttons() if plan.exercises else ()
        footer = messages()["plan_footer"] if plan.exercises else ""
        return Reply("\n\n".join(t for t in (format_plan(plan), footer) if t), buttons)

    def explain_today(self, chat_id: int) -> Reply:
        """Every reason behind today's plan with its source: the answer the plan's "Ask me
        'why'" promises (the plan message itself shows only the first few)."""
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return Reply(messages()["not_onboarded"])
            plan = self._plan(s, client)
        return Reply(explain_plan(plan))

    def _plan(self, s: Session, client: Client, replan: bool = False) -> cm.Plan:
        today = self._local_today(client)
        stored = db_sessions.planned_session(s, client, today)
        # A "stop" day is checked again: a coach may clear the red flag the same day.
        if stored is not None and not replan and stored.kind != "stop":
            return _plan_from_json(stored.plan_json)
        # The rungs from before today's plan, so a replan never progresses twice in one day.
        rungs_before = (
            json.loads(stored.plan_json)["rungs_before"] if stored is not None
            else db_clients.ladder_positions(s, client)
        )
        history, symptoms = self._history(s, client, today, rungs_before)
        plan = plan_today(_profile(client), history, today, symptoms)
        db_sessions.save_planned_session(
            s, client, today, plan.kind, _plan_to_json(plan, rungs_before), self.clock()
        )
        db_clients.set_ladder_positions(s, client, plan.rungs, self.clock())
        return plan

    def _history(
        self, s: Session, client: Client, today: date, rungs: Mapping[str, int]
    ) -> tuple[cm.History, list[cm.SymptomReport]]:
        days = default_rules()["history"]["days"]
        since = today - timedelta(days=days)
        by_day: dict[date, list[Any]] = {}
        for checkin in db_sessions.recent_checkins(s, client, since):
            by_day.setdefault(checkin.day, []).append(checkin)
        sessions = tuple(_day_record(day_checkins) for day_checkins in by_day.values())
        tz = ZoneInfo(client.timezone)
        reports = {r.id: r for r in db_symptoms.symptoms_since(s, client, self._since(client, days))}
        reports.update({r.id: r for r in db_symptoms.open_red_flags(s, client)})
        symptoms = [
            cm.SymptomReport(
                day=r.at.astimezone(tz).date(), kind=r.kind, score=r.score,
                body_part=r.body_part, cleared=r.state == RedFlagState.CLEARED,
            )
            for r in reports.values()
        ]
        return cm.History(sessions=sessions, rungs=dict(rungs)), symptoms

    # --- check-ins ---------------------------------------------------------------------------
    def log_checkin(
        self, chat_id: int, status: str, rpe: int | None, pain: int | None, note: str | None,
        message_id: str | None = None,
    ) -> Reply:
        """A session done or partly done. Each check-in is kept (a second one the same day too);
        the same client message (`message_id`) run again after a restart logs nothing new and
        gets the same reply. Not logged as training while a red flag is not cleared."""
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return Reply(messages()["not_onboarded"])
            db_sessions.lock_client(s, client)
            logged = db_sessions.checkin_from_message(s, client, message_id)
            if logged is not None:
                status, rpe, pain = logged.status, logged.rpe, logged.pain
            elif db_symptoms.open_red_flags(s, client):
                # Not training while the clinic has not cleared a red flag: nothing is logged as
                # a session, no ladder moves, no step up is promised; the pain score is kept.
                if pain is not None:
                    db_symptoms.record_symptom(s, client, SymptomKind.PAIN, pain, None, _detail("pain_at_checkin"),
                                               self.clock(), message_id)
                    self._alert_on_pain(s, client, pain)
                return Reply(messages()["checkin_red_flag_open"].format(phone=clinic()["phone"]))
            today = self._local_today(client)
            repeated = False
            if logged is None:
                plan = self._plan(s, client)
                logs = [
                    dict(pattern=e.pattern, rung=e.rung, sets=e.sets, reps=e.reps, seconds=e.seconds)
                    for e in plan.exercises
                ] if status == CheckInStatus.DONE else []
                db_sessions.record_checkin(s, client, today, status, rpe, pain, note, None, logs, self.clock(),
                                    session_kind=plan.kind, source_message_id=message_id)
                if pain is not None and pain >= _pain_zones()["red"]:
                    db_symptoms.record_symptom(s, client, SymptomKind.PAIN, pain, None, _detail("pain_at_checkin"),
                                               self.clock(), message_id)
                    repeated = self._alert_on_pain(s, client, pain)
            history, symptoms = self._history(s, client, today, db_clients.ladder_positions(s, client))
            summary = summarize_progress(history, symptoms, today)
            name = client.display_name
        text = _checkin_text(status, rpe, pain, summary, name)
        return Reply(f"{text} {messages()['pain_repeat_alert']}" if repeated else text)

    def log_skip(self, chat_id: int, reason: str, message_id: str | None = None) -> Reply:
        """A skipped session, kept as its own record; once per client message (`message_id`)."""
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return Reply(messages()["not_onboarded"])
            db_sessions.lock_client(s, client)
            db_sessions.record_checkin(
                s, client, self._local_today(client), CheckInStatus.SKIPPED, None, None, None,
                reason[:200], [], self.clock(), source_message_id=message_id,
            )
        return Reply(messages()["skip_ack"].format(reason=reason[:60]))

    # --- symptoms ----------------------------------------------------------------------------
    def report_pain(
        self, chat_id: int, score: int, body_part: str | None, excerpt: str, with_plan: bool = True,
        message_id: str | None = None,
    ) -> Reply:
        """Logs the report (alerting the clinic at its thresholds); the reply is the
        acknowledgement and, `with_plan`, today's plan remade for it. The same client message
        (`message_id`) run again logs and alerts nothing new."""
        zones = _pain_zones()
        zone = "red" if score >= zones["red"] else "amber" if score >= zones["amber"] else "green"
        where = messages().pain_where.format(body_part=body_part) if body_part else ""
        parts = [messages()["pain_ack"][zone].format(score=score, where=where)]
        with unit_of_work(self.engine) as s:
            client = self._client(s, chat_id)
            now = self.clock()
            db_sessions.lock_client(s, client)
            if db_symptoms.symptom_from_message(s, client, message_id, SymptomKind.PAIN) is None:
                db_symptoms.record_symptom(s, client, SymptomKind.PAIN, score, body_part, excerpt[:200], now,
                                           message_id)
                if self._alert_on_pain(s, client, score):
                    parts.append(messages()["pain_repeat_alert"])
        return self._with_new_plan(chat_id, parts) if with_plan else Reply("\n\n".join(parts))

    def _with_new_plan(self, chat_id: int, parts: list[str]) -> Reply:
        """The acknowledgement, then today's plan remade for the new symptom, with its buttons."""
        if not self.profile_complete(chat_id):
            return Reply("\n\n".join(parts))
        plan = self.todays_plan(chat_id, symptoms_changed=True)
        return Reply("\n\n".join([*parts, plan.text]), plan.buttons)

    def _alert_on_pain(self, s: Session, client: Client, score: int) -> bool:
        """Alert the coach to a score at the alert level, or to a second red report this week
        (a report or a check-in, already recorded; rules.yml `pain_two_red`); True for the
        second, which the client is told."""
        zones, two_red = _pain_zones(), default_rules()["pain_two_red"]
        if score >= zones["alert"]:
            db_alerts.create_alert(s, client, AlertKind.PAIN_HIGH, _detail("pain_high", score=score), self.clock())
        elif (score >= zones["red"]
              and self._reports(s, client, two_red, SymptomKind.PAIN, zones["red"]) >= two_red["count"]):
            db_alerts.create_alert(s, client, AlertKind.PAIN_HIGH, _detail("pain_two_red"), self.clock())
            return True
        return False

    def _reports(self, s: Session, client: Client, rule: Rule, kind: str, score_min: int = 0) -> int:
        """The client's `kind` reports (scored `score_min` or more) in the rule's `days`."""
        return sum(
            1 for r in db_symptoms.symptoms_since(s, client, self._since(client, rule["days"]))
            if r.kind == kind and (r.score or 0) >= score_min
        )

    def report_fatigue(self, chat_id: int, excerpt: str, message_id: str | None = None) -> Reply:
        """Logs tiredness (once per client message) and remakes today's plan for it."""
        with unit_of_work(self.engine) as s:
            client = self._client(s, chat_id)
            db_sessions.lock_client(s, client)
            db_symptoms.record_symptom(s, client, SymptomKind.FATIGUE, None, None, excerpt[:200], self.clock(),
                                       message_id)
            persistent = default_rules()["fatigue_persistent"]
            recent = self._reports(s, client, persistent, SymptomKind.FATIGUE)
        parts = [messages()["fatigue_ack"]]
        if recent >= persistent["count"]:
            parts.append(messages()["fatigue_persistent"])
        return self._with_new_plan(chat_id, parts)

    def record_red_flag(
        self, chat_id: int, excerpt: str, pain_score: int | None = None, body_part: str | None = None,
        message_id: str | None = None,
    ) -> None:
        """Logged (open), the clinic alerted, and every plan blocked until a coach clears it.

        The client has already had utter_red_flag (sent by Rasa itself, so it arrives even when
        the action server or the database is down). Both the action and the Telegram channel
        record it, so that a red flag is kept even while the action server is down; the second
        call finds the first one's record (the same client message, `message_id`, or an open red
        flag from the last few minutes) and only adds a pain score the first did not have. A
        pain score said with it is a pain report as well (the plan after clearing cites it), and
        at the alert level it alerts the clinic as pain too, so the clinic sees both.
        """
        with unit_of_work(self.engine) as s:
            client = self._client(s, chat_id)
            now = self.clock()
            db_sessions.lock_client(s, client)
            same = db_symptoms.symptom_from_message(s, client, message_id, SymptomKind.RED_FLAG) or next(
                (f for f in reversed(db_symptoms.open_red_flags(s, client))
                 if f.state == RedFlagState.OPEN and f.at >= now - RED_FLAG_SAME_MESSAGE
                 and None in (message_id, f.source_message_id)),
                None,
            )
            if same is not None and same.source_message_id is None:
                same.source_message_id = message_id  # the channel's record, now tied to its message
            if same is None:
                same = db_symptoms.record_symptom(s, client, SymptomKind.RED_FLAG, pain_score, body_part,
                                                  excerpt[:200], now, message_id)
                db_alerts.create_alert(s, client, AlertKind.RED_FLAG, excerpt[:200], now)
            elif same.score is None and pain_score is not None:  # the channel was first, without it
                same.score, same.body_part = pain_score, same.body_part or body_part
            else:
                return
            if (pain_score is not None
                    and db_symptoms.symptom_from_message(s, client, message_id, SymptomKind.PAIN) is None):
                db_symptoms.record_symptom(s, client, SymptomKind.PAIN, pain_score, body_part, excerpt[:200], now,
                                           message_id)
                self._alert_on_pain(s, client, pain_score)
            if client.profile is not None:
                self._plan(s, client, replan=True)  # today's plan becomes "stop"

    def open_red_flag_notice(self, chat_id: int) -> str | None:
        """The short reminder every message gets while a red flag is open; None when none is."""
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            if client is None or not db_symptoms.open_red_flags(s, client):
                return None
        return str(messages()["red_flag_open_notice"]).format(phone=clinic()["phone"])

    def request_human(self, chat_id: int, excerpt: str, message_id: str | None = None) -> bool:
        """Alert the clinic that the client wants a person; once per client message."""
        with unit_of_work(self.engine) as s:
            client = self._client(s, chat_id)
            dedup_key = f"message:{message_id}"[:64] if message_id is not None else None
            db_alerts.create_alert(s, client, AlertKind.HUMAN_REQUEST, excerpt[:200], self.clock(), dedup_key)
        return True

    # --- progress ----------------------------------------------------------------------------
    def progress(self, chat_id: int) -> Reply:
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return Reply(messages()["not_onboarded"])
            today = self._local_today(client)
            history, symptoms = self._history(s, client, today, db_clients.ladder_positions(s, client))
            summary = summarize_progress(history, symptoms, today)
            if not history.sessions:
                return Reply(messages()["progress_none"])
            return Reply(messages()["progress"].format(name=client.display_name, **_summary(summary)))

    def progress_chart_png(self, chat_id: int) -> bytes | None:
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            if client is None:
                return None
            today = self._local_today(client)
            history, symptoms = self._history(s, client, today, db_clients.ladder_positions(s, client))
        return render_chart(history, today, symptoms) if history.sessions else None

    # --- reminders ---------------------------------------------------------------------------
    def set_reminder(self, chat_id: int, at: time, rest_days: bool | None = None) -> Reply:
        """A new time (which also resumes paused reminders); `rest_days` turns the lighter hello
        on the days without a strength session on or off (None: left as it was)."""
        with unit_of_work(self.engine) as s:
            client = self._client(s, chat_id)
            if client.profile is not None:
                client.profile.reminder_time = at
            client.reminders_paused = False
            if rest_days is not None:
                client.light_reminders = rest_days
            light = bool(client.light_reminders)
        m = messages()
        tail = m["reminder_rest_days_on"] if light else (
            m["reminder_rest_days_off"] if rest_days is False else m["reminder_rest_days_offer"])
        return Reply(m["reminder_set"].format(time=at.strftime("%H:%M")) + tail)

    def set_rest_day_reminders(self, chat_id: int, on: bool) -> Reply:
        """The lighter hello on days without a strength session, on or off (the time stays)."""
        with unit_of_work(self.engine) as s:
            self._client(s, chat_id).light_reminders = on
        return Reply(messages()["rest_days_on" if on else "rest_days_off"])

    def pause_reminders(self, chat_id: int, paused: bool) -> Reply:
        with unit_of_work(self.engine) as s:
            client = self._client(s, chat_id)
            client.reminders_paused = paused
            at = client.profile.reminder_time if client.profile else None
        if paused:
            return Reply(messages()["reminders_paused"])
        return Reply(messages()["reminders_resumed"].format(
            time=at.strftime("%H:%M") if at else messages().reminder_time_unknown))

    # --- privacy -----------------------------------------------------------------------------
    def export_json(self, chat_id: int) -> bytes:
        with unit_of_work(self.engine) as s:
            data = db_clients.export_client(s, chat_id)
        return json.dumps(data, indent=2, default=str).encode()

    def forget(self, chat_id: int) -> Reply:
        with unit_of_work(self.engine) as s:
            gone = db_clients.forget_client(s, chat_id)
        return Reply(messages()["forgotten" if gone else "nothing_to_forget"])

    # --- what the clinic marks ------------------------------------------------------------------
    def handle_alert(self, alert_id: int, coach: str) -> AlertHandled | None:
        """A coach marks an alert handled (the first handler is kept). A red-flag alert moves the
        client's open red flags to handled: someone is on it, but the client is not cleared to
        train until `clear_red_flags`. None when there is no such alert."""
        with unit_of_work(self.engine) as s:
            alert = db_alerts.get_alert(s, alert_id)
            if alert is None:
                return None
            already = alert.handled_at is not None
            db_alerts.mark_alert_handled(s, alert_id, coach, self.clock())
            client = alert.client
            return AlertHandled(
                alert_id=alert.id, kind=alert.kind, chat_id=client.chat_id, name=client.display_name or "",
                timezone=client.timezone, handled_by=alert.handled_by or coach, handled_at=alert.handled_at,
                already=already, red_flag_open=bool(db_symptoms.open_red_flags(s, client)),
            )

    def clear_red_flags(self, chat_id: int, coach: str) -> RedFlagsCleared | None:
        """The clinic clears the client to train again: every red flag not cleared (open or
        handled) becomes cleared, their open red-flag alerts are closed, and the client is told
        once (the coach desk delivers `clear_notice`s). Clearing again changes nothing and says
        who cleared last. None for an unknown chat."""
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            if client is None:
                return None
            now = self.clock()
            db_sessions.lock_client(s, client)
            cleared = db_symptoms.clear_red_flags(s, client, coach, now)
            flagged = [a for a in db_alerts.list_alerts(s, client, open_only=True) if a.kind == AlertKind.RED_FLAG]
            for alert in flagged:
                db_alerts.mark_alert_handled(s, alert.id, coach, now)
            last = db_symptoms.last_cleared_red_flag(s, client)
            if cleared and client.profile is not None:
                s.flush()
                self._plan(s, client, replan=True)  # the next /today is a training plan again
            return RedFlagsCleared(
                chat_id=chat_id, name=client.display_name or "", timezone=client.timezone, cleared=cleared,
                alerts_closed=len(flagged), cleared_by=last.cleared_by if last else None,
                cleared_at=last.cleared_at if last else None,
            )

    def set_clinic_flags(self, chat_id: int, flags: Mapping[str, bool]) -> dict[str, bool] | None:
        """A coach sets what the clinic assessed (CLINIC_FLAGS); today's plan is made again so
        the next /today follows it. Returns every flag as it now stands; None for an unknown chat."""
        unknown = set(flags) - set(CLINIC_FLAGS)
        if unknown:
            raise ValueError(f"unknown clinic flags: {sorted(unknown)}")
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            if client is None:
                return None
            for name, value in flags.items():
                setattr(client, name, value)
            if flags and client.profile is not None:
                s.flush()
                self._plan(s, client, replan=True)
            return {name: bool(getattr(client, name)) for name in CLINIC_FLAGS}

    # --- scheduler ---------------------------------------------------------------------------
    def reminder_plan(self, chat_id: int) -> cm.Plan | None:
        """Today's plan for the check-in reminder: the same stored plan /today then shows, so
        the reminder's numbers are the real ones. None for a chat without a profile."""
        with unit_of_work(self.engine) as s:
            client = db_clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return None
            return self._plan(s, client)


# --- conversions (rows <-> engine dataclasses) ------------------------------------------------
def _profile(client: Client) -> cm.Profile:
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


def _screening_question(profile: Any, first: bool) -> Reply:
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


def _day_record(checkins: Sequence[Any]) -> cm.SessionRecord:
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
    pain = day_pain if day_pain is not None and day_pain < _pain_zones()["red"] else None
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


def _plan_to_json(plan: cm.Plan, rungs_before: Mapping[str, int]) -> str:
    data = asdict(plan)
    data["day"] = plan.day.isoformat()
    data["tiers"] = sorted(plan.tiers)
    data["rungs"] = dict(plan.rungs)
    data["rungs_before"] = dict(rungs_before)
    return json.dumps(data)


def _plan_from_json(raw: str) -> cm.Plan:
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


def onset_question_needed(score: int, body_part: str | None) -> bool:
    """A pain score that earns the safety question ("are you hurt, did it start suddenly or
    after a fall?") before anything else: thresholds in rules.yml `safety_check`."""
    check = default_rules()["safety_check"]
    threshold = check.values.get("body_part_score_min", {}).get(body_part or "", check["score_min"])
    return score >= min(int(threshold), int(check["score_min"]))


def _pain_zones() -> dict[str, int]:
    """The engine's pain zones (rules.yml `pain_zones`), by the names the service uses."""
    zones = default_rules()["pain_zones"]
    return {"amber": zones["amber_min"], "red": zones["red_min"], "alert": zones["coach_alert_min"]}


def _detail(key: str, **fields: Any) -> str:
    """What an alert or a stored note tells the clinic (coach_texts.yml `alert.details`)."""
    return coach_texts().alert.details[key].format(**fields)


def _summary(summary: Any) -> dict[str, Any]:
    return {
        "week_done": summary.week_done,
        "month_done": summary.four_weeks_done, "streak": summary.streak,
        "climbed": summary.rungs_climbed, "pain_trend": summary.pain_trend,
    }


def _checkin_text(status: str, rpe: int | None, pain: int | None, summary: Any, name: str) -> str:
    m = messages()
    if status == CheckInStatus.PARTIAL:
        parts = [m["checkin_partial"]]
    elif summary.four_weeks_done <= 1:
        parts = [m["checkin_done"]["first"].format(name=name)]
    elif summary.streak >= 2:
        parts = [m["checkin_done"]["streak"].format(name=name, streak=summary.streak)]
    else:
        parts = [m["checkin_done"]["plain"].format(name=name, week_done=summary.week_done)]
    # The feedback promises what the engine does next time (rules.yml): hold after hard effort,
    # step up after comfortable sessions without amber pain.
    hard, amber = default_rules()["progress_hold_effort"]["effort_hold"], _pain_zones()["amber"]
    if rpe is not None and rpe >= hard:
        parts.append(m["effort_hard"].format(rpe=rpe))
    elif rpe is not None and (pain or 0) < amber:
        parts.append(m["effort_easy"].format(rpe=rpe))
    if pain is not None and pain >= amber:
        parts.append(m["pain_after"].format(pain=pain))
    return " ".join(parts)


# --- process-wide default, for the channel and the terminal chat ------------------------------
@lru_cache(maxsize=1)
def default_coach() -> Coach:
    return Coach.from_settings()


def progress_chart_png(chat_id: int) -> bytes | None:
    return default_coach().progress_chart_png(chat_id)


def export_json(chat_id: int) -> bytes:
    return default_coach().export_json(chat_id)



# --- for the coach desk (report, /report): the same conversion /progress uses -----------------
def client_history(coach: Coach, s: Session, client: Client) -> tuple[date, cm.History, list[cm.SymptomReport]]:
    """The client's local today, history and symptoms exactly as /progress sees them."""
    today = coach._local_today(client)
    history, symptoms = coach._history(s, client, today, db_clients.ladder_positions(s, client))
    return today, history, symptoms
