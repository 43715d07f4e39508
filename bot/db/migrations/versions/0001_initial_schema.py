"""Initial schema: clients, profiles, ladders, plans, check-ins, safety reports, delivery.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 19:33:24.306555
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "allowed_chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowed_chats")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_allowed_chats_chat_id")),
    )
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminders_paused", sa.Boolean(), nullable=False),
        sa.Column("blocked_bot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_for_weights", sa.Boolean(), nullable=False),
        sa.Column("cleared_floor", sa.Boolean(), nullable=False),
        sa.Column("high_risk", sa.Boolean(), nullable=False),
        sa.CheckConstraint("state IN ('invited', 'onboarding', 'active', 'paused')", name=op.f("ck_clients_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_clients_chat_id")),
    )
    op.create_table(
        "invite_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("redeemed_by_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_invite_codes_code")),
    )
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('processing', 'done')", name=op.f("ck_processed_updates_state")),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    op.create_table(
        "coach_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "kind IN ('red_flag', 'pain_high', 'human_request', 'missed_sessions')",
            name=op.f("ck_coach_alerts_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_coach_alerts_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_alerts")),
    )
    op.create_index(op.f("ix_coach_alerts_client_id"), "coach_alerts", ["client_id"])

    op.create_table(
        "ladder_positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=40), nullable=False),
        sa.Column("rung", sa.Integer(), nullable=False),
        sa.Column("start_rung", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rung >= 0", name=op.f("ck_ladder_positions_rung")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_ladder_positions_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ladder_positions")),
        sa.UniqueConstraint("client_id", "pattern", name=op.f("uq_ladder_positions_client_id_pattern")),
    )
    op.create_table(
        "planned_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("plan_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_planned_sessions_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_sessions")),
        sa.UniqueConstraint("client_id", "day", name=op.f("uq_planned_sessions_client_id_day")),
    )
    op.create_table(
        "profiles",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("experience", sa.String(length=16), nullable=True),
        sa.Column("vertebral_fracture", sa.Boolean(), nullable=True),
        sa.Column("falls_last_year", sa.Integer(), nullable=True),
        sa.Column("balance_confidence", sa.String(length=16), nullable=True),
        sa.Column("baseline_pain", sa.Integer(), nullable=True),
        sa.Column("sessions_per_week", sa.Integer(), nullable=True),
        sa.Column("training_days", sa.String(length=20), nullable=True),
        sa.Column("reminder_time", sa.Time(), nullable=True),
        sa.Column("equipment", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("balance_confidence IN ('low', 'medium', 'high')", name=op.f("ck_profiles_balance")),
        sa.CheckConstraint("experience IN ('new', 'some', 'regular')", name=op.f("ck_profiles_experience")),
        sa.CheckConstraint("baseline_pain BETWEEN 0 AND 10", name=op.f("ck_profiles_baseline_pain")),
        sa.CheckConstraint("falls_last_year >= 0", name=op.f("ck_profiles_falls")),
        sa.CheckConstraint("sessions_per_week BETWEEN 2 AND 3", name=op.f("ck_profiles_sessions_per_week")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_profiles_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_profiles")),
    )
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint("kind IN ('checkin', 'nudge', 'light')", name=op.f("ck_reminders_sent_kind")),
        sa.CheckConstraint(
            "status IN ('claimed', 'sent', 'failed', 'skipped')",
            name=op.f("ck_reminders_sent_status"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_reminders_sent_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders_sent")),
        sa.UniqueConstraint("client_id", "day", "kind", name=op.f("uq_reminders_sent_client_id_day_kind")),
    )
    op.create_table(
        "symptom_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("body_part", sa.String(length=40), nullable=True),
        sa.Column("text_excerpt", sa.String(length=200), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=120), nullable=True),
        sa.CheckConstraint("kind IN ('pain', 'fatigue', 'red_flag')", name=op.f("ck_symptom_reports_kind")),
        sa.CheckConstraint("score BETWEEN 0 AND 10", name=op.f("ck_symptom_reports_score")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_symptom_reports_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_symptom_reports")),
    )
    op.create_index(op.f("ix_symptom_reports_client_id"), "symptom_reports", ["client_id"])

    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("planned_session_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rpe", sa.Integer(), nullable=True),
        sa.Column("pain", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("skip_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('done', 'partial', 'skipped')", name=op.f("ck_checkins_status")),
        sa.CheckConstraint("pain BETWEEN 0 AND 10", name=op.f("ck_checkins_pain")),
        sa.CheckConstraint("rpe BETWEEN 1 AND 10", name=op.f("ck_checkins_rpe")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_checkins_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["planned_session_id"],
            ["planned_sessions.id"],
            name=op.f("fk_checkins_planned_session_id_planned_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint("client_id", "day", name=op.f("uq_checkins_client_id_day")),
    )
    op.create_table(
        "exercise_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=40), nullable=False),
        sa.Column("rung", sa.Integer(), nullable=False),
        sa.Column("sets", sa.Integer(), nullable=True),
        sa.Column("reps", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.CheckConstraint("reps >= 0", name=op.f("ck_exercise_logs_reps")),
        sa.CheckConstraint("rung >= 0", name=op.f("ck_exercise_logs_rung")),
        sa.CheckConstraint("seconds >= 0", name=op.f("ck_exercise_logs_seconds")),
        sa.CheckConstraint("sets >= 0", name=op.f("ck_exercise_logs_sets")),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["checkins.id"],
            name=op.f("fk_exercise_logs_checkin_id_checkins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_logs")),
    )
    op.create_index(op.f("ix_exercise_logs_checkin_id"), "exercise_logs", ["checkin_id"])


def downgrade() -> None:
    op.drop_table("exercise_logs")
    op.drop_table("checkins")
    op.drop_table("symptom_reports")
    op.drop_table("reminders_sent")
    op.drop_table("profiles")
    op.drop_table("planned_sessions")
    op.drop_table("ladder_positions")
    op.drop_table("coach_alerts")
    op.drop_table("processed_updates")
    op.drop_table("invite_codes")
    op.drop_table("clients")
    op.drop_table("allowed_chats")
