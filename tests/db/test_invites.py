"""Enrolment: invite codes and the allow-list (bot.db.invites, clients.is_enrolled)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.db import clients, invites
from bot.db.engine import unit_of_work
from tests.db.helpers import CHAT, NOW


def test_an_invite_code_enrols_one_chat_only(db_engine: Engine) -> None:
    with unit_of_work(db_engine) as s:
        code = invites.create_invite(s, "coach anna", NOW)
    assert len(code) == invites.INVITE_LENGTH and set(code) <= set(invites.INVITE_ALPHABET)
    typed = f" {code[:4].lower()}-{code[4:].lower()} "
    with unit_of_work(db_engine) as s:
        client = invites.redeem_invite(s, typed, CHAT, "Ruth", NOW)
        assert client is not None and client.state == "onboarding"
        assert clients.is_enrolled(s, CHAT)
    with unit_of_work(db_engine) as s:
        assert invites.redeem_invite(s, code, CHAT + 1, "Someone", NOW) is None
        assert clients.get_client(s, CHAT + 1) is None
        assert invites.redeem_invite(s, code, CHAT, "Ruth", NOW).id == client.id  # same chat: fine
        assert invites.redeem_invite(s, "NOPE2345", CHAT + 2, "Other", NOW) is None
        assert invites.redeem_invite(s, "", CHAT + 2, "Other", NOW) is None


def test_enrolment_by_allow_list_table_or_settings(db_engine: Engine) -> None:
    with unit_of_work(db_engine) as s:
        assert not clients.is_enrolled(s, CHAT)
        assert clients.is_enrolled(s, CHAT, allowed_chat_ids=(CHAT,))
        invites.allow_chat(s, CHAT, "referred by Dr. Lee", NOW)
        assert invites.allow_chat(s, CHAT, None, NOW).note == "referred by Dr. Lee"
        assert clients.is_enrolled(s, CHAT)
    with unit_of_work(db_engine) as s:
        assert invites.disallow_chat(s, CHAT)
        assert not invites.disallow_chat(s, CHAT)
        assert not clients.is_enrolled(s, CHAT)

