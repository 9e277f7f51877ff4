"""Primary schools (DUO, addresses only) placed on their address: the offline geocoder on the
bundled BAG addresses, the PDOK Locatieserver online (a fake on 127.0.0.1 speaking its
documented format), the quarantine of what cannot be placed and the honest coverage (only the
gemeenten whose every school was placed). Real PostGIS; points in EPSG:28992 (metres).

The real DUO list is read as DUO publishes it; no school of the demo region stands at one of
the few bundled BAG addresses, so for placed schools the tests use
``tests/data/schools/duo_format_test_schools_at_bag_addresses.csv``: DUO's columns with test
rows (named "Testschool ...") at real addresses of the bundled BAG files.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest
from fakeservices import (
    LOCATIESERVER_FREE,
    FakeServices,
    fake_fixture,  # noqa: F401 - the fixture 'fake'
    fake_services_fixture,  # noqa: F401 - the fixture 'fake_services'
    mirrors,
)
from test_formats_layers import fetch, rows, run

from etl import get_pipeline
from etl.duo_schools import NO_ADDRESS, NOT_BY_PDOK, NOT_IN_BAG, DuoSchools
from etl.geocoding import BagAddresses, asked_addresses, locatieserver, split_number
from sitefinder.core.errors import DownloadError
from sitefinder.core.settings import PROJECT_ROOT, Settings
from sitefinder.pipeline import load_layers

DEMO = PROJECT_ROOT / "data" / "demo"
DUO = DEMO / "schools" / "duo_02_alle_schoolvestigingen_basisonderwijs_demo_gemeenten.csv"
TEST_LIST = (
    PROJECT_ROOT / "tests" / "data" / "schools" / "duo_format_test_schools_at_bag_addresses.csv"
)
BAGADRESPLUS = DEMO / "bag" / "amsterdam_bagadresplus_nlextract.csv"
DOESBURG_GPKG = DEMO / "bag" / "doesburg_0221_vbo_bag_light_2020-09-15.gpkg"
# RD x/y of the addresses in the bundled files (bagadresplus x/y; the GeoPackage point)
AT_149A = (122418.0, 487826.0)  # De Ruijterkade 149A, 1011AC
AT_105_1 = (122177.0, 487877.0)  # De Ruijterkade 105-1, 1011AB
AT_112 = (122219.0, 487875.0)  # De Ruijterkade 112, 1011AB
AT_DOESBURG_4 = (206335.699, 447529.842)  # 6981CH 4


def _addresses(*rows: tuple[str, str]) -> pd.DataFrame:
    pc = pd.Series([r[0] for r in rows], dtype="string")
    number, rest = split_number(pd.Series([r[1] for r in rows], dtype="string"))
    return asked_addresses(pc, number, rest)


@pytest.fixture
def online(settings: Settings, tmp_path: Path, fake: FakeServices) -> Settings:
    """The PDOK geocoder, its service mirrored to the fake, downloads pinned to loopback."""
    return settings.model_copy(
        update={
            "geocoder": "pdok",
            "cache_dir": tmp_path / "cache",
            "http_backoff_s": 0.0,
            "online_mirrors": mirrors(fake.url),
            "http_allowed_hosts": ["127.0.0.1"],
        }
    )


# --------------------------------------------------------------------------------------------
# the geocoders


def test_duo_house_numbers_split_into_number_and_suffix() -> None:
    number, rest = split_number(pd.Series(["13", "3-A", "54-56", "1-C", "12 bis", "7a", ""]))
    assert number.tolist()[:6] == [13, 3, 54, 1, 12, 7] and pd.isna(number.iloc[6])
    assert rest.tolist() == ["", "A", "56", "C", "BIS", "A", ""]


def test_offline_geocoder_on_the_bundled_bag_addresses() -> None:
    bag = BagAddresses([BAGADRESPLUS, DOESBURG_GPKG])
    placed = bag.place(
        _addresses(
            ("1011 AC", "149-A"),  # huisletter A: exact
            ("1011AB", "105-1"),  # toevoeging 1: exact
            ("1011AB", "112-B"),  # 112 has no B: the number without suffix
            ("6981 CH", "4"),  # the Doesburg GeoPackage
            ("1011AB", "999"),  # no such number
            ("", "1"),
        )
    )
    assert placed.found.tolist() == [True, True, True, True, False, False]
    expected = [AT_149A, AT_105_1, AT_112, AT_DOESBURG_4]
    assert placed.x[:4].tolist() == pytest.approx([x for x, _ in expected])
    assert placed.y[:4].tolist() == pytest.approx([y for _, y in expected])
    assert placed.match.tolist() == ["exact", "exact", "number", "exact", None, None]
    assert placed.by[0] == "BAG addresses: amsterdam_bagadresplus_nlextract.csv"
    assert placed.by[3] == "BAG addresses: doesburg_0221_vbo_bag_light_2020-09-15.gpkg"


def test_locatieserver_geocoder_reads_the_documented_answer(
    online: Settings, fake: FakeServices
) -> None:
    asked = _addresses(("1011 AC", "149-A"), ("1011AB", "112-B"), ("6981CH", "4"), ("1011AB", "9"))
    placed = locatieserver(asked, online, progress=False)
    assert placed.found.tolist() == [True, True, True, False]
    expected = [AT_149A, AT_112, AT_DOESBURG_4]
    assert placed.x[:3].tolist() == pytest.approx([x for x, _ in expected], abs=0.001)
    assert placed.y[:3].tolist() == pytest.approx([y for _, y in expected], abs=0.001)
    assert placed.match.tolist()[:3] == ["exact", "number", "exact"]
    assert set(placed.by[:3]) == {"PDOK Locatieserver"}
    asked_for = [r.query for r in fake.requests(LOCATIESERVER_FREE)]
    assert [q["q"] for q in asked_for] == ["1011AC 149", "1011AB 112", "6981CH 4", "1011AB 9"]
    assert {q["fq"] for q in asked_for} == {"type:adres"}
    assert "centroide_rd" in asked_for[0]["fl"].split()
    # a second time on the same day: from the cache, no request
    again = locatieserver(asked, online, progress=False)
    assert again.found.tolist() == placed.found.tolist()
    assert len(fake.requests(LOCATIESERVER_FREE)) == 4


def test_a_locatieserver_answer_without_docs_is_an_error(
    online: Settings, fake: FakeServices
) -> None:
    broken = online.model_copy(update={"online_mirrors": {"https://api.pdok.nl": fake.url + "/x"}})
    with pytest.raises(DownloadError, match="HTTP 404"):
        locatieserver(_addresses(("1011AB", "105")), broken, progress=False)


# --------------------------------------------------------------------------------------------
# the layer


def test_the_real_duo_list_offline_quarantines_every_school_with_the_reason(
    conn: psycopg.Connection[Any], settings: Settings
) -> None:
    load_layers(settings, ["gemeenten"], progress=False)
    pipeline = get_pipeline("schools", settings)
    result = run(conn, "schools", *pipeline.default_paths(DEMO), pipeline=pipeline)
    assert (result.n_read, result.n_loaded) == (279, 0)
    assert result.reasons == {NOT_IN_BAG: 279}
    assert "placed 0 of 279 schools" in result.message
    assert "complete gemeenten (the layer's coverage): 0 of 4" in result.message
    record = fetch(
        conn, "SELECT record FROM quarantine WHERE layer = 'schools' AND source_ref = '32LE00'"
    )
    assert record[0]["record"]["name"] == "Rehobothschool"  # De Zicht 3, Ederveen
    assert record[0]["record"]["props"]["gemeentecode"] == "GM0228"
    cover = fetch(conn, "SELECT national, geom FROM layer_coverage WHERE layer = 'schools'")
    assert cover == [{"national": False, "geom": None}]  # no gemeente complete: no coverage


def test_placed_schools_and_coverage_by_complete_gemeenten(
    conn: psycopg.Connection[Any], settings: Settings
) -> None:
    load_layers(settings, ["gemeenten"], progress=False)
    result = run(conn, "schools", TEST_LIST, BAGADRESPLUS, DOESBURG_GPKG, force=True)
    assert (result.n_read, result.n_loaded, result.n_quarantined) == (6, 4, 2)
    assert result.reasons == {NOT_IN_BAG: 1, NO_ADDRESS: 1}
    found = rows(conn, "schools")
    assert set(found) == {"99TS00", "99TS01", "99TS02", "99TS03"}
    assert found["99TS00"]["wkt"] == "POINT(122418 487826)"
    assert found["99TS02"]["props"]["match"] == "number"
    assert found["99TS03"]["props"]["gemeentecode"] == "GM0221"
    assert found["99TS00"]["category"] == "primary_school"
    # covered: Amsterdam and Doesburg (every school placed), not Ede (one could not be)
    cover = fetch(
        conn,
        "SELECT ST_Area(c.geom) AS covered, (SELECT sum(ST_Area(geom)) FROM area"
        " WHERE layer = 'gemeenten' AND code IN ('GM0363', 'GM0221')) AS expected,"
        " ST_Intersects(c.geom, (SELECT ST_PointOnSurface(geom) FROM area"
        "  WHERE id = 'gemeenten:GM0228')) AS ede FROM layer_coverage c WHERE layer = 'schools'",
    )[0]
    assert cover["covered"] == pytest.approx(cover["expected"], rel=1e-6)
    assert cover["ede"] is False
    assert "placed 4 of 6 schools" in result.message
    assert "complete gemeenten (the layer's coverage): 2 of 3 (GM0221, GM0363)" in result.message


def test_online_the_locatieserver_places_what_the_bag_files_do_not(
    conn: psycopg.Connection[Any], online: Settings, fake: FakeServices, tmp_path: Path
) -> None:
    load_layers(online, ["gemeenten"], progress=False)
    pipeline = DuoSchools(online)
    # the Amsterdam bagadresplus file offline first: Doesburg then comes from PDOK
    result = run(conn, "schools", TEST_LIST, BAGADRESPLUS, pipeline=pipeline, force=True)
    assert (result.n_loaded, result.reasons) == (4, {NOT_BY_PDOK: 1, NO_ADDRESS: 1})
    found = rows(conn, "schools")
    assert found["99TS03"]["props"]["geocoder"] == "PDOK Locatieserver"
    assert found["99TS00"]["props"]["geocoder"].startswith("BAG addresses")
    assert found["99TS03"]["wkt"] == "POINT(206335.699 447529.842)"
    # only what the BAG file could not place was asked: Doesburg 4 and Ede's Molenstraat 1
    assert [urllib.parse.unquote(r.query["q"]) for r in fake.requests(LOCATIESERVER_FREE)] == [
        "6981CH 4",
        "6711AW 1",
    ]
    # the real list of Doesburg's schools: the fake service knows none of their addresses
    lines = DUO.read_bytes().split(b"\r\n")
    doesburg = tmp_path / "duo_doesburg.csv"
    doesburg.write_bytes(b"\r\n".join([lines[0], *[x for x in lines if b";0221;" in x], b""]))
    real = run(conn, "schools", doesburg, pipeline=pipeline, force=True)
    assert (real.n_read, real.reasons) == (3, {NOT_BY_PDOK: 3})
    assert "then PDOK Locatieserver" in real.message
