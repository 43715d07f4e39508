"""Indexes for a big clinic (issue 17, "Cost growth"): what runs after every turn, the reminder
scheduler's snapshot and the clinic's report no longer read whole tables.

- coach_alerts: open alerts only (partial, `handled_at IS NULL`): delivery and repeats after
  every turn, the per-client counts, /alerts.
- symptom_reports: red flags only (partial, `state IS NOT NULL`): those not cleared yet, and
  cleared ones whose client was not told yet; and `at`, for everyone's reports of a window.
- checkins: (day, client_id), for everyone's check-ins of a few days.
- planned_sessions: (day, client_id, kind), so reading a few days' kinds never reads the plans.

Plain CREATE INDEX: no table rebuild on SQLite. PostgreSQL blocks writes to each table while
its index is built (about a second per million rows).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _partial(condition: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


INDEXES: tuple[tuple[str, str, list[str], dict[str, Any]], ...] = (
    ("ix_coach_alerts_open", "coach_alerts", ["client_id", "at"], _partial("handled_at IS NULL")),
    ("ix_symptom_reports_red_flags", "symptom_reports", ["state", "clear_notice_sent_at", "client_id"],
     _partial("state IS NOT NULL")),
    ("ix_symptom_reports_at", "symptom_reports", ["at"], {}),
    ("ix_checkins_day_client_id", "checkins", ["day", "client_id"], {}),
    ("ix_planned_sessions_day_client_id_kind", "planned_sessions", ["day", "client_id", "kind"], {}),
)


def upgrade() -> None:
    for name, table, columns, options in INDEXES:
        op.create_index(name, table, columns, **options)


def downgrade() -> None:
    for name, table, _columns, _options in reversed(INDEXES):
        op.drop_index(name, table_name=table)
