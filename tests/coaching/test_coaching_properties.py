"""Promises that hold for every client, checked over thousands of generated clients.

Profiles, histories and symptom lists are generated at random (derandomized, so every run
checks the same cases); each plan is checked against EXERCISE_SCIENCE.md restated in
coaching_strategies.py.
"""

from __future__ import annotations

from datetime import date, timedelta

from coaching_strategies import (
    BODY_PARTS,
    LADDERS,
    SPINE_BANNED,
    days,
    profiles,
    rarely,
    situations,
    supported_balance_steady,
    why_not,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.coaching.engine import plan_today, start_rungs
from bot.coaching.formatting import format_plan
from bot.coaching.library import SOURCES, default_rules
from bot.coaching.models import (
    ExerciseResult,
    History,
    Plan,
    Profile,
    SessionRecord,
    SymptomReport,
)
from bot.content.loader import messages as content_messages


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples, deadline=None, derandomize=True, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


MINUTES = {
    "strength": (20, 40), "minimum": (10, 15), "balance": (10, 20), "walk": (15, 40),
    "gentle": (10, 20), "rest": (0, 0), "stop": (0, 0),
}
STRENGTH_PATTERNS = frozenset(LADDERS) - {"balance"}


def _current(profile: Profile, history: History) -> dict[str, int]:
    start = start_rungs(profile)
    return {
        p: max(0, min(history.rungs.get(p, start[p]), len(ladder.rungs) - 1))
        for p, ladder in LADDERS.items()
    }


def assert_safe_plan(
    profile: Profile, history: History, today: date, symptoms: list[SymptomReport], plan: Plan
) -> None:
    rules = default_rules()
    assert plan.day == today
    assert plan.reasons, "every plan explains itself"
    for reason in plan.reasons:
        assert reason.rule_id in rules.by_id and reason.source in SOURCES
        assert reason.text.strip() and "{" not in reason.text

    red_flag = any(s.kind == "red_flag" and not s.cleared for s in symptoms)
    if red_flag or profile.recent_fracture_uncleared:
        assert plan.kind == "stop" and plan.exercises == () and plan.minutes == 0
        assert {r.rule_id for r in plan.reasons} <= {"red_flag_open", "recent_fracture"}
        return
    assert plan.kind != "stop"

    steady = supported_balance_steady(history, today)
    current = _current(profile, history)
    ladder_patterns = [e.pattern for e in plan.exercises if e.pattern in LADDERS]
    assert len(ladder_patterns) == len(set(ladder_patterns)), "one rung per ladder a day"
    for e in plan.exercises:
        assert 1 <= e.sets <= 3
        amounts = [a for a in (e.reps, e.seconds, e.metres) if a is not None]
        assert len(amounts) == 1
        if e.reps is not None:
            assert 8 <= e.reps <= 15
        if e.pattern in LADDERS:
            rung = LADDERS[e.pattern].rungs[e.rung]
            assert rung.id == e.rung_id
            blocked = why_not(rung, profile, steady)
            assert blocked is None, (e.rung_id, blocked)
            assert e.rung <= current[e.pattern] + 1
            low, high = rung.dosage.amount
            assert low <= amounts[0] <= high
        else:
            assert e.pattern in ("gentle", "walk", "balance_extra")

    low, high = MINUTES[plan.kind]
    assert low <= plan.minutes <= high
    if plan.kind == "strength":
        assert 6 <= len(ladder_patterns) <= 8
    if plan.kind == "minimum":
        assert 2 <= len(plan.exercises) <= 3
    if plan.kind in ("gentle", "rest"):
        assert not ladder_patterns

    if any(s.kind == "pain" and s.day == today and (s.score or 0) >= 5 for s in symptoms):
        assert plan.kind == "gentle", "no strength work with red pain today"
    yesterday = today - timedelta(days=1)
    if any(
        s.day == yesterday and s.kind == "strength" and s.status in ("done", "partial")
        for s in history.sessions
    ):
        assert plan.kind != "strength", "never strength two days in a row"

    last_done = _last_done_rungs(history, today)
    for pattern, ladder in LADDERS.items():
        before, after = current[pattern], plan.rungs[pattern]
        assert 0 <= after < len(ladder.rungs)
        assert after <= before + 1, f"{pattern} jumped from {before} to {after}"
        # Lower by more than one only when every rung in between is off limits for the client,
        # or to one rung below the rung last done (a step down counts from the rung that hurt).
        floor = min(before, max(0, last_done[pattern] - 1)) if pattern in last_done else before
        for skipped in range(after + 1, floor):
            assert why_not(ladder.rungs[skipped], profile, steady) is not None

    text = format_plan(plan)
    assert len(text) <= content_messages().plan.limit
    assert not set(text) & set("*_`[]"), "plain text, no Markdown"


def _last_done_rungs(history: History, today: date) -> dict[str, int]:
    """The rung of each ladder's latest result done before today."""
    found: dict[str, int] = {}
    for s in sorted((s for s in history.sessions if s.day < today), key=lambda s: s.day):
        if s.status in ("done", "partial"):
            found.update({r.pattern: r.rung for r in s.results})
    return found


SPINE_CASES = st.one_of(situations(vertebral_fracture=True), situations(high_risk=True))
ALL_CASES = situations()


@_settings(2000)
@given(SPINE_CASES)
def test_spine_protect_clients_never_get_a_contraindicated_rung(case: tuple) -> None:
    profile, history, today, symptoms = case
    plan = plan_today(profile, history, today, symptoms)
    assert "spine_protect" in plan.tiers
    for e in plan.exercises:
        if e.pattern in LADDERS:
            tags = LADDERS[e.pattern].rungs[e.rung].tags
            assert not tags & SPINE_BANNED, e.rung_id
            assert "weighted" not in tags or profile.cleared_for_weights, e.rung_id
    assert_safe_plan(profile, history, today, symptoms, plan)


@_settings(300)
@given(ALL_CASES, st.integers(-5, 400), st.sampled_from(BODY_PARTS))
def test_an_uncleared_red_flag_of_any_date_means_no_exercise_at_all(
    case: tuple, days_ago: int, body_part: str | None
) -> None:
    profile, history, today, symptoms = case
    flag = SymptomReport(today - timedelta(days=days_ago), "red_flag", None, body_part)
    plan = plan_today(profile, history, today, [*symptoms, flag])
    assert plan.kind == "stop"
    assert plan.exercises == () and plan.minutes == 0
    assert plan.reasons and all(
        r.rule_id in ("red_flag_open", "recent_fracture") for r in plan.reasons
    )


@_settings(1200)
@given(ALL_CASES)
def test_every_plan_keeps_dose_equipment_tier_and_rung_rules(case: tuple) -> None:
    profile, history, today, symptoms = case
    plan = plan_today(profile, history, today, symptoms)
    assert_safe_plan(profile, history, today, symptoms, plan)


@_settings(400)
@given(situations(falls_last_year=1))
def test_falls_first_gets_no_hands_free_balance_until_supported_work_is_steady(
    case: tuple,
) -> None:
    profile, history, today, symptoms = case
    plan = plan_today(profile, history, today, symptoms)
    assert "falls_first" in plan.tiers or plan.kind == "stop"
    if not supported_balance_steady(history, today):
        for e in plan.exercises:
            if e.pattern in LADDERS:
                assert "unsupported_balance" not in LADDERS[e.pattern].rungs[e.rung].tags


day_events = st.tuples(
    st.sampled_from(("done", "done", "done", "partial", "skipped")),  # what the client did
    st.integers(2, 9),  # effort
    st.integers(0, 6),  # pain after the session
    st.sampled_from((None, None, None, None, None, "pain", "fatigue")),  # a report that morning
    st.integers(0, 9),  # its score
    st.sampled_from(BODY_PARTS),
    rarely(),  # the client does an extra, unplanned strength session that day
)


@_settings(150)
@given(
    profiles(recent_fracture_uncleared=False), days,
    st.lists(day_events, min_size=56, max_size=56),
)
def test_eight_weeks_day_by_day_never_load_the_same_muscles_two_days_running(
    profile: Profile, start: date, events: list[tuple]
) -> None:
    history = History((), {})
    symptoms: list[SymptomReport] = []
    loaded: set[date] = set()  # days with a done session that had strength exercises
    strength_by_week: dict[date, int] = {}
    for offset, (status, rpe, pain, report, score, part, extra) in enumerate(events):
        today = start + timedelta(days=offset)
        if report is not None:
            symptoms.append(SymptomReport(today, report, score, part))
        plan = plan_today(profile, history, today, symptoms)
        assert_safe_plan(profile, history, today, symptoms, plan)
        strength_today = [e for e in plan.exercises if e.pattern in STRENGTH_PATTERNS]
        if today - timedelta(days=1) in loaded:
            assert not strength_today, f"strength exercises on {today}, the day after strength"
        kind = "rest" if plan.kind == "stop" else plan.kind
        results = tuple(
            ExerciseResult(e.pattern, e.rung, e.sets, e.reps, e.seconds, rpe, pain, e.metres)
            for e in plan.exercises
        )
        if extra and not plan.exercises:
            kind, status = "strength", "done"
            results = (ExerciseResult("sit_to_stand", 0, 2, 10, None, rpe, pain),)
        record = SessionRecord(today, kind, status, rpe, pain, results)
        if status != "skipped" and any(r.pattern in STRENGTH_PATTERNS for r in results):
            loaded.add(today)
            if plan.kind == "strength":
                monday = today - timedelta(days=today.weekday())
                strength_by_week[monday] = strength_by_week.get(monday, 0) + 1
                assert strength_by_week[monday] <= profile.sessions_per_week
        history = History((*history.sessions, record), plan.rungs)
