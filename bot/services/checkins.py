"""Check-ins: a session done, partly done or skipped, each its own record, written once per
client message, with the feedback the engine will keep to next time. One transaction per call."""

from __future__ import annotations

from bot.coaching.library import default_rules
from bot.coaching.progress import ProgressSummary, summarize_progress
from bot.content.loader import clinic, messages
from bot.db import clients, sessions, symptoms
from bot.db.engine import unit_of_work
from bot.db.status import CheckInStatus, SymptomKind
from bot.services.context import Service, local_today
from bot.services.history import client_history
from bot.services.pain import alert_on_pain, detail, pain_zones
from bot.services.planning import todays_plan
from bot.services.types import Reply


class CheckinService(Service):
    """log_checkin and log_skip."""

    def log_checkin(
        self, chat_id: int, status: str, rpe: int | None, pain: int | None, note: str | None,
        message_id: str | None = None,
    ) -> Reply:
        """A session done or partly done. Each check-in is kept (a second one the same day too);
        the same client message (`message_id`) run again after a restart logs nothing new and
        gets the same reply. Not logged as training while a red flag is not cleared."""
        with unit_of_work(self.engine) as s:
            now = self.clock()
            client = clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return Reply(messages()["not_onboarded"])
            sessions.lock_client(s, client)
            logged = sessions.checkin_from_message(s, client, message_id)
            if logged is not None:
                status, rpe, pain = logged.status, logged.rpe, logged.pain
            elif symptoms.open_red_flags(s, client):
                # Not training while the clinic has not cleared a red flag: nothing is logged as
                # a session, no ladder moves, no step up is promised; the pain score is kept.
                if pain is not None:
                    symptoms.record_symptom(s, client, SymptomKind.PAIN, pain, None, detail("pain_at_checkin"),
                                            now, message_id)
                    alert_on_pain(s, client, pain, now)
                return Reply(messages()["checkin_red_flag_open"].format(phone=clinic()["phone"]))
            repeated = False
            if logged is None:
                plan = todays_plan(s, client, now)
                logs = [
                    dict(pattern=e.pattern, rung=e.rung, sets=e.sets, reps=e.reps, seconds=e.seconds)
                    for e in plan.exercises
                ] if status == CheckInStatus.DONE else []
                sessions.record_checkin(s, client, local_today(client, now), status, rpe, pain, note, None, logs,
                                        now, session_kind=plan.kind, source_message_id=message_id)
                if pain is not None and pain >= pain_zones()["red"]:
                    symptoms.record_symptom(s, client, SymptomKind.PAIN, pain, None, detail("pain_at_checkin"),
                                            now, message_id)
                    repeated = alert_on_pain(s, client, pain, now)
            today, history, reports = client_history(s, client, now)
            summary = summarize_progress(history, reports, today)
            name = client.display_name
        text = _checkin_text(status, rpe, pain, summary, name)
        return Reply(f"{text} {messages()['pain_repeat_alert']}" if repeated else text)

    def log_skip(self, chat_id: int, reason: str, message_id: str | None = None) -> Reply:
        """A skipped session, kept as its own record; once per client message (`message_id`)."""
        with unit_of_work(self.engine) as s:
            now = self.clock()
            client = clients.get_client(s, chat_id)
            if client is None or client.profile is None:
                return Reply(messages()["not_onboarded"])
            sessions.lock_client(s, client)
            sessions.record_checkin(
                s, client, local_today(client, now), CheckInStatus.SKIPPED, None, None, None,
                reason[:200], [], now, source_message_id=message_id,
            )
        return Reply(messages()["skip_ack"].format(reason=reason[:60]))


def _checkin_text(status: str, rpe: int | None, pain: int | None, summary: ProgressSummary, name: str) -> str:
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
    hard, amber = default_rules()["progress_hold_effort"]["effort_hold"], pain_zones()["amber"]
    if rpe is not None and rpe >= hard:
        parts.append(m["effort_hard"].format(rpe=rpe))
    elif rpe is not None and (pain or 0) < amber:
        parts.append(m["effort_easy"].format(rpe=rpe))
    if pain is not None and pain >= amber:
        parts.append(m["pain_after"].format(pain=pain))
    return " ".join(parts)
