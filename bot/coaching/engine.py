"""Today's plan from a profile, a history and the symptom reports: pure, deterministic, explained.

Decisions, in order, each adding a Reason the client can read:
1. Risk tiers (tiers.py). `stop` ends here: no exercises, only the advice.
2. The kind of day: gentle (pain >= red today) > strength, or minimum when tired (a scheduled
   strength day, not the day after a strength session, not past the week's count) > rest (after
   six active days in a row) > minimum (tired) > balance or walking.
3. Each ladder's rung, from the results of sessions before today: one rung below the rung that
   was done after a break of two weeks or red pain, hold after hard effort or amber pain, one
   step up after two full sessions at the top of the rung's dose with effort <= 6 and pain <= 2.
   A step up is never earned from a bad day (a one-set minimum session, a session with pain
   >= red, a red pain or a fatigue report that day) and never stored on one (a gentle or tired
   today). Never more than one rung up, and idempotent: feeding `Plan.rungs` back as
   `History.rungs` does not move a ladder again.
4. The rung actually planned: the highest rung at or below the decided one that the client's
   equipment and tiers allow. That rung is what `Plan.rungs` keeps.
5. The dose within the rung: reps first, then sets; 60 % of the old volume after a break.
Only sessions dated before `today` feed the decisions; today's symptom reports count.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import combinations

from bot.coaching.library import Library, Rules, Rung, default_library, default_rules
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
from bot.coaching.tiers import FALLS_FIRST, SPINE_PROTECT, STOP, TierDecision, assign_tiers
from bot.content.loader import messages

DAY_NAMES = tuple(calendar.day_name)  # Monday first, as in the plan's title (strftime "%A")
DONE = ("done", "partial")
BALANCE = "balance"

# What a ladder's decision does to the dose (see _dose).
UP, DOWN, RETURN_UP, BREAK = "up", "down", "return_up", "break"
WITHIN, SAME, START, TOP = "within", "same", "start", "top"
HOLD_EFFORT, HOLD_PAIN, ONE_CHANGE = "hold_effort", "hold_pain", "one_change"
HOLD_WEEK = "hold_week"  # two red pain reports this week: nothing steps up anywhere
HOLD_DAY = "hold_day"  # a gentle or tired day: nothing steps up today

# The order reasons are shown in: safety first, then what today is, then the ladders. A phone
# message shows the first few; `explain_plan` shows them all.
REASON_ORDER = (
    "red_flag_open", "recent_fracture", "tier_spine_protect", "tier_falls_first",
    "pain_red_today", "pain_two_red", "pain_amber_today", "fatigue_minimum", "schedule_rest_day",
    "schedule_strength_day", "schedule_after_strength", "schedule_week_done",
    "schedule_balance_day", "schedule_walk_day", "schedule_days_adjusted", "winter_ice",
    "break_return", "start_gentle", "dose_start", "pain_step_down", "progress_up",
    "break_return_up", "spine_row_supported", "spine_hinge_raised", "spine_weights_clearance",
    "floor_clearance", "falls_supported", "falls_unsupported_ok", "equipment_limit", "pain_hold",
    "progress_hold_effort", "progress_one_change", "progress_top", "dose_step", "tier_standard",
)


# --- public helpers ---------------------------------------------------------------------------
def start_rungs(
    profile: Profile, library: Library | None = None, rules: Rules | None = None
) -> dict[str, int]:
    """Where a client starts on each ladder: by experience, the easiest rung if in pain."""
    library, rules = library or default_library(), rules or default_rules()
    start = rules["start_rungs"]["by_experience"][profile.experience]
    if profile.baseline_pain >= rules["start_gentle"]["baseline_pain_min"]:
        start = 0
    return {p: min(start, len(ladder.rungs) - 1) for p, ladder in library.ladders.items()}


def current_rungs(
    profile: Profile, history: History, library: Library | None = None,
    rules: Rules | None = None,
) -> dict[str, int]:
    """`History.rungs` completed with start rungs and kept inside each ladder."""
    library = library or default_library()
    start = start_rungs(profile, library, rules)
    return {
        p: max(0, min(int(history.rungs.get(p, start[p])), len(ladder.rungs) - 1))
        for p, ladder in library.ladders.items()
    }


def strength_weekdays(profile: Profile, rules: Rules | None = None) -> tuple[int, ...]:
    """The weekdays for strength: the client's days, never two in a row (Sunday-Monday too)."""
    return training_weekdays(profile.sessions_per_week, profile.training_days, rules)


def training_weekdays(sessions_per_week: int, chosen: Iterable[int], rules: Rules | None = None
                      ) -> tuple[int, ...]:
    """The one place that decides a client's training (strength) weekdays from the days they
    chose: plans, reminders and missed-session counts all call it, so a chosen day the plan
    never uses (Tuesday between Monday and Wednesday) is never reminded of or counted as missed."""
    rule = (rules or default_rules())["schedule_strength_day"]
    low, high = rule["per_week"]
    want = max(low, min(high, sessions_per_week))
    return _pick_days(tuple(sorted(set(chosen))), want, low, tuple(rule["default_days"][want]))


def balance_is_steady(history: History, today: date, library: Library | None = None,
                      rules: Rules | None = None) -> bool:
    """Supported balance is steady when the two latest balance results on supported rungs
    (sessions before today) were both on the highest supported rung, with effort <= 6 and pain
    <= 2. Results on hands-free rungs neither give nor take steadiness away."""
    library, rules = library or default_library(), rules or default_rules()
    rungs = library.ladders[BALANCE].rungs
    top = _top_supported(rungs)
    supported = [d for d in _results(history, today)[BALANCE] if d.result.rung <= top][-2:]
    return len(supported) == 2 and all(
        d.result.rung == top and _comfortable(d, rules) for d in supported
    )


def plan_today(
    profile: Profile, history: History, today: date, symptoms: Sequence[SymptomReport],
    *, library: Library | None = None, rules: Rules | None = None,
) -> Plan:
    """Today's session with its reasons; see the module docstring for the order of decisions."""
    library, rules = library or default_library(), rules or default_rules()
    tiers = assign_tiers(profile, symptoms, rules)
    current = current_rungs(profile, history, library, rules)
    if STOP in tiers.tiers:
        return Plan(today, "stop", (), tiers.stop_reasons, 0, current, tiers.tiers)
    return _Planner(profile, history, today, symptoms, library, rules, tiers, current).plan()


def explain_plan(plan: Plan, rules: Rules | None = None) -> str:
    """'Why today looks like this': every reason with the guideline it comes from."""
    rules = rules or default_rules()
    lines = [messages().plan.why]
    lines += [f"- {r.text} ({rules.sources.get(r.source, r.source)})" for r in plan.reasons]
    return "\n".join(lines)


# --- schedule ---------------------------------------------------------------------------------
def _apart(days: Sequence[int]) -> bool:
    return all((b - a) % 7 not in (1, 6) for a, b in combinations(days, 2))


def _spread(days: Sequence[int]) -> int:
    if len(days) < 2:
        return 7
    ordered = sorted(days)
    return min((b - a) % 7 for a, b in zip(ordered, ordered[1:] + ordered[:1], strict=True))


@lru_cache(maxsize=256)
def _pick_days(days: tuple[int, ...], want: int, low: int, fallback: tuple[int, ...]
               ) -> tuple[int, ...]:
    if not days:
        return fallback
    chosen: tuple[int, ...] = ()
    for size in range(min(want, len(days)), 0, -1):
        fits = [c for c in combinations(days, size) if _apart(c)]
        if fits:  # the most evenly spread; ties go to the earliest days
            chosen = max(fits, key=lambda c: (_spread(c), tuple(-d for d in c)))
            break
    if len(chosen) < low:  # too few usable days: add the best-spread extra days
        fits = [
            c for c in combinations(range(7), low) if set(chosen) <= set(c) and _apart(c)
        ]
        chosen = max(fits, key=lambda c: (_spread(c), tuple(-d for d in c)))
    return tuple(sorted(chosen))


def _day_list(days: Sequence[int]) -> str:
    names = [DAY_NAMES[d] for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _names(labels: Sequence[str]) -> str:
    joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return joined[:1].upper() + joined[1:]


# --- history ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Done:
    """One exercise result with its session's effort and pain as fallbacks."""

    day: date
    result: ExerciseResult
    effort: int | None
    pain: int  # the result's pain, else the session's, else 0 (nothing reported)
    own_pain: int | None  # the result's own pain report only
    full: bool  # not from a one-set minimum session: a base for doses
    evidence: bool = True  # full and not from a bad day: may count toward a step up


def _bad_days(sessions: Sequence[SessionRecord], symptoms: Sequence[SymptomReport], red: int
              ) -> set[date]:
    """Days that prove nothing about a step up: red pain (the session's, any result's, or a
    report that day) or a fatigue report. A result that felt fine on such a day was done while
    hurting or tired, so the ladder holds (EXERCISE_SCIENCE.md sections 4-5)."""
    days = {
        s.day for s in sessions
        if (s.pain or 0) >= red or any((r.pain or 0) >= red for r in s.results)
    }
    days |= {
        s.day for s in symptoms
        if s.kind == "fatigue" or (s.kind == "pain" and (s.score or 0) >= red)
    }
    return days


def _results(history: History, today: date, bad_days: frozenset[date] = frozenset()
             ) -> dict[str, list[_Done]]:
    by_pattern: dict[str, list[_Done]] = {}
    for s in sorted((s for s in history.sessions if s.day < today and s.status in DONE),
                    key=lambda s: s.day):
        full = s.kind != "minimum"
        for r in s.results:
            pain = r.pain if r.pain is not None else s.pain
            effort = r.rpe if r.rpe is not None else s.rpe
            by_pattern.setdefault(r.pattern, []).append(
                _Done(s.day, r, effort, pain if pain is not None else 0, r.pain, full,
                      full and s.day not in bad_days)
            )
    by_pattern.setdefault(BALANCE, [])
    return by_pattern


def _amount(result: ExerciseResult, measure: str) -> int | None:
    return {"reps": result.reps, "seconds": result.seconds, "metres": result.metres}[measure]


def _comfortable(done: _Done, rules: Rules) -> bool:
    effort_max = rules["progress_up"]["effort_max"]
    return (
        done.effort is not None and done.effort <= effort_max
        and done.pain < rules["pain_zones"]["amber_min"]
    )


def _top_supported(rungs: Sequence[Rung]) -> int:
    top = 0
    for i, rung in enumerate(rungs):
        if "unsupported_balance" in rung.tags:
            break
        top = i
    return top


def _is_strength(session: SessionRecord, ladders: Mapping[str, object]) -> bool:
    """A done session that loaded muscles: strength, or a minimum with strength exercises."""
    if session.status not in DONE:
        return False
    if session.kind == "strength":
        return True
    return session.kind == "minimum" and (
        not session.results
        or any(r.pattern in ladders and r.pattern != BALANCE for r in session.results)
    )


def _reason_rank(reason: Reason) -> int:
    return REASON_ORDER.index(reason.rule_id)


def _below(current: int, anchor: int) -> int:
    """One rung below the rung that was done (`anchor`), never above `current`.

    Measured from the rung that hurt, not from the stored one: a ladder already below it stays
    put, so a re-plan (or the next day) never steps down a second time for the same report.
    """
    return min(current, max(0, anchor - 1))


@dataclass
class _Step:
    rung: int
    action: str


@dataclass
class _Planner:
    profile: Profile
    history: History
    today: date
    symptoms: Sequence[SymptomReport]
    library: Library
    rules: Rules
    tiers: TierDecision
    current: dict[str, int]
    reasons: list[Reason] = field(default_factory=list)

    def __post_init__(self) -> None:
        zones = self.rules["pain_zones"]
        self.amber, self.red = zones["amber_min"], zones["red_min"]
        sessions = [s for s in self.history.sessions if s.day < self.today]
        bad = frozenset(_bad_days(sessions, self.symptoms, self.red))
        self.done = _results(self.history, self.today, bad)
        self.strength_days = sorted(
            {s.day for s in sessions if _is_strength(s, self.library.ladders)}
        )
        self.active_days = {
            s.day for s in sessions if s.status in DONE and s.kind not in ("rest", "stop")
        }
        window = self.today - timedelta(days=zones["window_days"])
        self.pain = [
            s for s in self.symptoms
            if s.kind == "pain" and s.score is not None and window <= s.day <= self.today
        ]
        self.pain_today = [s for s in self.pain if s.day == self.today]
        self.tired = any(s.kind == "fatigue" and s.day == self.today for s in self.symptoms)
        self.winter = self.today.month in self.rules["winter_ice"]["months"]
        self.spine = SPINE_PROTECT in self.tiers.tiers
        self.falls = FALLS_FIRST in self.tiers.tiers
        self.steady = balance_is_steady(self.history, self.today, self.library, self.rules)
        self.new = self.profile.experience == "new"

    # --- symptoms -----------------------------------------------------------------------------
    def _patterns_for(self, body_part: str | None) -> tuple[str, ...]:
        """Ladders a sore body part affects; all of them when the part is unknown."""
        parts = self.rules["pain_zones"]["body_parts"]
        text = (body_part or "").lower()
        hits = [p for key, patterns in parts.items() if key in text for p in patterns]
        return tuple(dict.fromkeys(hits)) or tuple(self.library.ladders)

    def _part(self, report: SymptomReport) -> str:
        return f"{report.body_part.lower()} " if report.body_part else ""

    # --- kind of day --------------------------------------------------------------------------
    def plan(self) -> Plan:
        red_today = [s for s in self.pain_today if s.score >= self.red]
        weekdays = strength_weekdays(self.profile, self.rules)
        steps = {p: self._decide(p) for p in self.library.ladders}
        self._settle(steps)
        self.reasons.extend(self.tiers.reasons)
        if red_today:
            worst = max(red_today, key=lambda s: s.score or 0)  # every red report has a score
            self._say("pain_red_today", part=self._part(worst), score=worst.score)
            exercises = self._gentle(red_today)
            kind = "gentle"
        elif self._strength_allowed(weekdays):
            self._schedule_reasons(weekdays)
            kind = "minimum" if self.tired else "strength"
            exercises = self._strength(steps, kind)
        else:
            exercises, kind = self._light_day(steps)
        if self.winter and kind in ("strength", "minimum", "balance", "walk"):
            self._say("winter_ice")
        rungs = {p: self._position(p, steps[p]) for p in self.library.ladders}
        return Plan(
            day=self.today, kind=kind, exercises=tuple(exercises),
            reasons=tuple(sorted(dict.fromkeys(self.reasons), key=_reason_rank)),
            minutes=self._minutes(exercises, kind)[0] if exercises else 0,
            rungs=rungs, tiers=self.tiers.tiers,
        )

    def _say(self, rule_id: str, **fields: object) -> None:
        self.reasons.append(self.rules.reason(rule_id, **fields))

    def _strength_allowed(self, weekdays: tuple[int, ...]) -> bool:
        if self.today.weekday() not in weekdays:
            return False
        if self.today - timedelta(days=1) in self.strength_days:
            self._say("schedule_after_strength")
            return False
        monday = self.today - timedelta(days=self.today.weekday())
        this_week = sum(1 for d in self.strength_days if d >= monday)
        if this_week >= self.profile.sessions_per_week:
            self._say("schedule_week_done", n=this_week)
            return False
        return True

    def _schedule_reasons(self, weekdays: tuple[int, ...]) -> None:
        if self.tired:
            self._say("fatigue_minimum")
        else:
            self._say("schedule_strength_day", days=_day_list(weekdays))
        if not set(weekdays) <= set(self.profile.training_days) or (
            len(weekdays) < self.profile.sessions_per_week
        ):
            self._say("schedule_days_adjusted", days=_day_list(weekdays))
        if not self.strength_days:
            if self.profile.baseline_pain >= self.rules["start_gentle"]["baseline_pain_min"]:
                self._say("start_gentle")
            if self.new:
                self._say("dose_start")

    def _light_day(self, steps: Mapping[str, _Step]) -> tuple[list[PlannedExercise], str]:
        rest_after = self.rules["schedule_rest_day"]["active_days"]
        streak = 0
        while self.today - timedelta(days=streak + 1) in self.active_days:
            streak += 1
        if streak >= rest_after:
            self._say("schedule_rest_day", n=streak)
            return [], "rest"
        balance = self._ladder_exercise(BALANCE, steps[BALANCE], minimum=self.tired)
        if balance is not None:
            self._ladder_reasons(steps, [balance])
        if self.tired:
            self._say("fatigue_minimum")
            items = [self._item(self.library.walks["walk_easy"], "walk")]
            return ([balance] if balance else []) + items, "minimum"
        # Balance on most days; icy months and falls-first clients get more of it.
        every = 3 if (self.winter or self.falls) else 2
        if self.today.toordinal() % every:
            self._say("schedule_balance_day")
            sore = self._amber_parts()
            extras = [r for r in self.library.balance_extras if not (r.loads & sore)]
            extras = extras[:2] or list(self.library.balance_extras[:2])
            items = [self._item(r, "balance_extra", sets=1 if self.new else 2) for r in extras]
            return ([balance] if balance else []) + items, "balance"
        self._say("schedule_walk_day")
        walk = self.library.walks["walk_indoor" if self.winter else "walk_brisk"]
        minutes = walk.dosage.amount[0 if self.new else 1]
        items = [self._item(walk, "walk", amount=minutes)]
        return items + ([balance] if balance else []), "walk"

    def _gentle(self, red_today: Sequence[SymptomReport]) -> list[PlannedExercise]:
        sore = {w for s in red_today if s.body_part for w in s.body_part.lower().split()}
        items = [r for r in self.library.gentle if not (r.loads & sore)]
        return [self._item(r, "gentle") for r in items[:4]]

    def _amber_parts(self) -> frozenset[str]:
        return frozenset(
            w for s in self.pain_today if self.amber <= s.score < self.red and s.body_part
            for w in s.body_part.lower().split()
        )

    # --- ladders ------------------------------------------------------------------------------
    def _settle(self, steps: Mapping[str, _Step]) -> None:
        """Holds across ladders: a gentle or tired day; two red pain reports this week; a
        beginner's one change."""
        if self.tired or any(s.score >= self.red for s in self.pain_today):
            for p, step in steps.items():
                if step.action in (UP, RETURN_UP):
                    step.rung, step.action = self.current[p], HOLD_DAY
        rule = self.rules["pain_two_red"]
        week = self.today - timedelta(days=rule["days"] - 1)
        if sum(1 for s in self.pain if s.day >= week and s.score >= self.red) >= rule["count"]:
            for p, step in steps.items():
                if step.action in (UP, RETURN_UP, WITHIN, TOP):
                    step.rung, step.action = self.current[p], HOLD_WEEK
        if not self.new:
            return
        changed = self._unsettled_change(steps)
        for p in self.rules["session_size"]["order"]:
            if steps[p].action in (UP, RETURN_UP):
                if changed:
                    steps[p].rung, steps[p].action = self.current[p], ONE_CHANGE
                changed = True

    def _decide(self, pattern: str) -> _Step:
        """This ladder's rung before the equipment and tier filter (see module docstring)."""
        current = self.current[pattern]
        done = self.done.get(pattern, [])
        last = done[-1] if done else None
        if last is None:
            return _Step(current, START)
        brk = self.rules["break_return"]
        if (
            self.strength_days and (self.today - self.strength_days[-1]).days >= brk["days"]
            and (self.today - last.day).days >= brk["days"]
        ):
            return _Step(_below(current, last.result.rung), BREAK)
        reports = [s for s in self.pain if s.day >= last.day]
        mine = [s for s in reports if s.body_part and pattern in self._patterns_for(s.body_part)]
        if (last.own_pain or 0) >= self.red or any(s.score >= self.red for s in mine):
            return _Step(_below(current, last.result.rung), DOWN)
        general = [s for s in reports if pattern in self._patterns_for(s.body_part)]
        if last.pain >= self.amber or any(s.score >= self.amber for s in general):
            return _Step(current, HOLD_PAIN)
        if last.result.rung != current:
            return _Step(current, SAME)
        if last.effort is not None and last.effort >= self.rules["progress_hold_effort"][
            "effort_hold"
        ]:
            return _Step(current, HOLD_EFFORT)
        if self._returning(pattern, done):
            return _Step(current + 1, RETURN_UP)
        if self._earned_step_up(pattern, [d for d in done if d.full]):
            top = len(self.library.ladders[pattern].rungs) - 1
            return _Step(current, TOP) if current == top else _Step(current + 1, UP)
        return _Step(current, WITHIN)

    def _earned_step_up(self, pattern: str, done: Sequence[_Done]) -> bool:
        needed = self.rules["progress_up"]["sessions"]
        recent = done[-needed:]
        if len(recent) < needed:
            return False
        dosage = self.library.ladders[pattern].rungs[self.current[pattern]].dosage
        return all(
            d.evidence and d.result.rung == self.current[pattern] and _comfortable(d, self.rules)
            and d.result.sets >= dosage.sets[1]
            and (_amount(d.result, dosage.measure) or 0) >= dosage.amount[1]
            for d in recent
        )

    def _returning(self, pattern: str, done: Sequence[_Done]) -> bool:
        """Back up toward the pre-break rung after two comfortable sessions since the break."""
        brk = self.rules["break_return"]
        days = self.strength_days
        gaps = [i for i in range(1, len(days)) if (days[i] - days[i - 1]).days >= brk["days"]]
        if not gaps or (self.today - days[gaps[-1]]).days > brk["return_window_days"]:
            return False
        before, since = days[gaps[-1] - 1], days[gaps[-1]]
        earlier = [d.result.rung for d in done if d.day <= before]
        recent = [d for d in done if d.day >= since][-2:]
        current = self.current[pattern]
        return bool(earlier) and earlier[-1] > current and len(recent) == 2 and all(
            d.evidence and d.result.rung == current and _comfortable(d, self.rules)
            for d in recent
        )

    def _blocker(self, rung: Rung) -> str | None:
        """Why a rung is not for this client today (a rule id), or None."""
        if self.spine and rung.tags & set(self.rules["tier_spine_protect"]["banned_tags"]):
            return "tier_spine_protect"
        if self.spine and "weighted" in rung.tags and not self.profile.cleared_for_weights:
            return "spine_weights_clearance"
        if "floor_transfer" in rung.tags and not self.profile.cleared_floor:
            return "floor_clearance"
        if self.falls and "unsupported_balance" in rung.tags and not self.steady:
            return "falls_supported"
        if rung.equipment - self.profile.equipment:
            return "equipment_limit"
        return None

    def _allowed(self, pattern: str, rung: int) -> tuple[int | None, str | None]:
        """The highest allowed rung at or below `rung`, and why the rung itself was not."""
        rungs = self.library.ladders[pattern].rungs
        first = self._blocker(rungs[rung])
        for i in range(rung, -1, -1):
            if self._blocker(rungs[i]) is None:
                return i, first
        return None, first

    def _position(self, pattern: str, step: _Step) -> int:
        allowed, _ = self._allowed(pattern, step.rung)
        return step.rung if allowed is None else allowed

    # --- exercises ----------------------------------------------------------------------------
    def _strength(self, steps: Mapping[str, _Step], kind: str) -> list[PlannedExercise]:
        size = self.rules["session_size"]
        first = [
            *(self.rules["tier_falls_first"]["first"] if self.falls else ()),
            *(self.rules["tier_spine_protect"]["first"] if self.spine else ()),
        ]
        if kind == "minimum":
            order = [*first, *self.rules["fatigue_minimum"]["patterns"], *size["order"]]
            count = self.rules["fatigue_minimum"]["exercises"]
        else:
            season = self.rules["winter_ice"]["order"] if self.winter else size["order"]
            order = [*first, *season]
            count = size["exercises"][self.profile.experience] + (1 if self.winter else 0)
            count = max(size["bounds"][0], min(size["bounds"][1], count))
        chosen: list[PlannedExercise] = []
        for pattern in dict.fromkeys(order):
            exercise = self._ladder_exercise(pattern, steps[pattern], minimum=kind == "minimum")
            if exercise is not None:
                chosen.append(exercise)
            if len(chosen) == count:
                break
        if kind == "strength":
            while len(chosen) > size["bounds"][0] and self._minutes(chosen, kind)[1] > (
                self.rules["session_minutes"]["strength"][1] * 60
            ):
                chosen.pop()
        self._ladder_reasons(steps, chosen)
        return chosen

    def _ladder_exercise(self, pattern: str, step: _Step, minimum: bool = False
                         ) -> PlannedExercise | None:
        planned, _ = self._allowed(pattern, step.rung)
        if planned is None:
            return None
        action = step.action
        if self._pattern_sore_today(pattern):  # amber today: an easier rung for the day
            easier, _ = self._allowed(pattern, max(0, planned - 1))
            planned = planned if easier is None else easier
            action = HOLD_PAIN
        rung = self.library.ladders[pattern].rungs[planned]
        dose_sets, amount = self._dose(rung, planned, action, self._dose_base(pattern))
        return self._exercise(pattern, planned, rung, 1 if minimum else dose_sets, amount)

    def _dose_base(self, pattern: str) -> _Done | None:
        """The latest full-dose result (a one-set minimum session says little about the dose)."""
        full = [d for d in self.done.get(pattern, []) if d.full]
        return full[-1] if full else None

    def _pattern_sore_today(self, pattern: str) -> bool:
        return any(
            self.amber <= s.score < self.red and pattern in self._patterns_for(s.body_part)
            for s in self.pain_today
        )

    def _dose(self, rung: Rung, planned: int, action: str, last: _Done | None
              ) -> tuple[int, int]:
        """Sets and reps (or seconds, metres) for today: reps first, then sets."""
        dosage = rung.dosage
        (_, most), (low, high) = dosage.sets, dosage.amount

        def fit(sets: int, amount: int) -> tuple[int, int]:
            return max(1, min(most, sets)), max(low, min(high, amount))

        if last is None:
            start = self.rules["dose_start"]
            if self.new:
                amount = start["new"]["reps"] if dosage.measure == "reps" else low
                return fit(start["new"]["sets"], amount)
            return fit(start["other"]["sets"], low)
        before = _amount(last.result, dosage.measure)
        if action == BREAK:
            volume = self.rules["break_return"]["volume"]
            sets = max(1, math.floor(last.result.sets * volume + 0.5))
            if before is None:
                return fit(sets, low)
            return fit(sets, math.floor(volume * last.result.sets * before / sets + 0.5))
        if last.result.rung != planned or before is None:
            return fit(self.rules["dose_new_rung"]["sets"], low)
        sets, amount = fit(last.result.sets, before)
        if action in (WITHIN, UP, TOP) and last.pain < self.amber:
            step = self.rules["dose_step"][dosage.measure]
            if amount < high:
                amount = min(high, amount + step)
            elif sets < most:
                sets, amount = sets + 1, low
        return sets, amount

    def _exercise(self, pattern: str, index: int, rung: Rung, sets: int, amount: int
                  ) -> PlannedExercise:
        measure = rung.dosage.measure
        return PlannedExercise(
            pattern=pattern, rung=index, rung_id=rung.id, name=rung.name, sets=sets,
            reps=amount if measure == "reps" else None,
            seconds=amount if measure == "seconds" else None,
            metres=amount if measure == "metres" else None,
            rest_s=rung.dosage.rest_s, load=rung.load, cue=rung.cue,
            per_side=rung.dosage.per_side,
        )

    def _item(self, rung: Rung, pattern: str, sets: int | None = None,
              amount: int | None = None) -> PlannedExercise:
        """A gentle, extra or walking item: its usual dose, nothing to progress."""
        low = rung.dosage.amount[0]
        return self._exercise(pattern, 0, rung, sets or rung.dosage.sets[0], amount or low)

    # --- reasons for the ladders in today's plan --------------------------------------------
    def _ladder_reasons(self, steps: Mapping[str, _Step], chosen: Sequence[PlannedExercise]
                        ) -> None:
        planned = [e.pattern for e in chosen]
        label = {p: self.library.ladders[p].label for p in planned}
        by_action: dict[str, list[str]] = {}
        for p in planned:
            by_action.setdefault(steps[p].action, []).append(p)
        if by_action.get(HOLD_WEEK):
            self._say("pain_two_red")
        if by_action.get(BREAK):
            self._say("break_return", days=(self.today - self.strength_days[-1]).days)
        rung_today = {e.pattern: e.rung for e in chosen}
        for action, rule_id in ((DOWN, "pain_step_down"), (UP, "progress_up"),
                                (RETURN_UP, "break_return_up")):
            for p in by_action.get(action, []):
                last = self.done[p][-1].result.rung
                if (rung_today[p] < last) if action == DOWN else (rung_today[p] > last):
                    self._say(rule_id, name=_names([label[p]]))
        sore = {p for p in planned if self._pattern_sore_today(p)}
        for action, rule_id in ((HOLD_PAIN, "pain_hold"), (HOLD_EFFORT, "progress_hold_effort"),
                                (ONE_CHANGE, "progress_one_change"), (TOP, "progress_top")):
            names = [label[p] for p in by_action.get(action, []) if p not in sore]
            if names:
                self._say(rule_id, names=_names(names))
        self._sore_today_reasons(planned, label)
        self._caution_reasons(steps, chosen, label)
        more = []
        for e in chosen:
            base = self._dose_base(e.pattern)
            if steps[e.pattern].action == WITHIN and base is not None and base.result.rung == e.rung:
                more.append(label[e.pattern])
        if more:
            self._say("dose_step", names=_names(more))

    def _unsettled_change(self, steps: Mapping[str, _Step]) -> bool:
        """A ladder that, after today's other decisions, still stands above the rung last done
        (moved up, not done there yet): a beginner changes one thing at a time. Judged on where
        the ladder ends up today, not where it stood, so a step down (a break, red pain) that
        undoes the pending change frees the others in the first plan, as it would in a re-plan."""
        return any(
            steps[p].action not in (UP, RETURN_UP)
            and self._position(p, steps[p]) > d[-1].result.rung
            for p, d in self.done.items() if d and p in steps
        )

    def _sore_today(self) -> list[SymptomReport]:
        return [s for s in self.pain_today if self.amber <= s.score < self.red]

    def _sore_today_reasons(self, planned: Sequence[str], label: Mapping[str, str]) -> None:
        for report in self._sore_today():
            hit = [p for p in planned if p in self._patterns_for(report.body_part)]
            if hit:
                self._say("pain_amber_today", part=self._part(report), score=report.score,
                          names=_names([label[p] for p in hit]).lower())

    def _caution_reasons(self, steps: Mapping[str, _Step], chosen: Sequence[PlannedExercise],
                         label: Mapping[str, str]) -> None:
        planned = [e.pattern for e in chosen]
        if self.spine and "row" in planned:
            self._say("spine_row_supported", why=self.tiers.spine_why)
        if self.spine and "hip_hinge" in planned:
            self._say("spine_hinge_raised", why=self.tiers.spine_why)
        blocked: dict[str, list[str]] = {}
        for p in planned:
            allowed, first = self._allowed(p, steps[p].rung)
            if allowed is not None and allowed < steps[p].rung and first != "tier_spine_protect":
                blocked.setdefault(first or "equipment_limit", []).append(label[p])
        for rule_id, names in blocked.items():
            self._say(rule_id, names=_names(names))
        rungs = self.library.ladders
        if self.falls and self.steady and any(
            "unsupported_balance" in rungs[e.pattern].rungs[e.rung].tags for e in chosen
        ):
            self._say("falls_unsupported_ok")

    # --- time ---------------------------------------------------------------------------------
    def _minutes(self, exercises: Sequence[PlannedExercise], kind: str) -> tuple[int, int]:
        """(minutes shown, clamped to the kind's range; raw seconds)."""
        timing = self.rules["session_minutes"]
        total = timing["warmup_s"] if kind == "strength" else 0
        for e in exercises:
            if e.reps is not None:
                work = e.reps * timing["seconds_per_rep"]
            elif e.metres is not None:
                work = e.metres * timing["seconds_per_metre"]
            else:
                work = e.seconds or 0
            work *= 2 if e.per_side else 1
            total += e.sets * work + (e.sets - 1) * e.rest_s + timing["change_s"]
        low, high = timing[kind]
        return max(low, min(high, math.ceil(total / 60))), total
