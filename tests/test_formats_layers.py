"""Every new input format, loaded from its sample into a real PostGIS through ``run_pipeline``.

GTFS (with and without ``stop_times.txt``), OSM PBF and Overpass JSON (care, supermarkets),
care registers (CSV), generic constraint layers (GeoPackage in EPSG:3035, GeoJSON), the PDOK
Natura 2000 WFS/OGC API shapes and the CBS Wijk- en Buurtkaart GeoPackage. Counts are exact
(measured once, then fixed here); departures per hour on the small GTFS feed are hand-counted.
Broken files fail with a one-line :class:`SourceFileError` and leave the layer unchanged, a
second run is 'unchanged' and a forced run leaves the table identical.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pyogrio
import pytest
import shapely
from pydantic import ValidationError
from tqdm import tqdm

from etl import get_pipeline
from etl.constraints import Constraints
from etl.declarations import Pipeline, RunResult
from etl.gtfs import read_gtfs
from etl.loading import run_pipeline
from etl.osm import read_overpass, read_pbf
from etl.osm_care import OsmCare
from etl.ov_stops import OvStops
from layers import catalogue
from sitefinder.core.errors import InvalidParameterError, SourceFileError
from sitefinder.core.settings import PROJECT_ROOT, Settings
from sitefinder.pipeline import load_layers

DEMO = PROJECT_ROOT / "data" / "demo"
GTFS_SMALL = DEMO / "pt" / "gtfs_gvb_test_feed_with_stop_times.zip"
GTFS_GVB = DEMO / "pt" / "gvb_gtfs_20170212_ovapi_no_stop_times.zip"
PBF = DEMO / "osm" / "tudelft_campus_osm_2025.osm.pbf"
OVERPASS_GEOM = DEMO / "osm" / "overpass_tudelft_care_schools_out_geom.json"
OVERPASS_SHOPS = DEMO / "osm" / "overpass_supermarkets_ede_amstelveen_ways_out_center.json"
REGISTER = DEMO / "care" / "zorgaanbieders_register_delft_test.csv"
HOSPITALS = DEMO / "care" / "ziekenhuizen_2016_rivm_geocoded.geojson"
CONSTRAINTS_JSON = DEMO / "constraints" / "constraints_TESTDATA_amsterdam_ede.geojson"
CONSTRAINTS_GPKG = DEMO / "constraints" / "constraints_TESTDATA_amsterdam_ede_laea.gpkg"
N2K_WFS = DEMO / "nature" / "natura2000_pdok_wfs_shape_sample_rd.geojson"
N2K_OGC = DEMO / "nature" / "natura2000_pdok_ogcapi_shape_sample.json"
WIJKENBUURTEN = DEMO / "boundaries" / "cbs_wijkenbuurten_2021_amsterdam_sample_rd.gpkg"
BUURTEN_KWB = DEMO / "boundaries" / "amsterdam_buurten_kwb.geojson"

TABLES = {name: layer.table for name, layer in catalogue().items()}


def _quiet(total: int, desc: str) -> Any:
    return tqdm(total=total, desc=desc, disable=True)


def run(
    conn: psycopg.Connection[Any],
    layer: str,
    *paths: Path,
    pipeline: Pipeline | None = None,
    force: bool = False,
) -> RunResult:
    # these tests load files of every size into one database, one after the other: the loss
    # guard (tested in test_load_guard.py) would refuse the small ones
    return run_pipeline(
        conn,
        pipeline or get_pipeline(layer),
        list(paths),
        progress=_quiet,
        force=force,
        accept_loss=True,
    )


def fetch(conn: psycopg.Connection[Any], query: str, *params: Any) -> list[dict[str, Any]]:
    with conn.transaction():
        return conn.execute(query, params).fetchall()


def rows(conn: psycopg.Connection[Any], layer: str) -> dict[str, dict[str, Any]]:
    table = TABLES[layer]
    found = fetch(
        conn,
        f"SELECT source_ref, name, category, props, ST_AsText(geom, 3) AS wkt FROM {table}"
        " WHERE layer = %s",
        layer,
    )
    return {r["source_ref"]: r for r in found}


def snapshot(conn: psycopg.Connection[Any], layer: str) -> tuple[Any, ...]:
    table = TABLES[layer]
    row = fetch(
        conn,
        f"SELECT count(*) AS n, md5(string_agg(id || ST_AsEWKT(geom) || props::text || "
        f" coalesce(category, ''), ',' ORDER BY id)) AS h FROM {table} WHERE layer = %s",
        layer,
    )[0]
    quarantined = fetch(conn, "SELECT count(*) AS n FROM quarantine WHERE layer = %s", layer)[0]
    return row["n"], row["h"], quarantined["n"]


def counts(result: RunResult) -> tuple[int, int, int, dict[str, int]]:
    return result.n_read, result.n_loaded, result.n_quarantined, result.reasons


def assert_idempotent(
    conn: psycopg.Connection[Any], layer: str, *paths: Path, pipeline: Pipeline | None = None
) -> None:
    before = snapshot(conn, layer)
    assert run(conn, layer, *paths, pipeline=pipeline).status == "unchanged"
    assert run(conn, layer, *paths, pipeline=pipeline, force=True).status == "ok"
    assert snapshot(conn, layer) == before


def assert_fails_cleanly(
    conn: psycopg.Connection[Any], layer: str, bad: Path, fragment: str = ""
) -> None:
    before = snapshot(conn, layer)
    with pytest.raises(SourceFileError) as caught:
        run(conn, layer, bad)
    message = str(caught.value)
    assert "\n" not in message and str(bad.name) in message
    assert fragment in message
    assert snapshot(conn, layer) == before


def truncated(tmp_path: Path, source: Path, name: str | None = None, keep: int = 3000) -> Path:
    bad = tmp_path / (name or source.name)
    bad.write_bytes(source.read_bytes()[:keep])
    return bad


# --------------------------------------------------------------------------------------------
# GTFS


def test_gtfs_departures_per_hour_hand_counted(conn: psycopg.Connection[Any]) -> None:
    """The small feed (real GVB stop/route ids, synthetic timetable) on its busiest Tuesday."""
    result = run(conn, "stops", GTFS_SMALL)
    assert counts(result) == (7, 6, 1, {"missing required field 'category'": 1})
    # GVB:00005 is in stops.txt but no trip ever stops there: it has no mode.
    assert fetch(conn, "SELECT source_ref FROM quarantine WHERE layer = 'stops'") == [
        {"source_ref": "GVB:00005"}
    ]
    found = rows(conn, "stops")
    expected = {
        # 07:00:00 and 18:59:59 count, 06:59:59 and 19:00:00 do not; 2 extra trips only on the
        # 14th; arrivals at a trip's last stop never count.
        "GVB:09903": ("ferry", 4 / 12),
        # 12:00 plus Monday's 31:00:00 trip, which is Tuesday 07:00.
        "GVB:09906": ("ferry", 2 / 12),
        "GVB:09033": ("bus", 2 / 12),
        # an interpolated 08:10 counts, a pickup_type=1 stop does not; tram (3) beats bus (40).
        "GVB:00444": ("tram", 1 / 12),
        "GVB:00441": ("bus", 0.0),  # only ever the last stop
        # 07:30 counts, 20:00 does not, and the 09:00 trip is cancelled on the 14th.
        "GVB:00001": ("tram", 1 / 12),
    }
    assert {
        ref: (r["category"], r["props"]["departures_per_hour"]) for ref, r in found.items()
    } == {ref: (mode, round(dph, 4)) for ref, (mode, dph) in expected.items()}
    centraal = found["GVB:09903"]
    assert centraal["name"] == "Amsterdam, Centraal Station"
    assert centraal["props"]["service_date"] == "2017-03-14"
    assert centraal["props"]["parent_name"] == "Amsterdam, Centraal Station"
    assert centraal["props"]["routes"] == ["901"]
    assert centraal["props"]["mode_source"] == "stop_times"
    assert "service" not in centraal["props"]
    # The scorer reads it as a number.
    dph = fetch(
        conn,
        "SELECT (props ->> 'departures_per_hour')::float8 AS d FROM poi"
        " WHERE id = 'stops:GVB:09903'",
    )[0]["d"]
    assert dph == pytest.approx(4 / 12, abs=1e-4)
    assert_idempotent(conn, "stops", GTFS_SMALL)


def test_gtfs_busiest_tuesday_and_a_chosen_date() -> None:
    feed = read_gtfs(GTFS_SMALL)
    assert feed.service_date == date(2017, 3, 14)
    other = read_gtfs(GTFS_SMALL, service_date=date(2017, 3, 7))
    dph = dict(zip(other.stops["stop_id"], other.stops["departures_per_hour"], strict=True))
    # On the 7th: no extra trips, the 09:00 tram runs, Monday 6th's night ferry counts.
    assert dph["GVB:09903"] == pytest.approx(2 / 12)
    assert dph["GVB:00001"] == pytest.approx(2 / 12)
    assert dph["GVB:09906"] == pytest.approx(2 / 12)
    assert np.isnan(dph["GVB:00005"])
    pipeline = OvStops(service_date=date(2017, 3, 7))
    frame = pipeline.read([GTFS_SMALL])
    assert {p["service_date"] for p in frame["props"]} == {"2017-03-07"}


def test_gtfs_service_date_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """SITEFINDER_GTFS_SERVICE_DATE reaches the stops pipeline through the settings object."""
    monkeypatch.setenv("SITEFINDER_GTFS_SERVICE_DATE", "2017-03-07")
    pipeline = get_pipeline("stops", Settings())
    assert isinstance(pipeline, OvStops) and pipeline.service_date == date(2017, 3, 7)
    frame = pipeline.read([GTFS_SMALL])
    assert {p["service_date"] for p in frame["props"]} == {"2017-03-07"}
    busiest = get_pipeline("stops", Settings(gtfs_service_date=None))
    assert busiest.fingerprint() != pipeline.fingerprint()  # another date reloads the layer
    monkeypatch.setenv("SITEFINDER_GTFS_SERVICE_DATE", "")
    assert Settings().gtfs_service_date is None  # empty: the busiest Tuesday
    monkeypatch.setenv("SITEFINDER_GTFS_SERVICE_DATE", "7 March")
    with pytest.raises(ValidationError, match="SITEFINDER_GTFS_SERVICE_DATE='7 March' is not"):
        Settings()


def test_gtfs_without_stop_times_says_so(conn: psycopg.Connection[Any]) -> None:
    """The real GVB 2017 feed: modes from the nearest route shape, departures unknown."""
    result = run(conn, "stops", GTFS_GVB)
    assert counts(result) == (1437, 1437, 0, {})
    assert "has no stop_times.txt" in result.message and "8 stops have none" in result.message
    recorded = fetch(
        conn, "SELECT message FROM etl_run WHERE layer = 'stops' ORDER BY id DESC LIMIT 1"
    )
    assert recorded[0]["message"] == result.message
    modes = fetch(conn, "SELECT category, count(*) AS n FROM poi WHERE layer = 'stops' GROUP BY 1")
    assert {m["category"]: m["n"] for m in modes} == {
        "bus": 954,
        "tram": 355,
        "metro": 113,
        "unknown": 8,
        "ferry": 7,
    }
    flags = fetch(
        conn,
        "SELECT props ->> 'service' AS service, props ->> 'mode_source' AS source,"
        " count(*) AS n, count(props -> 'departures_per_hour') AS dph FROM poi"
        " WHERE layer = 'stops' GROUP BY 1, 2",
    )
    assert flags == [
        {
            "service": "unknown (feed has no stop_times.txt)",
            "source": "nearest route shape within 30 m (approximate)",
            "n": 1437,
            "dph": 0,
        }
    ]
    ferry = rows(conn, "stops")["GVB:09903"]
    # The NDSM ferry pier behind Centraal Station: the shapes of ferries 905 and 906 pass it.
    assert ferry["category"] == "ferry" and ferry["props"]["routes_within_30m"] == ["905", "906"]
    assert_idempotent(conn, "stops", GTFS_GVB)


def test_gtfs_bad_files(tmp_path: Path, conn: psycopg.Connection[Any]) -> None:
    run(conn, "stops", GTFS_SMALL, force=True)
    assert_fails_cleanly(conn, "stops", truncated(tmp_path, GTFS_GVB), "cannot read")
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert_fails_cleanly(conn, "stops", garbage, "cannot read")
    no_stops = tmp_path / "not_gtfs.zip"
    shutil.make_archive(str(no_stops.with_suffix("")), "zip", root_dir=tmp_path, base_dir=".")
    assert_fails_cleanly(conn, "stops", no_stops, "stops.txt")


# --------------------------------------------------------------------------------------------
# OSM: PBF and Overpass JSON


SELECT_ALL = {
    "amenity": None,
    "healthcare": None,
    "shop": frozenset({"supermarket"}),
    "landuse": None,
}


def test_pbf_and_overpass_give_the_same_features() -> None:
    """The Overpass sample was written from the PBF's own records: nodes, ways, relations."""
    pbf = read_pbf(PBF, SELECT_ALL)
    overpass = read_overpass(OVERPASS_GEOM, SELECT_ALL)
    assert overpass.groupby("osm_type").size().to_dict() == {"node": 12, "relation": 2, "way": 7}
    both = overpass.merge(pbf, on=["osm_type", "osm_id"], suffixes=("_o", "_p"))
    assert len(both) == len(overpass) == 21
    assert (both["tags_o"] == both["tags_p"]).all()
    same = shapely.equals_exact(
        shapely.normalize(both["geometry_o"].to_numpy()),
        shapely.normalize(both["geometry_p"].to_numpy()),
        tolerance=1e-9,
    )
    assert same.all()
    assert set(both["geometry_o"].geom_type) == {"Point", "MultiPolygon"}
    holes = shapely.get_num_interior_rings(
        shapely.get_geometry(both.loc[both["osm_type"] == "relation", "geometry_o"], 0)
    )
    assert sorted(holes) == [1, 2]


def test_care_osm_from_pbf_and_overpass(conn: psycopg.Connection[Any]) -> None:
    pipeline = OsmCare()
    result = run(conn, "care_osm", PBF, pipeline=pipeline)
    assert counts(result) == (4, 4, 0, {})
    # Dentists and a physiotherapist are healthcare, but not care in this tool's sense.
    assert pipeline.skipped == {"healthcare=dentist": 3, "healthcare=physiotherapist": 1}
    from_pbf = rows(conn, "care_osm")
    assert {ref: (r["name"], r["category"]) for ref, r in from_pbf.items()} == {
        "node/4314171190": ("Samsom huisartspraktijk", "gp"),
        "node/8773611865": ("Huisartsenzorg Wanes", "gp"),
        "node/10152374404": ("S.J. de Haan", "gp"),
        "node/1569857706": ("GGD Zuid Holland West", "clinic"),
    }
    samsom = from_pbf["node/4314171190"]["props"]
    assert samsom == {
        "amenity": "doctors",
        "healthcare": "doctor",
        "addr_street": "Herculesweg",
        "addr_housenumber": "13",
        "addr_postcode": "2624VM",
        "addr_city": "Delft",
        "website": "https://www.samsomhuisarts.com/",
    }
    assert_idempotent(conn, "care_osm", PBF)
    # The same objects from Overpass JSON load identically.
    assert counts(run(conn, "care_osm", OVERPASS_GEOM)) == (4, 4, 0, {})
    assert rows(conn, "care_osm") == from_pbf
    coverage = fetch(conn, "SELECT national FROM layer_coverage WHERE layer = 'care_osm'")[0]
    assert coverage["national"] is False


def test_care_categories_from_tags() -> None:
    import pandas as pd

    from etl.osm_care import care_category

    tags = pd.DataFrame(
        [
            {"amenity": "doctors"},
            {"amenity": "doctors", "healthcare:speciality": "general"},
            {"amenity": "doctors", "healthcare:speciality": "dermatology"},
            {"healthcare": "doctor", "healthcare:speciality": "general;psychiatry"},
            {"healthcare": "psychotherapist"},
            {"amenity": "hospital", "healthcare": "hospital"},
            {"amenity": "pharmacy", "healthcare": "pharmacy"},
            {"amenity": "social_facility", "social_facility": "shelter"},
            {"amenity": "social_facility", "social_facility:for": "mental_health"},
            {"amenity": "health_centre", "healthcare": "centre"},
            {"healthcare": "dentist"},
        ]
    )
    assert care_category(tags).tolist() == [
        "gp",
        "gp",
        "clinic",
        "mental_health",
        "mental_health",
        "hospital",
        "pharmacy",
        "social_facility",
        "mental_health",
        "clinic",
        None,
    ]


def test_care_adds_osm_care_and_stays_national(conn: psycopg.Connection[Any]) -> None:
    run(conn, "care_osm", PBF, force=True)
    result = run(conn, "care", HOSPITALS, force=True)
    assert (result.n_read, result.n_loaded, result.n_quarantined) == (265, 269, 0)
    care = rows(conn, "care")
    assert care["node/4314171190"]["category"] == "gp"
    assert care["node/4314171190"]["props"]["from_layer"] == "care_osm"
    assert care["100101"]["category"] == "hospital"
    coverage = fetch(conn, "SELECT national FROM layer_coverage WHERE layer = 'care'")[0]
    assert coverage["national"] is True
    # care depends on care_osm: after care_osm changes, care is no longer 'unchanged'.
    assert run(conn, "care", HOSPITALS).status == "unchanged"
    run(conn, "care_osm", OVERPASS_GEOM, force=True)
    assert run(conn, "care", HOSPITALS).status == "ok"
    assert_idempotent(conn, "care", HOSPITALS)
    # OSM files belong in care_osm, not care.
    before = snapshot(conn, "care")
    with pytest.raises(SourceFileError, match="care_osm"):
        run(conn, "care", PBF)
    assert snapshot(conn, "care") == before


def test_care_register_csv(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction():
        conn.execute("DELETE FROM poi WHERE layer = 'care_osm'")
    result = run(conn, "care", REGISTER)
    assert counts(result) == (5, 3, 2, {"no coordinates: geocoding is out of scope": 2})
    care = rows(conn, "care")
    assert {ref: (r["name"], r["category"]) for ref, r in care.items()} == {
        "register:osm-node-4314171190": ("Samsom huisartspraktijk", "gp"),
        "register:osm-node-8773611865": ("Huisartsenzorg Wanes", "gp"),
        "register:osm-node-1569857706": ("GGD Zuid Holland West", "clinic"),
    }
    # lat/lon and RD x/y give the same place as the OSM node they were taken from (< 1 cm).
    osm = read_pbf(PBF, {"amenity": frozenset({"doctors"})}).set_index("osm_id").to_crs(28992)
    for ref, node in (
        ("register:osm-node-4314171190", 4314171190),
        ("register:osm-node-8773611865", 8773611865),
    ):
        assert shapely.from_wkt(care[ref]["wkt"]).distance(osm.geometry[node]) < 0.01
    quarantined = fetch(
        conn,
        "SELECT source_ref, reason FROM quarantine WHERE layer = 'care' ORDER BY source_ref",
    )
    assert quarantined == [
        {
            "source_ref": "register:osm-node-10152374404",
            "reason": "no coordinates: geocoding is out of scope",
        },
        {
            "source_ref": "register:rivm-102408",
            "reason": "no coordinates: geocoding is out of scope",
        },
    ]
    assert_idempotent(conn, "care", REGISTER)


def test_care_osm_bad_files(tmp_path: Path, conn: psycopg.Connection[Any]) -> None:
    run(conn, "care_osm", PBF, force=True)
    assert_fails_cleanly(conn, "care_osm", truncated(tmp_path, PBF, keep=20_000), "cannot read")
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"\x00\x00\x00\x0dnot an OSM PBF file at all" * 10)
    assert_fails_cleanly(conn, "care_osm", garbage, "cannot read")
    assert_fails_cleanly(
        conn, "care_osm", truncated(tmp_path, OVERPASS_GEOM, keep=5000), "not valid JSON"
    )
    not_overpass = tmp_path / "other.json"
    not_overpass.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    assert_fails_cleanly(conn, "care_osm", not_overpass, "not an Overpass API JSON file")


def test_supermarkets_from_overpass_and_pbf(conn: psycopg.Connection[Any]) -> None:
    result = run(conn, "supermarkets", OVERPASS_SHOPS)
    assert counts(result) == (75, 75, 0, {})
    shops = rows(conn, "supermarkets")
    types = {ref.split("/")[0] for ref in shops}
    assert types == {"node", "way"}
    ah = shops["node/34044675"]
    assert ah["name"] == "Albert Heijn" and ah["props"]["addr_street"] == "Brink"
    # The same points as the bundled GeoJSON export the file was written from.
    demo = pyogrio.read_dataframe(DEMO / "osm" / "osm_nl_supermarkets.geojson").to_crs(28992)
    demo_refs = demo["osm_type"] + "/" + demo["osm_id"].astype("int64").astype(str)
    by_ref = dict(zip(demo_refs, demo.geometry, strict=True))
    moved = [
        ref for ref, r in shops.items() if shapely.from_wkt(r["wkt"]).distance(by_ref[ref]) > 0.01
    ]
    assert moved == []
    assert_idempotent(conn, "supermarkets", OVERPASS_SHOPS)
    result = run(conn, "supermarkets", PBF)
    assert counts(result) == (3, 3, 0, {})
    assert {r["name"] for r in rows(conn, "supermarkets").values()} == {
        "Hans Meijer",
        "Delft To Go",
        "SPAR university",
    }
    assert_idempotent(conn, "supermarkets", PBF)


# --------------------------------------------------------------------------------------------
# constraints


def test_constraints_from_a_geopackage_in_another_crs(conn: psycopg.Connection[Any]) -> None:
    assert pyogrio.read_info(CONSTRAINTS_GPKG, layer="beperkingen")["crs"] == "EPSG:3035"
    result = run(conn, "constraints", CONSTRAINTS_GPKG)
    assert counts(result) == (2, 2, 0, {})
    found = rows(conn, "constraints")
    assert {ref: r["category"] for ref, r in found.items()} == {
        "constraints_TESTDATA_amsterdam_ede_laea:TEST-FLOOD-1": "flood",
        "constraints_TESTDATA_amsterdam_ede_laea:TEST-NOISE-1": "noise",
    }
    areas = fetch(
        conn, "SELECT code, ST_Area(geom) AS a FROM area WHERE layer = 'constraints' ORDER BY code"
    )
    # The same polygons as the CRS84 GeoJSON (Dutch column names, categories in Dutch).
    json_frame = get_pipeline("constraints").read([CONSTRAINTS_JSON])
    assert json_frame["category"].tolist() == ["flood", "noise"]
    assert [a["a"] for a in areas] == pytest.approx(json_frame.geometry.area.tolist(), rel=1e-4)
    assert_idempotent(conn, "constraints", CONSTRAINTS_GPKG)

    # The scorer treats the layer as a constraint: a site inside is hit, one outside is not.
    from sitefinder.scoring.compute import load_layers, raw_criteria
    from sitefinder.scoring.criteria.constraints import LAYERS

    with conn.transaction():
        layers = load_layers(conn)
    loaded = [layers.get(name, parts=True) for name in LAYERS]
    assert [index.name for index in loaded if index is not None] == ["constraints"]
    flood = json_frame.geometry.iloc[0]
    sites = np.asarray([flood.point_on_surface(), shapely.Point(121000.0, 487000.0)])
    raw = raw_criteria(layers, sites, np.asarray([10.0, 10.0]))
    assert raw["constraint_ids"].iloc[0] == [
        "constraints:constraints_TESTDATA_amsterdam_ede_laea:TEST-FLOOD-1"
    ]
    assert raw["constraint_ids"].iloc[1] is None


def test_constraints_category_option_and_no_input(
    conn: psycopg.Connection[Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(conn, "constraints", CONSTRAINTS_GPKG, force=True)
    frame = Constraints(category="externe veiligheid").read([CONSTRAINTS_JSON])
    assert set(frame["category"]) == {"external_safety"}
    # The setting SITEFINDER_CONSTRAINT_CATEGORY reaches the pipeline through the settings;
    # another category for the same file reloads (it is part of the checksum).
    monkeypatch.setenv("SITEFINDER_CONSTRAINT_CATEGORY", "geluid")
    noise = get_pipeline("constraints", Settings())
    assert isinstance(noise, Constraints) and noise.category == "geluid"
    assert run(conn, "constraints", CONSTRAINTS_GPKG, pipeline=noise).status == "ok"
    assert {r["category"] for r in rows(conn, "constraints").values()} == {"noise"}
    monkeypatch.delenv("SITEFINDER_CONSTRAINT_CATEGORY")
    run(conn, "constraints", CONSTRAINTS_GPKG, pipeline=get_pipeline("constraints", Settings()))
    with pytest.raises(InvalidParameterError, match="not one of"):
        Constraints.from_settings(Settings(constraint_category="sewage")).read([CONSTRAINTS_JSON])
    # 'etl run all' / 'sitefinder demo': no demo file, skipped, the layer is left as it was.
    assert get_pipeline("constraints").demo_files == ()
    before = snapshot(conn, "constraints")
    monkeypatch.setattr("sitefinder.pipeline.run_order", lambda layers: ["constraints"])
    (result,) = load_layers(settings, progress=False)
    assert result.status == "skipped" and "--from" in result.message
    assert snapshot(conn, "constraints") == before
    with pytest.raises(InvalidParameterError, match="--from"):
        load_layers(settings, ["constraints"], progress=False)


def test_constraints_bad_files(tmp_path: Path, conn: psycopg.Connection[Any]) -> None:
    run(conn, "constraints", CONSTRAINTS_GPKG, force=True)
    assert_fails_cleanly(conn, "constraints", truncated(tmp_path, CONSTRAINTS_GPKG), "cannot read")
    assert_fails_cleanly(
        conn, "constraints", truncated(tmp_path, CONSTRAINTS_JSON, keep=1500), "cannot read"
    )


# --------------------------------------------------------------------------------------------
# Natura 2000 (PDOK shapes)


def test_natura2000_pdok_wfs_and_ogc_api(tmp_path: Path, conn: psycopg.Connection[Any]) -> None:
    result = run(conn, "natura2000", N2K_WFS)
    assert counts(result) == (2, 2, 0, {})
    wfs = rows(conn, "natura2000")
    assert {ref: r["name"] for ref, r in wfs.items()} == {"55": "Aamsveen", "83": "Botshol"}
    assert wfs["55"]["props"] == {
        "nr": 55,
        "beschermin": ["HR"],
        "sitecodes_h": ["NL2003001"],
        "parts": 1,
    }
    assert_idempotent(conn, "natura2000", N2K_WFS)
    result = run(conn, "natura2000", N2K_OGC)
    assert counts(result) == (2, 2, 0, {})
    ogc = rows(conn, "natura2000")
    assert {ref: r["props"] for ref, r in ogc.items()} == {
        ref: r["props"] for ref, r in wfs.items()
    }
    for ref in ("55", "83"):  # the WFS sample has millimetres in RD, the OGC one CRS84
        a, b = shapely.from_wkt(wfs[ref]["wkt"]), shapely.from_wkt(ogc[ref]["wkt"])
        assert a.symmetric_difference(b).area < 1e-3 * a.area
    # Several features of one area (parts with different protection) become one row.
    doc = json.loads(N2K_OGC.read_text())
    second = dict(doc["features"][1], id=99)
    second["properties"] = dict(second["properties"], nr=55, naam_n2k="Aamsveen", beschermin="VR")
    doc["features"] = [doc["features"][0], second]
    parts = tmp_path / "parts.json"
    parts.write_text(json.dumps(doc))
    assert counts(run(conn, "natura2000", parts)) == (1, 1, 0, {})
    merged = rows(conn, "natura2000")["55"]
    assert merged["props"]["beschermin"] == ["HR", "VR"] and merged["props"]["parts"] == 2
    assert_fails_cleanly(conn, "natura2000", truncated(tmp_path, N2K_OGC), "cannot read")


# --------------------------------------------------------------------------------------------
# CBS Wijk- en Buurtkaart GeoPackage


def test_buurten_from_the_cbs_geopackage(tmp_path: Path, conn: psycopg.Connection[Any]) -> None:
    result = run(conn, "buurten", WIJKENBUURTEN)
    assert counts(result) == (5, 5, 0, {})
    found = rows(conn, "buurten")
    assert sorted(found) == [
        "BU03631200",
        "BU03631201",
        "BU03631600",
        "BU03631601",
        "BU03631602",
    ]
    west = found["BU03631200"]
    assert (west["name"], west["category"]) == ("Houthavens West", "buurt")
    assert west["props"] == {
        "a_inw": 3035,
        "a_hh": 1365,
        "g_hhgro": 2.2,
        "bev_dich": 9953,
        "a_opp_ha": 66,
        "a_lan_ha": 30,
        "ste_mvs": 1,
        "ste_oad": 3281,
    }
    # The same polygon as in the KWB GeoJSON the rows were taken from.
    kwb = pyogrio.read_dataframe(BUURTEN_KWB, where="BU_CODE = 'BU03631200'").to_crs(28992)
    drawn = shapely.from_wkt(west["wkt"])
    assert drawn.symmetric_difference(kwb.geometry.iloc[0]).area < 1.0
    assert_idempotent(conn, "buurten", WIJKENBUURTEN)
    # A GeoPackage with only the wijken layer loads the wijken.
    wijken = tmp_path / "wijken.gpkg"
    frame = pyogrio.read_dataframe(WIJKENBUURTEN, layer="wijken")
    pyogrio.write_dataframe(frame, wijken, layer="wijken")
    assert counts(run(conn, "buurten", wijken)) == (2, 2, 0, {})
    assert {r["name"]: r["category"] for r in rows(conn, "buurten").values()} == {
        "Houthavens": "wijk",
        "Frederik Hendrikbuurt": "wijk",
    }
    assert rows(conn, "buurten")["WK036312"]["props"]["a_inw"] == 3035 + 650
    assert_fails_cleanly(conn, "buurten", truncated(tmp_path, WIJKENBUURTEN), "cannot read")


def test_care_register_bad_files(tmp_path: Path, conn: psycopg.Connection[Any]) -> None:
    run(conn, "care", REGISTER, force=True)
    binary = tmp_path / "register.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert_fails_cleanly(conn, "care", binary, "cannot read")
    other = tmp_path / "other.csv"
    other.write_text("a;b\n1;2\n")
    assert_fails_cleanly(conn, "care", other, "not a care register")
