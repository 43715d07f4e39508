"""Onboarding screening answers: a recent fracture, two or more fractures since 50, height loss
or a forward curve, and "not sure" about a spine fracture (issue 13); a `recent_fracture` coach
alert kind, so the clinic hears that a client is stopped until it clears the fracture.

The three screening columns are NULL for clients onboarded before this revision: the service
asks them the new questions once, at their next /today. Plain column adds: no table rebuild on
SQLite.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCREENING = ("recent_fracture", "several_fractures", "height_loss_or_curve")
ALERT_KINDS_BEFORE = ("red_flag", "pain_high", "human_request", "missed_sessions")
ALERT_KINDS = (*ALERT_KINDS_BEFORE, "recent_fracture")


def _alert_kinds(kinds: Sequence[str]) -> None:
    """Replace the alert kind check (SQLite: batch mode rebuilds the table)."""
    with op.batch_alter_table("coach_alerts") as batch:
        batch.drop_constraint(op.f("ck_coach_alerts_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_coach_alerts_kind"), f"kind IN ({', '.join(repr(k) for k in kinds)})"
        )


def upgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(sa.Column("vertebral_fracture_unsure", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        for name in SCREENING:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=True))
    _alert_kinds(ALERT_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM coach_alerts WHERE kind = 'recent_fracture'")
    _alert_kinds(ALERT_KINDS_BEFORE)
    with op.batch_alter_table("profiles") as batch:
        for name in (*reversed(SCREENING), "vertebral_fracture_unsure"):
            batch.drop_column(name)
