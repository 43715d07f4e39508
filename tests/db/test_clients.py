"""Clients: the row, the profile, consent, ladder positions, export and forget (bot.db.clients)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db import alerts, audit, clients, invites, reminders, sessions, symptoms, turns
from bot.db.engine import unit_of_work
from bot.db.models import Base, Client, InviteCode, format_training_days, parse_training_days
from bot.db.reminders import Due
from bot.db.status import AuditAction, ReminderKind
from tests.db.helpers import CHAT, DAY, LOGS, NOW, active_client


def test_a_new_chat_becomes_one_client_who_is_not_enrolled_yet(db_engine: Engine) -> None:
    with unit_of_work(db_engine) as s:
        first = clients.get_or_create_client(s, CHAT, "Ruth", NOW)
        again = clients.get_or_create_client(s, CHAT, "Ruth B.", NOW)
        assert first.id == again.id
        assert (first.state, first.timezone, first.display_name) == (
            "invited",
            "America/Chicago",
            "Ruth",
        )
        assert clients.get_client(s, CHAT + 1) is None
        assert not clients.is_enrolled(s, CHAT)


def test_times_come_back_as_the_same_instant_in_utc(db_engine: Engine) -> None:
    local = datetime(2025, 1, 6, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
    client = active_client(db_engine)
    with unit_of_work(db_engine) as s:
        clients.set_consent(s, client, local)
    with unit_of_work(db_engine) as s:
        consent_at = clients.get_client(s, CHAT).consent_at
    assert consent_at == local
    assert consent_at.utcoffset() == timedelta(0)


def test_a_naive_datetime_is_refused(db_engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), unit_of_work(db_engine) as s:
        clients.get_or_create_client(s, CHAT, "Ruth", datetime(2025, 1, 6, 9, 0))


def test_profile_saves_given_fields_and_stores_lists_as_text(db_engine: Engine) -> None:
    client = active_client(db_engine)
    with unit_of_work(db_engine) as s:
        clients.save_profile(
            s,
            client,
            now=NOW,
            experience="new",
            vertebral_fracture=True,
            falls_last_year=1,
            sessions_per_week=2,
            training_days={4, 0},
            reminder_time=time(7, 30),
            equipment=["chair", "band"],
        )
    with unit_of_work(db_engine) as s:
        profile = clients.save_profile(s, client, now=NOW + timedelta(days=1), baseline_pain=3)
    assert profile.training_days == "0,4"
    assert profile.training_weekdays == (0, 4)
    assert profile.equipment_items == {"band", "chair"}
    assert (profile.experience, profile.vertebral_fracture, profile.baseline_pain) == ("new", True, 3)
    assert profile.reminder_time == time(7, 30)
    assert profile.updated_at == NOW + timedelta(days=1)


def test_training_days_are_read_and_written_one_way() -> None:
    assert parse_training_days("4,0,2") == (0, 2, 4)
    assert parse_training_days(None) == parse_training_days("") == ()
    assert format_training_days([4, 0, 4]) == "0,4"
    assert parse_training_days(format_training_days(range(7))) == tuple(range(7))
    with pytest.raises(ValueError):
        format_training_days([0, 7])


def test_profile_refuses_unknown_fields_and_out_of_range_values(db_engine: Engine) -> None:
    client = active_client(db_engine)
    with pytest.raises(TypeError), unit_of_work(db_engine) as s:
        clients.save_profile(s, client, now=NOW, favourite_colour="blue")
    with pytest.raises(ValueError), unit_of_work(db_engine) as s:
        clients.save_profile(s, client, now=NOW, training_days=[7])
    with pytest.raises(IntegrityError), unit_of_work(db_engine) as s:
        clients.save_profile(s, client, now=NOW, sessions_per_week=4)


def test_ladder_keeps_the_first_rung_as_the_start(db_engine: Engine) -> None:
    client = active_client(db_engine)
    with unit_of_work(db_engine) as s:
        clients.set_ladder_positions(s, client, {"squat": 1, "row": 0}, NOW)
    with unit_of_work(db_engine) as s:
        clients.set_ladder_positions(s, client, {"squat": 3}, NOW + timedelta(days=14))
        assert clients.ladder_positions(s, client) == {"squat": 3, "row": 0}
        exported = clients.export_client(s, CHAT)["ladder_positions"]
    starts = {p["pattern"]: p["start_rung"] for p in exported}
    assert starts == {"squat": 1, "row": 0}


def _full_history(engine: Engine, chat_id: int) -> Client:
    """A client with a row in every table that can hold one."""
    with unit_of_work(engine) as s:
        code = invites.create_invite(s, "coach anna", NOW)
        client = invites.redeem_invite(s, code, chat_id, "Ruth", NOW)
        invites.allow_chat(s, chat_id, "also listed", NOW)
        turns.set_live_keyboard(s, chat_id, 41, NOW)
        clients.set_consent(s, client, NOW)
        clients.save_profile(s, client, now=NOW, sessions_per_week=3, equipment={"chair"})
        clients.set_ladder_positions(s, client, {"squat": 1}, NOW)
        plan = json.dumps({"exercises": [{"pattern": "squat", "reason": "start gently"}]})
        sessions.save_planned_session(s, client, DAY, "strength", plan, NOW)
        sessions.record_checkin(s, client, DAY, "done", 6, 1, "felt good", None, LOGS, NOW)
        symptoms.record_symptom(s, client, "pain", 3, "knee", "knee a bit sore", NOW)
        symptoms.record_symptom(s, client, "red_flag", None, "back", "I fell", NOW)
        alerts.create_alert(s, client, "red_flag", "fell", NOW)
        due = Due(client.id, chat_id, "Ruth", DAY, ReminderKind.CHECKIN, NOW)
        reminders.claim(s, [due], NOW, timedelta(minutes=5), daily_cap=3)
        entry = audit.start_entry(s, "Sue", AuditAction.CLINIC_FLAGS_SET, NOW, client_id=client.id,
                                  reason="assessed", before={"high_risk": False})
        audit.finish_entry(s, entry, NOW, {"high_risk": True})
        return client


def test_export_holds_everything_stored_about_theactive_client(db_engine: Engine) -> None:
    _full_history(db_engine, CHAT)
    with unit_of_work(db_engine) as s:
        data = json.loads(json.dumps(clients.export_client(s, CHAT)))
        assert clients.export_client(s, CHAT + 1) == {}
    assert data["client"]["chat_id"] == CHAT
    assert data["client"]["consent_at"] == NOW.isoformat()
    assert data["profile"]["sessions_per_week"] == 3
    assert data["ladder_positions"][0]["start_rung"] == 1
    assert data["planned_sessions"][0]["plan_json"]["exercises"][0]["reason"] == "start gently"
    [checkin] = data["checkins"]
    assert (checkin["day"], checkin["rpe"], checkin["note"]) == (DAY.isoformat(), 6, "felt good")
    assert [e["pattern"] for e in checkin["exercise_logs"]] == ["squat", "balance"]
    assert [r["kind"] for r in data["symptom_reports"]] == ["pain", "red_flag"]
    assert [a["kind"] for a in data["coach_alerts"]] == ["red_flag"]
    assert [r["kind"] for r in data["reminders"]] == ["checkin"]
    assert [i["redeemed_by_chat_id"] for i in data["invite_codes"]] == [CHAT]
    assert [a["note"] for a in data["allow_list"]] == ["also listed"]


def test_forget_deletes_every_row_of_the_client_and_nobody_elses(db_engine: Engine) -> None:
    client = _full_history(db_engine, CHAT)
    other = _full_history(db_engine, CHAT + 1)
    with unit_of_work(db_engine) as s:
        checkin_ids = [c.id for c in sessions.recent_checkins(s, client, date.min)]
        other_checkin_ids = [c.id for c in sessions.recent_checkins(s, other, date.min)]
        before_other = _rows_of(s, other.id, CHAT + 1, other_checkin_ids)
        # The history reaches every table that can hold a client's data.
        reached = {key.split(".")[0] for key in before_other}
        # Turn records hold a chat only while in progress; groups and staff are not clients.
        assert reached == set(Base.metadata.tables) - {"processed_updates", "refused_groups", "staff_accounts",
                                                       "staff_sessions", "login_attempts"}
        assert clients.forget_client(s, CHAT)
    with unit_of_work(db_engine) as s:
        assert _rows_of(s, client.id, CHAT, checkin_ids) == {}
        assert _rows_of(s, other.id, CHAT + 1, other_checkin_ids) == before_other
        codes = s.execute(select(InviteCode)).scalars().all()
        assert len(codes) == 2 and all(i.redeemed_at is not None for i in codes)
        assert clients.export_client(s, CHAT) == {}
        assert not clients.is_enrolled(s, CHAT)
        assert not clients.forget_client(s, CHAT)


def _rows_of(s: Session, client_id: int, chat_id: int, checkin_ids: list[int]) -> dict[str, int]:
    """How many rows of each table point at this client, its chat or its check-ins."""
    counts = {}
    for table in Base.metadata.sorted_tables:
        links = [table.c.id == client_id] if table.name == "clients" else []
        links += [table.c[n] == client_id for n in ("client_id",) if n in table.c]
        links += [table.c[n] == chat_id for n in ("chat_id", "redeemed_by_chat_id") if n in table.c]
        if "checkin_id" in table.c:
            links.append(table.c.checkin_id.in_(checkin_ids or [-1]))
        for link in links:
            found = s.execute(select(func.count()).select_from(table).where(link)).scalar_one()
            if found:
                counts[f"{table.name}.{link.left.name}"] = found
    return counts

