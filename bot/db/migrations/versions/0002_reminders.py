"""Reminder leases and light-reminder opt-in.

A claim carries a lease (`lease_until`) so a claim whose sender died is taken over, and an
attempt counter that fences a stale sender out of marking a reminder it no longer holds.
Clients may opt in to a lighter reminder on non-training days. `day` is indexed because the
scheduler reads reminders by day across all clients.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminders_sent") as batch:
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
        batch.create_index(batch.f("ix_reminders_sent_day"), ["day"])
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("light_reminders", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("light_reminders")
    with op.batch_alter_table("reminders_sent") as batch:
        batch.drop_index(batch.f("ix_reminders_sent_day"))
        batch.drop_column("attempts")
        batch.drop_column("lease_until")
