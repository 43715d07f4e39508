"""Symptom reports and red flags: pain, fatigue, and the red flag's way from open through handled
to cleared, ending with the client told once that they may train again.

The "you're cleared" notice is claimed by a conditional UPDATE, so of several senders (the coach
chat, the `python -m bot.coach_desk` loop, replicas) exactly one wins each client's notice.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from bot.db.models import Client, SymptomReport
from bot.db.status import NOT_CLEARED, RedFlagState, SymptomKind
from bot.db.unique import add_or_existing

EXCERPT_MAX = 200


def _short_excerpt(text: str | None) -> str | None:
    """Keep only a short, single-line piece of what the client wrote."""
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_MAX else flat[: EXCERPT_MAX - 1] + "…"


def record_symptom(
    s: Session,
    client: Client,
    kind: str,
    score: int | None,
    body_part: str | None,
    excerpt: str | None,
    now: datetime,
    source_message_id: str | None = None,
) -> SymptomReport:
    """A new report (`kind` a SymptomKind); a red flag starts open. A kind already reported from
    this client message (`source_message_id`) is not reported again: the first report is returned."""
    if source_message_id is not None:
        existing = symptom_from_message(s, client, source_message_id, kind)
        if existing is not None:
            return existing
    report = SymptomReport(
        client_id=client.id,
        at=now,
        kind=kind,
        score=score,
        body_part=body_part,
        text_excerpt=_short_excerpt(excerpt),
        state=RedFlagState.OPEN if kind == SymptomKind.RED_FLAG else None,
        source_message_id=source_message_id,
    )
    return add_or_existing(s, report, lambda: symptom_from_message(s, client, source_message_id, kind))[0]


def symptom_from_message(s: Session, client: Client, message_id: str | None, kind: str) -> SymptomReport | None:
    """The report of this kind made from this client message, if any."""
    if message_id is None:
        return None
    report: SymptomReport | None = s.execute(
        select(SymptomReport).where(
            SymptomReport.client_id == client.id,
            SymptomReport.source_message_id == message_id,
            SymptomReport.kind == kind,
        )
    ).scalar_one_or_none()
    return report


def symptoms_since(s: Session, client: Client, since: datetime) -> list[SymptomReport]:
    """Reports at or after `since` (an aware datetime), oldest first."""
    return list(
        s.execute(
            select(SymptomReport)
            .where(SymptomReport.client_id == client.id, SymptomReport.at >= since)
            .order_by(SymptomReport.at, SymptomReport.id)
        ).scalars()
    )


class SymptomFacts(NamedTuple):
    """What a clinic-wide view reads of a report: no words of the client's."""

    at: datetime
    kind: str  # a SymptomKind
    score: int | None
    body_part: str | None
    state: str | None  # a RedFlagState for red flags


def symptoms_by_client(s: Session, since: datetime) -> dict[int, list[SymptomFacts]]:
    """Every client's reports at or after `since`, per client id, oldest first: one query for
    the whole clinic (in time order, read from the index on `at`; as plain rows, without the
    ORM's loading layer)."""
    rows = s.connection().execute(
        select(SymptomReport.client_id, SymptomReport.at, SymptomReport.kind, SymptomReport.score,
               SymptomReport.body_part, SymptomReport.state)
        .where(SymptomReport.at >= since)
        .order_by(SymptomReport.at, SymptomReport.id)
    ).all()
    found: dict[int, list[SymptomFacts]] = {}
    for client_id, at, kind, score, body_part, state in rows:
        found.setdefault(client_id, []).append(SymptomFacts(at, kind, score, body_part, state))
    return found


# Red flags


def _red_flags_in(s: Session, client: Client, states: Collection[str]) -> list[SymptomReport]:
    return list(
        s.execute(
            select(SymptomReport)
            .where(
                SymptomReport.client_id == client.id,
                SymptomReport.kind == SymptomKind.RED_FLAG,
                SymptomReport.state.in_(states),
            )
            .order_by(SymptomReport.at, SymptomReport.id)
        ).scalars()
    )


def open_red_flags(s: Session, client: Client) -> list[SymptomReport]:
    """Red flags not cleared yet (open, or handled by someone at the clinic): while there is
    one, the client gets no workout and no session is logged as training."""
    return _red_flags_in(s, client, NOT_CLEARED)


def open_red_flag_counts(s: Session) -> dict[int, int]:
    """Red flags not cleared yet (open or handled), per client id."""
    rows = s.execute(
        select(SymptomReport.client_id, func.count())
        .where(SymptomReport.kind == SymptomKind.RED_FLAG, SymptomReport.state.in_(NOT_CLEARED))
        .group_by(SymptomReport.client_id)
    )
    return {client_id: count for client_id, count in rows}


def uncleared_red_flags(s: Session) -> list[SymptomReport]:
    """Every red flag of the clinic not cleared yet (open or handled), oldest first, each with
    its client loaded: the staff dashboard's "who needs me today" (read from the red-flag index)."""
    return list(
        s.execute(
            select(SymptomReport)
            .where(SymptomReport.kind == SymptomKind.RED_FLAG, SymptomReport.state.in_(NOT_CLEARED))
            .order_by(SymptomReport.at, SymptomReport.id)
            .options(joinedload(SymptomReport.client))
        ).scalars()
    )


def mark_red_flags_handled(s: Session, client: Client, staff: str, now: datetime) -> int:
    """Someone at the clinic has picked up the client's open red flags (open -> handled; the
    client is still not cleared to train); returns how many moved."""
    flags = _red_flags_in(s, client, (RedFlagState.OPEN,))
    for flag in flags:
        flag.state = RedFlagState.HANDLED
        flag.handled_at = now
        flag.handled_by = staff
    s.flush()
    return len(flags)


def clear_red_flags(s: Session, client: Client, staff: str, now: datetime) -> int:
    """The clinic clears the client to train again (open or handled -> cleared); returns how
    many moved, 0 when none was left (clearing twice changes nothing). Each cleared flag waits
    for the client to be told (`claim_clear_notice`)."""
    flags = open_red_flags(s, client)
    for flag in flags:
        flag.state = RedFlagState.CLEARED
        flag.cleared_at = now
        flag.cleared_by = staff
    s.flush()
    return len(flags)


def last_cleared_red_flag(s: Session, client: Client) -> SymptomReport | None:
    """The client's most recently cleared red flag (who cleared it, when), if any."""
    flag: SymptomReport | None = s.execute(
        select(SymptomReport)
        .where(SymptomReport.client_id == client.id, SymptomReport.kind == SymptomKind.RED_FLAG,
               SymptomReport.state == RedFlagState.CLEARED)
        .order_by(SymptomReport.cleared_at.desc(), SymptomReport.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return flag


# "You're cleared to train again", told to the client once (cleared from the coach chat or the CLI)


def _untold(stale_before: datetime) -> tuple[Any, ...]:
    return (
        SymptomReport.kind == SymptomKind.RED_FLAG,
        SymptomReport.state == RedFlagState.CLEARED,
        SymptomReport.clear_notice_sent_at.is_(None),
        or_(SymptomReport.clear_notice_claimed_at.is_(None), SymptomReport.clear_notice_claimed_at < stale_before),
    )


def claim_clear_notice(s: Session, now: datetime, stale_after: timedelta) -> tuple[int, int] | None:
    """Claim the red flags of one client cleared but not yet told (a conditional UPDATE, so of
    several senders one wins); (client id, chat id), or None when nobody is waiting.

    Commit the claim before sending; several flags cleared together make one message.
    """
    condition = _untold(now - stale_after)
    candidates = s.execute(
        select(SymptomReport.client_id).where(*condition).group_by(SymptomReport.client_id)
        .order_by(func.min(SymptomReport.cleared_at)).limit(10)
    ).scalars()
    for client_id in list(candidates):
        taken = s.execute(
            update(SymptomReport)
            .where(SymptomReport.client_id == client_id, *condition)
            .values(clear_notice_claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount:
            chat_id = s.execute(select(Client.chat_id).where(Client.id == client_id)).scalar_one()
            return client_id, chat_id
    return None


def finish_clear_notice(s: Session, client_id: int, claimed_at: datetime, sent_at: datetime | None) -> None:
    """The claimed notice was sent (`sent_at`), or failed (None: given back for the next round)."""
    values: dict[str, Any] = {"clear_notice_sent_at": sent_at} if sent_at else {"clear_notice_claimed_at": None}
    s.execute(
        update(SymptomReport)
        .where(
            SymptomReport.client_id == client_id,
            SymptomReport.clear_notice_claimed_at == claimed_at,
            SymptomReport.clear_notice_sent_at.is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
