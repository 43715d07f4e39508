"""The library and client texts say what EXERCISE_SCIENCE.md says (issue 13, gaps 4 and 5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import yaml

from bot.coaching.engine import plan_today
from bot.coaching.formatting import format_plan
from bot.coaching.library import default_library, default_rules
from bot.coaching.models import ExerciseResult, History, Profile, SessionRecord, SymptomReport
from bot.content.loader import CONTENT_DIR as CONTENT

DOMAIN = CONTENT.parent.parent / "domain.yml"
LIBRARY = default_library()
CLINIC = yaml.safe_load((CONTENT / "clinic.yml").read_text())
MONDAY = date(2025, 6, 2)
CLIENT = Profile(
    experience="regular", vertebral_fracture=False, falls_last_year=0,
    balance_confidence="high", baseline_pain=0, sessions_per_week=2, training_days=(0, 3),
    equipment=frozenset({"chair", "band", "dumbbells", "step"}),
)


def _response(key: str) -> str:
    data = yaml.safe_load(DOMAIN.read_text())
    return data["responses"][key][0]["text"]


# --- gap 4: library -----------------------------------------------------------------------------
def test_one_leg_slow_heel_lowering_is_held_onto_and_waits_for_steady_supported_balance() -> None:
    rung = next(r for r in LIBRARY.ladders["heel_raise"].rungs if r.id == "heel_single_slow")
    assert "unsupported_balance" in rung.tags
    assert "counter" in (rung.name + rung.cue).lower()


def test_the_trunk_ladder_is_anti_rotation_only_no_loaded_turning_anywhere() -> None:
    every = [r for ladder in LIBRARY.ladders.values() for r in ladder.rungs]
    assert not [r.id for r in every if "twisting" in r.tags]
    assert all("pallof" in r.name.lower() for r in LIBRARY.ladders["anti_rotation"].rungs)
    assert not [r.id for r in every if "chop" in r.id or "turn hips" in r.cue.lower()]


def test_the_hinge_ladder_ends_at_the_romanian_deadlift_and_never_lifts_from_the_floor() -> None:
    rungs = LIBRARY.ladders["hip_hinge"].rungs
    assert rungs[-1].id == "hinge_rdl_heavier"
    assert not [r.id for ladder in LIBRARY.ladders.values() for r in ladder.rungs
                if "floor_lift" in r.tags or "from the floor" in r.name.lower()]


def test_weighted_rows_are_chest_supported_and_the_spine_reason_says_so() -> None:
    weighted = [r for r in LIBRARY.ladders["row"].rungs if "weighted" in r.tags]
    assert weighted and all("chest-supported" in r.name.lower() for r in weighted)
    assert "chest" in default_rules()["spine_row_supported"].text.lower()


# --- gap 5: texts -------------------------------------------------------------------------------
def test_winter_faq_says_when_a_fall_means_getting_checked_today_or_calling_911() -> None:
    text = _response("utter_faq/winter_ice")
    assert "911" in text and "today" in text
    for sign in ("stand", "deformed", "head"):
        assert sign in text, sign
    assert 40 <= len(text.split()) <= 120


def test_balance_texts_give_the_two_hours_a_week_target_built_up() -> None:
    balance_day = default_rules()["schedule_balance_day"].text
    how_often = _response("utter_faq/how_often")
    for text in (balance_day, how_often):
        assert "2 hours a week" in text and ("build" in text or "built up" in text), text
        assert "a few minutes" not in text


def test_a_stop_day_gives_the_clinic_phone_number() -> None:
    for profile, symptoms in (
        (replace(CLIENT, recent_fracture_uncleared=True), []),
        (CLIENT, [SymptomReport(MONDAY, "red_flag", None, None)]),
    ):
        plan = plan_today(profile, History((), {}), MONDAY, symptoms)
        assert plan.kind == "stop"
        assert CLINIC["phone"] in format_plan(plan)


def test_the_easy_first_session_asks_after_a_recent_fracture_to_check_with_the_clinic_first() -> None:
    text = _response("utter_easy_first_session")
    assert "fracture in the last few months" in text and "clinic first" in text


def test_not_sure_about_a_spine_fracture_is_played_safe_without_claiming_a_fracture() -> None:
    profile = replace(CLIENT, vertebral_fracture=True, vertebral_fracture_unsure=True,
                      cleared_for_weights=True)
    history = History(
        (SessionRecord(MONDAY - timedelta(days=4), "strength", "done", 5, 0,
                       (ExerciseResult("row", 2, 2, 10, None, 5, 0),)),),
        {"row": 2},
    )
    plan = plan_today(profile, history, MONDAY, [])
    assert "spine_protect" in plan.tiers
    text = " ".join(r.text for r in plan.reasons)
    assert "the fracture in your back" not in text
    assert "don't know yet" in text and "until the clinic confirms" in text
