"""The gemeente of each site, derived with the other raw criteria.

It is derived data (the 2023 CBS gemeente holding the site's point on surface), so it lives in
``site_raw`` beside the criteria, recomputed when the gemeenten layer changes; ``site.gemeentecode``
keeps what a source itself said.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("site_raw", sa.Column("gemeentecode", sa.Text))
    op.create_index("site_raw_gemeente_idx", "site_raw", ["gemeentecode"])


def downgrade() -> None:
    op.drop_index("site_raw_gemeente_idx", "site_raw")
    op.drop_column("site_raw", "gemeentecode")
