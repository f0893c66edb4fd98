"""Rate limits: one counter row per key (see rate_limits.py); UNLOGGED on PostgreSQL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("window_seconds", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("previous_hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counters")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Not written to the WAL, so a request's count commits without waiting for the disk
        # (about 0.2 ms instead of 2 on one host). A crash (or a failover to a replica) empties
        # the table: the counts start again, which loses nothing worth keeping.
        op.execute("ALTER TABLE rate_counters SET UNLOGGED")


def downgrade() -> None:
    op.drop_table("rate_counters")
