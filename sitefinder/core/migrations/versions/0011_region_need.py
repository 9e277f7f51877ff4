"""The need of a region per target group (fair share, issue 12).

One row per (region kind, region code, profile): the number of places the region needs for
that target group, entered by a coordinator (``PUT /api/fairshare/need``) or loaded from a
CSV keyed by gemeentecode (``sitefinder fairshare load-need``: rows of ``region_kind =
'gemeente'``, whose sum over a region's members is that region's need when it has no row of
its own). ``source`` says which, ``updated_by`` the account (NULL: the command line). The
API's writer role may change its rows (``db.WRITTEN_TABLES``).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "region_need",
        sa.Column(
            "region_kind", sa.Text, nullable=False
        ),  # centrumgemeente|ggd|wmo|provincie|gemeente
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("profile", sa.Text, nullable=False),
        sa.Column("need", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=False),  # coordinator | csv:<file name>
        sa.Column("updated_by", sa.Integer),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("region_kind", "region_code", "profile"),
        sa.CheckConstraint("need >= 0", name="region_need_not_negative"),
    )


def downgrade() -> None:
    op.drop_table("region_need")
