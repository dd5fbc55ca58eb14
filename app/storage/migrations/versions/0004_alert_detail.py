"""Alert detail: what a fault detector measured, kept with the alert.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

``alert_history`` gains ``detail`` (when raised) and ``worst_detail`` (as last
known), nullable text: an alert on a detected fault stored only "1 above 0.5",
so the History page, the REST endpoint and the reports could say no more than
"detected". Rows stored before keep NULL and read as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN on both backends (SQLite needs no table copy for a nullable column)
    op.add_column("alert_history", sa.Column("detail", sa.Text(), nullable=True))
    op.add_column("alert_history", sa.Column("worst_detail", sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite before 3.35 cannot DROP COLUMN: batch mode copies the table there
    with op.batch_alter_table("alert_history") as batch:
        batch.drop_column("worst_detail")
        batch.drop_column("detail")
