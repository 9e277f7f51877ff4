"""site_raw's columns follow the criterion catalogue; no migration per criterion any more.

From here on ``sitefinder score`` adds the raw columns a new criterion declares
(``sitefinder/scoring/store.py``: ``ALTER TABLE site_raw ADD COLUMN IF NOT EXISTS``) and
readers select only the catalogue's columns. For that every raw column is nullable: a column
added later is NULL until computed, and a column left behind by a removed criterion never
blocks a write. The care radius is part of the care_count declaration (and of its facts), so
``scoring_state`` no longer stores it.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COVERAGE = ("cov_stops", "cov_care", "cov_supermarkets", "cov_zoning", "cov_natura2000")


def upgrade() -> None:
    for column in COVERAGE:
        op.alter_column("site_raw", column, existing_type=sa.Boolean, nullable=True)
    op.drop_column("scoring_state", "care_radius_m")
    op.execute(
        "COMMENT ON TABLE site_raw IS 'Raw criteria per site (EPSG:28992 metres). Columns"
        " follow the criterion catalogue (sitefinder/scoring/criteria); sitefinder score adds"
        " new ones.'"
    )


def downgrade() -> None:
    op.execute("COMMENT ON TABLE site_raw IS NULL")
    op.add_column(
        "scoring_state",
        sa.Column("care_radius_m", sa.Float, nullable=False, server_default="1000"),
    )
    for column in COVERAGE:
        op.execute(f"UPDATE site_raw SET {column} = false WHERE {column} IS NULL")
        op.alter_column("site_raw", column, existing_type=sa.Boolean, nullable=False)
