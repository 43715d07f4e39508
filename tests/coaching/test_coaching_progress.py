"""Progress numbers, the progress chart and the plan as phone text."""

from __future__ import annotations

import struct
import zlib
from datetime import date, timedelta

from bot.coaching.chart import progress_chart_png
from bot.coaching.engine import plan_today
from bot.coaching.formatting import dose_text, exercise_line, format_plan
from bot.coaching.models import (
    ExerciseResult,
    History,
    Plan,
    PlannedExercise,
    Profile,
    Reason,
    SessionRecord,
    SymptomReport,
)
from bot.coaching.progress import summarize_progress
from bot.content.loader import messages as content_messages

WEDNESDAY = date(2025, 6, 11)


def record(days_ago: int, status: str = "done", kind: str = "strength", pain: int | None = None,
           *results: ExerciseResult) -> SessionRecord:
    return SessionRecord(WEDNESDAY - timedelta(days=days_ago), kind, status, 5, pain, results)


def test_sessions_this_week_and_in_four_weeks_planned_against_done() -> None:
    history = History(
        (
            record(0), record(1, kind="walk"), record(2, "skipped"),  # this week: Mon-Wed
            record(3, "partial", "balance"), record(9), record(27), record(28),  # 28: too old
            record(1, kind="rest"),  # rest days are not planned sessions
        ),
        {},
    )
    summary = summarize_progress(history, [], WEDNESDAY)
    assert (summary.week_done, summary.week_planned) == (2, 3)
    assert (summary.four_weeks_done, summary.four_weeks_planned) == (5, 6)
    assert summary.strength_this_week == 1


def test_the_streak_counts_planned_sessions_done_since_the_last_skip() -> None:
    history = History(
        (record(10), record(8, "skipped"), record(6), record(5, "partial"), record(1)), {}
    )
    assert summarize_progress(history, [], WEDNESDAY).streak == 3  # days without a record: no break
    skipped_today = History((*history.sessions, record(0, "skipped")), {})
    assert summarize_progress(skipped_today, [], WEDNESDAY).streak == 0


def test_rungs_climbed_from_the_start_rungs_or_from_the_first_rung_recorded() -> None:
    first = ExerciseResult("sit_to_stand", 1, 2, 8, None, 5, 0)
    history = History((record(20, "done", "strength", None, first),),
                      {"sit_to_stand": 3, "row": 2, "push": 0})
    summary = summarize_progress(history, [], WEDNESDAY, {"sit_to_stand": 0, "row": 1, "push": 1})
    assert summary.rungs_climbed == 4
    assert summary.climbed_by_pattern == {"sit_to_stand": 3, "row": 1, "push": 0}
    assert summarize_progress(history, [], WEDNESDAY).rungs_climbed == 2


def test_pain_trend_compares_the_last_two_weeks_with_the_two_before() -> None:
    def trend(recent: list[int], before: list[int]) -> str:
        history = History(tuple(record(20 + i, pain=p) for i, p in enumerate(before)), {})
        reports = [SymptomReport(WEDNESDAY - timedelta(days=i), "pain", p, None)
                   for i, p in enumerate(recent)]
        return summarize_progress(history, reports, WEDNESDAY).pain_trend

    assert trend([2, 2], [4, 5]) == "better"
    assert trend([5, 6], [2, 3]) == "worse"
    assert trend([3, 3], [3, 4]) == "same"
    assert trend([3], [3, 4]) == "not enough data"
    assert trend([3, 3], []) == "not enough data"


def _png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert zlib.crc32(kind + body) == crc
        chunks.append(kind)
        at += 12 + length
    return chunks


def test_the_progress_chart_is_a_valid_png() -> None:
    history = History(
        tuple(record(d, pain=d % 4) for d in range(0, 50, 2)) + (record(3, "skipped"),), {}
    )
    png = progress_chart_png(history, WEDNESDAY)
    chunks = _png_chunks(png)
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and b"IDAT" in chunks
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (640, 360)
    assert _png_chunks(progress_chart_png(History((), {}), WEDNESDAY))[-1] == b"IEND"


# --- the plan as text -------------------------------------------------------------------------
def planned(name: str = "Sit-to-stand, high chair", **dose: object) -> PlannedExercise:
    fields = dict(sets=2, reps=10, seconds=None, metres=None, per_side=False)
    fields.update(dose)
    return PlannedExercise("sit_to_stand", 0, "sts", name, rest_s=60, load="body weight",
                           cue="Push through your heels", **fields)


def test_an_exercise_is_one_line_with_dose_load_and_cue() -> None:
    assert exercise_line(1, planned()) == (
        "1. Sit-to-stand, high chair — 2×10 · body weight · Push through your heels"
    )
    assert dose_text(planned(reps=None, seconds=30, per_side=True, sets=3)) == "3×30 s each side"
    assert dose_text(planned(reps=None, metres=20)) == "2×20 m"
    assert dose_text(planned(reps=None, seconds=1800, sets=1)) == "30 min"


def test_format_plan_has_title_exercises_minutes_and_reasons() -> None:
    profile = Profile("new", False, 0, "medium", 1, 2, (0, 3), frozenset({"chair"}))
    plan = plan_today(profile, History((), {}), date(2025, 6, 2), [])
    lines = format_plan(plan).splitlines()
    assert lines[0] == "Strength day — Monday 2 June"
    assert [line.split(".")[0] for line in lines[1:7]] == ["1", "2", "3", "4", "5", "6"]
    assert lines[7].startswith("About ") and lines[7].endswith("minutes, warm-up included.")
    assert lines[8:10] == ["", "Why today looks like this:"]
    assert lines[10:] == [f"- {r.text}" for r in plan.reasons]


def test_a_long_plan_is_cut_at_the_reasons_and_points_to_why() -> None:
    reasons = tuple(Reason("dose_step", "A reason that takes some room to explain. " * 3, "TFTF")
                    for _ in range(20))
    plan = Plan(date(2025, 6, 2), "strength", tuple(planned() for _ in range(8)), reasons, 35,
                {}, frozenset({"standard"}))
    text = format_plan(plan)
    assert len(text) <= content_messages().plan.limit
    assert text.endswith('- Ask me "why" to see every reason.')
    assert text.count("1. Sit-to-stand") == 1 and "8. Sit-to-stand" in text


def test_a_stop_plan_is_only_the_advice() -> None:
    stop = Plan(date(2025, 6, 2), "stop", (), (Reason("red_flag_open", "Please get checked.",
                                                       "ROS"),), 0, {}, frozenset({"stop"}))
    assert format_plan(stop) == (
        "No exercise today — Monday 2 June\n\nWhy today looks like this:\n- Please get checked."
    )
