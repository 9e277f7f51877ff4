"""Initial schema: provenance, quarantine, the three feature tables, coverage and scores.

Geometry is stored in EPSG:28992 (Amersfoort / RD New, metres).

Revision ID: 0001
Revises:
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RD = 28992


def _feature_columns(geometry_type: str) -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("layer", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_ref", sa.Text, nullable=False),
        sa.Column("props", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column(
            "geom",
            Geometry(geometry_type, srid=RD, spatial_index=False),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "etl_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("layer", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("publisher", sa.Text, nullable=False),
        sa.Column("licence", sa.Text, nullable=False),
        sa.Column("data_as_of", sa.Text),
        sa.Column("checksum", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("n_read", sa.Integer, nullable=False, server_default="0"),
        sa.Column("n_loaded", sa.Integer, nullable=False, server_default="0"),
        sa.Column("n_quarantined", sa.Integer, nullable=False, server_default="0"),
        sa.Column("message", sa.Text),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_index("etl_run_layer_idx", "etl_run", ["layer", "id"])

    op.create_table(
        "quarantine",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("layer", sa.Text, nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("etl_run.id"), nullable=False),
        sa.Column("source_ref", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("record", JSONB, nullable=False),
    )
    op.create_index("quarantine_layer_idx", "quarantine", ["layer"])

    op.create_table(
        "site",
        *_feature_columns("GEOMETRY"),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("gemeentecode", sa.Text),
        sa.Column("area_m2", sa.Float),
        sa.Column("floor_area_m2", sa.Float),
        sa.Column("sources", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    op.create_table("poi", *_feature_columns("POINT"), sa.Column("category", sa.Text))
    op.create_table(
        "area",
        *_feature_columns("MULTIPOLYGON"),
        sa.Column("code", sa.Text),
        sa.Column("category", sa.Text),
    )
    for table in ("site", "poi", "area"):
        op.create_index(f"{table}_geom_idx", table, ["geom"], postgresql_using="gist")
        op.create_index(f"{table}_layer_idx", table, ["layer"])
    op.create_index("area_code_idx", "area", ["layer", "code"])
    op.create_index("site_gemeente_idx", "site", ["gemeentecode"])

    op.create_table(
        "layer_coverage",
        sa.Column("layer", sa.Text, primary_key=True),
        sa.Column("national", sa.Boolean, nullable=False),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=RD, spatial_index=False)),
    )

    op.create_table(
        "site_criterion",
        sa.Column("site_id", sa.Text, sa.ForeignKey("site.id", ondelete="CASCADE")),
        sa.Column("criterion", sa.Text),
        sa.Column("raw", sa.Float),
        sa.Column("value", sa.Float),
        sa.Column("missing", sa.Boolean, nullable=False),
        sa.Column("excluded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("detail", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.PrimaryKeyConstraint("site_id", "criterion"),
    )
    op.create_table(
        "site_score",
        sa.Column("site_id", sa.Text, sa.ForeignKey("site.id", ondelete="CASCADE")),
        sa.Column("profile", sa.Text),
        sa.Column("score", sa.Float),  # NULL: excluded, or no criterion has data here
        sa.Column("excluded", sa.Boolean, nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("breakdown", JSONB, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "profile"),
    )
    op.create_index(
        "site_score_rank_idx", "site_score", ["profile", sa.text("score DESC NULLS LAST")]
    )

    # Piecewise-linear value function: x -> y, linear between the breakpoints (xs ascending),
    # clamped outside them. The scoring engine binds xs/ys as parameters.
    op.execute(
        """
        CREATE FUNCTION sf_piecewise(x double precision, xs double precision[],
                                     ys double precision[])
        RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT CASE
            WHEN x IS NULL THEN NULL
            WHEN x <= xs[1] THEN ys[1]
            WHEN x >= xs[array_length(xs, 1)] THEN ys[array_length(ys, 1)]
            ELSE (SELECT ys[i] + (ys[i + 1] - ys[i]) * (x - xs[i]) / NULLIF(xs[i + 1] - xs[i], 0)
                  FROM generate_subscripts(xs, 1) AS i
                  WHERE i < array_length(xs, 1) AND x >= xs[i] AND x <= xs[i + 1]
                  ORDER BY i LIMIT 1)
          END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS sf_piecewise")
    for table in (
        "site_score",
        "site_criterion",
        "layer_coverage",
        "area",
        "poi",
        "site",
        "quarantine",
        "etl_run",
    ):
        op.drop_table(table)
