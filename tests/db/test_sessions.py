"""Planned sessions and check-ins (bot.db.sessions)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.db import sessions, symptoms
from bot.db.engine import unit_of_work
from bot.db.models import CheckIn
from tests.db.helpers import CHAT, DAY, LOGS, NOW, active_client


def test_a_new_plan_for_the_same_day_replaces_the_old_one(db_engine: Engine) -> None:
    client = active_client(db_engine)
    with unit_of_work(db_engine) as s:
        first = sessions.save_planned_session(s, client, DAY, "strength", '{"v": 1}', NOW)
    later = NOW + timedelta(hours=2)
    with unit_of_work(db_engine) as s:
        second = sessions.save_planned_session(s, client, DAY, "rest", '{"v": 2}', later)
        assert second.id == first.id
        plan = sessions.planned_session(s, client, DAY)
        assert (plan.kind, plan.plan_json, plan.created_at) == ("rest", '{"v": 2}', later)
        assert sessions.planned_session(s, client, DAY + timedelta(days=1)) is None


def test_a_second_checkin_the_same_day_is_kept_as_its_own_record(db_engine: Engine) -> None:
    client = active_client(db_engine)
    with unit_of_work(db_engine) as s:
        plan = sessions.save_planned_session(s, client, DAY, "strength", "{}", NOW)
        sessions.record_checkin(s, client, DAY, "done", rpe=6, pain=1, exercise_logs=LOGS, now=NOW)
    with unit_of_work(db_engine) as s:
        sessions.save_planned_session(s, client, DAY, "gentle", "{}", NOW)  # replanned after a pain report
        sessions.record_checkin(s, client, DAY, "done", rpe=5, pain=2, exercise_logs=LOGS[:1],
                            now=NOW + timedelta(hours=1))
    with unit_of_work(db_engine) as s:
        rows = sessions.recent_checkins(s, client, DAY)
    assert [(c.status, c.rpe, c.pain) for c in rows] == [("done", 6, 1), ("done", 5, 2)]
    assert [c.planned_session_id for c in rows] == [plan.id, plan.id]
    assert [c.session_kind for c in rows] == ["strength", "gentle"]  # what the plan said when logged
    assert [[e.pattern for e in c.exercise_logs] for c in rows] == [["squat", "balance"], ["squat"]]


def test_a_message_logged_once_is_not_logged_again(db_engine: Engine) -> None:
    client = active_client(db_engine)
    other = active_client(db_engine, CHAT + 1)
    with unit_of_work(db_engine) as s:
        first = sessions.record_checkin(s, client, DAY, "done", rpe=6, now=NOW, source_message_id="tg-1")
        again = sessions.record_checkin(s, client, DAY, "done", rpe=9, now=NOW, source_message_id="tg-1")
        sessions.record_checkin(s, other, DAY, "done", rpe=9, now=NOW, source_message_id="tg-1")  # another chat
        pain = symptoms.record_symptom(s, client, "pain", 8, "back", "8/10", NOW, "tg-2")
        flag = symptoms.record_symptom(s, client, "red_flag", 8, "back", "8/10", NOW, "tg-2")  # same message
        assert symptoms.record_symptom(s, client, "pain", 8, "back", "8/10", NOW, "tg-2").id == pain.id
        assert (first.id, flag.state, pain.state) == (again.id, "open", None)
    with unit_of_work(db_engine) as s:
        assert s.execute(select(func.count()).select_from(CheckIn)).scalar_one() == 2
        assert [(r.kind, r.score) for r in symptoms.symptoms_since(s, client, NOW)] == [("pain", 8), ("red_flag", 8)]


@pytest.mark.parametrize("bad", [{"pain": 15}, {"rpe": 0}, {"rpe": 11}, {"pain": -1}])
def test_checkin_scores_outside_their_scales_are_rejected(db_engine: Engine, bad: dict) -> None:
    client = active_client(db_engine)
    with pytest.raises(IntegrityError), unit_of_work(db_engine) as s:
        sessions.record_checkin(s, client, DAY, "done", now=NOW, **bad)
    with unit_of_work(db_engine) as s:
        assert sessions.recent_checkins(s, client, DAY) == []


def test_recent_checkins_come_oldest_first_with_their_exercises(db_engine: Engine) -> None:
    client = active_client(db_engine)
    with unit_of_work(db_engine) as s:
        for offset in (0, 3, 8):
            day = DAY - timedelta(days=offset)
            sessions.record_checkin(s, client, day, "done", rpe=6, exercise_logs=LOGS, now=NOW)
    with unit_of_work(db_engine) as s:
        recent = sessions.recent_checkins(s, client, DAY - timedelta(days=7))
    # Read after the unit of work: the exercise logs were loaded with the check-ins.
    assert [c.day for c in recent] == [DAY - timedelta(days=3), DAY]
    assert [(e.pattern, e.rung, e.sets, e.reps, e.seconds) for e in recent[0].exercise_logs] == [
        ("squat", 2, 2, 10, None),
        ("balance", 1, None, None, 30),
    ]

