"""Safety properties of every plan, over generated clients (issue 13): ladders never climb on a
bad day, a re-plan never moves a ladder, and every hard rule of EXERCISE_SCIENCE.md holds.

The number of examples comes from the Hypothesis profile: the default in the suite, 10,000 with
`--hypothesis-profile=safety` (tests/coaching/conftest.py). The rules are restated here from the
brief, independently of the engine.
"""

from __future__ import annotations

from datetime import date, timedelta

from coaching_strategies import BODY_PARTS, LADDERS, situations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_coaching_properties import assert_safe_plan

from bot.coaching.engine import current_rungs, plan_today
from bot.coaching.models import History, Plan, Profile, SessionRecord, SymptomReport

RED, GREEN_MAX, EFFORT_MAX = 5, 2, 6  # EXERCISE_SCIENCE.md sections 4 and 5

# What happens this morning, on top of the generated reports: nothing, pain (score, body part)
# or tiredness.
morning = st.one_of(
    st.none(),
    st.tuples(st.just("pain"), st.integers(0, 10), st.sampled_from(BODY_PARTS)),
    st.tuples(st.just("fatigue"), st.none(), st.none()),
)


def _bad_days(sessions: tuple[SessionRecord, ...], symptoms: list[SymptomReport]) -> set[date]:
    """Days that can't show a client is ready for more: red pain anywhere, or tiredness."""
    days = {s.day for s in sessions
            if (s.pain or 0) >= RED or any((r.pain or 0) >= RED for r in s.results)}
    days |= {s.day for s in symptoms
             if s.kind == "fatigue" or (s.kind == "pain" and (s.score or 0) >= RED)}
    return days


def _good_evidence(pattern: str, history: History, today: date, symptoms: list[SymptomReport],
                   rung: int) -> bool:
    """The last two full (not minimum) results of this ladder before today: on `rung`, on good
    days, effort <= 6 and pain <= 2."""
    bad = _bad_days(history.sessions, symptoms)
    found = []
    for s in sorted((s for s in history.sessions if s.day < today), key=lambda s: s.day):
        if s.status in ("done", "partial") and s.kind != "minimum":
            for r in s.results:
                if r.pattern == pattern:
                    effort = r.rpe if r.rpe is not None else s.rpe
                    pain = r.pain if r.pain is not None else s.pain
                    found.append((s.day, r.rung, effort, pain or 0))
    last = found[-2:]
    return len(last) == 2 and all(
        day not in bad and done_rung == rung and effort is not None and effort <= EFFORT_MAX
        and pain <= GREEN_MAX
        for day, done_rung, effort, pain in last
    )


def check_no_climb_on_a_bad_day(profile: Profile, history: History, today: date,
                                symptoms: list[SymptomReport], plan: Plan) -> None:
    before = current_rungs(profile, history)
    ups = [p for p in LADDERS if plan.rungs[p] > before[p]]
    bad_today = plan.kind in ("gentle", "minimum") or any(
        s.day == today and (s.kind == "fatigue" or (s.kind == "pain" and (s.score or 0) >= RED))
        for s in symptoms
    )
    if bad_today:
        assert not ups, f"stepped up {ups} on a {plan.kind} day"
    for p in ups:
        assert _good_evidence(p, history, today, symptoms, before[p]), f"{p} up without proof"


def check_replan_moves_nothing(profile: Profile, history: History, today: date,
                               symptoms: list[SymptomReport], plan: Plan) -> None:
    again = plan_today(profile, History(history.sessions, plan.rungs), today, symptoms)
    assert dict(again.rungs) == dict(plan.rungs), "a re-plan moved a ladder"
    assert again.kind == plan.kind


def check_not_sure_is_not_stated_as_a_fracture(profile: Profile, plan: Plan) -> None:
    if profile.vertebral_fracture_unsure:
        assert not any("the fracture in your back" in r.text for r in plan.reasons)


@settings(deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(situations(), morning)
def test_every_generated_plan_is_safe_never_climbs_on_a_bad_day_and_replans_the_same(
    case: tuple, extra: tuple | None
) -> None:
    profile, history, today, symptoms = case
    if extra is not None:
        kind, score, part = extra
        symptoms = [*symptoms, SymptomReport(today, kind, score, part)]
    plan = plan_today(profile, history, today, symptoms)
    assert_safe_plan(profile, history, today, symptoms, plan)
    check_no_climb_on_a_bad_day(profile, history, today, symptoms, plan)
    check_replan_moves_nothing(profile, history, today, symptoms, plan)
    check_not_sure_is_not_stated_as_a_fracture(profile, plan)


def test_the_restated_check_calls_a_day_with_red_pain_bad_and_amber_pain_good() -> None:
    """The restated check itself: a red pain report makes its day bad, a green one doesn't."""
    day = date(2025, 6, 2)
    reports = [SymptomReport(day, "pain", 5, None), SymptomReport(day + timedelta(1), "pain", 4, None)]
    bad = _bad_days((), reports)
    assert bad == {day}
