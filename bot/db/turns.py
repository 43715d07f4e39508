"""Telegram turn records: the claim on an update and what became of it (processed_updates).

A turn goes: claimed (owner set, the update stored) → replies decided (stored before the first
is sent) → each Telegram message counted as it is accepted → done (the update and replies are
dropped). A process that finds a claim whose owner is gone takes it over and carries on from the
stored state: decided replies are never decided again, counted messages never sent again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import LiveKeyboard, ProcessedUpdate, RefusedGroup
from bot.db.status import UpdateState

IsGone = Callable[[str | None, datetime], bool]  # (owner, claimed_at) -> may it be taken over?
Reply = dict[str, Any]  # one of Rasa's bot messages: {"text": ..., "buttons": [...], ...}


@dataclass(frozen=True)
class Turn:
    update_id: int
    replies: list[Reply] | None  # None until decided
    delivered: int  # Telegram messages of `replies` already accepted
    attempts: int  # 1 on the first claim; each take-over (after a failure or a death) adds one


def claim(
    s: Session, update_id: int, chat_id: int | None, update_json: str | None, owner: str,
    now: datetime, is_gone: IsGone,
) -> Turn | None:
    """The turn, if this owner should work on it now: it is new, already ours (a retry), or its
    owner is gone. None when it is done or a live process holds it. Commit before working."""
    try:
        with s.begin_nested():
            s.execute(insert(ProcessedUpdate).values(
                update_id=update_id, state=UpdateState.PROCESSING, claimed_at=now, owner=owner,
                chat_id=chat_id, update_json=update_json, delivered=0, attempts=1))
        return Turn(update_id, None, 0, 1)
    except IntegrityError:
        pass
    row = s.execute(select(ProcessedUpdate).where(ProcessedUpdate.update_id == update_id)
                    .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None or row.state == UpdateState.DONE:
        return None
    if row.owner != owner and not is_gone(row.owner, row.claimed_at):
        return None
    held_by = (ProcessedUpdate.owner.is_(None) if row.owner is None
               else ProcessedUpdate.owner == row.owner)
    # Our own retry while we hold it (a database outage) is not a new attempt; a take-over is.
    attempts = row.attempts if row.owner == owner else row.attempts + 1
    # Conditional UPDATE: of several processes finding the same orphan, exactly one matches.
    taken = s.execute(
        update(ProcessedUpdate)
        .where(ProcessedUpdate.update_id == update_id, ProcessedUpdate.state == UpdateState.PROCESSING,
               held_by)
        .values(owner=owner, claimed_at=now, attempts=attempts)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    replies = json.loads(row.replies) if row.replies is not None else None
    return Turn(update_id, replies, row.delivered, attempts)


def _mine(update_id: int, owner: str) -> Any:
    return (ProcessedUpdate.update_id == update_id) & (ProcessedUpdate.owner == owner)


def record_replies(s: Session, update_id: int, owner: str, replies: list[Reply]) -> None:
    """Fix the turn's replies before the first goes out, so a take-over sends the same ones."""
    s.execute(update(ProcessedUpdate).where(_mine(update_id, owner))
              .values(replies=json.dumps(replies), delivered=0)
              .execution_options(synchronize_session=False))


def mark_delivered(
    s: Session, update_id: int, owner: str, count: int, keyboard: tuple[int, int] | None,
    now: datetime,
) -> None:
    """`count` Telegram messages of the turn went out; `keyboard` is (chat id, message id) when
    the last one carried buttons."""
    s.execute(update(ProcessedUpdate).where(_mine(update_id, owner)).values(delivered=count)
              .execution_options(synchronize_session=False))
    if keyboard is not None:
        set_live_keyboard(s, *keyboard, now)


def set_live_keyboard(s: Session, chat_id: int, message_id: int, now: datetime) -> None:
    row = s.get(LiveKeyboard, chat_id)
    if row is None:
        s.add(LiveKeyboard(chat_id=chat_id, message_id=message_id, at=now))
    elif message_id >= row.message_id:
        row.message_id, row.at = message_id, now
    s.flush()


def keyboard_has_passed(s: Session, chat_id: int, message_id: int | None) -> bool:
    """Is a press on this message's buttons stale? (A newer keyboard was sent since, or
    Telegram no longer shows us the message.)"""
    if message_id is None:
        return True
    live = s.get(LiveKeyboard, chat_id)
    return live is not None and message_id < live.message_id


def complete(s: Session, update_id: int, now: datetime) -> None:
    """Done: a re-delivery is skipped. The client's words and our replies are not kept."""
    values = dict(state=UpdateState.DONE, done_at=now, owner=None, update_json=None, replies=None)
    done = s.execute(update(ProcessedUpdate).where(ProcessedUpdate.update_id == update_id)
                     .values(**values).execution_options(synchronize_session=False))
    if done.rowcount == 0:
        s.execute(insert(ProcessedUpdate).values(update_id=update_id, claimed_at=now, **values))


def release(s: Session, update_id: int, owner: str) -> None:
    """Processing failed: give the claim up (keeping what is recorded) for the next try."""
    s.execute(update(ProcessedUpdate)
              .where(_mine(update_id, owner), ProcessedUpdate.state == UpdateState.PROCESSING)
              .values(owner=None).execution_options(synchronize_session=False))


def orphans(s: Session, is_gone: IsGone, limit: int = 100) -> list[tuple[int, str]]:
    """(update id, update JSON) of unfinished turns whose owner is gone, oldest first."""
    rows = s.execute(
        select(ProcessedUpdate.update_id, ProcessedUpdate.update_json, ProcessedUpdate.owner,
               ProcessedUpdate.claimed_at)
        .where(ProcessedUpdate.state == UpdateState.PROCESSING, ProcessedUpdate.update_json.is_not(None))
        .order_by(ProcessedUpdate.update_id).limit(limit)
    ).all()
    return [(r.update_id, r.update_json) for r in rows if is_gone(r.owner, r.claimed_at)]


def prune(s: Session, before: datetime) -> int:
    """Forget finished updates claimed before `before` (Telegram re-delivers for 24 h at most)."""
    result = s.execute(
        delete(ProcessedUpdate)
        .where(ProcessedUpdate.state == UpdateState.DONE, ProcessedUpdate.claimed_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


def refuse_group_once(s: Session, chat_id: int, now: datetime) -> bool:
    """True the first time a group is seen: only then is it told the coach works in private."""
    try:
        with s.begin_nested():
            s.execute(insert(RefusedGroup).values(chat_id=chat_id, at=now))
        return True
    except IntegrityError:
        return False
