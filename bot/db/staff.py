"""The staff dashboard's people: accounts, signed-in sessions and sign-in attempts.

Passwords arrive hashed and session tokens as their SHA-256 (bot/dashboard/auth.py does both):
nothing here could let someone sign in if the database were copied.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, joinedload

from bot.db.models import LoginAttempt, StaffAccount, StaffSession
from bot.db.unique import add_or_existing

# Accounts


def get_staff(s: Session, name: str) -> StaffAccount | None:
    account: StaffAccount | None = s.execute(
        select(StaffAccount).where(StaffAccount.name == name)
    ).scalar_one_or_none()
    return account


def add_staff(s: Session, name: str, password_hash: str, now: datetime) -> StaffAccount | None:
    """A new account; None when the name is taken (two adds at once: one wins)."""
    row = StaffAccount(name=name, password_hash=password_hash, created_at=now)
    account, created = add_or_existing(s, row, lambda: get_staff(s, name))
    return account if created else None


def list_staff(s: Session) -> list[StaffAccount]:
    return list(s.execute(select(StaffAccount).order_by(StaffAccount.name)).scalars())


def remove_staff(s: Session, name: str) -> bool:
    """Delete the account and, with it, every session it has; False when there is none."""
    result = s.execute(
        delete(StaffAccount).where(StaffAccount.name == name).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount > 0)


def set_password_hash(s: Session, account_id: int, password_hash: str) -> None:
    """A stored hash made with older parameters, replaced at sign-in (argon2's check_needs_rehash)."""
    s.execute(update(StaffAccount).where(StaffAccount.id == account_id).values(password_hash=password_hash)
              .execution_options(synchronize_session=False))


# Sessions


def open_session(
    s: Session, account_id: int, token_sha256: str, csrf_token: str, now: datetime, expires_at: datetime
) -> StaffSession:
    row = StaffSession(staff_id=account_id, token_sha256=token_sha256, csrf_token=csrf_token, created_at=now,
                       last_seen_at=now, expires_at=expires_at)
    s.add(row)
    s.flush()
    return row


def live_session(s: Session, token_sha256: str, now: datetime) -> StaffSession | None:
    """The session with this token hash, its account loaded, unless it has expired."""
    found: StaffSession | None = s.execute(
        select(StaffSession)
        .where(StaffSession.token_sha256 == token_sha256, StaffSession.expires_at > now)
        .options(joinedload(StaffSession.staff))
    ).scalar_one_or_none()
    return found


def extend_session(s: Session, session_id: int, now: datetime, expires_at: datetime) -> None:
    s.execute(update(StaffSession).where(StaffSession.id == session_id)
              .values(last_seen_at=now, expires_at=expires_at).execution_options(synchronize_session=False))


def set_client_search(s: Session, session_id: int, search: str | None) -> None:
    s.execute(update(StaffSession).where(StaffSession.id == session_id)
              .values(client_search=search).execution_options(synchronize_session=False))


def close_session(s: Session, token_sha256: str) -> bool:
    """Sign out: the token is worth nothing afterwards. False when no such session was open."""
    result = s.execute(delete(StaffSession).where(StaffSession.token_sha256 == token_sha256)
                       .execution_options(synchronize_session=False))
    return bool(result.rowcount > 0)


def drop_expired_sessions(s: Session, now: datetime) -> int:
    result = s.execute(delete(StaffSession).where(StaffSession.expires_at <= now)
                       .execution_options(synchronize_session=False))
    return int(result.rowcount)


# Sign-in attempts


def record_login_attempt(s: Session, staff_name: str, address: str, succeeded: bool, now: datetime) -> int:
    attempt = LoginAttempt(at=now, staff_name=staff_name[:120], address=address[:64], succeeded=succeeded)
    s.add(attempt)
    s.flush()
    return int(attempt.id)


def mark_login_succeeded(s: Session, attempt_id: int) -> None:
    s.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=True)
              .execution_options(synchronize_session=False))


def failures_since_success(
    s: Session, since: datetime, *, staff_name: str | None = None, address: str | None = None, limit: int = 100
) -> list[datetime]:
    """When the failed attempts for an account name (or from an address) since `since` were
    made, newest first, stopping at the newest success: a good sign-in starts the count again."""
    key = LoginAttempt.staff_name == staff_name if staff_name is not None else LoginAttempt.address == address
    rows = s.execute(
        select(LoginAttempt.at, LoginAttempt.succeeded).where(key, LoginAttempt.at >= since)
        .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc()).limit(limit)
    )
    failures = []
    for at, succeeded in rows:
        if succeeded:
            break
        failures.append(at)
    return failures


def forget_login_attempts(s: Session, before: datetime) -> int:
    """Attempts older than the longest lock-out window say nothing any more."""
    result = s.execute(delete(LoginAttempt).where(LoginAttempt.at < before)
                       .execution_options(synchronize_session=False))
    return int(result.rowcount)
