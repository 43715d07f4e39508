"""The stored vocabularies, each value spelled once: the check constraints (models.py) and every
caller use these.

Members are strings: a value read back from the database (a plain str) compares and hashes
equal to its member, and a member is written as its value. The values are what the database
holds; changing one needs a migration.
"""

from __future__ import annotations

from enum import Enum


class Vocabulary(str, Enum):
    """A stored string; `str()` and f-strings give the value itself."""

    def __str__(self) -> str:
        return str.__str__(self)


class ClientState(Vocabulary):
    INVITED = "invited"  # wrote to the bot, not enrolled
    ONBOARDING = "onboarding"  # enrolled, answering the questions
    ACTIVE = "active"
    PAUSED = "paused"


class CheckInStatus(Vocabulary):
    DONE = "done"
    PARTIAL = "partial"
    SKIPPED = "skipped"


class SymptomKind(Vocabulary):
    PAIN = "pain"
    FATIGUE = "fatigue"
    RED_FLAG = "red_flag"


class RedFlagState(Vocabulary):
    """A red flag moves forward only: open -> handled -> cleared (or open -> cleared)."""

    OPEN = "open"
    HANDLED = "handled"  # someone at the clinic is on it; the client is still stopped
    CLEARED = "cleared"  # the clinic says the client may train again


class AlertKind(Vocabulary):
    RED_FLAG = "red_flag"
    PAIN_HIGH = "pain_high"
    HUMAN_REQUEST = "human_request"
    MISSED_SESSIONS = "missed_sessions"
    RECENT_FRACTURE = "recent_fracture"


class ReminderKind(Vocabulary):
    CHECKIN = "checkin"  # the day's reminder on a strength day
    NUDGE = "nudge"  # the evening one when no check-in came
    LIGHT = "light"  # the short hello on other days, for clients who asked for it


class ReminderStatus(Vocabulary):
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class UpdateState(Vocabulary):
    PROCESSING = "processing"
    DONE = "done"


class AuditAction(Vocabulary):
    """What a staff member changed (the staff dashboard's audit log, bot/db/audit.py)."""

    ALERT_HANDLED = "alert_handled"
    RED_FLAGS_CLEARED = "red_flags_cleared"
    CLINIC_FLAGS_SET = "clinic_flags_set"
    INVITE_CREATED = "invite_created"
    STAFF_ADDED = "staff_added"
    STAFF_REMOVED = "staff_removed"


# A session done, all of it or part of it.
DONE_STATUSES = (CheckInStatus.DONE, CheckInStatus.PARTIAL)
# Red flags not cleared yet: while one is, the client gets no exercise.
NOT_CLEARED = (RedFlagState.OPEN, RedFlagState.HANDLED)
# Reminder rows that count as a message the client got (or is getting).
LIVE_REMINDERS = (ReminderStatus.CLAIMED, ReminderStatus.SENT)
