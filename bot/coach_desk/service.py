"""What the clinic's staff can do, in one place for both ways in: the coach chat's commands
(commands.py) and the `bone-coach` command line (bot/cli.py).

Each call is one unit of work and blocking (the coach chat runs it in a worker thread). Marking
an alert handled and clearing a red flag answer in the same words on both, so they are decided
here; listings are laid out by each caller (chat lines, CLI tables).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.coach_desk.report import ClientReport, build_report
from bot.coach_desk.texts import coach_texts, kind_label, local_time
from bot.db import alerts, clients, invites
from bot.db.engine import unit_of_work
from bot.db.models import AllowedChat, CoachAlert, InviteCode
from bot.db.status import AlertKind
from bot.services import Services
from bot.services.context import utc_now
from bot.services.types import AlertHandled, RedFlagsCleared

T = TypeVar("T")


@dataclass(frozen=True)
class Answer:
    """What the staff member reads, and whether it did what was asked (the CLI's exit status)."""

    text: str
    ok: bool


def handled_reply(done: AlertHandled | None, alert_id: int) -> str:
    """What the staff member reads after /handled (or `bone-coach alerts handle`)."""
    texts = coach_texts()["commands"]
    if done is None:
        return texts["no_such_alert"].format(id=alert_id)
    name = done.name or done.chat_id
    if done.already:
        when = local_time(done.handled_at, done.timezone)
        return texts["handled_before"].format(id=alert_id, by=done.handled_by, when=when)
    reply = texts["handled"].format(id=alert_id, kind=kind_label(done.kind), name=name, by=done.handled_by)
    if done.kind == AlertKind.RED_FLAG and done.red_flag_open:
        reply += " " + texts["handled_red_flag"].format(name=name, chat_id=done.chat_id)
    return reply


def cleared_reply(done: RedFlagsCleared | None, chat_id: int) -> str:
    """What the staff member reads after /clear (or `bone-coach clear`)."""
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


class DeskService:
    """Alerts, red flags, clinic flags, invites, the allow-list and the report, for staff."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self.services = Services.over(engine, clock)

    def _work(self, fn: Callable[[Session], T]) -> T:
        with unit_of_work(self.engine) as s:
            return fn(s)

    # --- alerts and red flags ----------------------------------------------------------------
    def alerts(self, open_only: bool = False) -> list[CoachAlert]:
        """Oldest first, each with its client loaded."""
        return self._work(lambda s: alerts.list_alerts(s, open_only=open_only))

    def handle_alert(self, alert_id: int, by: str) -> Answer:
        """Mark an alert handled; a red flag's client stays stopped until `clear`."""
        done = self.services.safety.handle_alert(alert_id, by)
        return Answer(handled_reply(done, alert_id), ok=done is not None)

    def clear(self, chat_id: int, by: str) -> Answer:
        """Clear the client's red flags and close their open red-flag alerts with them; the
        client is told by the coach desk (cleared.py), from the coach chat or its loop."""
        done = self.services.safety.clear_red_flags(chat_id, by)
        return Answer(cleared_reply(done, chat_id), ok=done is not None)

    # --- what the clinic marks on a client ---------------------------------------------------
    def set_flags(self, chat_id: int, changes: Mapping[str, bool]) -> dict[str, bool] | None:
        """Show (no changes) or set the clinic's flags; today's plan follows at once. None for
        an unknown chat."""
        return self.services.plans.set_clinic_flags(chat_id, changes)

    def client_name(self, chat_id: int) -> str | None:
        def name(s: Session) -> str | None:
            client = clients.get_client(s, chat_id)
            return client.display_name if client is not None else None

        return self._work(name)

    # --- enrolment ---------------------------------------------------------------------------
    def create_invite(self, by: str | None) -> str:
        """A new one-use invite code."""
        return self._work(lambda s: invites.create_invite(s, by, self.clock()))

    def invites(self) -> list[InviteCode]:
        return self._work(invites.list_invites)

    def allow(self, chat_id: int, note: str | None) -> None:
        self._work(lambda s: invites.allow_chat(s, chat_id, note, self.clock()))

    def disallow(self, chat_id: int) -> bool:
        """False when the chat was not on the allow-list."""
        return self._work(lambda s: invites.disallow_chat(s, chat_id))

    def allowed_chats(self) -> list[AllowedChat]:
        return self._work(invites.list_allowed_chats)

    # --- the report --------------------------------------------------------------------------
    def report(self) -> list[ClientReport]:
        return build_report(self.engine, self.clock())
