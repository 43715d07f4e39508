"""The stored vocabularies keep their values (changing one needs a migration), and a value read
back from the database is its member."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db import sessions
from bot.db.engine import unit_of_work
from bot.db.models import CheckIn
from bot.db.status import (
    AlertKind,
    CheckInStatus,
    ClientState,
    RedFlagState,
    ReminderKind,
    ReminderStatus,
    SymptomKind,
    UpdateState,
)
from tests.db.helpers import DAY, NOW, active_client


def test_the_stored_values_are_the_ones_the_migrations_allow() -> None:
    stored = {
        vocabulary.__name__: [member.value for member in vocabulary]
        for vocabulary in (ClientState, CheckInStatus, SymptomKind, RedFlagState, AlertKind, ReminderKind,
                           ReminderStatus, UpdateState)
    }
    assert stored == {
        "ClientState": ["invited", "onboarding", "active", "paused"],
        "CheckInStatus": ["done", "partial", "skipped"],
        "SymptomKind": ["pain", "fatigue", "red_flag"],
        "RedFlagState": ["open", "handled", "cleared"],
        "AlertKind": ["red_flag", "pain_high", "human_request", "missed_sessions", "recent_fracture"],
        "ReminderKind": ["checkin", "nudge", "light"],
        "ReminderStatus": ["claimed", "sent", "failed", "skipped"],
        "UpdateState": ["processing", "done"],
    }


def test_a_member_is_its_string_wherever_it_goes(db_engine: Engine) -> None:
    client = active_client(db_engine)
    with unit_of_work(db_engine) as s:
        sessions.record_checkin(s, client, DAY, CheckInStatus.PARTIAL, now=NOW)
    with unit_of_work(db_engine) as s:
        [read] = s.execute(select(CheckIn.status).where(CheckIn.client_id == client.id)).scalars()
        assert s.execute(select(CheckIn.id).where(CheckIn.status == CheckInStatus.PARTIAL)).first() is not None
    assert type(read) is str and read == CheckInStatus.PARTIAL
    assert {("a", read): 1}[("a", CheckInStatus.PARTIAL)] == 1  # same hash: keys mix freely
    assert str(CheckInStatus.PARTIAL) == f"{CheckInStatus.PARTIAL}" == "partial"
    assert json.dumps({"status": CheckInStatus.PARTIAL}) == '{"status": "partial"}'
