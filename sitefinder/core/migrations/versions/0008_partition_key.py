"""A partition key on every feature and quarantine row: layers that are a union of partitions.

A layer declared ``partitioned_by`` (``layers.Layer``; zoning: one partition per IMRO plan) is
loaded partition by partition: a load replaces the rows and the quarantine of the partitions in
its input and keeps all others (``etl/loading.py``). The key is ``partition_key``; it is NULL in
layers that are not partitioned and in rows loaded before this revision (the first partitioned
load of such a layer replaces those).

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("site", "poi", "area", "quarantine")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("partition_key", sa.Text))
        op.create_index(f"{table}_partition_idx", table, ["layer", "partition_key"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"{table}_partition_idx", table_name=table)
        op.drop_column(table, "partition_key")
