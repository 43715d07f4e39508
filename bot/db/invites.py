"""Enrolment: one-use invite codes, and the allow-list table of chats enrolled without one.

Whether a chat is enrolled, and forgetting a chat, are clients.py's (they read these tables).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.db.clients import get_or_create_client
from bot.db.models import AllowedChat, Client, InviteCode
from bot.db.status import ClientState
from bot.db.unique import add_or_existing

# Codes are read aloud and typed on phones: no 0/O, 1/I/L look-alikes. 31**8 ≈ 8.5e11 codes.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 8


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def create_invite(s: Session, created_by: str | None, now: datetime) -> str:
    """A new one-use invite code such as "K7PMQ3XW"."""
    code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
    s.add(InviteCode(code=code, created_at=now, created_by=created_by))
    s.flush()
    return code


def list_invites(s: Session) -> list[InviteCode]:
    """Every invite code, oldest first."""
    return list(s.execute(select(InviteCode).order_by(InviteCode.created_at, InviteCode.id)).scalars())


def redeem_invite(s: Session, code: str, chat_id: int, display_name: str | None, now: datetime) -> Client | None:
    """Enrol the chat with an unused code (any case, spaces and dashes ignored).

    None when the code is unknown or was used by another chat; the same chat redeeming its
    own code again gets its client back.
    """
    normalised = _normalise_code(code)
    taken = s.execute(
        update(InviteCode)
        .where(InviteCode.code == normalised, InviteCode.redeemed_at.is_(None))
        .values(redeemed_by_chat_id=chat_id, redeemed_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        holder = s.execute(
            select(InviteCode.redeemed_by_chat_id).where(InviteCode.code == normalised)
        ).scalar_one_or_none()
        if holder != chat_id:
            return None
    client = get_or_create_client(s, chat_id, display_name, now)
    if client.state == ClientState.INVITED:
        client.state = ClientState.ONBOARDING
    s.flush()
    return client


def allow_chat(s: Session, chat_id: int, note: str | None, now: datetime) -> AllowedChat:
    """Enrol a chat without a code (idempotent; a new note replaces the old one)."""

    def find() -> AllowedChat | None:
        found: AllowedChat | None = s.execute(
            select(AllowedChat).where(AllowedChat.chat_id == chat_id)
        ).scalar_one_or_none()
        return found

    listed = find()
    if listed is None:
        allowed, created = add_or_existing(s, AllowedChat(chat_id=chat_id, added_at=now, note=note), find)
        if created:
            return allowed
    else:
        allowed = listed
    if note is not None:
        allowed.note = note
    s.flush()
    return allowed


def disallow_chat(s: Session, chat_id: int) -> bool:
    """Remove a chat from the allow-list table; True if it was there."""
    result = s.execute(
        delete(AllowedChat).where(AllowedChat.chat_id == chat_id).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount > 0)


def list_allowed_chats(s: Session) -> list[AllowedChat]:
    """The allow-list table, in chat-id order."""
    return list(s.execute(select(AllowedChat).order_by(AllowedChat.chat_id)).scalars())


def invite_by_code(s: Session, code: str) -> InviteCode | None:
    found: InviteCode | None = s.execute(
        select(InviteCode).where(InviteCode.code == _normalise_code(code))
    ).scalar_one_or_none()
    return found


def get_invite(s: Session, invite_id: int) -> InviteCode | None:
    found: InviteCode | None = s.get(InviteCode, invite_id)
    return found
