"""Alert lifecycle: shelving, episode values and times, and the audit trail.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

``alert_history`` gains ``worst_value``, ``raised_time_s``, ``cleared_time_s``,
``shelved_until`` and the ``shelved`` state; ``alert_events`` keeps who did
what to each alert. Written by hand like the baseline (plain SQLAlchemy types,
constraint names from ``models.NAMING_CONVENTION``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = ("active", "acknowledged", "cleared")
NEW_STATES = ("active", "acknowledged", "shelved", "cleared")
ACTIONS = ("raised", "acknowledged", "shelved", "unshelved", "cleared")


def _states_check(states: tuple[str, ...]) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def _set_states(states: tuple[str, ...]) -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table.
    with op.batch_alter_table("alert_history") as batch:
        batch.drop_constraint(op.f("ck_alert_history_alert_state"), type_="check")
        batch.create_check_constraint(op.f("ck_alert_history_alert_state"), _states_check(states))


def upgrade() -> None:
    with op.batch_alter_table("alert_history") as batch:
        batch.add_column(sa.Column("worst_value", sa.Double(), nullable=True))
        batch.add_column(sa.Column("raised_time_s", sa.Double(), nullable=True))
        batch.add_column(sa.Column("cleared_time_s", sa.Double(), nullable=True))
        batch.add_column(sa.Column("shelved_until", sa.DateTime(timezone=True), nullable=True))
    _set_states(NEW_STATES)

    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                *ACTIONS, name="alert_action", native_enum=False, create_constraint=True, length=16
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert_history.id"],
            name=op.f("fk_alert_events_alert_id_alert_history"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_alert_events_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    op.create_index(op.f("ix_alert_events_alert_id"), "alert_events", ["alert_id"])


def downgrade() -> None:
    op.drop_table("alert_events")
    # Shelving is unknown before this revision: a shelved alert is active again.
    op.execute("UPDATE alert_history SET state = 'active' WHERE state = 'shelved'")
    _set_states(OLD_STATES)
    with op.batch_alter_table("alert_history") as batch:
        for column in ("shelved_until", "cleared_time_s", "raised_time_s", "worst_value"):
            batch.drop_column(column)
