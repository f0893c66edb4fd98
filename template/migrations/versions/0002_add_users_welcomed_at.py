"""Remember when a user was welcomed, so a redelivered welcome email task sends nothing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("welcomed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # batch mode: SQLite (the embedded profile) cannot drop a column in place.
    with op.batch_alter_table("users") as batch:
        batch.drop_column("welcomed_at")
