"""Delivering coach alerts to the clinic's Telegram chat: each once, oldest first, restart-safe.

Alerts are rows (bot.services creates them). A sender claims one (a committed conditional UPDATE),
sends it, then marks it notified. A failed send gives the claim back, so the next round retries;
a sender that dies mid-send leaves a claim that goes stale after STALE_CLAIM and is taken over.
The one duplicate this allows — Telegram got the message but the mark was never written — is
better than a red flag nobody saw. In clinic hours, an alert nobody has marked handled is sent
again after a while (RepeatPolicy, from bot/content/clinic.yml), until someone does.

The message says who, what and when (in the client's time zone) and what the client logged
lately: check-ins and their own words from symptom reports, read from the session database.
Rasa's tracker store would hold the full conversation, but it lives in another database file on
SQLite and its event format is Rasa's; the session database is ours, on every deployment.
Logs name alert ids only, never what an alert is about.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.coach_desk.texts import (
    clip,
    coach_texts,
    is_button_press,
    local_moment,
    local_time,
    short_day,
    what_client_did,
)
from bot.content.loader import clinic
from bot.db import alerts, sessions, symptoms
from bot.db.engine import unit_of_work
from bot.db.models import CoachAlert
from bot.db.status import AlertKind
from bot.services.context import utc_now

logger = logging.getLogger(__name__)

# Longer than a send can take with Telegram's flood waits and our retries (bot.messaging.client).
STALE_CLAIM = timedelta(minutes=5)
RECENT_DAYS = 14
RECENT_ITEMS = 5
DETAIL_MAX = 500
QUOTED_KINDS = (AlertKind.RED_FLAG, AlertKind.HUMAN_REQUEST)  # their detail is what the client wrote


def _quote(text: str) -> str:
    return str(coach_texts()["recent"]["quote"]).format(text=text)


def alert_text(s: Session, alert: CoachAlert, now: datetime) -> str:
    """The coach-chat message for an alert (its client loaded), plain text, well under 4096."""
    texts = coach_texts()["alert"]
    client = alert.client
    detail = clip(what_client_did(alert.detail), DETAIL_MAX) if alert.detail else texts["no_detail"]
    quoted = alert.kind in QUOTED_KINDS and alert.detail and not is_button_press(alert.detail)
    body = texts["body"].format(
        heading=texts["headings"][alert.kind],
        id=alert.id,
        name=client.display_name or "?",
        chat_id=client.chat_id,
        when=local_time(alert.at, client.timezone),
        what=_quote(detail) if quoted else detail,
    )
    recent = _recent_lines(s, alert, now)
    history = (
        "\n".join([texts["recent_heading"].format(days=RECENT_DAYS), *recent])
        if recent
        else texts["recent_none"].format(days=RECENT_DAYS)
    )
    footer = texts["footer_red_flag" if alert.kind == AlertKind.RED_FLAG else "footer"].format(
        id=alert.id, chat_id=client.chat_id)
    return "\n\n".join((body, history, footer))


def _recent_lines(s: Session, alert: CoachAlert, now: datetime) -> list[str]:
    """The client's newest check-ins and reports, oldest of them first; not the alert's own report."""
    client = alert.client
    zone = ZoneInfo(client.timezone)
    texts = coach_texts()["recent"]
    since = now - timedelta(days=RECENT_DAYS)
    items: list[tuple[datetime, str]] = []
    for checkin in sessions.recent_checkins(s, client, since.astimezone(zone).date()):
        extras = [texts["effort"].format(rpe=checkin.rpe)] if checkin.rpe is not None else []
        if checkin.pain is not None:
            extras.append(texts["pain"].format(pain=checkin.pain))
        said = checkin.skip_reason or checkin.note
        line = texts["checkin"].format(
            day=short_day(checkin.day),
            status=texts["statuses"].get(checkin.status, checkin.status),
            extras=(f" ({', '.join(extras)})" if extras else "") + (f" — {_quote(clip(said, 200))}" if said else ""),
        )
        items.append((checkin.created_at, line))
    for report in symptoms.symptoms_since(s, client, since):
        if report.at == alert.at and report.text_excerpt == alert.detail:
            continue  # the message that raised this alert, already shown as "What"
        extras = [texts["score"].format(score=report.score)] if report.score is not None else []
        if report.body_part:
            extras.append(texts["body_part"].format(body_part=report.body_part))
        if is_button_press(report.text_excerpt):
            extras.append(f"— {what_client_did(report.text_excerpt)}")
        elif report.text_excerpt:
            extras.append(f"— {_quote(report.text_excerpt)}")
        line = texts["symptom"].format(
            when=local_moment(report.at, client.timezone),
            kind=texts["symptom_kinds"].get(report.kind, report.kind),
            extras="".join(f" {e}" for e in extras),
        )
        items.append((report.at, line))
    newest = sorted(items, key=lambda item: item[0])[-RECENT_ITEMS:]
    return [line for _, line in newest]


def handled_button(alert_id: int) -> InlineKeyboardMarkup:
    """One tap instead of typing /handled ID (the coach desk handles the press)."""
    title = coach_texts()["alert"]["button"]
    return InlineKeyboardMarkup([[InlineKeyboardButton(title, callback_data=f"/handled {alert_id}")]])


@dataclass(frozen=True)
class _Outgoing:
    alert_id: int
    text: str


@dataclass(frozen=True)
class RepeatPolicy:
    """When an unhandled alert is sent again (bot/content/clinic.yml `alert_repeat`)."""

    after: timedelta
    kinds: tuple[str, ...]
    zone: ZoneInfo
    weekdays: frozenset[int]
    opens: time
    closes: time

    @classmethod
    def from_clinic(cls) -> RepeatPolicy:
        data = clinic().alert_repeat
        return cls(
            after=timedelta(minutes=int(data["after_minutes"])),
            kinds=tuple(data["kinds"]),
            zone=ZoneInfo(data["timezone"]),
            weekdays=frozenset(int(d) for d in data["weekdays"]),
            opens=time.fromisoformat(data["opens"]),
            closes=time.fromisoformat(data["closes"]),
        )

    def in_hours(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        return local.weekday() in self.weekdays and self.opens <= local.time() < self.closes


class AlertDispatcher:
    """Sends undelivered alerts to the coach chat, oldest first."""

    def __init__(
        self,
        engine: Engine,
        bot: Bot,
        coach_chat_id: int,
        *,
        clock: Callable[[], datetime] = utc_now,
        stale_after: timedelta = STALE_CLAIM,
        repeat: RepeatPolicy | None = None,
    ) -> None:
        self.engine = engine
        self.bot = bot
        self.coach_chat_id = coach_chat_id
        self.clock = clock
        self.stale_after = stale_after
        self.repeat = repeat or RepeatPolicy.from_clinic()

    async def dispatch(self) -> int:
        """Send every deliverable alert; returns how many were sent.

        Stops at the first failed send (the alert is given back for the next round), so alerts
        keep their order and a Telegram outage costs one attempt per round, not one per alert.
        Database errors are raised.
        """
        sent = 0
        while (outgoing := await asyncio.to_thread(self._claim_next)) is not None:
            try:
                await self.bot.send_message(
                    self.coach_chat_id, outgoing.text, reply_markup=handled_button(outgoing.alert_id)
                )
            except TelegramError as exc:
                logger.error("Coach alert %d not delivered (%s); retrying later", outgoing.alert_id,
                             type(exc).__name__)
                await asyncio.to_thread(self._run, lambda s: alerts.release_alert(s, outgoing.alert_id))
                return sent
            await asyncio.to_thread(self._run, lambda s: alerts.mark_alert_notified(s, outgoing.alert_id, self.clock()))
            logger.info("Coach alert %d delivered", outgoing.alert_id)
            sent += 1
        return sent

    def _claim_next(self) -> _Outgoing | None:
        """A new alert first; then, in clinic hours, one that nobody has handled in time."""
        now = self.clock()
        with unit_of_work(self.engine) as s:
            alert = alerts.claim_next_alert(s, now, self.stale_after)
            if alert is not None:
                return _Outgoing(alert.id, alert_text(s, alert, now))
            if not self.repeat.in_hours(now):
                return None
            alert = alerts.claim_next_repeat(s, now, self.repeat.after, self.stale_after, self.repeat.kinds)
            if alert is None:
                return None
            minutes = int((now - alert.at).total_seconds() // 60)
            heading = coach_texts()["alert"]["repeat"].format(minutes=minutes)
            return _Outgoing(alert.id, f"{heading}\n\n{alert_text(s, alert, now)}")

    def _run(self, work: Callable[[Session], None]) -> None:
        with unit_of_work(self.engine) as s:
            work(s)


async def notify_pending(engine: Engine, bot: Bot, coach_chat_id: int | None) -> int:
    """Deliver every pending alert now (call it right after creating one); returns how many
    were sent. Without a coach chat configured, nothing is sent: the CLI still lists alerts."""
    if coach_chat_id is None:
        return 0
    return await AlertDispatcher(engine, bot, coach_chat_id).dispatch()
