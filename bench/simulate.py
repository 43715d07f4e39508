"""Day-by-day simulator of the rules engine: generated clients live through weeks of check-ins.

Each simulated day a client may report pain, tiredness or a red flag (cleared by the clinic a few
days later), may be on a break of two to four weeks, and does today's plan or not; the plan's
rungs are stored as the service stores them. Every day's plan is checked against the promises of
EXERCISE_SCIENCE.md (stop tier, red pain, spine-protect, falls-first, clearances, equipment, no
strength two days running, the week's count, one rung at a time, no step up on a bad day or
without two good sessions, a re-plan moves nothing), so a rule that only breaks over weeks
(a ladder that creeps up through bad days) shows here and not in a one-plan test.

Run: `.venv/bin/python -m bench.simulate` (500 clients x 12 weeks, about a minute), or
`--clients 50` for a quick run. Prints the summary and replaces the "## Rules-engine simulation"
section of BENCHMARKS.md. The test suite runs a smaller size (tests/coaching/test_coaching_simulation.py).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from bench.report import write_section
from bot.coaching.engine import balance_is_steady, current_rungs, plan_today, strength_weekdays
from bot.coaching.library import Library, default_library, default_rules
from bot.coaching.models import (
    ExerciseResult,
    History,
    Plan,
    Profile,
    SessionRecord,
    SymptomReport,
)

Planner = Callable[[Profile, History, date, Sequence[SymptomReport]], Plan]
START = date(2025, 9, 1)  # a Monday; twelve weeks run into the icy months (winter rules)
HISTORY_DAYS = default_rules()["history"]["days"]  # what bot.services hands the engine
BODY_PARTS = (None, "knee", "lower back", "shoulder", "hip", "ankle", "wrist")
EQUIPMENT = ("chair", "band", "dumbbells", "step")
SPINE_BANNED = frozenset({"loaded_flexion", "twisting", "impact", "floor_lift"})
RED, GREEN_MAX, EFFORT_MAX = 5, 2, 6  # EXERCISE_SCIENCE.md sections 4 and 5
REPORTED_LADDERS = ("sit_to_stand", "row", "balance", "hip_hinge")
SECTION = "Rules-engine simulation"
# Pain after a session: mostly green, 4 in 25 amber, 2 in 25 red.
PAIN_AFTER = (0,) * 10 + (1,) * 5 + (2,) * 4 + (3, 3, 4, 4) + (5, 6)


@dataclass
class Persona:
    """How one generated client behaves (drawn once)."""

    profile: Profile
    adherence: float  # chance of doing a planned session
    effort: int  # usual effort, 1-10
    pain_prone: float  # chance of a pain report on a given morning
    tired_prone: float
    break_start: int | None  # day index of a 2-4 week break, if any
    break_days: int
    fracture_cleared_on: int | None  # day the clinic clears a recent fracture


@dataclass
class Summary:
    clients: int = 0
    days: int = 0
    plans: int = 0
    replans: int = 0
    violations: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    first_up_weeks: list[float] = field(default_factory=list)
    never_up: int = 0
    # ladder -> mean stored rung at the end of each week
    trajectories: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    def share(self, *kinds: str) -> float:
        return sum(self.kinds[k] for k in kinds) / max(1, self.plans)

    @property
    def median_weeks_to_first_up(self) -> float | None:
        return statistics.median(self.first_up_weeks) if self.first_up_weeks else None


# --- generated clients -----------------------------------------------------------------------
def persona(rng: random.Random, days: int) -> Persona:
    high_risk = rng.random() < 0.15
    recent = rng.random() < 0.06
    vertebral = rng.random() < 0.15
    profile = Profile(
        experience=rng.choice(("new", "new", "some", "regular")),
        vertebral_fracture=vertebral,
        vertebral_fracture_unsure=vertebral and rng.random() < 0.3,
        falls_last_year=rng.choice((0, 0, 0, 1, 2)),
        balance_confidence=rng.choice(("low", "medium", "high")),
        baseline_pain=rng.choice((0, 0, 1, 2, 3, 4, 6)),
        sessions_per_week=rng.choice((2, 3)),
        training_days=tuple(sorted(rng.sample(range(7), rng.randint(2, 4)))),
        equipment=frozenset(e for e in EQUIPMENT if rng.random() < 0.55),
        high_risk=high_risk,
        several_fractures=high_risk and rng.random() < 0.5,
        height_loss_or_curve=high_risk and rng.random() < 0.5,
        recent_fracture_uncleared=recent,
        cleared_for_weights=rng.random() < 0.3,
        cleared_floor=rng.random() < 0.3,
        tandem_stance_seconds=rng.choice((None, None, 5, 12, 30)),
    )
    has_break = rng.random() < 0.3
    return Persona(
        profile=profile,
        adherence=rng.uniform(0.55, 0.95),
        effort=rng.randint(3, 8),
        pain_prone=rng.uniform(0.0, 0.08),
        tired_prone=rng.uniform(0.0, 0.06),
        break_start=rng.randint(7, max(8, days - 21)) if has_break else None,
        break_days=rng.randint(14, 28),
        fracture_cleared_on=rng.randint(7, 35) if recent else None,
    )


def _on_break(p: Persona, day_index: int) -> bool:
    return p.break_start is not None and p.break_start <= day_index < p.break_start + p.break_days


def _morning(rng: random.Random, p: Persona, today: date) -> list[SymptomReport]:
    reports = []
    if rng.random() < p.pain_prone:
        score = rng.choice((1, 2, 3, 3, 4, 4, 5, 6, 7, 8, 9))
        reports.append(SymptomReport(today, "pain", score, rng.choice(BODY_PARTS)))
    if rng.random() < p.tired_prone:
        reports.append(SymptomReport(today, "fatigue", None, None))
    if rng.random() < 0.002:
        reports.append(SymptomReport(today, "red_flag", None, None))
    return reports


def _check_in(rng: random.Random, p: Persona, plan: Plan) -> tuple[SessionRecord | None, SymptomReport | None]:
    """What the client logs for today's plan (as bot.services stores a check-in), and a pain
    report when the session's pain was red (the service records one then)."""
    if not plan.exercises:
        return None, None
    if rng.random() > p.adherence:
        return (SessionRecord(plan.day, plan.kind, "skipped", None, None) if rng.random() < 0.3
                else None), None
    rpe = max(1, min(10, p.effort + rng.choice((-2, -1, 0, 0, 0, 1, 2))))
    pain = rng.choice(PAIN_AFTER)
    status = "done" if rng.random() < 0.9 else "partial"
    result_pain = pain if pain < RED else None  # bot.services: a red score holds, it is a report
    results = tuple(
        ExerciseResult(e.pattern, e.rung, e.sets, e.reps, e.seconds, rpe, result_pain, e.metres)
        for e in plan.exercises if e.pattern in default_library().ladders
    )
    report = SymptomReport(plan.day, "pain", pain, None) if pain >= RED else None
    return SessionRecord(plan.day, plan.kind, status, rpe, pain, results), report


# --- the promises, checked every day ---------------------------------------------------------
def _bad_days(sessions: Sequence[SessionRecord], symptoms: Sequence[SymptomReport]) -> set[date]:
    days = {s.day for s in sessions
            if (s.pain or 0) >= RED or any((r.pain or 0) >= RED for r in s.results)}
    days |= {s.day for s in symptoms
             if s.kind == "fatigue" or (s.kind == "pain" and (s.score or 0) >= RED)}
    return days


def _proof(pattern: str, rung: int, history: History, today: date,
           symptoms: Sequence[SymptomReport]) -> bool:
    """Two latest full results of the ladder: on this rung, good days, effort <= 6, pain <= 2."""
    bad = _bad_days(history.sessions, symptoms)
    found = [
        (s.day, r) for s in sorted(history.sessions, key=lambda s: s.day)
        if s.day < today and s.status in ("done", "partial") and s.kind != "minimum"
        for r in s.results if r.pattern == pattern
    ]
    return len(found) >= 2 and all(
        day not in bad and r.rung == rung and r.rpe is not None and r.rpe <= EFFORT_MAX
        and (r.pain or 0) <= GREEN_MAX
        for day, r in found[-2:]
    )


def check_day(profile: Profile, history: History, today: date, symptoms: Sequence[SymptomReport],
              plan: Plan, planner: Planner, library: Library) -> list[str]:
    """Every promise a day's plan must keep; each broken one as a short sentence."""
    out: list[str] = []
    ladders = library.ladders
    if profile.recent_fracture_uncleared or any(
        s.kind == "red_flag" and not s.cleared for s in symptoms
    ):
        if plan.kind != "stop" or plan.exercises:
            out.append("exercise despite a red flag or an uncleared recent fracture")
        return out
    red_today = any(s.kind == "pain" and s.day == today and (s.score or 0) >= RED for s in symptoms)
    tired = any(s.kind == "fatigue" and s.day == today for s in symptoms)
    on_ladders = [e for e in plan.exercises if e.pattern in ladders]
    if red_today and (plan.kind != "gentle" or on_ladders):
        out.append("strength work with red pain today")
    spine = profile.vertebral_fracture or profile.high_risk
    falls = (profile.falls_last_year >= 1 or profile.balance_confidence == "low"
             or (profile.tandem_stance_seconds is not None and profile.tandem_stance_seconds < 10))
    steady = balance_is_steady(history, today, library)
    for e in on_ladders:
        rung = ladders[e.pattern].rungs[e.rung]
        if spine and rung.tags & SPINE_BANNED:
            out.append(f"spine-protect client got {rung.id}")
        if spine and "weighted" in rung.tags and not profile.cleared_for_weights:
            out.append(f"weights before clearance: {rung.id}")
        if "floor_transfer" in rung.tags and not profile.cleared_floor:
            out.append(f"floor work before clearance: {rung.id}")
        if falls and "unsupported_balance" in rung.tags and not steady:
            out.append(f"hands-free balance before supported work is steady: {rung.id}")
        if rung.equipment - profile.equipment:
            out.append(f"equipment the client lacks: {rung.id}")
    yesterday = today - timedelta(days=1)
    loaded = any(
        s.day == yesterday and s.status in ("done", "partial")
        and any(r.pattern in ladders and r.pattern != "balance" for r in s.results)
        for s in history.sessions
    )
    if loaded and any(e.pattern != "balance" for e in on_ladders):
        out.append("strength two days in a row")
    if plan.kind == "strength":
        monday = today - timedelta(days=today.weekday())
        done = sum(1 for s in history.sessions
                   if s.day >= monday and s.kind == "strength" and s.status in ("done", "partial"))
        if done >= profile.sessions_per_week:
            out.append("more strength sessions than the week's count")
        if today.weekday() not in strength_weekdays(profile):
            out.append("strength on a day that is not a training day")
    before = current_rungs(profile, history, library)
    for p, ladder in ladders.items():
        after = plan.rungs[p]
        if not 0 <= after < len(ladder.rungs) or after > before[p] + 1:
            out.append(f"{p} moved from {before[p]} to {after}")
        elif after > before[p]:
            if red_today or tired or plan.kind in ("gentle", "minimum"):
                out.append(f"{p} stepped up on a {plan.kind} day")
            if not _proof(p, before[p], history, today, symptoms):
                out.append(f"{p} stepped up without two good sessions")
    again = planner(profile, History(history.sessions, plan.rungs), today, symptoms)
    if dict(again.rungs) != dict(plan.rungs) or again.kind != plan.kind:
        out.append("a re-plan moved a ladder")
    return out


# --- the simulation ----------------------------------------------------------------------------
def simulate(clients: int = 500, weeks: int = 12, seed: int = 13,
             planner: Planner = plan_today) -> Summary:
    """Run `clients` generated clients through `weeks` weeks, checking every day's plan."""
    started = time.perf_counter()
    library = default_library()
    rules = default_rules()
    window = rules["pain_zones"]["window_days"]
    days = weeks * 7
    summary = Summary(clients=clients)
    weekly: dict[str, list[list[int]]] = {p: [[] for _ in range(weeks)] for p in REPORTED_LADDERS}
    rng = random.Random(seed)
    for _ in range(clients):
        p = persona(rng, days)
        profile = p.profile
        history = History((), {})
        symptoms: list[SymptomReport] = []
        first_up: float | None = None
        for i in range(days):
            today = START + timedelta(days=i)
            if p.fracture_cleared_on == i:
                profile = replace(profile, recent_fracture_uncleared=False)
            # The clinic clears a red flag three days after it was reported.
            symptoms = [
                replace(s, cleared=True)
                if s.kind == "red_flag" and (today - s.day).days >= 3 else s
                for s in symptoms if (today - s.day).days <= max(window, HISTORY_DAYS)
            ]
            if not _on_break(p, i):
                symptoms += _morning(rng, p, today)
            plan = planner(profile, history, today, symptoms)
            summary.days += 1
            summary.plans += 1
            summary.replans += 1
            summary.kinds[plan.kind] += 1
            for problem in check_day(profile, history, today, symptoms, plan, planner, library):
                summary.violations.append(f"{today} {problem}")
            before = current_rungs(profile, history, library)
            if first_up is None and any(plan.rungs[x] > before[x] for x in library.ladders):
                first_up = i / 7
            record, report = (None, None) if _on_break(p, i) else _check_in(rng, p, plan)
            sessions = tuple(s for s in history.sessions if (today - s.day).days < HISTORY_DAYS)
            history = History((*sessions, *([record] if record else [])), dict(plan.rungs))
            if report is not None:
                symptoms.append(report)
            if i % 7 == 6:
                for ladder in REPORTED_LADDERS:
                    weekly[ladder][i // 7].append(plan.rungs[ladder])
        if first_up is None:
            summary.never_up += 1
        else:
            summary.first_up_weeks.append(first_up)
    summary.trajectories = {
        ladder: [round(statistics.mean(week), 2) for week in by_week]
        for ladder, by_week in weekly.items()
    }
    summary.seconds = time.perf_counter() - started
    return summary


def report_lines(s: Summary, weeks: int) -> list[str]:
    median = s.median_weeks_to_first_up
    lines = [
        f"`python -m bench.simulate --clients {s.clients} --weeks {weeks}` — generated clients (risk",
        "tiers, clearances, equipment, adherence, pain, tiredness, breaks, red flags cleared after",
        "three days, recent fractures cleared by the clinic after 1-5 weeks), one plan a day, every",
        "plan checked against EXERCISE_SCIENCE.md and re-planned once to check idempotence.",
        "",
        "| clients | days | plans (+ re-plans) | violations | median weeks to first step up | "
        "never stepped up | gentle days | stop days | seconds |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {s.clients} | {s.days} | {s.plans} (+{s.replans}) | {len(s.violations)} | "
        f"{'-' if median is None else f'{median:.1f}'} | {s.never_up} | "
        f"{100 * s.share('gentle'):.1f} % | {100 * s.share('stop'):.1f} % | {s.seconds:.0f} |",
        "",
        "Kinds of day: " + ", ".join(
            f"{kind} {100 * n / max(1, s.plans):.1f} %" for kind, n in s.kinds.most_common()
        ) + ".",
        "",
        "Mean stored rung at the end of each week (rung 0 = easiest):",
        "",
        "| ladder | " + " | ".join(f"w{w + 1}" for w in range(weeks)) + " |",
        "|---|" + "---|" * weeks,
    ]
    lines += [f"| {ladder} | " + " | ".join(f"{v:.2f}" for v in values) + " |"
              for ladder, values in s.trajectories.items()]
    if s.violations:
        lines += ["", "First violations:", *(f"- {v}" for v in s.violations[:10])]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md")
    args = parser.parse_args(argv)
    summary = simulate(args.clients, args.weeks, args.seed)
    lines = report_lines(summary, args.weeks)
    print("\n".join(lines))
    if not args.no_write:
        write_section(SECTION, lines)
    return 1 if summary.violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
