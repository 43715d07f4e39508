"""The values the services take and give back, shared by every caller (actions, channel, desk).

Plain frozen dataclasses: no session, no row, nothing that can lazy-load after its transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

Clock = Callable[[], datetime]  # an aware UTC "now"; tests and the scheduler pass their own


@dataclass(frozen=True)
class ProfileAnswers:
    """Parsed onboarding answers (the form's validation has already checked them)."""

    experience: str
    vertebral_fracture: bool
    falls_last_year: int
    balance_confidence: str
    pain_today: int
    sessions_per_week: int
    training_days: tuple[int, ...]
    reminder_time: time
    equipment: frozenset[str]
    vertebral_fracture_unsure: bool = False  # "not sure": vertebral_fracture is True as well
    # Screening (EXERCISE_SCIENCE.md section 0); None = not asked, so it is asked at /today.
    recent_fracture: bool | None = None  # any fracture in the last 12 weeks
    several_fractures: bool | None = None  # two or more fractures since 50
    height_loss_or_curve: bool | None = None


@dataclass(frozen=True)
class Reply:
    """What the coach says back; `buttons` are (title, payload) pairs."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AlertHandled:
    """What /handled did: `already` when a staff member had handled the alert before
    (`handled_by`, `handled_at` are theirs); `red_flag_open` while the client is still not
    cleared to train."""

    alert_id: int
    kind: str
    chat_id: int
    name: str
    timezone: str
    handled_by: str
    handled_at: datetime
    already: bool
    red_flag_open: bool


@dataclass(frozen=True)
class RedFlagsCleared:
    """What /clear did: `cleared` red flags, `alerts_closed` red-flag alerts; both 0 when there
    was nothing left to clear (then `cleared_by` / `cleared_at` say which staff member cleared
    last, if anyone)."""

    chat_id: int
    name: str
    timezone: str
    cleared: int
    alerts_closed: int
    cleared_by: str | None
    cleared_at: datetime | None
