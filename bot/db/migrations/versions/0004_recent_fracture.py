"""A fracture in the last 12 weeks that the clinic has not cleared: no session of any kind.

Set and cleared by a coach (`bone-coach flags`, `/flags` in the coach chat), like the other
clinic flags on `clients`. A plain column add: no table rebuild on SQLite.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("recent_fracture_uncleared", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("recent_fracture_uncleared")
