"""Alert rules judged as the safety check, and withdrawn alarms.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

``alert_thresholds`` gains ``noise_band`` and ``clear_delay_s`` (0: off) and
``fast_level``, ``charge_level`` (NULL: none): a rule can judge a limit as the
safety check does (its noise-proof debounce, fast trip, charge temperature window
and debounced release). ``alert_history`` gains ``withdrawn`` (why the fault
detector withdrew the alarm on later evidence), the ``withdrawn`` state and the
``withdrawn`` audit action: such an alarm was stored as plain ``cleared``.
Rows stored before keep their values and read as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = ("active", "acknowledged", "shelved", "cleared")
NEW_STATES = (*OLD_STATES, "withdrawn")
OLD_ACTIONS = ("raised", "acknowledged", "shelved", "unshelved", "cleared")
NEW_ACTIONS = (*OLD_ACTIONS, "withdrawn")


def _check(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _set_values(states: tuple[str, ...], actions: tuple[str, ...]) -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table.
    with op.batch_alter_table("alert_history") as batch:
        batch.drop_constraint(op.f("ck_alert_history_alert_state"), type_="check")
        batch.create_check_constraint(op.f("ck_alert_history_alert_state"), _check("state", states))
    with op.batch_alter_table("alert_events") as batch:
        batch.drop_constraint(op.f("ck_alert_events_alert_action"), type_="check")
        batch.create_check_constraint(
            op.f("ck_alert_events_alert_action"), _check("action", actions)
        )


def upgrade() -> None:
    # plain ADD COLUMN on both backends (a NOT NULL one with its default)
    zero = sa.text("0")
    op.add_column(
        "alert_thresholds",
        sa.Column("noise_band", sa.Double(), nullable=False, server_default=zero),
    )
    op.add_column("alert_thresholds", sa.Column("fast_level", sa.Double(), nullable=True))
    op.add_column("alert_thresholds", sa.Column("charge_level", sa.Double(), nullable=True))
    op.add_column(
        "alert_thresholds",
        sa.Column("clear_delay_s", sa.Double(), nullable=False, server_default=zero),
    )
    op.add_column("alert_history", sa.Column("withdrawn", sa.Text(), nullable=True))
    _set_values(NEW_STATES, NEW_ACTIONS)


def downgrade() -> None:
    # Withdrawal is unknown before this revision: a withdrawn alert reads cleared.
    op.execute("UPDATE alert_history SET state = 'cleared' WHERE state = 'withdrawn'")
    op.execute("DELETE FROM alert_events WHERE action = 'withdrawn'")
    _set_values(OLD_STATES, OLD_ACTIONS)
    with op.batch_alter_table("alert_history") as batch:
        batch.drop_column("withdrawn")
    with op.batch_alter_table("alert_thresholds") as batch:
        for column in ("clear_delay_s", "charge_level", "fast_level", "noise_band"):
            batch.drop_column(column)
