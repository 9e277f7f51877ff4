"""site_raw without a foreign key to site: a full recomputation is TRUNCATE + one COPY.

Checking a foreign key per row made writing a million rows take three times as long. The raw
criteria are derived data: they are rebuilt in full whenever sites change, and every reader joins
``site`` to ``site_raw``, so rows of removed sites are never seen (and are gone at the next
``sitefinder score``).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("site_raw_site_id_fkey", "site_raw", type_="foreignkey")


def downgrade() -> None:
    op.create_foreign_key(
        "site_raw_site_id_fkey", "site_raw", "site", ["site_id"], ["id"], ondelete="CASCADE"
    )
