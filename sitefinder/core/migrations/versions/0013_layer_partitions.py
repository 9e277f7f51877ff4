"""The layer feature tables partitioned by layer: a load builds a new partition and swaps it in.

``site``, ``poi``, ``area`` and ``gemeente_region`` become ``PARTITION BY LIST (layer)``: one
partition per layer, and a ``<table>_default`` partition for rows of a layer that has none yet
(rows written by hand or by the bench; the ETL moves them out when it loads that layer). A
whole-layer load (``etl/loading.py``) COPYs into a fresh table shaped like a partition, builds
its indexes there, checks it, and then, in a moment at the end of its transaction, drops the
layer's old partition and attaches the new one: no row-by-row ``INSERT ... SELECT`` through the
table's indexes any more (issue 14: about half of a million-point load). The existing rows go
into one partition per layer, named ``<table>__<layer>``; the loads name theirs after the run
(``<table>__<layer>__r<run id>``).

The key must hold the partition column, so the primary key is ``(id, layer)``: ids stay
unique, as every id starts with its layer's name, and a lookup by ``id`` alone still uses each
partition's index. Indexes that led with ``layer`` lose it, as a partition holds one layer:
``<table>_layer_idx`` goes (it also duplicated the leading column of ``<table>_partition_idx``),
``<table>_partition_idx`` is on ``partition_key`` where it is set, ``area_code_idx`` and
``gemeente_region_code_idx`` on ``code``. In ``quarantine`` (not partitioned)
``quarantine_layer_idx`` goes: ``quarantine_partition_idx`` leads with ``layer``.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Only the rows of a layer declared partitioned_by have a key: for the others the index costs
# nothing to build (a load of a million points builds it too).
PARTITION_KEY = "btree (partition_key) WHERE partition_key IS NOT NULL"
# table -> the indexes beside the primary key: (name, USING ... clause), after and before
AFTER: dict[str, tuple[tuple[str, str], ...]] = {
    "site": (
        ("site_geom_idx", "gist (geom)"),
        ("site_partition_idx", PARTITION_KEY),
        ("site_gemeente_idx", "btree (gemeentecode)"),
    ),
    "poi": (("poi_geom_idx", "gist (geom)"), ("poi_partition_idx", PARTITION_KEY)),
    "area": (
        ("area_geom_idx", "gist (geom)"),
        ("area_partition_idx", PARTITION_KEY),
        ("area_code_idx", "btree (code)"),
    ),
    "gemeente_region": (("gemeente_region_code_idx", "btree (code)"),),
}
BEFORE: dict[str, tuple[tuple[str, str], ...]] = {
    "site": (
        ("site_geom_idx", "gist (geom)"),
        ("site_layer_idx", "btree (layer)"),
        ("site_partition_idx", "btree (layer, partition_key)"),
        ("site_gemeente_idx", "btree (gemeentecode)"),
    ),
    "poi": (
        ("poi_geom_idx", "gist (geom)"),
        ("poi_layer_idx", "btree (layer)"),
        ("poi_partition_idx", "btree (layer, partition_key)"),
    ),
    "area": (
        ("area_geom_idx", "gist (geom)"),
        ("area_layer_idx", "btree (layer)"),
        ("area_partition_idx", "btree (layer, partition_key)"),
        ("area_code_idx", "btree (layer, code)"),
    ),
    "gemeente_region": (("gemeente_region_code_idx", "btree (layer, code)"),),
}


def _rebuild(table: str, indexes: tuple[tuple[str, str], ...], *, partitioned: bool) -> None:
    """``table`` again with its rows, partitioned by layer or not, with ``indexes``."""
    old = f"{table}_unpartitioned" if partitioned else f"{table}_partitioned"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} DROP CONSTRAINT {table}_pkey")
    for name, _ in (AFTER if not partitioned else BEFORE)[table]:
        op.execute(f"DROP INDEX {name}")
    by_layer = " PARTITION BY LIST (layer)" if partitioned else ""
    op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS){by_layer}")
    if partitioned:
        op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
        op.execute(
            f"""
            DO $$
            DECLARE name text;
            BEGIN
                FOR name IN SELECT DISTINCT layer FROM {old} ORDER BY 1 LOOP
                    EXECUTE format('CREATE TABLE %I PARTITION OF {table} FOR VALUES IN (%L)',
                                   '{table}__' || name, name);
                END LOOP;
            END $$
            """
        )
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old}")
    key = "(id, layer)" if partitioned else "(id)"
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY {key}")
    for name, using in indexes:
        op.execute(f"CREATE INDEX {name} ON {table} USING {using}")


def upgrade() -> None:
    for table, indexes in AFTER.items():
        _rebuild(table, indexes, partitioned=True)
    op.execute("DROP INDEX quarantine_layer_idx")


def downgrade() -> None:
    op.execute("CREATE INDEX quarantine_layer_idx ON quarantine USING btree (layer)")
    for table, indexes in BEFORE.items():
        _rebuild(table, indexes, partitioned=False)
