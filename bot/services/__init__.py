"""The coaching services (the session database on one side, the pure rules engine on the other)
and their one composition root.

Split by job: plans.py (profile, screening, today's plan, progress, the clinic's flags, the
reminder's plan), checkins.py, safety.py (pain, fatigue, red flags, a person asked for, alerts
handled and red flags cleared by staff), reminders.py (reminder settings), privacy.py (export,
forget). They share context.py, history.py, planning.py and pain.py, helpers that take the open
session, so every public call is one unit of work, whatever it triggers; types.py holds the
values they exchange with callers.

Every caller gets its services here: `build_services(settings)` for a process (the engine made
once, schema and content checked), `Services.over(engine, clock)` for one already holding an
engine (the Telegram channel, the scheduler with its run clock, the coach desk, tests), and
`default_services()`, the one process-wide instance the Rasa actions share.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.engine import Engine

from bot.content_check import validate_all
from bot.db.engine import ensure_schema, make_engine
from bot.services.checkins import CheckinService
from bot.services.context import utc_now
from bot.services.plans import PlanService
from bot.services.privacy import PrivacyService
from bot.services.reminders import ReminderService
from bot.services.safety import SafetyService
from bot.services.types import Clock
from bot.settings import Settings

__all__ = ["Services", "build_services", "default_services"]


@dataclass(frozen=True)
class Services:
    """One of each service, all on the same engine and clock."""

    plans: PlanService
    checkins: CheckinService
    safety: SafetyService
    reminders: ReminderService
    privacy: PrivacyService

    @classmethod
    def over(cls, engine: Engine, clock: Clock = utc_now) -> Services:
        """The services on an engine whose schema is already in place."""
        return cls(
            plans=PlanService(engine, clock),
            checkins=CheckinService(engine, clock),
            safety=SafetyService(engine, clock),
            reminders=ReminderService(engine, clock),
            privacy=PrivacyService(engine, clock),
        )

    @property
    def engine(self) -> Engine:
        return self.plans.engine


def build_services(settings: Settings, clock: Clock = utc_now) -> Services:
    """A process's services: content files checked (a broken one stops the process here, not in
    a conversation), one engine from `settings`, the schema created or upgraded."""
    validate_all()
    engine = make_engine(settings.database_url)
    ensure_schema(engine)
    return Services.over(engine, clock)


@lru_cache(maxsize=1)
def default_services() -> Services:
    """The process-wide services from the environment, built on first use (the action server:
    building connects, so a database down at start-up is a kind reply, not a crash)."""
    return build_services(Settings.from_env())
