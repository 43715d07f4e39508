"""The coach chat's slash commands, text in and text out (Telegram plumbing is in desk.py; what
each command does is the desk service's, shared with `bone-coach`).

Blocking, so the desk runs `run` in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.coach_desk.flags import describe, parse_flag_args
from bot.coach_desk.service import DeskService
from bot.coach_desk.texts import clip, coach_texts, invite_link, kind_label, local_time, what_client_did
from bot.db.models import CoachAlert
from bot.services.context import utc_now
from bot.slash import parse_slash

DETAIL_IN_LIST = 80


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


class CoachCommands:
    """/alerts, /handled, /clear, /invite, /allow, /report, /flags; anything else gets the list."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self.desk = DeskService(engine, clock)

    def run(self, text: str, staff: str, bot_username: str | None = None) -> str:
        """The reply to one command from the coach chat; `staff` is the staff member who sent it."""
        slash = parse_slash(text)
        if slash is None:
            return coach_texts()["commands"]["help"]
        name, args = slash.name, slash.args
        if name == "alerts":
            return self.open_alerts()
        if name == "handled":
            return self.handled(args, staff)
        if name == "clear":
            return self.clear(args, staff)
        if name == "invite":
            return self.invite(staff, bot_username)
        if name == "allow":
            return self.allow(args, staff)
        if name == "report":
            return self.report()
        if name == "flags":
            return self.flags(args)
        return coach_texts()["commands"]["help"]

    def open_alerts(self) -> str:
        texts = coach_texts()["commands"]
        lines = [_alert_line(a) for a in self.desk.alerts(open_only=True)]
        if not lines:
            return texts["alerts_none"]
        return "\n".join([texts["alerts_heading"].format(count=len(lines)), *lines])

    def handled(self, args: str, staff: str) -> str:
        """Mark an alert handled; a red flag's client stays stopped until /clear."""
        texts = coach_texts()["commands"]
        alert_id = _number(args.lstrip("#"))
        if alert_id is None:
            return texts["usage_handled"]
        return self.desk.handle_alert(alert_id, staff).text

    def clear(self, args: str, staff: str) -> str:
        """Clear the client's red flags (the client is told by the desk, bot.coach_desk.cleared)."""
        texts = coach_texts()["commands"]
        chat_id = _number(args)
        if chat_id is None:
            return texts["usage_clear"]
        return self.desk.clear(chat_id, staff).text

    def invite(self, staff: str, bot_username: str | None) -> str:
        texts = coach_texts()["commands"]
        code = self.desk.create_invite(staff)
        return texts["invite"].format(code=code, link=invite_link(code, bot_username))

    def allow(self, args: str, staff: str) -> str:
        texts = coach_texts()["commands"]
        chat_id = _number(args)
        if chat_id is None:
            return texts["usage_allow"]
        note = args.split(maxsplit=1)[1].strip()[:200] if len(args.split()) > 1 else f"added by {staff}"[:200]
        self.desk.allow(chat_id, note)
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
        flags = self.desk.set_flags(number, changes)
        if flags is None:
            return texts["no_such_client"].format(chat_id=number)
        name = self.desk.client_name(number) or "?"
        return texts["flags"].format(name=name, chat_id=number, flags=describe(flags))

    def report(self) -> str:
        texts = coach_texts()["commands"]
        rows = self.desk.report()
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
