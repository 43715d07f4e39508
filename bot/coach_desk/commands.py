"""The coach chat's slash commands, text in and text out (Telegram plumbing is in desk.py).

Each command is one unit of work; blocking, so the desk runs it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.coach_desk.alerts import utc_now
from bot.coach_desk.flags import describe, parse_flag_args
from bot.coach_desk.report import build_report
from bot.coach_desk.store import alerts
from bot.coach_desk.texts import clip, coach_texts, invite_link, kind_label, local_time, what_client_did
from bot.db import repo
from bot.db.engine import unit_of_work
from bot.db.models import CoachAlert
from bot.service import AlertHandled, Coach, RedFlagsCleared

DETAIL_IN_LIST = 80
T = TypeVar("T")


def parse_command(text: str) -> tuple[str, str | None, str]:
    """"/handled@BoneCoachBot 12" -> ("handled", "BoneCoachBot", "12"); name lower-cased."""
    head, *tail = text.strip().split(maxsplit=1)
    name, _, target = head.lstrip("/").partition("@")
    return name.lower(), target or None, tail[0].strip() if tail else ""


def _number(text: str) -> int | None:
    """The first word as an integer (chat ids of groups are negative)."""
    word = text.split()[0] if text.split() else ""
    return int(word) if word.lstrip("-").isdigit() else None


def _alert_line(alert: CoachAlert) -> str:
    detail = clip(what_client_did(alert.detail), DETAIL_IN_LIST)
    return coach_texts()["commands"]["alert_line"].format(
        id=alert.id,
        kind=kind_label(alert.kind),
        name=alert.client.display_name or "?",
        chat_id=alert.client.chat_id,
        when=local_time(alert.at, alert.client.timezone),
        detail=detail or "–",
    )


def handled_reply(done: AlertHandled | None, alert_id: int) -> str:
    """What the coach reads after /handled (or `bone-coach alerts handle`)."""
    texts = coach_texts()["commands"]
    if done is None:
        return texts["no_such_alert"].format(id=alert_id)
    name = done.name or done.chat_id
    if done.already:
        when = local_time(done.handled_at, done.timezone)
        return texts["handled_before"].format(id=alert_id, by=done.handled_by, when=when)
    reply = texts["handled"].format(id=alert_id, kind=kind_label(done.kind), name=name, by=done.handled_by)
    if done.kind == "red_flag" and done.red_flag_open:
        reply += " " + texts["handled_red_flag"].format(name=name, chat_id=done.chat_id)
    return reply


def cleared_reply(done: RedFlagsCleared | None, chat_id: int) -> str:
    """What the coach reads after /clear (or `bone-coach clear`)."""
    texts = coach_texts()["commands"]
    if done is None:
        return texts["no_such_client"].format(chat_id=chat_id)
    name = done.name or "?"
    if done.cleared or done.alerts_closed:
        return texts["cleared"].format(name=name, chat_id=chat_id, count=done.cleared, alerts=done.alerts_closed)
    if done.cleared_at is not None:
        when = local_time(done.cleared_at, done.timezone)
        return texts["cleared_before"].format(name=name, chat_id=chat_id, by=done.cleared_by, when=when)
    return texts["nothing_to_clear"].format(name=name, chat_id=chat_id)


def _coach(commands: CoachCommands) -> Coach:
    return Coach(commands.engine, commands.clock)


class CoachCommands:
    """/alerts, /handled, /clear, /invite, /allow, /report, /flags; anything else gets the list."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def run(self, text: str, coach: str, bot_username: str | None = None) -> str:
        """The reply to one command from the coach chat; `coach` is who sent it."""
        name, _, args = parse_command(text)
        if name == "alerts":
            return self.open_alerts()
        if name == "handled":
            return self.handled(args, coach)
        if name == "clear":
            return self.clear(args, coach)
        if name == "invite":
            return self.invite(coach, bot_username)
        if name == "allow":
            return self.allow(args, coach)
        if name == "report":
            return self.report()
        if name == "flags":
            return self.flags(args)
        return coach_texts()["commands"]["help"]

    def _work(self, fn: Callable[[Session], T]) -> T:
        with unit_of_work(self.engine) as s:
            return fn(s)

    def open_alerts(self) -> str:
        texts = coach_texts()["commands"]
        lines = self._work(lambda s: [_alert_line(a) for a in alerts(s, open_only=True)])
        if not lines:
            return texts["alerts_none"]
        return "\n".join([texts["alerts_heading"].format(count=len(lines)), *lines])

    def handled(self, args: str, coach: str) -> str:
        """Mark an alert handled; a red flag's client stays stopped until /clear."""
        texts = coach_texts()["commands"]
        alert_id = _number(args.lstrip("#"))
        if alert_id is None:
            return texts["usage_handled"]
        done = _coach(self).handle_alert(alert_id, coach)
        return handled_reply(done, alert_id)

    def clear(self, args: str, coach: str) -> str:
        """Clear the client's red flags and close their open red-flag alerts with them; the
        client is told by the desk (bot.coach_desk.cleared)."""
        texts = coach_texts()["commands"]
        chat_id = _number(args)
        if chat_id is None:
            return texts["usage_clear"]
        return cleared_reply(_coach(self).clear_red_flags(chat_id, coach), chat_id)

    def invite(self, coach: str, bot_username: str | None) -> str:
        texts = coach_texts()["commands"]
        code = self._work(lambda s: repo.create_invite(s, coach, self.clock()))
        return texts["invite"].format(code=code, link=invite_link(code, bot_username))

    def allow(self, args: str, coach: str) -> str:
        texts = coach_texts()["commands"]
        chat_id = _number(args)
        if chat_id is None:
            return texts["usage_allow"]
        note = args.split(maxsplit=1)[1].strip()[:200] if len(args.split()) > 1 else f"added by {coach}"[:200]
        self._work(lambda s: repo.allow_chat(s, chat_id, note, self.clock()))
        return texts["allowed"].format(chat_id=chat_id, note=f" ({note})")

    def flags(self, args: str) -> str:
        """Show or set what the clinic marked on a client; today's plan follows at once."""
        texts = coach_texts()["commands"]
        chat_id, *words = args.split() or [""]
        number = _number(chat_id)
        try:
            changes = parse_flag_args(words)
        except ValueError:
            return texts["usage_flags"]
        if number is None:
            return texts["usage_flags"]
        flags = Coach(self.engine, self.clock).set_clinic_flags(number, changes)
        if flags is None:
            return texts["no_such_client"].format(chat_id=number)
        name = self._work(lambda s: repo.get_client(s, number).display_name) or "?"
        return texts["flags"].format(name=name, chat_id=number, flags=describe(flags))

    def report(self) -> str:
        texts = coach_texts()["commands"]
        rows = build_report(self.engine, self.clock())
        if not rows:
            return texts["report_none"]
        lines = [texts["report_heading"].format(count=len(rows))]
        for row in sorted(rows, key=lambda r: (r.name.casefold(), r.chat_id)):
            pain = "–" if row.pain_average is None else f"{row.pain_average:.1f}"
            lines.append(texts["report_line"].format(
                name=row.name or "?", chat_id=row.chat_id, done_7=row.done_7, planned_7=row.planned_7,
                done_28=row.done_28, planned_28=row.planned_28, streak=row.streak,
                pain=f"{pain} ({row.pain_trend})", alerts=row.open_alerts,
            ))
        return "\n".join(lines)
