"""The regions of every gemeente, a table without geometry the API joins on the gemeente code.

One row per gemeente (layer ``regions``, loaded by ``etl/regioatlas.py``): its centrumgemeente
for shelter and sheltered housing (with that gemeente's code), its GGD and Wmo regions. The
columns before ``code`` are those of every feature table except ``geom``, so the ETL loads it
like any layer (staging, swap, quarantine, run log).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gemeente_region",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("layer", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_ref", sa.Text, nullable=False),
        sa.Column("props", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("code", sa.Text, nullable=False),  # CBS gemeente code, GM....
        sa.Column("centrumgemeente", sa.Text),
        sa.Column("centrumgemeente_code", sa.Text),
        sa.Column("ggd_region", sa.Text),
        sa.Column("wmo_region", sa.Text),
    )
    op.create_index("gemeente_region_code_idx", "gemeente_region", ["layer", "code"])


def downgrade() -> None:
    op.drop_table("gemeente_region")
