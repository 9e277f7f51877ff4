"""No load can silently empty a layer, every bad input ends in one line, and the read side stays
consistent after a load (issue 9, findings 3, 4 and 9), on a real PostGIS.

The bundled stops (561, WGS84) turned into the audit's wrong files: declared RD New, latitude
and longitude swapped, RD metres declared Web Mercator; zip bombs written on the fly.
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import psycopg
import pytest
from fakeservices import run_cli
from fastapi.testclient import TestClient

from etl import get_pipeline
from etl.archives import ArchiveLimits, check_archive
from etl.bgt_panden import read_bgt_panden
from etl.loading import no_progress, run_pipeline
from sitefinder.api import create_app
from sitefinder.core import db
from sitefinder.core.errors import DataLossError, SourceFileError
from sitefinder.core.settings import Settings
from sitefinder.pipeline import load_layers
from sitefinder.scoring import score_all

STOPS = Path("pt/amsterdam_pt_stops_2022_derived.geojson")
CAMPSITES = Path("holidayparks/osm_nl_campsites_tourism_camp_site.geojson")
N_STOPS = 561
LIMITS = ArchiveLimits(max_bytes=1 << 30, max_ratio=200)
GML_DIR = Path(__file__).resolve().parent / "data" / "gml"


def _count(conn: psycopg.Connection[Any], layer: str) -> int:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM poi WHERE layer = %s)"
        " + (SELECT count(*) FROM site WHERE layer = %s) AS n",
        (layer, layer),
    ).fetchone()
    return int(row["n"]) if row else 0


def _last_ok(conn: psycopg.Connection[Any], layer: str) -> int:
    row = conn.execute(
        "SELECT max(id) AS id FROM etl_run WHERE layer = %s AND status = 'ok'", (layer,)
    ).fetchone()
    return int(row["id"]) if row and row["id"] else 0


def _stops(settings: Settings, tmp: Path, name: str, crs: str, swap: bool = False) -> Path:
    data = json.loads((settings.data_dir / STOPS).read_text(encoding="utf-8"))
    for feature in data["features"]:
        x, y = feature["geometry"]["coordinates"][:2]
        feature["geometry"]["coordinates"] = [y, x] if swap else [x, y]
    data["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _rd_stops_declared_3857(settings: Settings, tmp: Path) -> Path:
    frame = gpd.read_file(settings.data_dir / STOPS).to_crs("EPSG:28992")
    frame = frame.set_crs("EPSG:3857", allow_override=True)
    path = tmp / "stops_rd_as_3857.gpkg"
    frame.to_file(path, driver="GPKG")
    return path


@pytest.fixture(scope="module")
def loaded(settings: Settings) -> Settings:
    with db.connection(settings) as conn:
        result = run_pipeline(
            conn, get_pipeline("stops"), [settings.data_dir / STOPS], progress=no_progress
        )
        assert result.n_loaded == N_STOPS
    return settings


# --- 4. a file in the wrong CRS changes nothing, and the message says why ---------------------


@pytest.mark.parametrize(
    ("case", "looks"),
    [
        (
            "wgs84_declared_rd",
            "look like WGS84 degrees (lon/lat, EPSG:4326), but are read as EPSG:28992",
        ),
        ("swapped", "WGS84 degrees with latitude and longitude swapped"),
        ("rd_declared_3857", "look like RD New metres (EPSG:28992), but are read as EPSG:3857"),
    ],
)
def test_a_file_in_the_wrong_crs_changes_nothing(
    loaded: Settings, conn: psycopg.Connection[Any], tmp_path: Path, case: str, looks: str
) -> None:
    if case == "wgs84_declared_rd":
        path = _stops(loaded, tmp_path, "stops.geojson", "urn:ogc:def:crs:EPSG::28992")
    elif case == "swapped":
        path = _stops(loaded, tmp_path, "stops.geojson", "urn:ogc:def:crs:EPSG::4326", swap=True)
    else:
        path = _rd_stops_declared_3857(loaded, tmp_path)
    before = _last_ok(conn, "stops")
    result = run_cli(loaded, "etl", "run", "stops", "--from", str(path), "--no-score")
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in result.output
    assert f"all {N_STOPS} records read would be quarantined" in message
    assert looks in message and "--accept-loss" in message
    assert _count(conn, "stops") == N_STOPS and _last_ok(conn, "stops") == before


def test_accept_loss_loads_it_knowingly(
    loaded: Settings, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    path = _stops(loaded, tmp_path, "stops.geojson", "urn:ogc:def:crs:EPSG::28992")
    with pytest.raises(DataLossError):
        run_pipeline(conn, get_pipeline("stops"), [path], progress=no_progress)
    result = run_pipeline(
        conn, get_pipeline("stops"), [path], progress=no_progress, accept_loss=True
    )
    assert (result.n_loaded, result.n_quarantined) == (0, N_STOPS)
    restored = run_pipeline(
        conn, get_pipeline("stops"), [loaded.data_dir / STOPS], progress=no_progress, force=True
    )
    assert restored.n_loaded == N_STOPS  # from nothing: no loss to guard


def test_a_layer_may_not_shrink_far_below_its_size(
    loaded: Settings, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    data = json.loads((loaded.data_dir / STOPS).read_text(encoding="utf-8"))
    data["features"] = data["features"][:100]
    few = tmp_path / "few_stops.geojson"
    few.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataLossError, match=f"shrink from {N_STOPS} to 100 records"):
        run_pipeline(conn, get_pipeline("stops"), [few], progress=no_progress)
    assert _count(conn, "stops") == N_STOPS
    data["features"] = json.loads((loaded.data_dir / STOPS).read_text())["features"][:400]
    most = tmp_path / "most_stops.geojson"
    most.write_text(json.dumps(data), encoding="utf-8")
    assert run_pipeline(conn, get_pipeline("stops"), [most], progress=no_progress).n_loaded == 400
    restored = run_pipeline(
        conn, get_pipeline("stops"), [loaded.data_dir / STOPS], progress=no_progress
    )
    assert restored.n_loaded == N_STOPS


# --- 9. one line (exit 2) for every bad input, and bounded decompression ----------------------


def _bomb(path: Path, member: str, chunk: bytes, size: int) -> Path:
    """A zip whose ``member`` inflates to ``size`` bytes of ``chunk`` repeated (a few MB)."""
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(member, "w") as out,
    ):
        block = chunk * (1 << 20 // len(chunk))
        for _ in range(size // len(block)):
            out.write(block)
    return path


def test_bad_inputs_for_stops_end_in_one_line(
    loaded: Settings, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    columns = tmp_path / "haltes.csv"
    columns.write_text("id,naam,x,y\n1,Dam,4.89,52.37\n", encoding="utf-8")
    gml = tmp_path / "plan.gml"  # a copy: GDAL writes a .gfs file next to what it reads
    gml.write_bytes((GML_DIR / "NL.IMRO.9999.BPparaplu-ON01.gml").read_bytes())
    bomb = _bomb(tmp_path / "gtfs.zip", "stops.txt", b"0", 300 << 20)
    cases = [
        (columns, "has no stop_id, stop_name, route_type"),
        (gml, "holds several layers (Dubbelbestemming, Bestemmingsplangebied)"),
        (bomb, "refused (a zip bomb?)"),
    ]
    for path, fragment in cases:
        result = run_cli(loaded, "etl", "run", "stops", "--from", str(path), "--no-score")
        assert result.exit_code == 2, (path.name, result.output)
        message = result.stderr.strip()
        assert "\n" not in message and "Traceback" not in result.output, message
        assert fragment in message and path.name in message, message
    assert _count(conn, "stops") == N_STOPS


def test_a_bgt_zip_bomb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    bomb = tmp_path / "bgt.zip"
    with (
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("bgt_pand.gml", "w") as out,
    ):
        out.write(b'<CityModel xmlns="http://www.opengis.net/citygml/2.0">')
        block = b"<a/>" * (1 << 18)
        for _ in range(300):  # 300 MiB of tiny elements
            out.write(block)
        out.write(b"</CityModel>")
    assert bomb.stat().st_size < 2 << 20
    with pytest.raises(SourceFileError, match=r"inflates [0-9,]+ times"):
        check_archive(bomb, "bgt_panden", LIMITS)


def test_the_gml_reader_expands_no_entities(tmp_path: Path) -> None:
    laughs = "".join(f'<!ENTITY l{i + 1} "{f"&l{i};" * 10}">' for i in range(8))
    gml = tmp_path / "bgt_pand.gml"
    gml.write_text(
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY l0 "lol">{laughs}]>'
        '<CityModel xmlns="http://www.opengis.net/citygml/2.0">'
        "<cityObjectMember><x>&l8;</x></cityObjectMember></CityModel>",
        encoding="utf-8",
    )
    before = _resident()
    try:
        read_bgt_panden(gml)
    except SourceFileError as exc:
        assert "\n" not in str(exc)
    assert _resident() - before < 100 << 20


def _resident() -> int:
    with Path("/proc/self/statm").open(encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_archive_limits_pass_real_inputs(settings: Settings) -> None:
    for path in sorted(settings.data_dir.rglob("*.zip")):
        check_archive(path, "test", LIMITS)  # the bundled zips inflate 34 times at most
    assert list(settings.data_dir.rglob("*.zip"))


# --- 3. a site layer loaded without rescoring: the API keeps answering -----------------------


def test_a_site_layer_load_without_rescoring_never_breaks_the_api(
    settings: Settings, tmp_path: Path
) -> None:
    campsites = settings.data_dir / CAMPSITES
    load_layers(settings, ["holidayparks"], source=campsites, progress=False, force=True)
    with db.connection(settings) as conn:
        score_all(conn)
        before = _count(conn, "holidayparks")
    data = json.loads(campsites.read_text(encoding="utf-8"))
    kept = data["features"][: len(data["features"]) // 3]
    data["features"] = kept
    third = tmp_path / "campsites_third.geojson"
    third.write_text(json.dumps(data), encoding="utf-8")
    with TestClient(create_app(settings)) as client:
        listed = client.get("/api/sites?limit=2000&include_excluded=true").json()
        assert listed["total"] == before
        # the ETL alone, as `sitefinder etl run --no-score` does: the scores are now stale
        with db.connection(settings) as conn:
            run_pipeline(
                conn, get_pipeline("holidayparks"), [third], progress=no_progress, accept_loss=True
            )
            now = {r["id"] for r in conn.execute("SELECT id FROM site").fetchall()}
        for _ in range(30):  # before and after the API has taken its new snapshot
            response = client.get("/api/sites?limit=2000&include_excluded=true")
            assert response.status_code == 200, response.text  # the audit: 500 (KeyError)
            ids = {f["id"] for f in response.json()["features"]}
            assert ids <= now
            if len(ids) == len(now):
                break
            time.sleep(0.1)
        assert ids == now  # the sites that still exist, with their last scores
        gone = next(f["id"] for f in listed["features"] if f["id"] not in now)
        assert client.get(f"/api/sites/{gone}").status_code == 404
        assert client.get(f"/api/sites/{next(iter(now))}").status_code == 200
        # the load through the pipeline rescores itself
        load_layers(
            settings, ["holidayparks"], source=campsites, progress=False, force=True, score=True
        )
        for _ in range(50):
            total = client.get("/api/sites?limit=1&include_excluded=true").json()["total"]
            if total == before:
                break
            time.sleep(0.1)
        assert total == before
