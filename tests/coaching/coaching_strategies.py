"""Hypothesis strategies and spec-side checks shared by the rules-engine tests.

The checks here restate EXERCISE_SCIENCE.md in test code, independently of the engine, so a
bug in the engine's filters cannot hide behind the same bug in the test.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from bot.coaching.library import Rung, default_library
from bot.coaching.models import (
    EXPERIENCE,
    ExerciseResult,
    History,
    Profile,
    SessionRecord,
    SymptomReport,
)

LIBRARY = default_library()
LADDERS = LIBRARY.ladders
PATTERNS = tuple(LADDERS)
EQUIPMENT = tuple(sorted(LIBRARY.equipment))
SPINE_BANNED = frozenset({"loaded_flexion", "twisting", "impact", "floor_lift"})
BODY_PARTS = (None, "knee", "left knee", "lower back", "shoulder", "ankle", "hip", "wrist", "toe")
SESSION_KINDS = ("strength", "balance", "walk", "minimum", "gentle", "rest")


def _is_zero(n: int) -> bool:
    return n == 0


def rarely() -> st.SearchStrategy[bool]:
    """True about one time in eight, so the rare branches still come up often."""
    return st.integers(0, 7).map(_is_zero)


def profiles(**fixed: object) -> st.SearchStrategy[Profile]:
    fields: dict[str, st.SearchStrategy] = dict(
        experience=st.sampled_from(EXPERIENCE),
        vertebral_fracture=st.booleans(),
        falls_last_year=st.integers(0, 3),
        balance_confidence=st.sampled_from(("low", "medium", "high")),
        baseline_pain=st.integers(0, 10),
        sessions_per_week=st.sampled_from((2, 3)),
        training_days=st.frozensets(st.integers(0, 6)).map(sorted).map(tuple),
        equipment=st.frozensets(st.sampled_from(EQUIPMENT)),
        high_risk=rarely(),
        recent_fracture_uncleared=rarely(),
        cleared_for_weights=st.booleans(),
        cleared_floor=st.booleans(),
        tandem_stance_seconds=st.integers(-1, 30).map(_maybe),
        vertebral_fracture_unsure=rarely(),
        several_fractures=rarely(),
        height_loss_or_curve=rarely(),
    )
    fields.update({k: st.just(v) for k, v in fixed.items()})
    return st.builds(Profile, **fields)


def _maybe(n: int) -> int | None:
    return None if n < 0 else n


AMOUNTS = (6, 8, 10, 12, 14, 15, 20, 25, 30, 35)  # reps, seconds and metres, in and out of range


def _result(raw: tuple[int, ...]) -> ExerciseResult:
    pattern_index, rung, sets, amount_index, rpe, pain = raw
    ladder = LADDERS[PATTERNS[pattern_index]]
    rung = min(rung, len(ladder.rungs) - 1)
    measure = ladder.rungs[rung].dosage.measure
    amount = None if amount_index < 0 else AMOUNTS[amount_index]
    return ExerciseResult(
        pattern=ladder.pattern, rung=rung, sets=sets,
        reps=amount if measure == "reps" else None,
        seconds=amount if measure == "seconds" else None,
        metres=amount if measure == "metres" else None,
        rpe=_maybe(rpe), pain=_maybe(pain),
    )


# Flat tuples of integers draw fast; the builders below turn them into the dataclasses.
score = st.integers(-1, 10)  # -1: not reported
raw_result = st.tuples(
    st.integers(0, len(PATTERNS) - 1), st.integers(0, 5), st.integers(1, 4),
    st.integers(-1, len(AMOUNTS) - 1), score, score,
)
# (days before today, kind, status, effort, pain, results); -1 is a record dated tomorrow.
raw_session = st.tuples(
    st.integers(-1, 60), st.integers(0, len(SESSION_KINDS) - 1), st.integers(0, 3), score, score,
    st.lists(raw_result, max_size=5),
)
STATUS = ("done", "done", "partial", "skipped")
raw_rungs = st.lists(st.tuples(st.integers(0, len(PATTERNS) - 1), st.integers(0, 5)), max_size=6)
# (days before today, kind, score, body part, cleared)
REPORT_KINDS = ("pain", "pain", "pain", "fatigue", "fatigue", "red_flag")
raw_report = st.tuples(
    st.integers(-1, 30), st.integers(0, len(REPORT_KINDS) - 1), score,
    st.integers(0, len(BODY_PARTS) - 1), st.booleans(),
)
days = st.dates(date(2024, 1, 1), date(2026, 12, 31))


def history_on(today: date, sessions: list[tuple], rungs: list[tuple[int, int]]) -> History:
    return History(
        tuple(
            SessionRecord(
                today - timedelta(days=d), SESSION_KINDS[k], STATUS[s], _maybe(e), _maybe(p),
                tuple(_result(r) for r in results),
            )
            for d, k, s, e, p, results in sessions
        ),
        {PATTERNS[i]: min(r, len(LADDERS[PATTERNS[i]].rungs) - 1) for i, r in rungs},
    )


def symptoms_on(today: date, reports: list[tuple]) -> list[SymptomReport]:
    return [
        SymptomReport(today - timedelta(days=d), REPORT_KINDS[k], _maybe(sc), BODY_PARTS[b], c)
        for d, k, sc, b, c in reports
    ]


def _situation(profile: Profile, today: date, sessions: list[tuple], rungs: list[tuple],
               reports: list[tuple]) -> tuple:
    return profile, history_on(today, sessions, rungs), today, symptoms_on(today, reports)


def situations(**fixed: object) -> st.SearchStrategy[tuple]:
    """(profile, history, today, symptoms), with the given profile fields fixed."""
    return st.builds(
        _situation, profiles(**fixed), days, st.lists(raw_session, max_size=12), raw_rungs,
        st.lists(raw_report, max_size=4),
    )


# --- the promises, restated ----------------------------------------------------------------
def spine_protect(profile: Profile) -> bool:
    return profile.vertebral_fracture or profile.high_risk


def falls_first(profile: Profile) -> bool:
    tandem = profile.tandem_stance_seconds
    return (
        profile.falls_last_year >= 1 or profile.balance_confidence == "low"
        or (tandem is not None and tandem < 10)
    )


def supported_balance_steady(history: History, today: date) -> bool:
    """Two latest balance results on supported rungs: both on the top supported rung, effort
    known and <= 6, pain <= 2 (result's, else session's, else none reported)."""
    rungs = LADDERS["balance"].rungs
    top = next(i for i, r in enumerate(rungs) if "unsupported_balance" in r.tags) - 1
    found = []
    for s in sorted((s for s in history.sessions if s.day < today), key=lambda s: s.day):
        if s.status == "skipped":
            continue
        for r in s.results:
            if r.pattern == "balance" and r.rung <= top:
                effort = r.rpe if r.rpe is not None else s.rpe
                pain = r.pain if r.pain is not None else s.pain
                found.append((r.rung, effort, pain or 0))
    last = found[-2:]
    return len(last) == 2 and all(
        rung == top and effort is not None and effort <= 6 and pain <= 2
        for rung, effort, pain in last
    )


def why_not(rung: Rung, profile: Profile, steady: bool) -> str | None:
    """Why EXERCISE_SCIENCE.md keeps this rung from this client, or None."""
    if rung.equipment - profile.equipment:
        return "equipment"
    if spine_protect(profile) and rung.tags & SPINE_BANNED:
        return "spine"
    if spine_protect(profile) and "weighted" in rung.tags and not profile.cleared_for_weights:
        return "weights"
    if "floor_transfer" in rung.tags and not profile.cleared_floor:
        return "floor"
    if falls_first(profile) and "unsupported_balance" in rung.tags and not steady:
        return "falls"
    return None
