"""Safety: pain and fatigue reports (with today's plan remade for them), red flags from open
through handled to cleared, a request for a person, and the clinic staff's side of an alert.

One transaction per call, the replanning it triggers included: a report and the plan made for
it are committed together or not at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.coaching.library import default_rules
from bot.content.loader import clinic, messages
from bot.db import alerts, clients, sessions, symptoms
from bot.db.engine import unit_of_work
from bot.db.models import Client
from bot.db.status import AlertKind, RedFlagState, SymptomKind
from bot.services.context import Service, client_for
from bot.services.pain import alert_on_pain, count_reports, pain_zones
from bot.services.planning import plan_reply, todays_plan
from bot.services.types import AlertHandled, RedFlagsCleared, Reply

# A red flag recorded again within this time is the same report: the action and the Telegram
# channel both record a turn's red flag, seconds apart, and after a "yes" to the safety question
# the channel only has the "yes" (see record_red_flag).
RED_FLAG_SAME_MESSAGE = timedelta(minutes=2)


class SafetyService(Service):
    """Pain, fatigue, red flags, a person asked for; alerts handled and red flags cleared."""

    # --- what the client reports -------------------------------------------------------------
    def report_pain(
        self, chat_id: int, score: int, body_part: str | None, excerpt: str, with_plan: bool = True,
        message_id: str | None = None,
    ) -> Reply:
        """Logs the report (alerting the clinic at its thresholds); the reply is the
        acknowledgement and, `with_plan`, today's plan remade for it. The same client message
        (`message_id`) run again logs and alerts nothing new."""
        zones = pain_zones()
        zone = "red" if score >= zones["red"] else "amber" if score >= zones["amber"] else "green"
        where = messages().pain_where.format(body_part=body_part) if body_part else ""
        parts = [messages()["pain_ack"][zone].format(score=score, where=where)]
        with unit_of_work(self.engine) as s:
            now = self.clock()
            client = client_for(s, chat_id, now)
            sessions.lock_client(s, client)
            if symptoms.symptom_from_message(s, client, message_id, SymptomKind.PAIN) is None:
                symptoms.record_symptom(s, client, SymptomKind.PAIN, score, body_part, excerpt[:200], now,
                                        message_id)
                if alert_on_pain(s, client, score, now):
                    parts.append(messages()["pain_repeat_alert"])
            return _with_new_plan(s, client, now, parts) if with_plan else Reply("\n\n".join(parts))

    def report_fatigue(self, chat_id: int, excerpt: str, message_id: str | None = None) -> Reply:
        """Logs tiredness (once per client message) and remakes today's plan for it."""
        with unit_of_work(self.engine) as s:
            now = self.clock()
            client = client_for(s, chat_id, now)
            sessions.lock_client(s, client)
            symptoms.record_symptom(s, client, SymptomKind.FATIGUE, None, None, excerpt[:200], now, message_id)
            persistent = default_rules()["fatigue_persistent"]
            parts = [messages()["fatigue_ack"]]
            if count_reports(s, client, now, persistent, SymptomKind.FATIGUE) >= persistent["count"]:
                parts.append(messages()["fatigue_persistent"])
            return _with_new_plan(s, client, now, parts)

    def record_red_flag(
        self, chat_id: int, excerpt: str, pain_score: int | None = None, body_part: str | None = None,
        message_id: str | None = None,
    ) -> None:
        """Logged (open), the clinic alerted, and every plan blocked until the clinic clears it.

        The client has already had utter_red_flag (sent by Rasa itself, so it arrives even when
        the action server or the database is down). Both the action and the Telegram channel
        record it, so that a red flag is kept even while the action server is down; the second
        call finds the first one's record (the same client message, `message_id`, or an open red
        flag from the last few minutes) and only adds a pain score the first did not have. A
        pain score said with it is a pain report as well (the plan after clearing cites it), and
        at the alert level it alerts the clinic as pain too, so the clinic sees both.
        """
        with unit_of_work(self.engine) as s:
            now = self.clock()
            client = client_for(s, chat_id, now)
            sessions.lock_client(s, client)
            same = symptoms.symptom_from_message(s, client, message_id, SymptomKind.RED_FLAG) or next(
                (f for f in reversed(symptoms.open_red_flags(s, client))
                 if f.state == RedFlagState.OPEN and f.at >= now - RED_FLAG_SAME_MESSAGE
                 and None in (message_id, f.source_message_id)),
                None,
            )
            if same is not None and same.source_message_id is None:
                same.source_message_id = message_id  # the channel's record, now tied to its message
            if same is None:
                same = symptoms.record_symptom(s, client, SymptomKind.RED_FLAG, pain_score, body_part,
                                               excerpt[:200], now, message_id)
                alerts.create_alert(s, client, AlertKind.RED_FLAG, excerpt[:200], now)
            elif same.score is None and pain_score is not None:  # the channel was first, without it
                same.score, same.body_part = pain_score, same.body_part or body_part
            else:
                return
            if (pain_score is not None
                    and symptoms.symptom_from_message(s, client, message_id, SymptomKind.PAIN) is None):
                symptoms.record_symptom(s, client, SymptomKind.PAIN, pain_score, body_part, excerpt[:200], now,
                                        message_id)
                alert_on_pain(s, client, pain_score, now)
            if client.profile is not None:
                todays_plan(s, client, now, replan=True)  # today's plan becomes "stop"

    def open_red_flag_notice(self, chat_id: int) -> str | None:
        """The short reminder every message gets while a red flag is open; None when none is."""
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            if client is None or not symptoms.open_red_flags(s, client):
                return None
        return str(messages()["red_flag_open_notice"]).format(phone=clinic()["phone"])

    def request_human(self, chat_id: int, excerpt: str, message_id: str | None = None) -> bool:
        """Alert the clinic that the client wants a person; once per client message."""
        with unit_of_work(self.engine) as s:
            now = self.clock()
            client = client_for(s, chat_id, now)
            dedup_key = f"message:{message_id}"[:64] if message_id is not None else None
            alerts.create_alert(s, client, AlertKind.HUMAN_REQUEST, excerpt[:200], now, dedup_key)
        return True

    # --- what the clinic's staff do ----------------------------------------------------------
    def handle_alert(self, alert_id: int, staff: str) -> AlertHandled | None:
        """A staff member marks an alert handled (the first handler is kept). A red-flag alert
        moves the client's open red flags to handled: someone is on it, but the client is not
        cleared to train until `clear_red_flags`. None when there is no such alert."""
        with unit_of_work(self.engine) as s:
            alert = alerts.get_alert(s, alert_id)
            if alert is None:
                return None
            already = alert.handled_at is not None
            alerts.mark_alert_handled(s, alert_id, staff, self.clock())
            client = alert.client
            return AlertHandled(
                alert_id=alert.id, kind=alert.kind, chat_id=client.chat_id, name=client.display_name or "",
                timezone=client.timezone, handled_by=alert.handled_by or staff, handled_at=alert.handled_at,
                already=already, red_flag_open=bool(symptoms.open_red_flags(s, client)),
            )

    def clear_red_flags(self, chat_id: int, staff: str) -> RedFlagsCleared | None:
        """The clinic clears the client to train again: every red flag not cleared (open or
        handled) becomes cleared, their open red-flag alerts are closed, and the client is told
        once (the coach desk delivers `clear_notice`s). Clearing again changes nothing and says
        which staff member cleared last. None for an unknown chat."""
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            if client is None:
                return None
            now = self.clock()
            sessions.lock_client(s, client)
            cleared = symptoms.clear_red_flags(s, client, staff, now)
            flagged = [a for a in alerts.list_alerts(s, client, open_only=True) if a.kind == AlertKind.RED_FLAG]
            for alert in flagged:
                alerts.mark_alert_handled(s, alert.id, staff, now)
            last = symptoms.last_cleared_red_flag(s, client)
            if cleared and client.profile is not None:
                s.flush()
                todays_plan(s, client, now, replan=True)  # the next /today is a training plan again
            return RedFlagsCleared(
                chat_id=chat_id, name=client.display_name or "", timezone=client.timezone, cleared=cleared,
                alerts_closed=len(flagged), cleared_by=last.cleared_by if last else None,
                cleared_at=last.cleared_at if last else None,
            )


def _with_new_plan(s: Session, client: Client, now: datetime, parts: list[str]) -> Reply:
    """The acknowledgement, then today's plan remade for the new symptom, with its buttons
    (the acknowledgement alone before onboarding is done)."""
    if client.profile is None or client.consent_at is None:
        return Reply("\n\n".join(parts))
    s.flush()
    plan = plan_reply(s, client, now, replan=True)
    return Reply("\n\n".join([*parts, plan.text]), plan.buttons)
