"""Every change the dashboard can make, each through the services (the same calls as the coach
chat and `bone-coach`) inside Auditor.change, with what it looked like before and after."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from bot.dashboard.app import Dashboard
from bot.db import alerts, clients, invites, symptoms
from bot.db.engine import unit_of_work
from bot.db.models import Client
from bot.db.status import AlertKind, AuditAction
from bot.services.plans import CLINIC_FLAGS
from bot.services.types import AlertHandled, RedFlagsCleared


def alert_client(d: Dashboard, alert_id: int) -> int | None:
    """The client id an alert is about; None for no such alert."""
    with unit_of_work(d.engine) as s:
        alert = alerts.get_alert(s, alert_id)
        return alert.client_id if alert is not None else None


def client_chat(d: Dashboard, client_id: int) -> int | None:
    with unit_of_work(d.engine) as s:
        client = clients.get_client_by_id(s, client_id)
        return client.chat_id if client is not None else None


def mark_handled(d: Dashboard, staff: str, alert_id: int) -> AlertHandled | None:
    """Someone is on it (the alert closed; a red flag's client stays stopped until cleared)."""
    client_id = alert_client(d, alert_id)
    if client_id is None:
        return None
    return d.auditor.change(
        staff, AuditAction.ALERT_HANDLED, lambda: d.services.safety.handle_alert(alert_id, staff),
        before=lambda s: _alert_state(s, alert_id), after=lambda s, _done: _alert_state(s, alert_id),
        client_id=client_id, target=f"alert {alert_id}",
    )


def clear_to_exercise(d: Dashboard, staff: str, client_id: int) -> RedFlagsCleared | None:
    """The clinic clears the client's red flags; with Telegram set up they hear it at once."""
    chat_id = client_chat(d, client_id)
    if chat_id is None:
        return None
    done = d.auditor.change(
        staff, AuditAction.RED_FLAGS_CLEARED, lambda: d.services.safety.clear_red_flags(chat_id, staff),
        before=lambda s: _red_flag_state(s, client_id), after=lambda s, _done: _red_flag_state(s, client_id),
        client_id=client_id,
    )
    if done is not None and done.cleared:
        d.telegram.tell_cleared()
    return done


def set_clinic_flags(d: Dashboard, staff: str, client_id: int, changes: Mapping[str, bool], reason: str
                     ) -> dict[str, bool] | None:
    """Set what the clinic assessed (CLINIC_FLAGS); today's plan is made again at once."""
    chat_id = client_chat(d, client_id)
    if chat_id is None:
        return None
    return d.auditor.change(
        staff, AuditAction.CLINIC_FLAGS_SET, lambda: d.services.plans.set_clinic_flags(chat_id, changes),
        before=lambda s: _flags(s, client_id), after=lambda s, _now: _flags(s, client_id),
        client_id=client_id, reason=reason,
    )


def create_invite(d: Dashboard, staff: str) -> int:
    """A new one-use invite code, handed out by `staff`; returns its id."""
    code = d.auditor.change(
        staff, AuditAction.INVITE_CREATED, lambda: d.desk.create_invite(staff),
        after=lambda _s, made: {"code": made}, target_after=lambda made: f"invite {made}",
    )
    with unit_of_work(d.engine) as s:
        found = invites.invite_by_code(s, code)
        if found is None:
            raise LookupError("the invite just made is gone")
        return int(found.id)


def _alert_state(s: Session, alert_id: int) -> dict[str, Any] | None:
    alert = alerts.get_alert(s, alert_id)
    if alert is None:
        return None
    state: dict[str, Any] = {"alert": alert.id, "kind": alert.kind, "handled_at": alert.handled_at,
                             "handled_by": alert.handled_by}
    if alert.kind == AlertKind.RED_FLAG:
        state["red_flags_not_cleared"] = _not_cleared(s, alert.client)
    return state


def _red_flag_state(s: Session, client_id: int) -> dict[str, Any] | None:
    client = clients.get_client_by_id(s, client_id)
    if client is None:
        return None
    return {
        "red_flags_not_cleared": _not_cleared(s, client),
        "open_red_flag_alerts": [a.id for a in alerts.list_alerts(s, client, open_only=True)
                                 if a.kind == AlertKind.RED_FLAG],
    }


def _not_cleared(s: Session, client: Client) -> list[dict[str, Any]]:
    return [{"id": f.id, "state": f.state} for f in symptoms.open_red_flags(s, client)]


def _flags(s: Session, client_id: int) -> dict[str, bool] | None:
    client = clients.get_client_by_id(s, client_id)
    return {name: bool(getattr(client, name)) for name in CLINIC_FLAGS} if client is not None else None
