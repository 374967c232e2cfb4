"""stories: a per-tenant story clock replaces the revision number

Each story write takes the next number of its tenant's clock (story_clocks) and
stamps the story with it (stories.seq). The story cache then reads, per article,
only the stories stamped since its last read instead of (id, revision) of every
story in the active window: 1,900 rows at a million claims.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "story_clocks",
        sa.Column("tenant", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant"),
    )
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.drop_index("ix_stories_tenant_last_rev")
        batch_op.drop_column("revision")
        batch_op.create_index("ix_stories_tenant_last", ["tenant", "last_published"], unique=False)
        batch_op.create_index("ix_stories_tenant_seq", ["tenant", "seq"], unique=False)
    # Existing stories keep seq 0: older than any clock number, which starts at 1.


def downgrade() -> None:
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_index("ix_stories_tenant_seq")
        batch_op.drop_index("ix_stories_tenant_last")
        batch_op.drop_column("seq")
        batch_op.create_index(
            "ix_stories_tenant_last_rev", ["tenant", "last_published", "revision"], unique=False
        )
    op.drop_table("story_clocks")
