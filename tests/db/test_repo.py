"""The session database keeps its promises, on SQLite and on PostgreSQL (`db_engine`)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db import repo, turns
from bot.db.engine import unit_of_work
from bot.db.models import Base, CheckIn, Client, InviteCode

NOW = datetime(2025, 1, 6, 15, 0, tzinfo=timezone.utc)
DAY = date(2025, 1, 6)
CHAT = 5_000_000_001  # beyond 32 bits, as real Telegram ids can be
LOGS = [
    {"pattern": "squat", "rung": 2, "sets": 2, "reps": 10},
    {"pattern": "balance", "rung": 1, "seconds": 30},
]


def _client(engine: Engine, chat_id: int = CHAT) -> Client:
    with unit_of_work(engine) as s:
        client = repo.get_or_create_client(s, chat_id, "Ruth", NOW)
        client.state = "active"
        return client


def test_a_new_chat_becomes_one_client_who_is_not_enrolled_yet(db_engine: Engine) -> None:
    with unit_of_work(db_engine) as s:
        first = repo.get_or_create_client(s, CHAT, "Ruth", NOW)
        again = repo.get_or_create_client(s, CHAT, "Ruth B.", NOW)
        assert first.id == again.id
        assert (first.state, first.timezone, first.display_name) == (
            "invited",
            "America/Chicago",
            "Ruth",
        )
        assert repo.get_client(s, CHAT + 1) is None
        assert not repo.is_enrolled(s, CHAT)


def test_times_come_back_as_the_same_instant_in_utc(db_engine: Engine) -> None:
    local = datetime(2025, 1, 6, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
    client = _client(db_engine)
    with unit_of_work(db_engine) as s:
        repo.set_consent(s, client, local)
    with unit_of_work(db_engine) as s:
        consent_at = repo.get_client(s, CHAT).consent_at
    assert consent_at == local
    assert consent_at.utcoffset() == timedelta(0)


def test_a_naive_datetime_is_refused(db_engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), unit_of_work(db_engine) as s:
        repo.get_or_create_client(s, CHAT, "Ruth", datetime(2025, 1, 6, 9, 0))


def test_profile_saves_given_fields_and_stores_lists_as_text(db_engine: Engine) -> None:
    client = _client(db_engine)
    with unit_of_work(db_engine) as s:
        repo.save_profile(
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
        profile = repo.save_profile(s, client, now=NOW + timedelta(days=1), baseline_pain=3)
    assert profile.training_days == "0,4"
    assert profile.training_weekdays == {0, 4}
    assert profile.equipment_items == {"band", "chair"}
    assert (profile.experience, profile.vertebral_fracture, profile.baseline_pain) == ("new", True, 3)
    assert profile.reminder_time == time(7, 30)
    assert profile.updated_at == NOW + timedelta(days=1)


def test_profile_refuses_unknown_fields_and_out_of_range_values(db_engine: Engine) -> None:
    client = _client(db_engine)
    with pytest.raises(TypeError), unit_of_work(db_engine) as s:
        repo.save_profile(s, client, now=NOW, favourite_colour="blue")
    with pytest.raises(ValueError), unit_of_work(db_engine) as s:
        repo.save_profile(s, client, now=NOW, training_days=[7])
    with pytest.raises(IntegrityError), unit_of_work(db_engine) as s:
        repo.save_profile(s, client, now=NOW, sessions_per_week=4)


def test_ladder_keeps_the_first_rung_as_the_start(db_engine: Engine) -> None:
    client = _client(db_engine)
    with unit_of_work(db_engine) as s:
        repo.set_ladder_positions(s, client, {"squat": 1, "row": 0}, NOW)
    with unit_of_work(db_engine) as s:
        repo.set_ladder_positions(s, client, {"squat": 3}, NOW + timedelta(days=14))
        assert repo.ladder_positions(s, client) == {"squat": 3, "row": 0}
        exported = repo.export_client(s, CHAT)["ladder_positions"]
    starts = {p["pattern"]: p["start_rung"] for p in exported}
    assert starts == {"squat": 1, "row": 0}


def test_a_new_plan_for_the_same_day_replaces_the_old_one(db_engine: Engine) -> None:
    client = _client(db_engine)
    with unit_of_work(db_engine) as s:
        first = repo.save_planned_session(s, client, DAY, "strength", '{"v": 1}', NOW)
    later = NOW + timedelta(hours=2)
    with unit_of_work(db_engine) as s:
        second = repo.save_planned_session(s, client, DAY, "rest", '{"v": 2}', later)
        assert second.id == first.id
        plan = repo.planned_session(s, client, DAY)
        assert (plan.kind, plan.plan_json, plan.created_at) == ("rest", '{"v": 2}', later)
        assert repo.planned_session(s, client, DAY + timedelta(days=1)) is None


def test_a_second_checkin_the_same_day_is_kept_as_its_own_record(db_engine: Engine) -> None:
    client = _client(db_engine)
    with unit_of_work(db_engine) as s:
        plan = repo.save_planned_session(s, client, DAY, "strength", "{}", NOW)
        repo.record_checkin(s, client, DAY, "done", rpe=6, pain=1, exercise_logs=LOGS, now=NOW)
    with unit_of_work(db_engine) as s:
        repo.save_planned_session(s, client, DAY, "gentle", "{}", NOW)  # replanned after a pain report
        repo.record_checkin(s, client, DAY, "done", rpe=5, pain=2, exercise_logs=LOGS[:1],
                            now=NOW + timedelta(hours=1))
    with unit_of_work(db_engine) as s:
        rows = repo.recent_checkins(s, client, DAY)
    assert [(c.status, c.rpe, c.pain) for c in rows] == [("done", 6, 1), ("done", 5, 2)]
    assert [c.planned_session_id for c in rows] == [plan.id, plan.id]
    assert [c.session_kind for c in rows] == ["strength", "gentle"]  # what the plan said when logged
    assert [[e.pattern for e in c.exercise_logs] for c in rows] == [["squat", "balance"], ["squat"]]


def test_a_message_logged_once_is_not_logged_again(db_engine: Engine) -> None:
    client = _client(db_engine)
    other = _client(db_engine, CHAT + 1)
    with unit_of_work(db_engine) as s:
        first = repo.record_checkin(s, client, DAY, "done", rpe=6, now=NOW, source_message_id="tg-1")
        again = repo.record_checkin(s, client, DAY, "done", rpe=9, now=NOW, source_message_id="tg-1")
        repo.record_checkin(s, other, DAY, "done", rpe=9, now=NOW, source_message_id="tg-1")  # another chat
        pain = repo.record_symptom(s, client, "pain", 8, "back", "8/10", NOW, "tg-2")
        flag = repo.record_symptom(s, client, "red_flag", 8, "back", "8/10", NOW, "tg-2")  # same message
        assert repo.record_symptom(s, client, "pain", 8, "back", "8/10", NOW, "tg-2").id == pain.id
        assert (first.id, flag.state, pain.state) == (again.id, "open", None)
    with unit_of_work(db_engine) as s:
        assert s.execute(select(func.count()).select_from(CheckIn)).scalar_one() == 2
        assert [(r.kind, r.score) for r in repo.symptoms_since(s, client, NOW)] == [("pain", 8), ("red_flag", 8)]


@pytest.mark.parametrize("bad", [{"pain": 15}, {"rpe": 0}, {"rpe": 11}, {"pain": -1}])
def test_checkin_scores_outside_their_scales_are_rejected(db_engine: Engine, bad: dict) -> None:
    client = _client(db_engine)
    with pytest.raises(IntegrityError), unit_of_work(db_engine) as s:
        repo.record_checkin(s, client, DAY, "done", now=NOW, **bad)
    with unit_of_work(db_engine) as s:
        assert repo.recent_checkins(s, client, DAY) == []


def test_recent_checkins_come_oldest_first_with_their_exercises(db_engine: Engine) -> None:
    client = _client(db_engine)
    with unit_of_work(db_engine) as s:
        for offset in (0, 3, 8):
            day = DAY - timedelta(days=offset)
            repo.record_checkin(s, client, day, "done", rpe=6, exercise_logs=LOGS, now=NOW)
    with unit_of_work(db_engine) as s:
        recent = repo.recent_checkins(s, client, DAY - timedelta(days=7))
    # Read after the unit of work: the exercise logs were loaded with the check-ins.
    assert [c.day for c in recent] == [DAY - timedelta(days=3), DAY]
    assert [(e.pattern, e.rung, e.sets, e.reps, e.seconds) for e in recent[0].exercise_logs] == [
        ("squat", 2, 2, 10, None),
        ("balance", 1, None, None, 30),
    ]


def test_red_flags_stay_open_until_a_coach_clears_them(db_engine: Engine) -> None:
    client = _client(db_engine)
    with unit_of_work(db_engine) as s:
        repo.record_symptom(s, client, "pain", 4, "knee", "knee  hurts\nafter stairs", NOW)
        flag = repo.record_symptom(s, client, "red_flag", None, "back", "x" * 500, NOW)
        assert flag.text_excerpt.endswith("…") and len(flag.text_excerpt) == repo.EXCERPT_MAX
        assert repo.symptoms_since(s, client, NOW)[0].text_excerpt == "knee hurts after stairs"
        assert repo.symptoms_since(s, client, NOW + timedelta(seconds=1)) == []
        assert [r.id for r in repo.open_red_flags(s, client)] == [flag.id]
    with unit_of_work(db_engine) as s:
        assert repo.clear_red_flags(s, client, "coach anna", NOW) == 1
        assert repo.open_red_flags(s, client) == []
        assert repo.clear_red_flags(s, client, "coach anna", NOW) == 0


def test_handling_a_red_flag_alert_moves_its_red_flags_to_handled_not_cleared(db_engine: Engine) -> None:
    client = _client(db_engine)
    other = _client(db_engine, CHAT + 1)
    with unit_of_work(db_engine) as s:
        repo.record_symptom(s, client, "red_flag", None, "back", "heard a crack", NOW)
        alert = repo.create_alert(s, client, "red_flag", "possible fracture", NOW)
        repo.create_alert(s, other, "human_request", "wants to talk", NOW + timedelta(minutes=1))
    with unit_of_work(db_engine) as s:
        assert [a.kind for a in repo.open_alerts(s)] == ["red_flag", "human_request"]
        assert [a.id for a in repo.open_alerts(s, client)] == [alert.id]
        handled = repo.mark_alert_handled(s, alert.id, "coach anna", NOW)
        assert (handled.handled_by, handled.handled_at) == ("coach anna", NOW)
        [flag] = repo.open_red_flags(s, client)  # still not cleared to train
        assert (flag.state, flag.handled_by, flag.handled_at, flag.cleared_at) == ("handled", "coach anna", NOW, None)
        assert repo.mark_alert_handled(s, alert.id + 1000, "coach anna", NOW) is None
    with unit_of_work(db_engine) as s:
        again = repo.mark_alert_handled(s, alert.id, "coach ben", NOW + timedelta(hours=1))
        assert again.handled_by == "coach anna"
        open_now = repo.open_alerts(s)
    assert [a.client.chat_id for a in open_now] == [CHAT + 1]  # client loaded with the alert


def test_a_reminder_is_claimed_once_per_client_day_and_kind(db_engine: Engine) -> None:
    client = _client(db_engine)
    with unit_of_work(db_engine) as s:
        reminder = repo.claim_reminder(s, client, DAY, "checkin", NOW)
        assert reminder is not None and reminder.status == "claimed"
        assert repo.claim_reminder(s, client, DAY, "checkin", NOW) is None
        assert repo.claim_reminder(s, client, DAY, "nudge", NOW) is not None
        assert repo.claim_reminder(s, client, DAY + timedelta(days=1), "checkin", NOW) is not None
    with unit_of_work(db_engine) as s:
        assert repo.claim_reminder(s, client, DAY, "checkin", NOW) is None
        sent = repo.mark_reminder(s, reminder, "sent", NOW + timedelta(seconds=2))
        assert (sent.status, sent.sent_at) == ("sent", NOW + timedelta(seconds=2))


def test_an_invite_code_enrols_one_chat_only(db_engine: Engine) -> None:
    with unit_of_work(db_engine) as s:
        code = repo.create_invite(s, "coach anna", NOW)
    assert len(code) == repo.INVITE_LENGTH and set(code) <= set(repo.INVITE_ALPHABET)
    typed = f" {code[:4].lower()}-{code[4:].lower()} "
    with unit_of_work(db_engine) as s:
        client = repo.redeem_invite(s, typed, CHAT, "Ruth", NOW)
        assert client is not None and client.state == "onboarding"
        assert repo.is_enrolled(s, CHAT)
    with unit_of_work(db_engine) as s:
        assert repo.redeem_invite(s, code, CHAT + 1, "Someone", NOW) is None
        assert repo.get_client(s, CHAT + 1) is None
        assert repo.redeem_invite(s, code, CHAT, "Ruth", NOW).id == client.id  # same chat: fine
        assert repo.redeem_invite(s, "NOPE2345", CHAT + 2, "Other", NOW) is None
        assert repo.redeem_invite(s, "", CHAT + 2, "Other", NOW) is None


def test_enrolment_by_allow_list_table_or_settings(db_engine: Engine) -> None:
    with unit_of_work(db_engine) as s:
        assert not repo.is_enrolled(s, CHAT)
        assert repo.is_enrolled(s, CHAT, allowed_chat_ids=(CHAT,))
        repo.allow_chat(s, CHAT, "referred by Dr. Lee", NOW)
        assert repo.allow_chat(s, CHAT, None, NOW).note == "referred by Dr. Lee"
        assert repo.is_enrolled(s, CHAT)
    with unit_of_work(db_engine) as s:
        assert repo.disallow_chat(s, CHAT)
        assert not repo.disallow_chat(s, CHAT)
        assert not repo.is_enrolled(s, CHAT)


def _full_history(engine: Engine, chat_id: int) -> Client:
    """A client with a row in every table that can hold one."""
    with unit_of_work(engine) as s:
        code = repo.create_invite(s, "coach anna", NOW)
        client = repo.redeem_invite(s, code, chat_id, "Ruth", NOW)
        repo.allow_chat(s, chat_id, "also listed", NOW)
        turns.set_live_keyboard(s, chat_id, 41, NOW)
        repo.set_consent(s, client, NOW)
        repo.save_profile(s, client, now=NOW, sessions_per_week=3, equipment={"chair"})
        repo.set_ladder_positions(s, client, {"squat": 1}, NOW)
        plan = json.dumps({"exercises": [{"pattern": "squat", "reason": "start gently"}]})
        repo.save_planned_session(s, client, DAY, "strength", plan, NOW)
        repo.record_checkin(s, client, DAY, "done", 6, 1, "felt good", None, LOGS, NOW)
        repo.record_symptom(s, client, "pain", 3, "knee", "knee a bit sore", NOW)
        repo.record_symptom(s, client, "red_flag", None, "back", "I fell", NOW)
        repo.create_alert(s, client, "red_flag", "fell", NOW)
        repo.claim_reminder(s, client, DAY, "checkin", NOW)
        return client


def test_export_holds_everything_stored_about_the_client(db_engine: Engine) -> None:
    _full_history(db_engine, CHAT)
    with unit_of_work(db_engine) as s:
        data = json.loads(json.dumps(repo.export_client(s, CHAT)))
        assert repo.export_client(s, CHAT + 1) == {}
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
        checkin_ids = [c.id for c in repo.recent_checkins(s, client, date.min)]
        other_checkin_ids = [c.id for c in repo.recent_checkins(s, other, date.min)]
        before_other = _rows_of(s, other.id, CHAT + 1, other_checkin_ids)
        # The history reaches every table that can hold a client's data.
        reached = {key.split(".")[0] for key in before_other}
        # Turn records hold a chat only while in progress; groups are not clients.
        assert reached == set(Base.metadata.tables) - {"processed_updates", "refused_groups"}
        assert repo.forget_client(s, CHAT)
    with unit_of_work(db_engine) as s:
        assert _rows_of(s, client.id, CHAT, checkin_ids) == {}
        assert _rows_of(s, other.id, CHAT + 1, other_checkin_ids) == before_other
        invites = s.execute(select(InviteCode)).scalars().all()
        assert len(invites) == 2 and all(i.redeemed_at is not None for i in invites)
        assert repo.export_client(s, CHAT) == {}
        assert not repo.is_enrolled(s, CHAT)
        assert not repo.forget_client(s, CHAT)


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
