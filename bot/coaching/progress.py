"""What a client has done, as numbers for the /progress reply and the coach's report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.coaching.library import Rules, default_rules
from bot.coaching.models import History, SymptomReport

DONE = ("done", "partial")
NOT_TRAINING = ("rest", "stop")


@dataclass(frozen=True)
class ProgressSummary:
    week_done: int  # this calendar week, Monday to today
    week_planned: int
    four_weeks_done: int  # the last 28 days, today included
    four_weeks_planned: int
    strength_this_week: int
    streak: int
    rungs_climbed: int
    climbed_by_pattern: Mapping[str, int]
    pain_trend: str  # better | same | worse | not enough data
    pain_recent: float | None  # average of the last 14 days
    pain_before: float | None  # average of the 14 days before those


def summarize_progress(
    history: History, symptoms: Sequence[SymptomReport], today: date,
    start_rungs: Mapping[str, int] | None = None, rules: Rules | None = None,
) -> ProgressSummary:
    """Sessions, streak, ladder steps and pain trend up to `today`.

    A session is *planned* when it has a check-in (done, partial or skipped) and is not a rest
    or stop day; it is *done* when done or partly done. The *streak* counts planned sessions,
    newest first, that were done, up to the first skipped one: days with no check-in and rest
    days neither add to it nor break it. *Rungs climbed* compares `History.rungs` with
    `start_rungs`; without that mapping, with the first rung recorded for each ladder.
    """
    rules = rules or default_rules()
    planned = sorted(
        (s for s in history.sessions if s.day <= today and s.kind not in NOT_TRAINING),
        key=lambda s: s.day,
    )
    monday = today - timedelta(days=today.weekday())
    month = today - timedelta(days=27)
    week = [s for s in planned if s.day >= monday]
    four_weeks = [s for s in planned if s.day >= month]

    streak = 0
    for s in reversed(planned):
        if s.status not in DONE:
            break
        streak += 1

    if start_rungs is None:
        start_rungs = {}
        for s in planned:
            for r in s.results:
                start_rungs.setdefault(r.pattern, r.rung)
    climbed = {
        p: max(0, rung - start_rungs[p]) for p, rung in history.rungs.items() if p in start_rungs
    }
    recent, before, trend = _pain_trend(history, symptoms, today, rules)
    return ProgressSummary(
        week_done=sum(1 for s in week if s.status in DONE),
        week_planned=len(week),
        four_weeks_done=sum(1 for s in four_weeks if s.status in DONE),
        four_weeks_planned=len(four_weeks),
        strength_this_week=sum(1 for s in week if s.status in DONE and s.kind == "strength"),
        streak=streak,
        rungs_climbed=sum(climbed.values()),
        climbed_by_pattern=climbed,
        pain_trend=trend,
        pain_recent=recent,
        pain_before=before,
    )


def pain_scores(history: History, symptoms: Sequence[SymptomReport]) -> list[tuple[date, int]]:
    """Every pain number the client gave: at check-ins and in pain reports."""
    scores = [(s.day, s.pain) for s in history.sessions if s.pain is not None]
    scores += [(s.day, s.score) for s in symptoms if s.kind == "pain" and s.score is not None]
    return scores


def _pain_trend(
    history: History, symptoms: Sequence[SymptomReport], today: date, rules: Rules
) -> tuple[float | None, float | None, str]:
    rule = rules["progress_trend"]
    days = rule["window_days"]
    scores = pain_scores(history, symptoms)

    def average(newest: date) -> float | None:
        oldest = newest - timedelta(days=days - 1)
        window = [score for day, score in scores if oldest <= day <= newest]
        return sum(window) / len(window) if len(window) >= rule["min_reports"] else None

    recent, before = average(today), average(today - timedelta(days=days))
    words = rule["words"]
    if recent is None or before is None:
        return recent, before, words["unknown"]
    if recent <= before - rule["change"]:
        return recent, before, words["better"]
    if recent >= before + rule["change"]:
        return recent, before, words["worse"]
    return recent, before, words["same"]
