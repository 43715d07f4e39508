"""Ladders never climb on a bad day, and a re-plan never moves a ladder twice (issue 13, gap 3).

A step up is earned on good days only (EXERCISE_SCIENCE.md section 4: "hold when ... pain was in
the amber zone"; section 5: red pain means no strength work and a step down). A day with pain of
5 or more, a red-zone result, a fatigue report or a one-set minimum session is not evidence for a
step up, and a gentle or tired day stores no step up either.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from bot.coaching.engine import plan_today
from bot.coaching.models import ExerciseResult, History, Profile, SessionRecord, SymptomReport

HOME_GYM = frozenset({"chair", "band", "dumbbells", "step"})
MONDAY = date(2025, 6, 2)  # June: no winter rules; Monday and Thursday are strength days
CLIENT = Profile(
    experience="some", vertebral_fracture=False, falls_last_year=0,
    balance_confidence="high", baseline_pain=0, sessions_per_week=2, training_days=(0, 3),
    equipment=HOME_GYM,
)


def row(rung: int = 1, pain: int | None = 0) -> ExerciseResult:
    """The top of a row rung's dose (3 x 12), comfortable effort: enough to earn a step up."""
    return ExerciseResult("row", rung, 3, 12, None, 5, pain)


def earned_row_history(*, session_pain: int = 0, kind: str = "strength") -> History:
    """Two strength sessions at the top of row rung 1: row has earned a step up to rung 2."""
    days = (MONDAY - timedelta(days=7), MONDAY - timedelta(days=4))
    return History(
        tuple(SessionRecord(d, kind, "done", 5, session_pain, (row(),)) for d in days),
        {"row": 1},
    )


def test_the_fixture_does_earn_a_step_up_on_a_good_day() -> None:
    plan = plan_today(CLIENT, earned_row_history(), MONDAY, [])
    assert plan.kind == "strength" and plan.rungs["row"] == 2


def test_knee_pain_9_today_gives_a_gentle_day_and_stores_no_step_up_for_rows() -> None:
    plan = plan_today(CLIENT, earned_row_history(), MONDAY, [SymptomReport(MONDAY, "pain", 9, "knee")])
    assert plan.kind == "gentle"
    assert plan.rungs["row"] == 1


def test_a_tired_day_brings_in_no_new_rung_and_says_no_step_up() -> None:
    plan = plan_today(CLIENT, earned_row_history(), MONDAY, [SymptomReport(MONDAY, "fatigue", None, None)])
    assert plan.kind == "minimum"
    assert plan.rungs["row"] == 1
    assert all(e.rung <= 1 for e in plan.exercises if e.pattern == "row")
    assert "progress_up" not in {r.rule_id for r in plan.reasons}


def test_a_session_with_pain_5_is_no_evidence_for_a_step_up_even_if_each_exercise_felt_fine() -> None:
    plan = plan_today(CLIENT, earned_row_history(session_pain=6), MONDAY + timedelta(days=3), [])
    assert plan.rungs["row"] == 1


def test_a_red_pain_report_on_the_day_of_a_session_makes_it_no_evidence_for_a_step_up() -> None:
    sore_day = MONDAY - timedelta(days=7)
    # Fifteen days later the report is outside the pain window, but the session is still not proof.
    today = sore_day + timedelta(days=17)
    history = History(
        tuple(
            SessionRecord(d, "strength", "done", 5, 0, (row(),))
            for d in (sore_day, today - timedelta(days=4))
        ),
        {"row": 1},
    )
    plan = plan_today(CLIENT, history, today, [SymptomReport(sore_day, "pain", 7, None)])
    assert plan.rungs["row"] == 1


def test_a_session_on_a_tired_day_is_no_evidence_for_a_step_up() -> None:
    tired_day = MONDAY - timedelta(days=4)
    plan = plan_today(CLIENT, earned_row_history(), MONDAY + timedelta(days=3),
                      [SymptomReport(tired_day, "fatigue", None, None)])
    assert plan.rungs["row"] == 1


def test_minimum_sessions_are_no_evidence_for_a_step_up() -> None:
    plan = plan_today(CLIENT, earned_row_history(kind="minimum"), MONDAY, [])
    assert plan.rungs["row"] == 1


def test_a_step_down_is_one_rung_below_where_it_hurt_and_a_replan_does_not_step_down_again() -> None:
    """Stored rung 2 (a step up not done yet), then red pain on rung 0: the ladder goes to the
    rung below the one that hurt (here the bottom) once, and feeding the plan back keeps it."""
    profile = replace(CLIENT, experience="regular")
    history = History(
        (SessionRecord(MONDAY - timedelta(days=3), "strength", "done", 0, 0,
                       (ExerciseResult("sit_to_stand", 0, 1, 6, None, 0, 5),)),),
        {},
    )
    first = plan_today(profile, history, MONDAY, [])
    again = plan_today(profile, History(history.sessions, first.rungs), MONDAY, [])
    assert first.rungs["sit_to_stand"] == 0
    assert dict(again.rungs) == dict(first.rungs)


def test_a_step_up_held_for_a_pending_change_is_not_released_by_feeding_the_plan_back() -> None:
    """Found by the simulator: a beginner's push-ups were one rung up but not done there yet,
    which held balance back (one change at a time); a break then stepped push-ups down. The
    pending change is gone once the plan is made, so a re-plan must give the same rungs."""
    wednesday = date(2025, 10, 29)
    balance = ExerciseResult("balance", 1, 3, None, 30, 3, 0)
    history = History(
        (
            SessionRecord(date(2025, 10, 13), "strength", "done", 3, 0,
                          (ExerciseResult("push", 0, 3, 12, None, 3, 0), balance)),
            SessionRecord(date(2025, 10, 15), "strength", "done", 3, 0,
                          (ExerciseResult("push", 0, 3, 12, None, 3, 0), balance)),
            SessionRecord(date(2025, 10, 16), "balance", "done", 3, 0, (balance,)),
        ),
        {"push": 1, "balance": 1},
    )
    profile = replace(CLIENT, experience="new", sessions_per_week=3, training_days=(0, 2, 4))
    first = plan_today(profile, history, wednesday, [])
    again = plan_today(profile, History(history.sessions, first.rungs), wednesday, [])
    assert first.rungs["push"] == 0
    assert dict(again.rungs) == dict(first.rungs)
