"""Coach alert delivery and once-only alerts.

`notify_claimed_at` / `notified_at` let the alert dispatcher deliver each alert to the coach chat
once, across restarts and processes. `dedup_key` with its unique index lets an alert that must
exist once per situation (three missed sessions since the last one done) be created once even
when two scanners run together. Plain column adds and an index: no table rebuild on SQLite.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("coach_alerts") as batch:
        batch.add_column(sa.Column("notify_claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("dedup_key", sa.String(length=64), nullable=True))
        batch.create_index("uq_coach_alerts_client_id_dedup_key", ["client_id", "dedup_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("coach_alerts") as batch:
        batch.drop_index("uq_coach_alerts_client_id_dedup_key")
        batch.drop_column("dedup_key")
        batch.drop_column("notified_at")
        batch.drop_column("notify_claimed_at")
