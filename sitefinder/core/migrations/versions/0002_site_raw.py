"""Raw criteria per site (profile-independent), replacing per-profile stored scores.

Scores are computed in memory from these raw values for any profile or custom weights
(sitefinder/scoring/engine.py), so they are no longer stored. Distances are metres in
EPSG:28992 (straight line; walking factors are applied by the profile).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("site_score")
    op.drop_table("site_criterion")
    op.execute("DROP FUNCTION IF EXISTS sf_piecewise")
    f, t, b = sa.Float, sa.Text, sa.Boolean
    op.create_table(
        "site_raw",
        sa.Column("site_id", t, sa.ForeignKey("site.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("stop_local_id", t),
        sa.Column("stop_local_m", f),
        sa.Column("stop_local_dph", f),  # departures per hour, NULL when the feed has none
        sa.Column("stop_rail_id", t),
        sa.Column("stop_rail_m", f),
        sa.Column("stop_rail_dph", f),
        sa.Column("care_id", t),
        sa.Column("care_m", f),
        sa.Column("care_n", sa.Integer),  # care facilities within care_radius_m
        sa.Column("supermarket_id", t),
        sa.Column("supermarket_m", f),
        sa.Column("zoning_id", t),
        sa.Column("zoning_class", t),
        sa.Column("natura2000_id", t),
        sa.Column("natura2000_m", f),
        sa.Column("constraint_ids", sa.ARRAY(t)),
        sa.Column("places", f),
        sa.Column("cov_stops", b, nullable=False),
        sa.Column("cov_care", b, nullable=False),
        sa.Column("cov_supermarkets", b, nullable=False),
        sa.Column("cov_zoning", b, nullable=False),
        sa.Column("cov_natura2000", b, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "scoring_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("care_radius_m", f, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scoring_state")
    op.drop_table("site_raw")
