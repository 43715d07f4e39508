"""One red-flag state, check-ins that never overwrite, writes idempotent by message (issue 16).

- symptom_reports: a red flag's `state` (open -> handled -> cleared) with who and when for each
  step; `clear_notice_*` so the client hears "you're cleared" once, whoever cleared it (coach
  chat or command line). Back-fill: a red flag with `cleared_at` is cleared (and counts as told:
  nobody is sent old news), any other red flag is open.
- checkins: no longer one row per day (a second check-in is kept as its own record); the kind
  of session done, stored at logging time (back-filled from the day's plan), so a plan rewritten
  later that day does not re-file it.
- Both: `source_message_id`, the client's message a row came from, unique per client, so a
  message run through Rasa twice after a restart is logged once.

SQLite rebuilds both tables (batch mode; env.py turns foreign keys off meanwhile).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLAN_KINDS = ("strength", "balance", "walk", "minimum", "gentle", "rest", "stop")
RED_FLAG_STATES = ("open", "handled", "cleared")
SYMPTOM_COLUMNS = ("state", "handled_at", "handled_by", "source_message_id", "clear_notice_claimed_at",
                   "clear_notice_sent_at")
SYMPTOM_CHECKS = ("state", "red_flag_state", "state_times")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("checkins") as batch:
        batch.drop_constraint(op.f("uq_checkins_client_id_day"), type_="unique")
        batch.add_column(sa.Column("session_kind", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("source_message_id", sa.String(length=64), nullable=True))
        batch.create_check_constraint(
            op.f("ck_checkins_session_kind"), f"session_kind IS NULL OR {_one_of('session_kind', PLAN_KINDS)}"
        )
        batch.create_index("ix_checkins_client_id_day", ["client_id", "day"])
        batch.create_index("uq_checkins_client_id_source_message_id", ["client_id", "source_message_id"],
                           unique=True)
    op.execute(
        "UPDATE checkins SET session_kind = "
        "(SELECT kind FROM planned_sessions WHERE planned_sessions.id = checkins.planned_session_id)"
    )

    with op.batch_alter_table("symptom_reports") as batch:
        batch.add_column(sa.Column("state", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("handled_by", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("source_message_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("clear_notice_claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("clear_notice_sent_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE symptom_reports SET state = 'cleared', clear_notice_sent_at = cleared_at "
        "WHERE kind = 'red_flag' AND cleared_at IS NOT NULL"
    )
    op.execute("UPDATE symptom_reports SET state = 'open' WHERE kind = 'red_flag' AND cleared_at IS NULL")
    with op.batch_alter_table("symptom_reports") as batch:
        batch.create_check_constraint(op.f("ck_symptom_reports_state"), _one_of("state", RED_FLAG_STATES))
        batch.create_check_constraint(
            op.f("ck_symptom_reports_red_flag_state"), "(kind = 'red_flag') = (state IS NOT NULL)"
        )
        batch.create_check_constraint(
            op.f("ck_symptom_reports_state_times"),
            "state IS NULL OR (state = 'open' AND handled_at IS NULL AND cleared_at IS NULL)"
            " OR (state = 'handled' AND handled_at IS NOT NULL AND cleared_at IS NULL)"
            " OR (state = 'cleared' AND cleared_at IS NOT NULL)",
        )
        batch.create_index("uq_symptom_reports_client_id_source_message_id",
                           ["client_id", "source_message_id", "kind"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("symptom_reports") as batch:
        batch.drop_index("uq_symptom_reports_client_id_source_message_id")
        for name in SYMPTOM_CHECKS:
            batch.drop_constraint(op.f(f"ck_symptom_reports_{name}"), type_="check")
        for column in reversed(SYMPTOM_COLUMNS):
            batch.drop_column(column)
    # One row per day again: the newest check-in of each day stays.
    op.execute("DELETE FROM checkins WHERE id NOT IN (SELECT MAX(id) FROM checkins GROUP BY client_id, day)")
    with op.batch_alter_table("checkins") as batch:
        batch.drop_index("uq_checkins_client_id_source_message_id")
        batch.drop_index("ix_checkins_client_id_day")
        batch.drop_constraint(op.f("ck_checkins_session_kind"), type_="check")
        batch.drop_column("source_message_id")
        batch.drop_column("session_kind")
        batch.create_unique_constraint(op.f("uq_checkins_client_id_day"), ["client_id", "day"])
