"""The regions of every gemeente (Regioatlas: centrumgemeente for shelter and sheltered housing,
GGD, Wmo), loaded from the real files as a table without geometry, joined by the API, and the
migration that adds the table to a database that already holds data. Real PostGIS.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from conftest import Drops
from fastapi.testclient import TestClient
from test_criterion_plugin import _alembic
from test_formats_layers import fetch, run

from etl import get_pipeline
from etl.areas import AreaSpec
from sitefinder.api import create_app
from sitefinder.core import db
from sitefinder.core.errors import InvalidParameterError, SourceFileError
from sitefinder.core.settings import PROJECT_ROOT, Settings
from sitefinder.pipeline import load_layers

DEMO = PROJECT_ROOT / "data" / "demo"
FILES = [DEMO / name for name in get_pipeline("regions").demo_files]
CENTRUM = FILES[0]


def _snapshot(conn: psycopg.Connection[Any]) -> tuple[Any, ...]:
    row = fetch(
        conn,
        "SELECT count(*) AS n, md5(string_agg(id || props::text || coalesce(centrumgemeente, '')"
        " || coalesce(ggd_region, '') || coalesce(wmo_region, ''), ',' ORDER BY id)) AS h"
        " FROM gemeente_region WHERE layer = 'regions'",
    )[0]
    return row["n"], row["h"]


def _regions(conn: psycopg.Connection[Any]) -> dict[str, dict[str, Any]]:
    found = fetch(
        conn,
        "SELECT code, name, centrumgemeente, centrumgemeente_code, ggd_region, wmo_region, props"
        " FROM gemeente_region WHERE layer = 'regions'",
    )
    return {r["code"]: r for r in found}


def test_every_gemeente_gets_its_three_regions(conn: psycopg.Connection[Any]) -> None:
    result = run(conn, "regions", *FILES)
    assert (result.n_read, result.n_loaded, result.n_quarantined) == (390, 390, 0)
    regions = _regions(conn)
    doesburg = regions["GM0221"]
    assert doesburg["name"] == "Doesburg"
    assert (doesburg["centrumgemeente"], doesburg["centrumgemeente_code"]) == ("Arnhem", "GM0202")
    assert doesburg["ggd_region"] == "Hulpverlening Gelderland-Midden"
    assert doesburg["wmo_region"] == "Regio Arnhem"
    assert doesburg["props"] == {
        "division": "2017-2019",
        "inwoners_centrumgemeente_regio": 416502,
        "inwoners_ggd_regio": 670924,
        "inwoners_wmo_regio": 416502,
    }
    assert regions["GM0203"]["centrumgemeente"] == "Ede"  # Barneveld -> Ede
    # the file writes two centrumgemeenten by their short names
    assert regions["GM0518"]["centrumgemeente_code"] == "GM0518"  # Den Haag
    assert regions["GM0796"]["centrumgemeente_code"] == "GM0796"  # Den Bosch
    assert all(r["centrumgemeente_code"] for r in regions.values())
    centres = {r["centrumgemeente_code"] for r in regions.values()}
    assert len(centres) == 43  # the 43 regions in which shelter is organised
    assert len({r["ggd_region"] for r in regions.values()}) == 25
    # a table: no coverage polygon, and the run log counts its rows
    cover = fetch(conn, "SELECT national, geom FROM layer_coverage WHERE layer = 'regions'")
    assert cover == [{"national": True, "geom": None}]
    before = _snapshot(conn)
    assert run(conn, "regions", *FILES).status == "unchanged"
    assert run(conn, "regions", *FILES, force=True).status == "ok"
    assert _snapshot(conn) == before


def test_one_kind_of_region_alone_and_broken_rows(
    conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    lines = CENTRUM.read_text(encoding="utf-8-sig").splitlines()
    no_code = lines[1].replace('"1680"', '""')  # Aa en Hunze without its CBS code
    bad = tmp_path / "centrumgemeenten.csv"
    bad.write_text("\n".join([lines[0], no_code, *lines[2:]]), encoding="utf-8")
    result = run(conn, "regions", bad, force=True)
    assert result.reasons == {"missing required field 'source_ref'": 1}
    regions = _regions(conn)
    assert len(regions) == 389 and regions["GM0221"]["ggd_region"] is None
    before = _snapshot(conn)
    with pytest.raises(SourceFileError, match=r"stations_2020-01_nl\.csv is not a Regioatlas"):
        run(conn, "regions", DEMO / "pt" / "rdt_stations_2020-01_nl.csv")
    assert _snapshot(conn) == before
    run(conn, "regions", *FILES, force=True)


def test_a_table_layer_is_not_cut_to_an_area(settings: Settings) -> None:
    load_layers(settings, ["gemeenten"], progress=False)
    with pytest.raises(InvalidParameterError, match="cannot be limited to an area"):
        load_layers(settings, ["regions"], area=AreaSpec("gemeente", "GM0221"), progress=False)


def test_the_api_joins_the_regions_to_the_gemeenten(settings: Settings) -> None:
    load_layers(settings, ["gemeenten", "regions"], progress=False)
    with db.connection(settings) as conn:
        conn.execute("DELETE FROM site")
        conn.execute(
            "INSERT INTO site (id, layer, name, source, source_ref, geom, kind, gemeentecode)"
            " VALUES ('offices:d', 'offices', 'Kantoor', 't', 'd',"
            " 'SRID=28992;POINT(206335 447529)', 'kantoor', 'GM0221'),"
            " ('offices:n', 'offices', 'Nieuw', 't', 'n',"
            " 'SRID=28992;POINT(134000 424000)', 'kantoor', 'GM1959')"
        )
    with TestClient(create_app(settings)) as client:
        answer = client.get("/api/gemeenten")
        assert answer.status_code == 200
        by_code = {g["code"]: g for g in answer.json()["gemeenten"]}
        assert by_code["GM0221"]["regions"] == {
            "centrumgemeente": {"code": "GM0202", "name": "Arnhem"},
            "ggd": "Hulpverlening Gelderland-Midden",
            "wmo": "Regio Arnhem",
        }
        # Altena (2019) is younger than the 2017-2019 division: no row, said as null
        assert by_code["GM1959"]["regions"] is None
        layers = {layer["name"]: layer for layer in client.get("/api/layers").json()["layers"]}
        assert layers["regions"]["kind"] == "table" and layers["regions"]["loaded"]["count"] == 390
        refused = client.get("/api/layers/regions")
        assert refused.status_code == 404
        assert "table without geometry" in refused.json()["detail"]


# ---------------------------------------------------------------------------------------------
# migration 0007 on a database with data in it


@pytest.fixture
def at_0006(settings: Settings, drops: Drops) -> Iterator[Settings]:
    name = settings.database_url.rsplit("/", 1)[1].partition("?")[0] + "_0006"
    old = settings.model_copy(
        update={"database_url": settings.database_url.rsplit("/", 1)[0] + "/" + name}
    )
    db.ensure_database(old)
    try:
        command.upgrade(_alembic(old), "0006")
        yield old
    finally:
        drops.drop(old)  # in the background (conftest.Drops)


def test_a_database_with_data_at_0006_upgrades_and_loads_regions(at_0006: Settings) -> None:
    # the data is loaded by today's pipelines (which need today's schema), then the database is
    # taken down to 0006 with that data in it: the starting point of the upgrade
    command.upgrade(_alembic(at_0006), "head")
    load_layers(at_0006, ["gemeenten", "stations"], progress=False)
    command.downgrade(_alembic(at_0006), "0006")
    with db.connection(at_0006) as conn:
        assert fetch(conn, "SELECT count(*) AS n FROM poi WHERE layer = 'stations'")[0]["n"] == 400
    command.upgrade(_alembic(at_0006), "head")
    with db.connection(at_0006) as conn:
        assert fetch(conn, "SELECT count(*) AS n FROM poi WHERE layer = 'stations'")[0]["n"] == 400
        assert fetch(conn, "SELECT count(*) AS n FROM gemeente_region")[0]["n"] == 0
    load_layers(at_0006, ["regions"], progress=False)
    with db.connection(at_0006) as conn:
        assert len(_regions(conn)) == 390
    command.downgrade(_alembic(at_0006), "0006")
    with db.connection(at_0006) as conn:
        tables = fetch(conn, "SELECT to_regclass('gemeente_region') IS NULL AS gone")
        assert tables[0]["gone"] is True
        assert fetch(conn, "SELECT count(*) AS n FROM poi WHERE layer = 'stations'")[0]["n"] == 400
