"""What the rules engine reads and returns: plain frozen dataclasses, no database types.

`bot.services` converts database rows into these and stores the resulting `Plan`; the engine
never sees a session, a chat id or a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

EXPERIENCE = ("new", "some", "regular")
CONFIDENCE = ("low", "medium", "high")
SESSION_KINDS = ("strength", "balance", "walk", "minimum", "gentle", "rest")
PLAN_KINDS = (*SESSION_KINDS, "stop")
STATUSES = ("done", "partial", "skipped")
SYMPTOM_KINDS = ("pain", "fatigue", "red_flag")


def _check(value: object, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, not {value!r}")


@dataclass(frozen=True)
class Profile:
    """The onboarding answers plus what the clinic marked (risk, clearances)."""

    experience: str
    vertebral_fracture: bool
    falls_last_year: int
    balance_confidence: str
    baseline_pain: int
    sessions_per_week: int
    training_days: tuple[int, ...]  # 0 = Monday .. 6 = Sunday
    equipment: frozenset[str]
    high_risk: bool = False
    recent_fracture_uncleared: bool = False
    cleared_for_weights: bool = False
    cleared_floor: bool = False
    tandem_stance_seconds: int | None = None  # STEADI 4-stage balance test, when measured
    # Onboarding answers that only change the words of the spine-protect reason: "not sure"
    # about a spine fracture (treated as yes), and what made the client high risk.
    vertebral_fracture_unsure: bool = False
    several_fractures: bool = False  # two or more fractures since 50
    height_loss_or_curve: bool = False

    def __post_init__(self) -> None:
        _check(self.experience, EXPERIENCE, "experience")
        _check(self.balance_confidence, CONFIDENCE, "balance_confidence")
        if any(d not in range(7) for d in self.training_days):
            raise ValueError(f"training days are 0..6, not {self.training_days!r}")


@dataclass(frozen=True)
class ExerciseResult:
    """What the client did of one planned exercise (reps, seconds or metres per set)."""

    pattern: str
    rung: int
    sets: int
    reps: int | None
    seconds: int | None
    rpe: int | None
    pain: int | None
    metres: int | None = None


@dataclass(frozen=True)
class SessionRecord:
    """One day's check-in; `rpe` and `pain` are for the whole session."""

    day: date
    kind: str
    status: str
    rpe: int | None
    pain: int | None
    results: tuple[ExerciseResult, ...] = ()

    def __post_init__(self) -> None:
        _check(self.kind, PLAN_KINDS, "session kind")  # a check-in may land on a "stop" day
        _check(self.status, STATUSES, "status")


@dataclass(frozen=True)
class SymptomReport:
    """A pain, fatigue or red-flag report; a coach clears red flags."""

    day: date
    kind: str
    score: int | None
    body_part: str | None
    cleared: bool = False

    def __post_init__(self) -> None:
        _check(self.kind, SYMPTOM_KINDS, "symptom kind")


@dataclass(frozen=True)
class History:
    """Past check-ins and the client's current rung per ladder (missing = start rung)."""

    sessions: tuple[SessionRecord, ...]
    rungs: Mapping[str, int]


@dataclass(frozen=True)
class PlannedExercise:
    """One line of today's plan; exactly one of reps, seconds or metres is set."""

    pattern: str
    rung: int
    rung_id: str
    name: str
    sets: int
    reps: int | None
    seconds: int | None
    metres: int | None
    rest_s: int
    load: str
    cue: str
    per_side: bool = False


@dataclass(frozen=True)
class Reason:
    """A decision in words a client understands, with the rule and its source."""

    rule_id: str
    text: str
    source: str


@dataclass(frozen=True)
class Plan:
    """Today's session. `rungs` is each ladder's rung after today's decisions (store it)."""

    day: date
    kind: str
    exercises: tuple[PlannedExercise, ...]
    reasons: tuple[Reason, ...]
    minutes: int
    rungs: Mapping[str, int]
    tiers: frozenset[str]

    def __post_init__(self) -> None:
        _check(self.kind, PLAN_KINDS, "plan kind")
