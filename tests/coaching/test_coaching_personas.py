"""Five clients the clinic knows well, and the exact plan the coach gives each of them."""

from __future__ import annotations

from datetime import date, timedelta

from bot.coaching.engine import plan_today
from bot.coaching.formatting import format_plan
from bot.coaching.library import default_library
from bot.coaching.models import (
    ExerciseResult,
    History,
    Plan,
    PlannedExercise,
    Profile,
    SessionRecord,
    SymptomReport,
)

LADDERS = default_library().ladders
HOME_GYM = frozenset({"chair", "band", "dumbbells", "step"})


def result(pattern: str, rung: int, sets: int, amount: int, rpe: int = 5, pain: int = 0
           ) -> ExerciseResult:
    measure = LADDERS[pattern].rungs[rung].dosage.measure
    return ExerciseResult(
        pattern, rung, sets,
        reps=amount if measure == "reps" else None,
        seconds=amount if measure == "seconds" else None,
        metres=amount if measure == "metres" else None,
        rpe=rpe, pain=pain,
    )


def strength_session(day: date, *results: ExerciseResult) -> SessionRecord:
    return SessionRecord(day, "strength", "done", 5, 0, results)


def by_pattern(plan: Plan) -> dict[str, PlannedExercise]:
    return {e.pattern: e for e in plan.exercises}


def rule_ids(plan: Plan) -> list[str]:
    return [r.rule_id for r in plan.reasons]


def test_fearful_beginner_gets_a_short_supported_first_session() -> None:
    """New, afraid of falling, only a chair at home: Monday is her first strength day."""
    profile = Profile(
        experience="new", vertebral_fracture=False, falls_last_year=0,
        balance_confidence="low", baseline_pain=2, sessions_per_week=2, training_days=(0, 3),
        equipment=frozenset({"chair"}),
    )
    monday = date(2025, 6, 2)
    plan = plan_today(profile, History((), {}), monday, [])

    assert plan.kind == "strength"
    assert plan.tiers == frozenset({"falls_first"})
    exercises = by_pattern(plan)
    assert list(exercises) == [
        "balance", "sit_to_stand", "hip_hinge", "push", "back_extensor", "carry",
    ]
    assert all(e.rung == 0 and e.sets == 1 for e in plan.exercises)
    assert exercises["sit_to_stand"].reps == 10
    assert exercises["balance"].rung_id == "bal_feet_together_hold"
    assert set(plan.rungs.values()) == {0}
    assert 20 <= plan.minutes <= 25
    assert rule_ids(plan) == ["tier_falls_first", "schedule_strength_day", "dose_start"]
    assert "balance feels shaky" in plan.reasons[0].text
    assert "Monday and Thursday" in plan.reasons[1].text
    text = format_plan(plan)
    assert "1. Feet-together stand, holding the counter — 1×20 s" in text


def test_vertebral_fracture_keeps_the_back_supported_and_waits_for_weights_clearance() -> None:
    """Rows have been easy twice, but the next row rung uses a dumbbell: not before clearance."""
    profile = Profile(
        experience="some", vertebral_fracture=True, falls_last_year=0,
        balance_confidence="medium", baseline_pain=1, sessions_per_week=3,
        training_days=(0, 2, 4), equipment=HOME_GYM,
    )
    wednesday = date(2025, 10, 1)
    history = History(
        tuple(
            strength_session(wednesday - timedelta(days=k), result("row", 1, 3, 12),
                             result("hip_hinge", 1, 2, 10))
            for k in (5, 2)
        ),
        {"row": 1, "hip_hinge": 1},
    )
    plan = plan_today(profile, history, wednesday, [])

    assert plan.kind == "strength"
    assert plan.tiers == frozenset({"spine_protect"})
    exercises = by_pattern(plan)
    assert exercises["row"].rung_id == "row_band_standing"
    assert (exercises["row"].sets, exercises["row"].reps) == (3, 12)
    assert exercises["hip_hinge"].rung_id == "hinge_stick"
    assert (exercises["hip_hinge"].sets, exercises["hip_hinge"].reps) == (2, 12)
    assert exercises["carry"].rung_id == "carry_bags"
    assert list(exercises)[0] == "back_extensor"
    assert plan.rungs["row"] == 1 and plan.rungs["carry"] == 0
    assert rule_ids(plan)[:2] == ["tier_spine_protect", "schedule_strength_day"]
    texts = {r.rule_id: r.text for r in plan.reasons}
    assert texts["spine_row_supported"] == (
        "Rows are done sitting tall, or with your chest resting on a chair back, so your back is supported, "
        "because of the fracture in your back."
    )
    assert texts["spine_weights_clearance"].startswith("Rows and carries:")
    assert "progress_up" not in texts


def test_fit_walker_with_osteopenia_climbs_a_rung_and_trains_for_the_ice() -> None:
    """Regular exerciser, January in Duluth: two easy 3×12 sessions move sit-to-stand up."""
    profile = Profile(
        experience="regular", vertebral_fracture=False, falls_last_year=0,
        balance_confidence="high", baseline_pain=0, sessions_per_week=3,
        training_days=(0, 2, 4), equipment=HOME_GYM,
    )
    monday = date(2025, 1, 13)
    done = (
        result("sit_to_stand", 2, 3, 12), result("row", 2, 3, 10),
        result("carry", 1, 3, 30), result("balance", 2, 2, 25),
    )
    history = History(
        tuple(strength_session(monday - timedelta(days=k), *done) for k in (5, 3)),
        {"sit_to_stand": 2, "row": 2, "carry": 1, "balance": 2},
    )
    plan = plan_today(profile, history, monday, [])

    assert plan.kind == "strength"
    assert plan.tiers == frozenset({"standard"})
    exercises = by_pattern(plan)
    assert len(exercises) == 8
    assert {"balance", "carry", "heel_raise", "step_up"} <= set(exercises)
    assert exercises["sit_to_stand"].rung_id == "sts_slow_lowering"
    assert (exercises["sit_to_stand"].sets, exercises["sit_to_stand"].reps) == (2, 8)
    assert exercises["carry"].rung_id == "carry_farmer_heavier"
    assert (exercises["row"].sets, exercises["row"].reps) == (3, 12)
    assert plan.rungs["sit_to_stand"] == 3 and plan.rungs["carry"] == 2
    assert plan.rungs["row"] == 2
    assert 20 <= plan.minutes <= 40
    texts = {r.rule_id: r.text for r in plan.reasons}
    assert "ice" in texts["winter_ice"]
    assert [r.text for r in plan.reasons if r.rule_id == "progress_up"] == [
        "Sit-to-stand: one step up, because you did the full sets comfortably in your last two "
        "sessions.",
        "Carries: one step up, because you did the full sets comfortably in your last two "
        "sessions.",
    ]
    assert "icy season" in format_plan(plan).lower()


def test_knee_pain_six_out_of_ten_today_means_gentle_movement_that_spares_the_knee() -> None:
    profile = Profile(
        experience="some", vertebral_fracture=False, falls_last_year=0,
        balance_confidence="medium", baseline_pain=2, sessions_per_week=2, training_days=(1, 4),
        equipment=HOME_GYM,
    )
    tuesday = date(2025, 5, 6)
    history = History(
        (strength_session(tuesday - timedelta(days=4), result("sit_to_stand", 2, 2, 10),
                          result("step_up", 1, 2, 10)),),
        {"sit_to_stand": 2, "step_up": 1},
    )
    knee = SymptomReport(tuesday, "pain", 6, "knee")
    plan = plan_today(profile, history, tuesday, [knee])

    assert plan.kind == "gentle"
    ids = [e.rung_id for e in plan.exercises]
    assert ids == [
        "gentle_shoulder_rolls", "gentle_ankle_circles", "gentle_tall_sitting",
        "gentle_chest_opener",
    ]
    assert "gentle_walk" not in ids and "gentle_seated_march" not in ids
    assert 10 <= plan.minutes <= 20
    assert plan.rungs["sit_to_stand"] == 1 and plan.rungs["step_up"] == 0
    assert plan.reasons[0].rule_id == "pain_red_today"
    assert plan.reasons[0].text.startswith("With knee pain at 6/10 today there's no strength work")


def test_back_after_three_weeks_away_starts_a_rung_lower_at_sixty_percent() -> None:
    profile = Profile(
        experience="some", vertebral_fracture=False, falls_last_year=0,
        balance_confidence="medium", baseline_pain=1, sessions_per_week=2, training_days=(0, 3),
        equipment=HOME_GYM,
    )
    monday = date(2025, 9, 22)
    history = History(
        (strength_session(monday - timedelta(days=21), result("sit_to_stand", 3, 3, 12),
                          result("row", 2, 3, 10), result("hip_hinge", 2, 2, 12)),),
        {"sit_to_stand": 3, "row": 2, "hip_hinge": 2},
    )
    plan = plan_today(profile, history, monday, [])

    assert plan.kind == "strength"
    exercises = by_pattern(plan)
    # 3×12 = 36 reps -> about 60 % = 22: two sets of 11 on the rung below.
    assert (exercises["sit_to_stand"].rung, exercises["sit_to_stand"].sets,
            exercises["sit_to_stand"].reps) == (2, 2, 11)
    assert (exercises["row"].rung, exercises["row"].sets, exercises["row"].reps) == (1, 2, 9)
    assert (exercises["hip_hinge"].rung, exercises["hip_hinge"].sets) == (1, 1)
    assert plan.rungs["sit_to_stand"] == 2 and plan.rungs["row"] == 1
    assert plan.rungs["hip_hinge"] == 1
    welcome = next(r for r in plan.reasons if r.rule_id == "break_return")
    assert welcome.text.startswith("Welcome back! After 21 days away")

    # Stored and planned again the same day: the rungs don't drop a second time.
    again = plan_today(profile, History(history.sessions, plan.rungs), monday, [])
    assert again.rungs == plan.rungs
    assert [e.rung for e in again.exercises] == [e.rung for e in plan.exercises]
