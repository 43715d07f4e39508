"""Exactly-once Telegram turns that survive kill -9 (issue 16).

A claim on an update now has an owner (host, boot id, process id and start time), so a restarted
process takes over the claims of a dead one at once instead of after a fixed age. The claim row is
also the turn record: the update itself (so any process can finish an orphaned turn), the replies
decided for it, how many Telegram accepted, and how many times it was tried. `live_keyboards`
holds each chat's newest message with buttons (a press on an older one has passed);
`refused_groups` the groups already told that the coach works in private chats only.

Plain column adds and a new table: no table rebuild on SQLite.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TURN_COLUMNS = ("owner", "chat_id", "update_json", "replies", "delivered", "attempts")


def upgrade() -> None:
    with op.batch_alter_table("processed_updates") as batch:
        batch.add_column(sa.Column("owner", sa.String(200), nullable=True))
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("update_json", sa.Text(), nullable=True))
        batch.add_column(sa.Column("replies", sa.Text(), nullable=True))
        batch.add_column(sa.Column("delivered", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
    op.create_index("ix_processed_updates_state", "processed_updates", ["state"])
    op.create_table(
        "live_keyboards",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_live_keyboards")),
    )
    op.create_table(
        "refused_groups",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_refused_groups")),
    )


def downgrade() -> None:
    op.drop_table("refused_groups")
    op.drop_table("live_keyboards")
    op.drop_index("ix_processed_updates_state", table_name="processed_updates")
    with op.batch_alter_table("processed_updates") as batch:
        for column in reversed(TURN_COLUMNS):
            batch.drop_column(column)
