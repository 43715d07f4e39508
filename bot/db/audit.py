"""The audit log: every change a staff member makes from the dashboard or the command line.

An entry is written before the change and completed after it (`finish_entry`), each in its own
transaction around the service call that makes the change: if the change fails, or the process
dies in between, the entry still says who tried what, with `after` missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from bot.db.models import AuditEntry

Snapshot = Mapping[str, Any] | None


def _json(value: Snapshot) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def start_entry(
    s: Session, staff: str, action: str, now: datetime, *, client_id: int | None = None, target: str | None = None,
    reason: str | None = None, before: Snapshot = None,
) -> int:
    """A new entry (`action` an AuditAction) with the state before the change; returns its id."""
    entry = AuditEntry(at=now, staff=staff[:120], action=action, client_id=client_id, target=target,
                       reason=reason, before_json=_json(before))
    s.add(entry)
    s.flush()
    return int(entry.id)


def finish_entry(s: Session, entry_id: int, now: datetime, after: Snapshot, *, target: str | None = None) -> None:
    """The state after the change (and what it turned out to be about, when only known then)."""
    values: dict[str, Any] = {"after_json": _json(after), "done_at": now}
    if target is not None:
        values["target"] = target
    s.execute(update(AuditEntry).where(AuditEntry.id == entry_id).values(**values)
              .execution_options(synchronize_session=False))


def recent_entries(s: Session, client_id: int | None = None, limit: int = 100) -> list[AuditEntry]:
    """The newest entries (about one client, or all), newest first, each with its client loaded."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if client_id is not None:
        query = query.where(AuditEntry.client_id == client_id)
    return list(s.execute(query.options(joinedload(AuditEntry.client))).scalars())


def snapshot(text: str | None) -> Any:
    """A stored before/after as the value it was written from."""
    return None if text is None else json.loads(text)

