"""Accounts: usernames, password hashes and superusers; failed logins; who started which task.

Users made before this version get the username "user_<id>" and no password: they cannot log
in until a superuser sets one (PATCH /users/{id} with {"password": ...}). Their emails are put in
lower case, as new ones are, unless that would make two of them equal.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("username", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("hashed_password", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("is_superuser", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(
            sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE users SET username = 'user_' || CAST(id AS VARCHAR(20))")
    op.execute(
        "UPDATE users SET email = lower(email) WHERE email <> lower(email) AND NOT EXISTS "
        "(SELECT 1 FROM users AS other WHERE other.email = lower(users.email))"
    )
    with op.batch_alter_table("users") as batch:
        batch.alter_column("username", existing_type=sa.String(length=30), nullable=False)
        batch.create_index(batch.f("ix_users_username"), ["username"], unique=True)

    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_key"), "login_failures", ["key"])
    op.create_index(op.f("ix_login_failures_failed_at"), "login_failures", ["failed_at"])

    op.create_table(
        "task_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("task_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_task_runs_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_runs")),
    )
    op.create_index("ix_task_runs_owner_id_created_at", "task_runs", ["owner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_task_runs_owner_id_created_at", table_name="task_runs")
    op.drop_table("task_runs")
    op.drop_index(op.f("ix_login_failures_failed_at"), table_name="login_failures")
    op.drop_index(op.f("ix_login_failures_key"), table_name="login_failures")
    op.drop_table("login_failures")
    with op.batch_alter_table("users") as batch:
        batch.drop_index(batch.f("ix_users_username"))
        batch.drop_column("password_changed_at")
        batch.drop_column("is_superuser")
        batch.drop_column("hashed_password")
        batch.drop_column("username")
