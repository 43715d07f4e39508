"""Who may use the dashboard: staff accounts (argon2id passwords), sessions kept in the database,
and the lock-out after repeated failed sign-ins.

A session is a random token in an HttpOnly cookie; the database holds only its SHA-256, with its
expiry (`security.session_hours` after sign-in, or `idle_minutes` after the last page, whichever
comes first) and the CSRF token of its forms. Signing out deletes the row, so the cookie is
worth nothing afterwards, wherever a copy of it went.

Lock-out (texts.yml `security`): `failures` failed sign-ins within `window_minutes` for one
account name lock it for `lock_minutes` after the last of them; the same, with its own numbers,
for one address whatever names it tries. A successful sign-in starts the count again. While
locked, tries are refused without looking at the password, and not counted (so the lock ends
when it says). An unknown name is checked against a dummy hash, so that timing and answers never
tell which names exist.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.dashboard.content import Lockout, Security, dashboard_content
from bot.db import audit, staff
from bot.db.engine import unit_of_work
from bot.db.status import AuditAction
from bot.services.types import Clock

# A session's last-seen time is written at most this often: not one write per page.
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Passwords:
    """argon2id hashing (argon2-cffi's defaults unless a hasher is given: tests use a cheap one)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)

    @cached_property
    def dummy(self) -> str:
        """A hash no password matches, checked for unknown names (same time as a real one)."""
        return self.hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class SignedIn:
    """The staff member behind a request."""

    session_id: int
    staff: str
    csrf_token: str
    client_search: str | None


@dataclass(frozen=True)
class SignInResult:
    token: str | None = None  # the cookie's value, on success
    locked_until: datetime | None = None  # when the account or address may try again

    @property
    def ok(self) -> bool:
        return self.token is not None


class PasswordTooShort(ValueError):
    """A new password shorter than texts.yml's `min_password_length`."""


class StaffAuth:
    """Accounts, sign-in, sessions; one unit of work per call."""

    def __init__(self, engine: Engine, clock: Clock, passwords: Passwords | None = None,
                 rules: Security | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.passwords = passwords or Passwords()
        self.rules = rules or dashboard_content().security

    # --- accounts (bone-coach staff …) ---------------------------------------------------------
    def add_staff(self, name: str, password: str, by: str) -> bool:
        """A new account (audited); False when the name is taken."""
        if len(password) < self.rules.min_password_length:
            raise PasswordTooShort(self.rules.min_password_length)
        hashed = self.passwords.hash(password)
        with unit_of_work(self.engine) as s:
            now = self.clock()
            account = staff.add_staff(s, name, hashed, now)
            if account is None:
                return False
            entry = audit.start_entry(s, by, AuditAction.STAFF_ADDED, now, target=f"staff {account.id}",
                                      before=None)
            audit.finish_entry(s, entry, now, {"name": name})
            return True

    def remove_staff(self, name: str, by: str) -> bool:
        """Delete the account and sign it out everywhere (audited); False when there is none."""
        with unit_of_work(self.engine) as s:
            now = self.clock()
            if not staff.remove_staff(s, name):
                return False
            entry = audit.start_entry(s, by, AuditAction.STAFF_REMOVED, now, before={"name": name})
            audit.finish_entry(s, entry, now, None)
            return True

    def staff_list(self) -> list[tuple[str, datetime]]:
        with unit_of_work(self.engine) as s:
            return [(a.name, a.created_at) for a in staff.list_staff(s)]

    # --- signing in and out ----------------------------------------------------------------------
    def sign_in(self, name: str, password: str, address: str) -> SignInResult:
        """A session for the right password, unless the account or the address is locked out.

        The try is recorded as failed before the password is checked (and marked a success
        after), so that tries sent in parallel count against the limit at once."""
        name = name.strip()[:120]
        with unit_of_work(self.engine) as s:
            now = self.clock()
            locked = self._locked_until(s, now, name, address)
            if locked is not None:
                return SignInResult(locked_until=locked)
            attempt = staff.record_login_attempt(s, name, address, False, now)
            account = staff.get_staff(s, name)
            stored = account.password_hash if account is not None else None
        # The slow hash runs outside any transaction: on SQLite one holds the write lock.
        good = self.passwords.verify(stored or self.passwords.dummy, password) and account is not None
        with unit_of_work(self.engine) as s:
            now = self.clock()
            longest = max(self._span(self.rules.account_lockout), self._span(self.rules.address_lockout))
            staff.forget_login_attempts(s, now - longest)
            if account is None or stored is None or not good:
                return SignInResult(locked_until=self._locked_until(s, now, name, address))
            staff.mark_login_succeeded(s, attempt)
            if self.passwords.needs_rehash(stored):
                staff.set_password_hash(s, account.id, self.passwords.hash(password))
            staff.drop_expired_sessions(s, now)
            token = secrets.token_urlsafe(32)
            staff.open_session(s, account.id, token_hash(token), secrets.token_urlsafe(32), now,
                               self._expiry(now, now))
            return SignInResult(token=token)

    def session(self, token: str) -> SignedIn | None:
        """The live session of this cookie, its expiry moved on; None when signed out or expired."""
        with unit_of_work(self.engine) as s:
            now = self.clock()
            found = staff.live_session(s, token_hash(token), now)
            if found is None:
                return None
            if now - found.last_seen_at >= TOUCH_EVERY:
                staff.extend_session(s, found.id, now, self._expiry(found.created_at, now))
            return SignedIn(found.id, found.staff.name, found.csrf_token, found.client_search)

    def sign_out(self, token: str) -> bool:
        with unit_of_work(self.engine) as s:
            return staff.close_session(s, token_hash(token))

    def remember_search(self, session_id: int, search: str | None) -> None:
        with unit_of_work(self.engine) as s:
            staff.set_client_search(s, session_id, (search or "").strip()[:120] or None)

    # --- the rules -------------------------------------------------------------------------------
    def _expiry(self, created: datetime, now: datetime) -> datetime:
        return min(created + timedelta(hours=self.rules.session_hours),
                   now + timedelta(minutes=self.rules.idle_minutes))

    @staticmethod
    def _span(rule: Lockout) -> timedelta:
        return timedelta(minutes=rule.window_minutes + rule.lock_minutes)

    def _locked_until(self, s: Session, now: datetime, name: str, address: str) -> datetime | None:
        account, by_address = self.rules.account_lockout, self.rules.address_lockout
        ends = [
            _lock_end(staff.failures_since_success(s, now - self._span(account), staff_name=name,
                                                   limit=account.failures), account, now),
            _lock_end(staff.failures_since_success(s, now - self._span(by_address), address=address,
                                                   limit=by_address.failures), by_address, now),
        ]
        locked = [end for end in ends if end is not None]
        return max(locked) if locked else None


def _lock_end(failures: list[datetime], rule: Lockout, now: datetime) -> datetime | None:
    """Failures newest first: locked when the newest `failures` of them fall within the window,
    until `lock_minutes` after the newest."""
    if len(failures) < rule.failures:
        return None
    newest, oldest = failures[0], failures[rule.failures - 1]
    if newest - oldest > timedelta(minutes=rule.window_minutes):
        return None
    until = newest + timedelta(minutes=rule.lock_minutes)
    return until if until > now else None
