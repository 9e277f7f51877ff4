"""The site and building pipelines on the real demo data, into a real PostGIS.

Layers: bag_panden, bgt_panden (buildings), offices, holidayparks, plots (which reads the
buildings from the database, so it runs after them). Counts were measured on the bundled files
and are asserted exactly.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from etl import get_pipeline, run_order
from etl.bag_panden import BagPanden
from etl.bgt_panden import BgtPanden
from etl.declarations import RunResult
from etl.holidayparks import HolidayParks
from etl.loading import no_progress, run_pipeline
from etl.validation import validate
from sitefinder.core import db
from sitefinder.core.errors import SourceFileError
from sitefinder.core.settings import Settings

LAYERS = ("bag_panden", "bgt_panden", "offices", "holidayparks", "plots")
NOT_COVERED = "no building data covers this parcel: cannot tell whether it is built on"
NO_TAGS = "OSM record without a tourism tag (it has no tags at all): not known as a campsite"
ZUIDAS = {
    "11720427170000",
    "11720000270000",
    "11720000970000",
    "11720001070000",
    "11720002170000",
    "11720002070000",
    "11720013970000",
    "11720014070000",
}


def run(
    conn: psycopg.Connection[Any],
    settings: Settings,
    name: str,
    paths: list[Path] | None = None,
    *,
    force: bool = False,
) -> RunResult:
    pipeline = get_pipeline(name)
    # these tests load files of every size into one database, one after the other: the loss
    # guard (tested in test_load_guard.py) would refuse the small ones
    return run_pipeline(
        conn,
        pipeline,
        paths or pipeline.default_paths(settings.data_dir),
        force=force,
        progress=no_progress,
        accept_loss=True,
    )


def table_of(name: str) -> str:
    return "area" if name in ("bag_panden", "bgt_panden") else "site"


def fingerprint(conn: psycopg.Connection[Any], name: str) -> tuple[int, str]:
    table = table_of(name)
    row = conn.execute(
        f"SELECT count(*) AS n, md5(string_agg(id || ST_AsEWKT(geom) || props::text, '|'"
        f" ORDER BY id)) AS md5 FROM {table} WHERE layer = %s",
        (name,),
    ).fetchone()
    assert row is not None
    return row["n"], row["md5"]


def quarantine(conn: psycopg.Connection[Any], name: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT source_ref, reason FROM quarantine WHERE layer = %s", (name,)
    ).fetchall()
    return {r["source_ref"]: r["reason"] for r in rows}


@pytest.fixture(scope="module")
def loaded(settings: Settings) -> Iterator[dict[str, RunResult]]:
    """Every layer loaded once from the demo data, in dependency order."""
    order = run_order(list(LAYERS))
    assert order.index("plots") > max(order.index("bag_panden"), order.index("bgt_panden"))
    with db.connection(settings) as conn:
        yield {name: run(conn, settings, name) for name in order}


def test_counts_and_reasons(loaded: dict[str, RunResult]) -> None:
    summary = {
        name: (r.status, r.n_read, r.n_loaded, r.n_quarantined, r.reasons)
        for name, r in loaded.items()
    }
    assert summary == {
        "bag_panden": ("ok", 79, 79, 0, {}),
        "bgt_panden": ("ok", 1681, 1681, 0, {}),
        # The demo leegstandsregister (a default input since the vacancy pipeline) has 2 rows
        # that match no office unit (a dwelling; an address the BAG sample lacks): read as
        # records of their own and quarantined, so 16 offices + 2 register rows are read.
        "offices": ("ok", 18, 16, 2, {"vacancy record matches no BAG office unit": 2}),
        "holidayparks": ("ok", 3209, 3204, 5, {NO_TAGS: 4, "duplicate id": 1}),
        # 19 parcels: 3 unbuilt, 8 not judgeable, 8 built (dropped, not quarantined).
        "plots": ("ok", 19, 3, 8, {NOT_COVERED: 8}),
    }


def test_everything_in_rd(loaded: dict[str, RunResult], conn: psycopg.Connection[Any]) -> None:
    for name in LAYERS:
        srids = conn.execute(
            f"SELECT DISTINCT ST_SRID(geom) AS srid FROM {table_of(name)} WHERE layer = %s",
            (name,),
        ).fetchall()
        assert [r["srid"] for r in srids] == [28992], name
    kinds = conn.execute(
        "SELECT layer, array_agg(DISTINCT kind) AS kinds FROM site GROUP BY layer"
    ).fetchall()
    assert {r["layer"]: r["kinds"] for r in kinds} == {
        "offices": ["kantoor"],
        "holidayparks": ["vakantiepark"],
        "plots": ["kavel"],
    }


def test_bag_panden(loaded: dict[str, RunResult], conn: psycopg.Connection[Any]) -> None:
    row = conn.execute(
        "SELECT code, props, GeometryType(geom) AS type FROM area"
        " WHERE layer = 'bag_panden' AND source_ref = '03630013112567'"
    ).fetchone()
    assert row is not None  # the 14-digit Amsterdam id, leading zero kept
    assert row["code"] == "0363100013112567"  # the national 16-digit BAG id
    assert row["props"] == {
        "bag_id": "0363100013112567",
        "bouwjaar": 1987,
        "status": "Pand in gebruik",
    }
    assert row["type"] == "MULTIPOLYGON"
    coverage = conn.execute(
        "SELECT national, ST_NumGeometries(geom) AS parts FROM layer_coverage"
        " WHERE layer = 'bag_panden'"
    ).fetchone()
    assert coverage == {"national": False, "parts": 68}  # the footprints' union, not a hull


def test_bag_panden_statuses(settings: Settings, tmp_path: Path) -> None:
    """Demolished/planned panden are left out; an unknown status is quarantined, not guessed."""
    source = settings.data_dir / "bag/amsterdam_pand_sample_2015_rd.geojson"
    data = json.loads(source.read_text())
    features = data["features"][:6]
    statuses = [
        "Pand gesloopt",
        "Bouwvergunning verleend",
        "Verbouwing pand",
        "Bouw gestart",
        "Iets anders",
        None,
    ]
    for feature, status in zip(features, statuses, strict=True):
        feature["properties"]["status"] = status
    features[0]["properties"]["bouwjaar"] = "1005"
    features[2]["properties"]["bouwjaar"] = "1005"
    data["features"] = features
    path = tmp_path / "panden.geojson"
    path.write_text(json.dumps(data))
    pipeline = get_pipeline("bag_panden")
    assert isinstance(pipeline, BagPanden)
    frame = pipeline.read([path])
    assert pipeline.filtered == {"Pand gesloopt": 1, "Bouwvergunning verleend": 1}
    assert len(frame) == 4
    assert frame["props"].iloc[0]["bouwjaar"] is None  # 1005 = unknown in the BAG
    with db.connection(settings) as conn:
        result = run(conn, settings, "bag_panden", [path])
        assert (result.n_loaded, result.n_quarantined) == (2, 2)
        assert sorted(result.reasons.items()) == [
            ("missing required field 'status'", 1),
            ("unknown BAG pand status: Iets anders", 1),
        ]
        restored = run(conn, settings, "bag_panden", force=True)  # the real data again
        assert (restored.n_loaded, restored.n_quarantined) == (79, 0)


def test_bgt_panden(
    loaded: dict[str, RunResult], settings: Settings, conn: psycopg.Connection[Any]
) -> None:
    pipeline = get_pipeline("bgt_panden")
    assert isinstance(pipeline, BgtPanden)
    pipeline.read(pipeline.default_paths(settings.data_dir))
    # 2,273 pand records: 562 historic versions and 30 planned ones are not buildings now.
    assert pipeline.filtered == {"historic": 562, "not bestaand": 30}
    row = conn.execute(
        "SELECT code, ST_GeometryType(geom) AS type, round(ST_Area(geom)::numeric, 2)::float AS m2"
        " FROM area WHERE layer = 'bgt_panden'"
        " AND source_ref = 'G0228.fe246f2e4755d6d6e0400a0a35020533'"
    ).fetchone()
    # The footprint polygon, not the house-number label point GDAL would pick.
    assert row == {"code": "0228100000031255", "type": "ST_MultiPolygon", "m2": 12.76}
    gone = conn.execute(
        "SELECT count(*) AS n FROM area WHERE layer = 'bgt_panden' AND source_ref = ANY(%s)",
        (["G0228.338a864f18f2460fa5a3f85669c1e8e1", "G0228.42b9abe285d242cdaedfb1bcab9cb7d1"],),
    ).fetchone()
    assert gone == {"n": 0}  # a historic-only object and a planned one
    holes = conn.execute(
        "SELECT count(*) AS n FROM area WHERE layer = 'bgt_panden' AND ST_NRings(geom) >"
        " ST_NumGeometries(geom)"
    ).fetchone()
    assert holes == {"n": 1}  # interior rings are kept


def test_bgt_broken_zips(
    loaded: dict[str, RunResult],
    settings: Settings,
    conn: psycopg.Connection[Any],
    tmp_path: Path,
) -> None:
    before = fingerprint(conn, "bgt_panden")
    data = get_pipeline("bgt_panden").default_paths(settings.data_dir)[0].read_bytes()
    truncated = tmp_path / "bgt_truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceFileError) as error:
        run(conn, settings, "bgt_panden", [truncated])
    assert "\n" not in str(error.value)
    assert "truncated" in str(error.value)
    no_member = tmp_path / "bgt_other.zip"
    with zipfile.ZipFile(no_member, "w") as archive:
        archive.writestr("bgt_wegdeel.gml", "<CityModel/>")
    with pytest.raises(SourceFileError, match=r"holds no bgt_pand\.gml"):
        run(conn, settings, "bgt_panden", [no_member])
    broken_xml = tmp_path / "bgt_broken.zip"
    with zipfile.ZipFile(broken_xml, "w") as archive:
        archive.writestr("bgt_pand.gml", "<CityModel><cityObjectMember><BuildingPart>")
    with pytest.raises(SourceFileError, match="is not valid XML"):
        run(conn, settings, "bgt_panden", [broken_xml])
    assert fingerprint(conn, "bgt_panden") == before
    assert conn.execute("SELECT count(*) AS n FROM area WHERE layer = 'bgt_panden'").fetchone() == {
        "n": 1681
    }


def test_offices(loaded: dict[str, RunResult], conn: psycopg.Connection[Any]) -> None:
    rows = conn.execute(
        "SELECT source_ref, name, floor_area_m2, gemeentecode, props, sources FROM site"
        " WHERE layer = 'offices' AND source_ref IN ('0363010000618805', '0363010000714257')"
        " ORDER BY source_ref"
    ).fetchall()
    bagadres, vbo = rows
    assert bagadres["name"] == "De Ruijterkade 112"
    assert bagadres["floor_area_m2"] == 2416.0
    assert bagadres["gemeentecode"] == "GM0363"
    assert bagadres["props"]["leegstand"] == "onbekend"
    assert bagadres["props"]["places"] == 96  # floor(2416 / 25)
    assert bagadres["props"]["bouwjaar"] == 1916
    assert [s["source"] for s in bagadres["sources"]] == ["nlextract_bagadresplus"]
    assert vbo["name"] == "Kantoor 0363010000714257"
    assert vbo["floor_area_m2"] == 36.0
    assert vbo["props"]["gebruiksdoelen"] == ["kantoorfunctie"]
    mixed = conn.execute(
        "SELECT props->'gebruiksdoelen' AS uses FROM site WHERE layer = 'offices'"
        " AND source_ref = '0363010000712888'"
    ).fetchone()
    assert mixed == {"uses": ["kantoorfunctie", "woonfunctie"]}
    # Units with other uses only (here a dwelling) are not offices.
    assert conn.execute(
        "SELECT count(*) AS n FROM site WHERE layer = 'offices'"
        " AND source_ref IN ('0363010000648915', '0363010000784610')"
    ).fetchone() == {"n": 0}


def test_offices_unit_in_both_files_is_one_site(settings: Settings, tmp_path: Path) -> None:
    csv = (settings.data_dir / "bag/amsterdam_bagadresplus_nlextract.csv").read_text()
    header, first = csv.splitlines()[:2]
    columns = header.split(";")
    values = first.split(";")
    values[columns.index("adresseerbaarobject_id")] = "0363010000714257"  # a VBO-file office
    values[columns.index("opp_adresseerbaarobject_m2")] = "40"
    path = tmp_path / "adres.csv"
    path.write_text(header + "\n" + ";".join(values) + "\n")
    vbo = settings.data_dir / "bag/amsterdam_vbo_sample_2015_rd.geojson"
    frame = get_pipeline("offices").read([vbo, path])
    assert len(frame) == 4
    site = frame.set_index("source_ref").loc["0363010000714257"]
    assert [s["source"] for s in site["sources"]] == [
        "nlextract_bagadresplus",
        "bag_vbo_amsterdam_2015",
    ]
    assert site["name"] == "De Ruijterkade 105-1"
    assert site["floor_area_m2"] == 40.0  # the bagadresplus value wins


def test_offices_bad_rows_are_quarantined(settings: Settings, tmp_path: Path) -> None:
    """Unreadable values stay missing, so the framework quarantines them with a reason."""
    csv = (settings.data_dir / "bag/amsterdam_bagadresplus_nlextract.csv").read_text()
    lines = csv.splitlines()
    columns = lines[0].split(";")
    offices = [
        line for line in lines[1:] if line.split(";")[columns.index("kantoorfunctie")] == "1"
    ]
    rows = [line.split(";") for line in offices[:3]]
    rows[0][columns.index("opp_adresseerbaarobject_m2")] = "onbekend"
    rows[1][columns.index("adresseerbaarobject_id")] = ""
    rows[2][columns.index("x")] = ""
    path = tmp_path / "adres.csv"
    path.write_text("\n".join([lines[0], *(";".join(r) for r in rows)]) + "\n")
    pipeline = get_pipeline("offices")
    checked = validate(pipeline.read([path]), pipeline)
    assert checked.good.empty
    assert sorted(checked.quarantine["reason"]) == [
        "missing required field 'floor_area_m2'",
        "missing required field 'source_ref'",
        "no geometry",
    ]


def test_holidayparks(
    loaded: dict[str, RunResult], settings: Settings, conn: psycopg.Connection[Any]
) -> None:
    pipeline = get_pipeline("holidayparks")
    assert isinstance(pipeline, HolidayParks)
    pipeline.read(pipeline.default_paths(settings.data_dir))
    # 236 list rows: 101 not geocoded 'ok', 2 on a caravan_site, 133 used.
    assert pipeline.skipped == {"geocode not ok": 101, "caravan_site": 2}
    assert pipeline.matches == {"osm id": 24, "nearest": 49, "list only": 60}

    by_kind = conn.execute(
        "SELECT source, count(*) AS n, sum(jsonb_array_length(sources)) AS records"
        " FROM site WHERE layer = 'holidayparks' GROUP BY source ORDER BY source"
    ).fetchall()
    # 3,149 campsites - 4 untagged; 60 list-only parks - 1 repeated park number.
    assert [(r["source"], r["n"], r["records"]) for r in by_kind] == [
        ("osm", 3145, 3145 + 73),
        ("parklist", 59, 59),
    ]
    merged = conn.execute(
        "SELECT count(*) AS n FROM site WHERE layer = 'holidayparks'"
        " AND jsonb_array_length(sources) > 1"
    ).fetchone()
    assert merged == {"n": 70}

    # Matched on the OSM id named in the list's geocode_source.
    zomers = conn.execute(
        "SELECT name, props, sources FROM site WHERE id = 'holidayparks:osm:relation/9046801'"
    ).fetchone()
    assert zomers is not None
    assert zomers["name"] == "Camping ZomersBuiten"
    assert [(s["source"], s["source_ref"]) for s in zomers["sources"]] == [
        ("osm", "osm:relation/9046801"),
        ("parklist", "parklist:4"),
    ]
    assert zomers["sources"][1]["match"] == "osm id"
    assert zomers["props"]["list_name"] == "Camping Zomers Buiten"
    assert zomers["props"]["list_website"] == "https://campingzomersbuiten.nl/"
    # Matched by distance (no OSM id in the list).
    waterjuffer = conn.execute(
        "SELECT sources FROM site WHERE id = 'holidayparks:osm:node/812842304'"
    ).fetchone()
    assert waterjuffer is not None
    assert [s["source_ref"] for s in waterjuffer["sources"]] == [
        "osm:node/812842304",
        "parklist:97",
    ]
    assert waterjuffer["sources"][1]["match"] == "nearest within 250 m"
    # A list-only park.
    alone = conn.execute(
        "SELECT name, source, sources FROM site WHERE id = 'holidayparks:parklist:6'"
    ).fetchone()
    assert alone is not None
    assert (alone["name"], alone["source"]) == ("Parc Emslandermeer", "parklist")

    # Never loaded: caravan_site (motorhome pitches) and list rows whose geocode is not ok.
    absent = conn.execute(
        "SELECT count(*) AS n FROM site, jsonb_array_elements(sources) AS s"
        " WHERE layer = 'holidayparks' AND (props->>'tourism' IS DISTINCT FROM 'camp_site'"
        " AND source = 'osm' OR s->>'source_ref' IN ('parklist:58', 'parklist:110',"
        " 'parklist:196'))"
    ).fetchone()
    assert absent == {"n": 0}
    assert set(quarantine(conn, "holidayparks")) == {
        "osm:node/5021167786",
        "osm:way/74590714",
        "osm:way/451351358",
        "osm:way/513738398",
        "parklist:162",
    }


def test_plots_follow_the_building_data(
    loaded: dict[str, RunResult], conn: psycopg.Connection[Any]
) -> None:
    rows = conn.execute(
        "SELECT source_ref, name, area_m2, props FROM site WHERE layer = 'plots'"
        " ORDER BY source_ref"
    ).fetchall()
    assert [(r["source_ref"], r["name"], r["area_m2"]) for r in rows] == [
        ("84920231870000", "Otterlo B 2318", 6345.0),  # 1.5 m² of neighbours' walls only
        ("84920232070000", "Otterlo B 2320", 6.0),
        ("84920262570000", "Otterlo B 2625", 210.0),  # 9.0 m² (4.3 %): below both limits
    ]
    assert rows[0]["props"] == {
        "kadastrale_gemeente": "Otterlo",
        "sectie": "B",
        "perceelnummer": "2318",
        "akr_code": "OTL02",
        "places": 60,  # floor(6345 / 50) = 126, capped
    }
    # Otterlo B 2300 carries BGT panden over 162 m² of its 585 m²: built, simply not loaded.
    built = conn.execute(
        "SELECT ST_Area(ST_Intersection(p.geom, ST_Union(b.geom))) AS m2 FROM area b,"
        " (SELECT ST_GeomFromText(%s, 28992) AS geom) p"
        " WHERE b.layer = 'bgt_panden' AND ST_Intersects(b.geom, p.geom) GROUP BY p.geom",
        (_parcel_wkt("84920230070000"),),
    ).fetchone()
    assert built is not None and round(built["m2"]) == 162
    assert "84920230070000" not in quarantine(conn, "plots")
    # The Zuidas parcels lie outside both building layers' coverage: they cannot be judged.
    assert quarantine(conn, "plots") == dict.fromkeys(ZUIDAS, NOT_COVERED)


def _parcel_wkt(identificatie: str) -> str:
    path = Path(__file__).resolve().parent.parent / (
        "data/demo/cadastre/brk_dkk_v5_percelen_otterlo_rd.geojson"
    )
    for feature in json.loads(path.read_text())["features"]:
        if feature["properties"]["identificatie"] == identificatie:
            ring = feature["geometry"]["coordinates"][0]
            return "POLYGON((" + ", ".join(f"{x} {y}" for x, y in ring) + "))"
    raise KeyError(identificatie)


def test_rerun_is_unchanged_and_force_is_identical(
    loaded: dict[str, RunResult], settings: Settings, conn: psycopg.Connection[Any]
) -> None:
    for name in run_order(list(LAYERS)):
        before = fingerprint(conn, name)
        assert run(conn, settings, name).status == "unchanged", name
        forced = run(conn, settings, name, force=True)
        assert forced.status == "ok"
        assert forced.n_loaded == loaded[name].n_loaded, name
        assert forced.reasons == loaded[name].reasons, name
        assert fingerprint(conn, name) == before, name
