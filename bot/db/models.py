"""Session database schema: clients, their profile, training history, safety reports, delivery.

Every row that belongs to a client references it with ON DELETE CASCADE, so deleting the client
(`/forget`) deletes everything about them. The stored vocabularies (states, statuses, kinds)
are the enums of status.py; the profile's answers and the plan kinds are tuples here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

from bot.db.status import (
    AlertKind,
    AuditAction,
    CheckInStatus,
    ClientState,
    RedFlagState,
    ReminderKind,
    ReminderStatus,
    SymptomKind,
    UpdateState,
)

EXPERIENCE_LEVELS = ("new", "some", "regular")
BALANCE_CONFIDENCE = ("low", "medium", "high")
PLAN_KINDS = ("strength", "balance", "walk", "minimum", "gentle", "rest", "stop")  # bot.coaching.models
DEFAULT_TIMEZONE = "America/Chicago"

# Stable constraint names let later (batch) migrations on SQLite find and alter constraints.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Typed `Any`: SQLAlchemy 1.4 ships no types (sqlalchemy2-stubs and its mypy plugin would add them).
Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC text).

    Naive datetimes are refused: a local time mistaken for UTC would shift reminders by hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to the database; pass an aware datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _one_of(column: str, values: Iterable[str]) -> str:
    """SQL text for a check constraint; values are our own constants, never user input."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def parse_training_days(text: str | None) -> tuple[int, ...]:
    """Stored training days ("0,2,4") as weekday numbers, Monday = 0, in order."""
    return tuple(sorted({int(d) for d in (text or "").split(",") if d}))


def format_training_days(days: Iterable[int]) -> str:
    """Weekday numbers as stored: sorted, each once, comma-separated."""
    weekdays = sorted({int(d) for d in days})
    if any(not 0 <= d <= 6 for d in weekdays):
        raise ValueError("training days are weekday numbers 0 (Monday) to 6 (Sunday)")
    return ",".join(str(d) for d in weekdays)


# A client's rows go with the client: the database cascades, the ORM does not load them first.
_OWNED = {"cascade": "all, delete-orphan", "passive_deletes": True}


def _partial(condition: str) -> dict[str, Any]:
    """An index over the rows meeting `condition` only, on SQLite and PostgreSQL alike."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


def _client_fk(index: bool = True) -> Column:
    """The owning client; `index=False` where a unique key already starts with client_id."""
    return Column(Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=index)


class Client(Base):
    """One person chatting with the coach, keyed by their Telegram chat id."""

    __tablename__ = "clients"
    __table_args__ = (CheckConstraint(_one_of("state", ClientState), name="state"),)

    id = Column(Integer, primary_key=True)
    chat_id = Column(BigInteger, nullable=False, unique=True)
    display_name = Column(String(120), nullable=True)
    timezone = Column(String(64), nullable=False, default=DEFAULT_TIMEZONE)
    state = Column(String(16), nullable=False, default=ClientState.INVITED)
    consent_at = Column(UTCDateTime, nullable=True)
    created_at = Column(UTCDateTime, nullable=False)
    reminders_paused = Column(Boolean, nullable=False, default=False)
    light_reminders = Column(Boolean, nullable=False, default=False, server_default=false())  # non-training days
    blocked_bot_at = Column(UTCDateTime, nullable=True)
    # Flags only a coach sets (from the clinic's assessment), read by the rules engine.
    cleared_for_weights = Column(Boolean, nullable=False, default=False)
    cleared_floor = Column(Boolean, nullable=False, default=False)
    high_risk = Column(Boolean, nullable=False, default=False)
    recent_fracture_uncleared = Column(Boolean, nullable=False, default=False, server_default=false())

    profile = relationship("Profile", uselist=False, back_populates="client", **_OWNED)
    ladder_positions = relationship("LadderPosition", back_populates="client", **_OWNED)
    planned_sessions = relationship("PlannedSession", back_populates="client", **_OWNED)
    checkins = relationship("CheckIn", back_populates="client", **_OWNED)
    symptom_reports = relationship("SymptomReport", back_populates="client", **_OWNED)
    coach_alerts = relationship("CoachAlert", back_populates="client", **_OWNED)
    reminders = relationship("ReminderSent", back_populates="client", **_OWNED)


class Profile(Base):
    """Onboarding answers (one row per client), editable later."""

    __tablename__ = "profiles"
    __table_args__ = (
        CheckConstraint(_one_of("experience", EXPERIENCE_LEVELS), name="experience"),
        CheckConstraint(_one_of("balance_confidence", BALANCE_CONFIDENCE), name="balance"),
        CheckConstraint("falls_last_year >= 0", name="falls"),
        CheckConstraint("baseline_pain BETWEEN 0 AND 10", name="baseline_pain"),
        CheckConstraint("sessions_per_week BETWEEN 2 AND 3", name="sessions_per_week"),
    )

    client_id = Column(Integer, ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    experience = Column(String(16), nullable=True)
    vertebral_fracture = Column(Boolean, nullable=True)
    falls_last_year = Column(Integer, nullable=True)  # how many falls; 0 = none
    balance_confidence = Column(String(16), nullable=True)
    baseline_pain = Column(Integer, nullable=True)
    sessions_per_week = Column(Integer, nullable=True)
    training_days = Column(String(20), nullable=True)  # see parse_training_days: "0,2,4"
    reminder_time = Column(Time, nullable=True)  # in the client's own timezone
    equipment = Column(String(200), nullable=False, default="")  # "chair,band"
    updated_at = Column(UTCDateTime, nullable=False)
    # "Not sure" about a spine fracture: treated as yes, worded as a possibility.
    vertebral_fracture_unsure = Column(Boolean, nullable=False, default=False, server_default=false())
    # Screening answers (EXERCISE_SCIENCE.md section 0); NULL = not asked yet (onboarded before
    # the questions existed), so the next /today asks them once.
    recent_fracture = Column(Boolean, nullable=True)  # any fracture in the last 12 weeks
    several_fractures = Column(Boolean, nullable=True)  # two or more fractures since 50
    height_loss_or_curve = Column(Boolean, nullable=True)  # height loss or a forward curve

    client = relationship("Client", back_populates="profile")

    @property
    def screened(self) -> bool:
        """All screening questions answered."""
        return None not in (self.recent_fracture, self.several_fractures, self.height_loss_or_curve)

    @property
    def training_weekdays(self) -> tuple[int, ...]:
        """The chosen training days as weekday numbers (Monday = 0), in order."""
        return parse_training_days(self.training_days)

    @property
    def equipment_items(self) -> frozenset[str]:
        return frozenset(e for e in (self.equipment or "").split(",") if e)


class LadderPosition(Base):
    """The rung a client stands on for one movement pattern's ladder."""

    __tablename__ = "ladder_positions"
    __table_args__ = (
        UniqueConstraint("client_id", "pattern"),
        CheckConstraint("rung >= 0", name="rung"),
    )

    id = Column(Integer, primary_key=True)
    client_id = _client_fk(index=False)
    pattern = Column(String(40), nullable=False)
    rung = Column(Integer, nullable=False)
    start_rung = Column(Integer, nullable=False)  # where they began, for "steps climbed"
    updated_at = Column(UTCDateTime, nullable=False)

    client = relationship("Client", back_populates="ladder_positions")


class PlannedSession(Base):
    """The session the engine planned for a client's local day (plan_json: exercises + reasons)."""

    __tablename__ = "planned_sessions"
    __table_args__ = (
        UniqueConstraint("client_id", "day"),
        # Clinic-wide reads of a few days' kinds (the report) never touch the plan JSON.
        Index("ix_planned_sessions_day_client_id_kind", "day", "client_id", "kind"),
    )

    id = Column(Integer, primary_key=True)
    client_id = _client_fk(index=False)
    day = Column(Date, nullable=False)
    kind = Column(String(20), nullable=False)
    plan_json = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)

    client = relationship("Client", back_populates="planned_sessions")


class CheckIn(Base):
    """One check-in the client gave on a local day; a second one that day is a row of its own
    (nothing is overwritten), and readers count the day once."""

    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_client_id_day", "client_id", "day"),
        # Clinic-wide reads of a few days (the scheduler's snapshot, the report).
        Index("ix_checkins_day_client_id", "day", "client_id"),
        # A message run through Rasa twice (a restart mid-turn) is logged once; NULLs never clash.
        Index("uq_checkins_client_id_source_message_id", "client_id", "source_message_id", unique=True),
        CheckConstraint(_one_of("status", CheckInStatus), name="status"),
        CheckConstraint("rpe BETWEEN 1 AND 10", name="rpe"),
        CheckConstraint("pain BETWEEN 0 AND 10", name="pain"),
        CheckConstraint(f"session_kind IS NULL OR {_one_of('session_kind', PLAN_KINDS)}", name="session_kind"),
    )

    id = Column(Integer, primary_key=True)
    client_id = _client_fk(index=False)
    day = Column(Date, nullable=False)
    planned_session_id = Column(Integer, ForeignKey("planned_sessions.id", ondelete="SET NULL"), nullable=True)
    status = Column(String(16), nullable=False)
    rpe = Column(Integer, nullable=True)
    pain = Column(Integer, nullable=True)
    note = Column(Text, nullable=True)
    skip_reason = Column(String(200), nullable=True)
    created_at = Column(UTCDateTime, nullable=False)
    # The kind of session the plan said when it was logged: a plan rewritten later the same
    # day (gentle after a pain report) does not change what was done.
    session_kind = Column(String(20), nullable=True)
    source_message_id = Column(String(64), nullable=True)  # the client's message it came from

    client = relationship("Client", back_populates="checkins")
    planned_session = relationship("PlannedSession")
    exercise_logs = relationship(
        "ExerciseLog",
        back_populates="checkin",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ExerciseLog.id",
    )


class ExerciseLog(Base):
    """One exercise done in a checked-in session, the raw material for progression."""

    __tablename__ = "exercise_logs"
    __table_args__ = (
        CheckConstraint("rung >= 0", name="rung"),
        CheckConstraint("sets >= 0", name="sets"),
        CheckConstraint("reps >= 0", name="reps"),
        CheckConstraint("seconds >= 0", name="seconds"),
    )

    id = Column(Integer, primary_key=True)
    checkin_id = Column(Integer, ForeignKey("checkins.id", ondelete="CASCADE"), nullable=False, index=True)
    pattern = Column(String(40), nullable=False)
    rung = Column(Integer, nullable=False)
    sets = Column(Integer, nullable=True)
    reps = Column(Integer, nullable=True)
    seconds = Column(Integer, nullable=True)

    checkin = relationship("CheckIn", back_populates="exercise_logs")


class SymptomReport(Base):
    """Pain, fatigue or a red flag the client reported.

    A red flag has a `state`, moved only forward: open (just reported) -> handled (someone at
    the clinic has picked it up) -> cleared (the clinic says the client may train again); it may
    go from open straight to cleared. Until cleared the client gets no exercise. Other kinds
    have no state. `clear_notice_*` deliver "you're cleared" to the client once.
    """

    __tablename__ = "symptom_reports"
    __table_args__ = (
        CheckConstraint(_one_of("kind", SymptomKind), name="kind"),
        CheckConstraint("score BETWEEN 0 AND 10", name="score"),
        CheckConstraint(_one_of("state", RedFlagState), name="state"),
        CheckConstraint(f"(kind = '{SymptomKind.RED_FLAG}') = (state IS NOT NULL)", name="red_flag_state"),
        CheckConstraint(
            f"state IS NULL OR (state = '{RedFlagState.OPEN}' AND handled_at IS NULL AND cleared_at IS NULL)"
            f" OR (state = '{RedFlagState.HANDLED}' AND handled_at IS NOT NULL AND cleared_at IS NULL)"
            f" OR (state = '{RedFlagState.CLEARED}' AND cleared_at IS NOT NULL)",
            name="state_times",
        ),
        # A message run through Rasa twice (a restart mid-turn) is reported once; NULLs never clash.
        Index("uq_symptom_reports_client_id_source_message_id", "client_id", "source_message_id", "kind",
              unique=True),
        # Red flags only (no other kind has a state): those not cleared, cleared ones not told yet.
        Index("ix_symptom_reports_red_flags", "state", "clear_notice_sent_at", "client_id",
              **_partial("state IS NOT NULL")),
        Index("ix_symptom_reports_at", "at"),  # everyone's reports of a window (the report)
    )

    id = Column(Integer, primary_key=True)
    client_id = _client_fk()
    at = Column(UTCDateTime, nullable=False)
    kind = Column(String(16), nullable=False)
    score = Column(Integer, nullable=True)
    body_part = Column(String(40), nullable=True)
    text_excerpt = Column(String(200), nullable=True)
    cleared_at = Column(UTCDateTime, nullable=True)
    cleared_by = Column(String(120), nullable=True)
    state = Column(String(16), nullable=True)
    handled_at = Column(UTCDateTime, nullable=True)
    handled_by = Column(String(120), nullable=True)
    source_message_id = Column(String(64), nullable=True)
    clear_notice_claimed_at = Column(UTCDateTime, nullable=True)
    clear_notice_sent_at = Column(UTCDateTime, nullable=True)

    client = relationship("Client", back_populates="symptom_reports")


class CoachAlert(Base):
    """Something a human at the clinic must look at."""

    __tablename__ = "coach_alerts"
    __table_args__ = (
        CheckConstraint(_one_of("kind", AlertKind), name="kind"),
        # A unique index, not a constraint: SQLite adds it without rebuilding the table.
        Index("uq_coach_alerts_client_id_dedup_key", "client_id", "dedup_key", unique=True),
        # Open alerts only (most are handled): delivery and repeats after every turn, counts, /alerts.
        Index("ix_coach_alerts_open", "client_id", "at", **_partial("handled_at IS NULL")),
    )

    id = Column(Integer, primary_key=True)
    client_id = _client_fk()
    at = Column(UTCDateTime, nullable=False)
    kind = Column(String(20), nullable=False)
    detail = Column(Text, nullable=True)
    handled_at = Column(UTCDateTime, nullable=True)
    handled_by = Column(String(120), nullable=True)
    # Delivery to the coach chat: a sender claims the alert, sends it, then sets notified_at;
    # a claim left by a sender that died goes stale and is taken over.
    notify_claimed_at = Column(UTCDateTime, nullable=True)
    notified_at = Column(UTCDateTime, nullable=True)
    # Set on alerts that must exist once per situation (missed sessions since the last one
    # done): a second scanner's insert hits the unique index. NULLs never clash.
    dedup_key = Column(String(64), nullable=True)

    client = relationship("Client", back_populates="coach_alerts")


class ReminderSent(Base):
    """One reminder per client, day and kind: the unique constraint stops double sends."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        UniqueConstraint("client_id", "day", "kind"),
        CheckConstraint(_one_of("kind", ReminderKind), name="kind"),
        CheckConstraint(_one_of("status", ReminderStatus), name="status"),
    )

    id = Column(Integer, primary_key=True)
    client_id = _client_fk(index=False)
    day = Column(Date, nullable=False, index=True)
    kind = Column(String(16), nullable=False)
    claimed_at = Column(UTCDateTime, nullable=False)
    sent_at = Column(UTCDateTime, nullable=True)
    status = Column(String(16), nullable=False, default=ReminderStatus.CLAIMED)
    # A "claimed" row whose lease ran out belongs to nobody (its sender died); each takeover
    # adds an attempt, and only the holder of the current attempt may record the outcome.
    lease_until = Column(UTCDateTime, nullable=True)
    attempts = Column(Integer, nullable=False, default=1, server_default="1")

    client = relationship("Client", back_populates="reminders")


class ProcessedUpdate(Base):
    """A Telegram update claimed by one process, and the record of its turn, so that every
    update is answered once even when the process is killed in the middle (bot/db/turns.py).

    While "processing", the row holds the update itself (any process can finish an orphaned turn),
    the replies once they are decided, and how many Telegram messages went out; "done" drops them.
    """

    __tablename__ = "processed_updates"
    __table_args__ = (CheckConstraint(_one_of("state", UpdateState), name="state"),)

    update_id = Column(BigInteger, primary_key=True, autoincrement=False)
    state = Column(String(16), nullable=False, index=True)
    claimed_at = Column(UTCDateTime, nullable=False)
    done_at = Column(UTCDateTime, nullable=True)
    owner = Column(String(200), nullable=True)  # bot/telegram/owner.py; NULL = free to take
    chat_id = Column(BigInteger, nullable=True)
    update_json = Column(Text, nullable=True)
    replies = Column(Text, nullable=True)  # JSON list of the turn's messages, once decided
    delivered = Column(Integer, nullable=False, default=0, server_default="0")
    attempts = Column(Integer, nullable=False, default=1, server_default="1")


class LiveKeyboard(Base):
    """The newest message with buttons the coach sent a chat: a press on an older one has
    passed, and changes nothing (Telegram message ids grow within a chat)."""

    __tablename__ = "live_keyboards"

    chat_id = Column(BigInteger, primary_key=True, autoincrement=False)
    message_id = Column(BigInteger, nullable=False)
    at = Column(UTCDateTime, nullable=False)


class RefusedGroup(Base):
    """A group chat already told that the coach talks in private chats only: told once."""

    __tablename__ = "refused_groups"

    chat_id = Column(BigInteger, primary_key=True, autoincrement=False)
    at = Column(UTCDateTime, nullable=False)


class InviteCode(Base):
    """A one-use enrolment code handed out by the clinic."""

    __tablename__ = "invite_codes"

    id = Column(Integer, primary_key=True)
    code = Column(String(16), nullable=False, unique=True)
    created_at = Column(UTCDateTime, nullable=False)
    created_by = Column(String(120), nullable=True)
    redeemed_by_chat_id = Column(BigInteger, nullable=True)
    redeemed_at = Column(UTCDateTime, nullable=True)


class AllowedChat(Base):
    """A chat the clinic enrolled directly, without an invite code."""

    __tablename__ = "allowed_chats"

    id = Column(Integer, primary_key=True)
    chat_id = Column(BigInteger, nullable=False, unique=True)
    added_at = Column(UTCDateTime, nullable=False)
    note = Column(String(200), nullable=True)


# --- the staff dashboard (bot/dashboard) ---------------------------------------------------------


class StaffAccount(Base):
    """A clinic staff member who may sign in to the dashboard (`bone-coach staff add NAME`)."""

    __tablename__ = "staff_accounts"

    id = Column(Integer, primary_key=True)
    name = Column(String(120), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)  # argon2id, with its salt and parameters
    created_at = Column(UTCDateTime, nullable=False)

    sessions = relationship("StaffSession", back_populates="staff", cascade="all, delete-orphan",
                            passive_deletes=True)


class StaffSession(Base):
    """A signed-in browser. Only the SHA-256 of its cookie's token is stored, so a copy of the
    database lets nobody sign in; signing out deletes the row, and an expired row is refused."""

    __tablename__ = "staff_sessions"

    id = Column(Integer, primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    token_sha256 = Column(String(64), nullable=False, unique=True)
    csrf_token = Column(String(64), nullable=False)  # every form of this session carries it
    created_at = Column(UTCDateTime, nullable=False)
    last_seen_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False, index=True)
    # The clients page's name search, kept here so that no client's name goes into a URL.
    client_search = Column(String(120), nullable=True)

    staff = relationship("StaffAccount", back_populates="sessions")


class LoginAttempt(Base):
    """One try at signing in, kept a day: failures per account name and per address lock them out."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_staff_name_at", "staff_name", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, index=True)
    staff_name = Column(String(120), nullable=False)  # as typed: an unknown name counts too
    address = Column(String(64), nullable=False)
    succeeded = Column(Boolean, nullable=False)


class AuditEntry(Base):
    """A change a staff member made, with what it was before and after (JSON) and their reason.

    Written before the change (`after_json` NULL until it is done), so no change goes unrecorded;
    an entry about a client goes with the client when they are forgotten.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(_one_of("action", AuditAction), name="action"),
        Index("ix_audit_log_client_id_at", "client_id", "at"),
    )

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, index=True)
    staff = Column(String(120), nullable=False)
    action = Column(String(32), nullable=False)
    client_id = Column(Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=True)
    target = Column(String(64), nullable=True)  # what was changed besides the client: "alert 12", "invite 3"
    reason = Column(Text, nullable=True)
    before_json = Column(Text, nullable=True)
    after_json = Column(Text, nullable=True)
    done_at = Column(UTCDateTime, nullable=True)

    client = relationship("Client", viewonly=True)  # the database deletes the entries with the client
