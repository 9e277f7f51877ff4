"""Zoning as a set of plans, on real PostGIS: a layer partitioned by plan, every IMRO plan type
read as the standard defines it, every geometry construct loaded as the area it is, and the
plan-priority rule of docs/scoring.md (section 5a) checked against PostGIS.

Plans: the bundled real plans (``data/demo/zoning``) and small IMRO2012 files written for these
tests (``tests/data/imro``, ``tests/data/gml``). All coordinates are RD New (EPSG:28992, metres).
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from alembic import command
from alembic.config import Config
from conftest import Drops
from fakeservices import run_cli
from fastapi.testclient import TestClient
from psycopg import sql
from pyproj import Transformer

from etl import get_pipeline
from etl.areas import parse_bbox
from etl.declarations import RunResult, Statement
from etl.gml import iter_features
from etl.imro_zoning import OBJECT_TYPES, ImroZoning, open_plan, read_plan, read_plan_file
from etl.loading import no_progress, run_pipeline
from etl.validation import validate
from sitefinder.api import create_app
from sitefinder.core import db
from sitefinder.core.crs import RD, WGS84
from sitefinder.core.errors import SourceFileError
from sitefinder.core.settings import PROJECT_ROOT, Settings
from sitefinder.scoring import score_all
from sitefinder.scoring.criteria import catalogue
from sitefinder.scoring.criteria.zoning import (
    NEVER_DECIDE,
    STATUS_RANK,
    overlay_factor,
    priority_order,
)
from sitefinder.scoring.engine import evaluate, weight_vector
from sitefinder.scoring.explain import explain, feature_names
from sitefinder.scoring.profile import load_profile
from sitefinder.scoring.store import read as read_raw

DATA = Path(__file__).parent / "data"
IMRO = DATA / "imro"
PRIORITY = IMRO / "priority"
DEMO = PROJECT_ROOT / "data" / "demo" / "zoning"
A = PRIORITY / "NL.IMRO.9999.BPdorp-VA01.gml"
B = PRIORITY / "NL.IMRO.9999.BPcentrum-ON01.gml"
C = PRIORITY / "NL.IMRO.9999.BPzuid-VA01.gml"
D = PRIORITY / "NL.IMRO.9999.BPparaplu-VA01.gml"
GEOMETRY = IMRO / "NL.IMRO.9999.BPgeometrie-VA01.gml"
PLAN_IDS = {"A": A, "B": B, "C": C, "D": D}


def load(conn: psycopg.Connection[Any], *paths: Path, **options: Any) -> RunResult:
    """One run of the zoning pipeline over ``paths`` (forced: the tests load files again)."""
    pipeline = get_pipeline("zoning")
    return run_pipeline(conn, pipeline, list(paths), progress=no_progress, force=True, **options)


def rows(conn: psycopg.Connection[Any], query: str, *params: Any) -> list[dict[str, Any]]:
    with conn.transaction():
        return conn.execute(query, params).fetchall()


def plans(conn: psycopg.Connection[Any]) -> dict[str, dict[str, int]]:
    """partition -> plan id -> rows, of the zoning layer as it is."""
    found: dict[str, dict[str, int]] = {}
    for row in rows(
        conn,
        "SELECT partition_key AS key, code, count(*) AS n FROM area WHERE layer = 'zoning'"
        " GROUP BY 1, 2 ORDER BY 1, 2",
    ):
        found.setdefault(row["key"], {})[row["code"]] = row["n"]
    return found


def fingerprint(conn: psycopg.Connection[Any], code: str) -> Any:
    return rows(
        conn,
        "SELECT md5(string_agg(id || ST_AsEWKT(geom) || props::text, ',' ORDER BY id)) AS h"
        " FROM area WHERE layer = 'zoning' AND code = %s",
        code,
    )[0]["h"]


@pytest.fixture
def empty(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """The module's database with no zoning loaded (each test starts from nothing)."""
    with conn.transaction():
        conn.execute("DELETE FROM area WHERE layer = 'zoning'")
        conn.execute("DELETE FROM quarantine WHERE layer = 'zoning'")
        conn.execute("DELETE FROM layer_coverage WHERE layer = 'zoning'")
    return conn


def new_version(tmp: Path, path: Path, old: str, new: str, *changes: tuple[str, str]) -> Path:
    """A copy of plan ``path`` as its version ``new`` (the id's ``-versie`` part), with
    ``changes`` made to its text; named by the new plan id, as STRI2012 wants."""
    text = path.read_text().replace(f"-{old}", f"-{new}").replace(f">{old}<", f">{new}<")
    for before, after in changes:
        text = text.replace(before, after)
    out = tmp / path.name.replace(old, new)
    out.write_text(text)
    return out


# ---------------------------------------------------------------------------------------------
# a layer partitioned by plan


def test_loading_two_plans_one_after_the_other_keeps_both(empty: psycopg.Connection[Any]) -> None:
    conn = empty
    first = load(conn, DEMO / "NL.IMRO.0664.BPBS02-VG99.gml")
    assert (first.n_read, first.n_loaded, first.n_quarantined) == (15, 15, 0)
    assert "plans loaded: NL.IMRO.0664.BPBS02 (15)" in first.message
    second = load(conn, DEMO / "NL.IMRO.1680.1800030105-0000.gml")
    assert (second.n_read, second.n_loaded, second.n_quarantined) == (97, 97, 0)
    assert "plans loaded: NL.IMRO.1680.1800030105 (97)" in second.message
    assert "kept 1 other plan(s) (15 rows)" in second.message
    assert plans(conn) == {
        "NL.IMRO.0664.BPBS02": {"NL.IMRO.0664.BPBS02-VG99": 15},
        "NL.IMRO.1680.1800030105": {"NL.IMRO.1680.1800030105-0000": 97},
    }
    # The coverage follows the union: both plans, exactly the union of their objects.
    coverage = rows(
        conn,
        "SELECT ST_Area(c.geom) AS area, (SELECT ST_Area(ST_Union(geom)) FROM area"
        "  WHERE layer = 'zoning') AS union_area,"
        " (SELECT count(*) FROM area a WHERE a.layer = 'zoning'"
        "  AND NOT ST_Covers(c.geom, ST_PointOnSurface(a.geom))) AS outside"
        " FROM layer_coverage c WHERE c.layer = 'zoning'",
    )[0]
    assert coverage["area"] == pytest.approx(coverage["union_area"], rel=1e-9)
    assert coverage["outside"] == 0
    assert coverage["area"] > 500_000  # Gieterveen alone is 0.56 km2 of plan objects


def test_a_plan_replaces_its_earlier_version_and_keeps_every_other_plan(
    empty: psycopg.Connection[Any], tmp_path: Path
) -> None:
    conn = empty
    load(conn, A, B, C)
    kept = {
        code: fingerprint(conn, code)
        for code in ("NL.IMRO.9999.BPdorp-VA01", "NL.IMRO.9999.BPzuid-VA01")
    }
    # B is adopted: its vastgesteld version, without the archaeology overlay.
    adopted = new_version(
        tmp_path,
        B,
        "ON01",
        "VA01",
        ("<imro:planstatus>ontwerp<", "<imro:planstatus>vastgesteld<"),
        ("<imro:datum>2020-05-01<", "<imro:datum>2021-02-01<"),
        ("Waarde - Archeologie", "Waarde - Cultuurhistorie"),
    )
    result = load(conn, adopted)
    assert result.n_loaded == 2
    assert "replaced the earlier rows of NL.IMRO.9999.BPcentrum (2)" in result.message
    assert "kept 2 other plan(s) (3 rows)" in result.message
    assert plans(conn) == {
        "NL.IMRO.9999.BPcentrum": {"NL.IMRO.9999.BPcentrum-VA01": 2},
        "NL.IMRO.9999.BPdorp": {"NL.IMRO.9999.BPdorp-VA01": 2},
        "NL.IMRO.9999.BPzuid": {"NL.IMRO.9999.BPzuid-VA01": 1},
    }
    assert {code: fingerprint(conn, code) for code in kept} == kept
    status = rows(
        conn,
        "SELECT DISTINCT props->>'planstatus' AS s, props->>'plan_datum' AS d FROM area"
        " WHERE partition_key = 'NL.IMRO.9999.BPcentrum'",
    )
    assert status == [{"s": "vastgesteld", "d": "2021-02-01"}]


def test_replace_replaces_every_plan(empty: psycopg.Connection[Any], settings: Settings) -> None:
    conn = empty
    load(conn, A, B)
    result = run_cli(settings, "etl", "run", "zoning", "--from", str(C), "--replace")
    assert result.exit_code == 0, result.output
    assert plans(conn) == {"NL.IMRO.9999.BPzuid": {"NL.IMRO.9999.BPzuid-VA01": 1}}
    assert "--replace: every plan replaced by the ones read" in result.output
    # without --replace the same input adds the plan again, keeping the rest
    load(conn, A)
    result = run_cli(settings, "etl", "run", "zoning", "--from", str(C))
    assert result.exit_code == 0, result.output
    assert set(plans(conn)) == {"NL.IMRO.9999.BPdorp", "NL.IMRO.9999.BPzuid"}
    assert "kept 1 other plan(s) (2 rows)" in result.output


def test_the_quarantine_is_kept_and_replaced_per_plan(empty: psycopg.Connection[Any]) -> None:
    conn = empty
    first = load(conn, GEOMETRY)
    assert first.reasons == {"invalid geometry that could not be repaired": 1}

    def quarantined() -> list[dict[str, Any]]:
        return rows(
            conn,
            "SELECT partition_key, source_ref, reason FROM quarantine WHERE layer = 'zoning'",
        )

    held = quarantined()
    assert held == [
        {
            "partition_key": "NL.IMRO.9999.BPgeometrie",
            "source_ref": "NL.IMRO.9999.BPgeometrie-VA01/NL.IMRO.9999.EBflat",
            "reason": "invalid geometry that could not be repaired",
        }
    ]
    other = load(conn, A)  # another plan: the geometry plan's quarantine stays
    assert quarantined() == held and other.n_quarantined == 0
    assert other.reasons == {"invalid geometry that could not be repaired": 1}
    again = load(conn, GEOMETRY)  # the same plan again: replaced, not doubled
    assert quarantined() == held and again.n_quarantined == 1


def test_a_failed_load_of_one_plan_leaves_every_plan(
    empty: psycopg.Connection[Any], tmp_path: Path
) -> None:
    conn = empty
    load(conn, A, C)
    before = {
        code: fingerprint(conn, code)
        for code in ("NL.IMRO.9999.BPdorp-VA01", "NL.IMRO.9999.BPzuid-VA01")
    }
    broken = tmp_path / "NL.IMRO.9999.BPdorp-VA02.gml"
    broken.write_bytes(A.read_bytes()[:3000])  # truncated
    with pytest.raises(SourceFileError, match="not valid XML"):
        load(conn, broken)
    assert {code: fingerprint(conn, code) for code in before} == before
    failed = rows(conn, "SELECT status FROM etl_run WHERE layer = 'zoning' ORDER BY id DESC")
    assert failed[0]["status"] == "failed"


class FailingZoning(ImroZoning):
    """The zoning pipeline with a check on the staged rows that fails (inside the load's
    transaction, after the rows are staged)."""

    def stage_sql(self) -> tuple[Statement, ...]:
        return (sql.SQL("SELECT 1 / 0"),)


def test_a_load_that_fails_in_its_transaction_leaves_every_plan(
    empty: psycopg.Connection[Any], tmp_path: Path
) -> None:
    conn = empty
    load(conn, A, B, GEOMETRY)
    state = {code: fingerprint(conn, code) for codes in plans(conn).values() for code in codes}
    held = rows(conn, "SELECT id, partition_key FROM quarantine WHERE layer = 'zoning'")
    adopted = new_version(tmp_path, B, "ON01", "VA01")
    with pytest.raises(psycopg.errors.DivisionByZero):
        run_pipeline(conn, FailingZoning(), [adopted, C], progress=no_progress, force=True)
    assert {code: fingerprint(conn, code) for code in state} == state
    assert set(plans(conn)) == {
        "NL.IMRO.9999.BPdorp",
        "NL.IMRO.9999.BPcentrum",
        "NL.IMRO.9999.BPgeometrie",
    }
    assert rows(conn, "SELECT id, partition_key FROM quarantine WHERE layer = 'zoning'") == held


def test_a_record_without_its_plan_is_quarantined() -> None:
    """In a layer partitioned by plan every record needs its partition (validation)."""
    read = read_plan(A)
    read.loc[0, "partition_key"] = None
    checked = validate(read, get_pipeline("zoning"))
    assert list(checked.quarantine["reason"]) == ["missing required field 'partition_key'"]
    assert list(checked.good["source_ref"]) == list(read["source_ref"][1:])


def test_rows_from_before_the_partitions_are_replaced(empty: psycopg.Connection[Any]) -> None:
    conn = empty
    with conn.transaction():  # a row as loads before migration 0008 left it (no partition)
        conn.execute(
            "INSERT INTO area (id, layer, name, source, source_ref, geom, code, category)"
            " VALUES ('zoning:old/1', 'zoning', 'Wonen', 'imro', 'old/1',"
            " ST_Multi(ST_MakeEnvelope(150000, 420000, 150100, 420100, 28992)), 'old', 'wonen')"
        )
    result = load(conn, C)
    assert "replaced 1 rows loaded before the layer was partitioned" in result.message
    assert plans(conn) == {"NL.IMRO.9999.BPzuid": {"NL.IMRO.9999.BPzuid-VA01": 1}}


def test_an_area_loads_whole_plans_and_keeps_the_others(
    empty: psycopg.Connection[Any], tmp_path: Path
) -> None:
    conn = empty
    load(conn, A, B)
    adopted = new_version(tmp_path, B, "ON01", "VA01")
    # A box over a corner of C only: C is loaded whole, B's new version lies outside the box
    # and is left out, so B's ontwerp stays.
    box = parse_bbox("150390,420190,150500,420300")
    result = load(conn, adopted, C, area=box)
    assert (result.n_loaded, result.n_outside_area) == (1, 2)
    assert "plans outside it are kept as they were" in result.message
    assert plans(conn) == {
        "NL.IMRO.9999.BPcentrum": {"NL.IMRO.9999.BPcentrum-ON01": 2},
        "NL.IMRO.9999.BPdorp": {"NL.IMRO.9999.BPdorp-VA01": 2},
        "NL.IMRO.9999.BPzuid": {"NL.IMRO.9999.BPzuid-VA01": 1},
    }
    whole = rows(
        conn, "SELECT ST_Area(geom) AS a FROM area WHERE code = 'NL.IMRO.9999.BPzuid-VA01'"
    )
    assert whole == [{"a": 150 * 100}]  # not cut to the box
    covered = rows(
        conn,
        "SELECT ST_Area(geom) AS a, (SELECT ST_Area(ST_Union(geom)) FROM area"
        " WHERE layer = 'zoning') AS u FROM layer_coverage WHERE layer = 'zoning'",
    )[0]
    assert covered["a"] == pytest.approx(covered["u"])  # every plan's coverage, not the box


# ---------------------------------------------------------------------------------------------
# every plan type, read as the standard defines it


def objects(path: Path) -> dict[str, tuple[Any, ...]]:
    """name -> (objecttype, role, category, zoning class) of a plan file's rows."""
    frame = read_plan(path)
    return {
        name: (
            p["objecttype"],
            p["zoning_role"],
            cat if isinstance(cat, str) else None,
            p.get("zoning_class"),
        )
        for name, cat, p in zip(frame["name"], frame["category"], frame["props"], strict=True)
    }


def test_inpassingsplan_uitwerkingsplan_and_wijzigingsplan() -> None:
    inpassing = read_plan(IMRO / "NL.IMRO.9999.IPspoorzone-VA01.gml")
    assert {p["plan_type"] for p in inpassing["props"]} == {"inpassingsplan"}
    assert objects(IMRO / "NL.IMRO.9999.IPspoorzone-VA01.gml") == {
        "Verkeer - Railverkeer": ("Enkelbestemming", "bestemming", "verkeer", "verkeer"),
        "Leiding - Hoogspanningsverbinding": ("Dubbelbestemming", "overlay", "leiding", None),
    }
    # a Ring of a LineStringSegment curve and an Arc curve: a 200 x 100 m rectangle and a half
    # circle of radius 50 m, the arc stroked to within 1 cm (a little less than the true area)
    rail = inpassing.geometry.iloc[0]
    true_area = 200 * 100 + np.pi * 50**2 / 2
    assert true_area - np.pi * 50 * 0.01 <= rail.area < true_area
    uitwerking = read_plan(IMRO / "NL.IMRO.9999.UPnoord-VA01.gml")
    assert [p["plan_type"] for p in uitwerking["props"]] == ["uitwerkingsplan"]
    assert list(uitwerking["category"]) == ["woongebied"]
    assert uitwerking.geometry.iloc[0].area == 100 * 100 - 20 * 20 + 100 * 100  # MultiSurface
    wijziging = read_plan(IMRO / "NL.IMRO.9999.WPboerderij-ON01.gml")
    props = wijziging["props"].iloc[0]
    assert (props["plan_type"], props["planstatus"], props["zoning_class"]) == (
        "wijzigingsplan",
        "ontwerp",
        "wonen",
    )
    assert wijziging.geometry.iloc[0].area == 60 * 50  # a gml:Polygon


def test_beheersverordening_besluitvlakken_are_its_zoning(tmp_path: Path) -> None:
    path = IMRO / "NL.IMRO.9999.BVcentrum-VA01.gml"
    frame = read_plan(path)
    assert set(frame["code"]) == {"NL.IMRO.9999.BVcentrum-VA01"}
    assert set(frame["partition_key"]) == {"NL.IMRO.9999.BVcentrum"}
    assert {p["plan_type"] for p in frame["props"]} == {"beheersverordening"}
    assert objects(path) == {
        "Wonen": ("Besluitvlak_X", "bestemming", "wonen", "wonen"),
        "Bedrijf - Nutsvoorziening": ("Besluitvlak_X", "bestemming", "bedrijf", "bedrijf"),
        "Beheergebied": ("Besluitvlak_X", "bestemming", None, None),  # no class in its name
        "specifieke vorm van wonen - zorgwoning": ("Besluitsubvlak_X", "overlay", None, None),
    }
    # The besluitvlakken of another gebiedsgericht besluit overlay the zoning, not replace it.
    other = tmp_path / "NL.IMRO.9999.VBcentrum-VA01.gml"
    other.write_text(path.read_text().replace(">beheersverordening<", ">voorbereidingsbesluit<"))
    assert {v[:3] for v in objects(other).values()} == {
        ("Besluitvlak_X", "overlay", "voorbereidingsbesluit"),
        ("Besluitsubvlak_X", "overlay", None),
    }


def test_paraplu_plans_load_their_overlays_with_a_note() -> None:
    zaltbommel = DEMO / "NL.IMRO.0297.BGBBP20140020-OW01.gml.gz"
    read = read_plan_file(zaltbommel)
    kinds = pd.Series([p["objecttype"] for p in read.rows["props"]]).value_counts().to_dict()
    assert kinds == {"Gebiedsaanduiding": 6, "Dubbelbestemming": 1}
    assert {p["zoning_role"] for p in read.rows["props"]} == {"overlay"}
    assert set(read.rows["name"]) == {
        "Waarde - Nieuwe Hollandse Waterlinie",
        "overige zone - accessen",
        "overige zone - kernzone",
        "overige zone - inundatiekommen",
    }
    assert read.notes == [
        "NL.IMRO.0297.BGBBP20140020-OW01 is a paraplu plan (no main zoning; it changes the rules"
        " of the plans in force in its area): its overlays loaded (1 Dubbelbestemming,"
        " 6 Gebiedsaanduiding)"
    ]


def test_a_structuurvisie_loads_nothing_and_says_so(tmp_path: Path) -> None:
    visie = tmp_path / "NL.IMRO.9999.SVvoorbeeld-VA01.gml"
    visie.write_text(
        '<imro:FeatureCollectionIMRO xmlns:imro="http://www.geonovum.nl/imro/2012/1.1"'
        ' xmlns:gml="http://www.opengis.net/gml/3.2"><imro:featureMember>'
        '<imro:Structuurvisieplangebied_G gml:id="NL.IMRO.9999.SVvoorbeeld-VA01">'
        "<imro:naam>Visie</imro:naam></imro:Structuurvisieplangebied_G>"
        "</imro:featureMember></imro:FeatureCollectionIMRO>"
    )
    read = read_plan_file(visie)
    assert read.rows.empty
    assert read.notes == [
        "NL.IMRO.9999.SVvoorbeeld-VA01 is a structuurvisie (policy, no zoning): nothing loaded"
        " from it"
    ]


@pytest.mark.parametrize("plan", sorted(DEMO.glob("*.gml*")), ids=lambda p: p.name)
def test_every_bundled_plan_loads_with_no_area_lost(
    empty: psycopg.Connection[Any], plan: Path
) -> None:
    """Each real plan alone: every plan object of the file (main zoning and overlays) loaded,
    none quarantined, every area the area it has in the file."""
    with open_plan(plan) as handle:
        written = sum(1 for _ in iter_features(handle, *OBJECT_TYPES))
    result = load(empty, plan)
    assert (result.n_read, result.n_loaded, result.n_quarantined) == (written, written, 0)
    read = read_plan(plan)
    stored = rows(
        empty,
        "SELECT source_ref, ST_Area(geom) AS a FROM area WHERE layer = 'zoning' ORDER BY 1",
    )
    expected = dict(zip(read["source_ref"], shapely.area(read.geometry.to_numpy()), strict=True))
    assert {r["source_ref"]: round(r["a"], 3) for r in stored} == {
        k: round(v, 3) for k, v in expected.items()
    }


def test_the_bundled_copies_are_the_shared_plans() -> None:
    """The gzip-compressed copies hold the shared files byte for byte (their sha256 is in
    data/demo/SOURCES.md)."""
    sources = (PROJECT_ROOT / "data" / "demo" / "SOURCES.md").read_text()

    for plan in sorted(DEMO.glob("*.gml.gz")):
        digest = hashlib.sha256(gzip.decompress(plan.read_bytes())).hexdigest()
        assert digest in sources, plan.name


# ---------------------------------------------------------------------------------------------
# geometry: nothing that ST_MakeValid can repair is lost


def test_every_geometry_construct_loads_as_the_area_it_is(empty: psycopg.Connection[Any]) -> None:
    conn = empty
    result = load(conn, GEOMETRY)
    assert (result.n_read, result.n_loaded) == (13, 12)
    assert result.reasons == {"invalid geometry that could not be repaired": 1}
    assert "1 degenerate ring(s) (fewer than 3 distinct points) dropped" in result.message
    loaded = {
        r["name"]: r["a"]
        for r in rows(
            conn,
            "SELECT name, ST_Area(geom) AS a FROM area WHERE layer = 'zoning'"
            " AND ST_IsValid(geom) AND GeometryType(geom) = 'MULTIPOLYGON'",
        )
    }
    circle = np.pi * 5**2
    lpg = np.pi * 10**2
    expected = {
        "Groen - vlinder": 50.0,  # a crossing ring: two triangles
        "Groen - achterstevoren": 100.0,  # a curve member written backwards
        "Groen - door elkaar": 100.0,  # curve members out of order
        "Groen - lege gat": 100.0,  # a hole that encloses nothing, dropped
        "Groen - overlap": 150.0,  # two overlapping MultiSurface members, joined
        "Groen - gat erbuiten": 100.0,  # a hole partly outside its shell (as ST_MakeValid)
        "Groen - stekel": 100.0,  # a spike, cut off
        "Groen - dubbele punten": 100.0,  # repeated points
        "Groen - open driehoek": 50.0,  # an unclosed triangle, closed
        "Groen - acht": 200.0,  # a ring that touches itself: two squares
    }
    for name, area in expected.items():
        assert loaded[name] == pytest.approx(area, abs=1e-6), name
    # arcs: an Arc of five points (a circle of radius 5 m) and a Ring of two Arcs (radius 10 m)
    assert circle - 2 * np.pi * 5 * 0.01 <= loaded["Groen - rond"] < circle
    assert lpg - 2 * np.pi * 10 * 0.01 <= loaded["veiligheidszone - lpg"] < lpg
    assert "Groen - plat" not in loaded  # all its points on one line: no area to repair


def test_what_st_makevalid_repairs_is_never_quarantined(empty: psycopg.Connection[Any]) -> None:
    """For every area of the test plans as read (before any repair): PostGIS's ST_MakeValid
    leaves a polygonal area exactly when the area is loaded, and the loaded area is that."""
    conn = empty
    paths = [*sorted(IMRO.glob("*.gml")), *sorted(PRIORITY.glob("*.gml"))]
    read = pd.concat([read_plan(p) for p in paths], ignore_index=True)
    load(conn, *paths)
    raw = shapely.to_wkb(read.geometry.to_numpy(), hex=True)
    repaired = {
        r["ref"]: r["a"]
        for r in rows(
            conn,
            "SELECT ref, ST_Area(ST_CollectionExtract(ST_MakeValid(ST_GeomFromWKB("
            " decode(wkb, 'hex'), 28992)), 3)) AS a"
            " FROM unnest(%s::text[], %s::text[]) AS t(ref, wkb)",
            list(read["source_ref"]),
            list(raw),
        )
    }
    loaded = {
        r["source_ref"]: r["a"]
        for r in rows(
            conn, "SELECT source_ref, ST_Area(geom) AS a FROM area WHERE layer = 'zoning'"
        )
    }
    assert {ref for ref, area in repaired.items() if area > 0} == set(loaded)
    for ref, area in loaded.items():
        assert area == pytest.approx(repaired[ref], rel=1e-9), ref


# ---------------------------------------------------------------------------------------------
# plan priority and overlays (docs/scoring.md, section 5a)

TO_WGS84 = Transformer.from_crs(RD, WGS84, always_xy=True)


def doc_example() -> list[dict[str, str]]:
    """The worked example's table of sites in docs/scoring.md, section 5a."""
    text = (PROJECT_ROOT / "docs" / "scoring.md").read_text()
    section = text[text.index("### 5a.") : text.index("## 6.")]
    table = [line for line in section.splitlines() if re.match(r"\| S\d ", line)]
    keys = ("site", "point", "decides", "why", "class", "overlays", "value")
    return [
        dict(zip(keys, (c.strip() for c in line.strip("|").split("|")), strict=True))
        for line in table
    ]


def plan_table() -> dict[str, str]:
    text = (PROJECT_ROOT / "docs" / "scoring.md").read_text()
    section = text[text.index("### 5a.") : text.index("## 6.")]
    return dict(re.findall(r"^\| ([A-D]) \| (NL\.IMRO\.\S+) \|", section, flags=re.M))


@pytest.fixture
def scene(empty: psycopg.Connection[Any]) -> Iterator[psycopg.Connection[Any]]:
    """Plans A-D of the worked example loaded through the ETL, and one site per row."""
    conn = empty
    load(conn, A, B, C, D)
    with conn.transaction():
        conn.execute("DELETE FROM site")
        for row in doc_example():
            x, y = (float(v) for v in row["point"].split(","))
            conn.execute(
                "INSERT INTO site (id, layer, name, source, source_ref, geom, kind, props)"
                " VALUES (%s, 'offices', %s, 't', %s, ST_SetSRID(ST_MakePoint(%s, %s), 28992),"
                " 'kantoor', '{\"places\": 20}')",
                (f"offices:{row['site']}", row["site"], row["site"], x, y),
            )
    yield conn
    with conn.transaction():
        conn.execute("DELETE FROM site")
        conn.execute("DELETE FROM site_raw")


def test_plan_priority_worked_example_from_postgis(scene: psycopg.Connection[Any]) -> None:
    conn = scene
    assert {key: path.stem for key, path in PLAN_IDS.items()} == plan_table()
    with conn.transaction():
        score_all(conn, full=True)
        raw = read_raw(conn).set_index("site_id")
    profile = load_profile("standaard")
    evaluation = evaluate(raw.reset_index(), profile)
    column = evaluation.col["zoning"]
    position = {site: i for i, site in enumerate(raw.index)}
    weights = weight_vector(profile.weights)
    for row in doc_example():
        site = f"offices:{row['site']}"
        i = position[site]
        found = raw.loc[site]
        value = evaluation.values[i, column]
        if row["value"] == "missing":
            assert np.isnan(value) and found["zoning_id"] is None, row
            continue
        plan = plan_table()[row["decides"]]
        assert str(found["zoning_id"]).startswith(f"zoning:{plan}/"), row
        assert found["zoning_class"] == row["class"], row
        assert value == pytest.approx(float(row["value"])), row
        with conn.transaction():
            facts = explain(
                profile,
                weights,
                evaluation,
                i,
                found.to_dict() | {"site_id": site},
                feature_names(conn, found.to_dict()),
            )
        zoning = next(b for b in facts["breakdown"] if b["criterion"] == "zoning")["facts"]
        status, date = re.search(
            rf"\| {row['decides']} \| \S+ \| (\w+), ([\d-]+) \|",
            (PROJECT_ROOT / "docs" / "scoring.md").read_text(),
        ).groups()
        assert zoning["zoning"]["plan"] == plan
        assert (zoning["zoning"]["plan_status"], zoning["zoning"]["plan_date"]) == (status, date)
        counted = [(a["name"], a["factor"]) for a in zoning.get("areas", [])]
        listed = [] if row["overlays"].startswith(("none", "-")) else row["overlays"].split(", ")
        named = [item.rsplit(" ", 1) for item in listed]
        expected = [(re.sub(r"^[A-D]'s ", "", name), float(f)) for name, f in named]
        assert sorted(counted) == sorted(expected), row
        assert zoning["zoning"]["overlay_factor"] == pytest.approx(
            float(row["value"]) / (profile.params("zoning")["classes"][row["class"]])
        )


def test_the_lowest_id_would_decide_otherwise(scene: psycopg.Connection[Any]) -> None:
    """The example is chosen so that "the lowest id wins" gives another plan at S1 and S2."""
    lowest = {
        r["site"]: r["code"]
        for r in rows(
            scene,
            "SELECT DISTINCT ON (s.name) s.name AS site, a.code FROM site s JOIN area a"
            " ON a.layer = 'zoning' AND a.props->>'zoning_role' = 'bestemming'"
            " AND ST_Intersects(a.geom, s.geom) ORDER BY s.name, a.id",
        )
    }
    table = plan_table()
    assert lowest["S1"] == table["B"] and lowest["S2"] == table["A"]


def test_the_api_shows_which_plan_decided(
    scene: psycopg.Connection[Any], settings: Settings
) -> None:
    lon, lat = TO_WGS84.transform(150350.0, 420150.0)  # S5
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/score", json={"geometry": {"type": "Point", "coordinates": [lon, lat]}}
        )
    assert response.status_code == 200, response.text
    zoning = next(
        b for b in response.json()["properties"]["breakdown"] if b["criterion"] == "zoning"
    )
    assert zoning["facts"] == {
        "zoning": {
            "class": "gemengd",
            "name": "Gemengd",
            "plan": "NL.IMRO.9999.BPzuid-VA01",
            "plan_name": "Zuid",
            "plan_status": "vastgesteld",
            "plan_date": "2018-06-01",
            "plan_type": "bestemmingsplan",
            "overlay_factor": 1.0,
        }
    }
    lon, lat = TO_WGS84.transform(150350.0, 420050.0)  # S3: the gas pipeline of plan A
    with TestClient(create_app(settings)) as client:
        props = client.post(
            "/api/score", json={"geometry": {"type": "Point", "coordinates": [lon, lat]}}
        ).json()["properties"]
    zoning = next(b for b in props["breakdown"] if b["criterion"] == "zoning")
    assert zoning["value"] == pytest.approx(0.4)
    assert zoning["facts"]["areas"] == [
        {
            "id": "zoning:NL.IMRO.9999.BPdorp-VA01/NL.IMRO.9999.DBdorpgas",
            "name": "Leiding - Gas",
            "category": "leiding",
            "factor": 0.4,
        }
    ]


def test_priority_order() -> None:
    statuses = pd.Series(
        ["ontwerp", "vastgesteld", "vastgesteld", "", "onherroepelijk", "vervallen", "vastgesteld"]
    )
    dates = pd.Series(
        [
            "2024-01-01",
            "2014-01-01",
            "2018-01-01",
            "2030-01-01",
            "2001-01-01",
            "2035-01-01",
            "2018-01-01",
        ]
    )
    plans_ = pd.Series(["p1", "p2", "p3", "p4", "p5", "p6", "p7"])
    order = priority_order(statuses, dates, plans_)
    # onherroepelijk first; then the vastgesteld plans newest first, a tie by the higher plan
    # id; then ontwerp; then unknown status; vervallen last
    assert list(np.argsort(order)) == [4, 6, 2, 1, 0, 3, 5]


@pytest.mark.parametrize(
    ("kind", "factor"),
    [
        ("waarde|waarde - archeologie - 2", 0.9),
        ("leiding|leiding - riool", 0.9),
        ("leiding|leiding - gas", 0.4),  # gas 0.4 is the smaller of its keywords
        ("leiding|leiding - hoogspanningsverbinding", 0.3),
        ("leiding|leidingen", 0.6),  # no keyword: its group
        ("leiding|molenbiotoop", 0.8),  # Gieterveen files it under leiding: its name decides
        ("leiding|archeologisch waardevol gebied", 0.9),
        ("waterstaat|waterstaat - waterkering", 0.5),
        ("veiligheidszone|veiligheidszone - lpg", 0.4),
        ("overige zone|overige zone - kernzone", 1.0),
        ("overig|other: wijzigingsbevoegheid overeenkomstig artikel 27 lid b", 1.0),
    ],
)
def test_overlay_factors(kind: str, factor: float) -> None:
    params = load_profile("standaard").params("zoning")
    assert overlay_factor(kind, params) == factor


def _factors(text: str) -> dict[str, float]:
    """``"a, b 0.9; c 0.8"`` -> ``{"a": 0.9, "b": 0.9, "c": 0.8}``."""
    out: dict[str, float] = {}
    for part in text.split(";"):
        names, value = part.strip().rsplit(" ", 1)
        out |= dict.fromkeys((n.strip() for n in names.split(",")), float(value))
    return out


def test_the_docs_state_the_rule_and_the_factors_of_the_code() -> None:
    text = " ".join((PROJECT_ROOT / "docs" / "scoring.md").read_text().split())
    defaults = catalogue()["zoning"].defaults
    keywords = re.search(r"\(`overlays`: ([^)]*)\)", text)
    groups = re.search(r"\(`overlay_groups`, [^:]*: ([^)]*)\)", text)
    assert keywords and groups
    assert _factors(keywords.group(1)) == defaults["overlays"]
    assert _factors(groups.group(1)) == defaults["overlay_groups"]
    assert f"`overlay_default` {defaults['overlay_default']:g}" in text
    order = re.search(r"the higher planstatus: ([^;]*);", text)
    assert order is not None
    ranks = [[s.strip() for s in level.split("=")] for level in order.group(1).split(">")]
    assert ranks[-1] == ["unknown"]
    expected = sorted(set(STATUS_RANK.values()), reverse=True)
    assert [sorted(level) for level in ranks[:-1]] == [
        sorted(k for k, v in STATUS_RANK.items() if v == rank) for rank in expected
    ]
    assert all(f"a {s}" in text or f"or {s}" in text for s in NEVER_DECIDE)


# ---------------------------------------------------------------------------------------------
# migration 0008 on a database with data


def _alembic(settings: Settings) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", settings.sqlalchemy_url.replace("%", "%%"))
    return cfg


def test_a_database_at_0006_with_plans_upgrades(settings: Settings, drops: Drops) -> None:
    name = settings.database_url.rsplit("/", 1)[1].partition("?")[0] + "_at0006"
    old = settings.model_copy(
        update={"database_url": settings.database_url.rsplit("/", 1)[0] + "/" + name}
    )
    db.ensure_database(old)
    try:
        command.upgrade(_alembic(old), "0006")
        with db.connection(old) as conn:
            run = conn.execute(
                "INSERT INTO etl_run (layer, source, uri, publisher, licence, status, started_at)"
                " VALUES ('zoning', 'imro', 'x', 'p', 'l', 'ok', now()) RETURNING id"
            ).fetchone()
            conn.execute(
                "INSERT INTO area (id, layer, name, source, source_ref, geom, code, category)"
                " VALUES ('zoning:old/1', 'zoning', 'Wonen', 'imro', 'old/1',"
                " ST_Multi(ST_MakeEnvelope(150000, 420000, 150100, 420100, 28992)), 'old',"
                " 'wonen')"
            )
            conn.execute(
                "INSERT INTO quarantine (layer, run_id, source_ref, reason, record)"
                " VALUES ('zoning', %s, 'old/2', 'no geometry', '{}')",
                (run["id"],),  # type: ignore[index]
            )
        command.upgrade(_alembic(old), "head")
        with db.connection(old) as conn:
            kept = conn.execute(
                "SELECT (SELECT partition_key FROM area) AS a,"
                " (SELECT partition_key FROM quarantine) AS q,"
                " (SELECT count(*) FROM area) + (SELECT count(*) FROM quarantine) AS n"
            ).fetchone()
            assert kept == {"a": None, "q": None, "n": 2}
            result = load(conn, C)  # the first partitioned load replaces the old rows
            assert "replaced 1 rows loaded before the layer was partitioned" in result.message
            assert conn.execute("SELECT count(*) AS n FROM quarantine").fetchone() == {"n": 0}
        command.downgrade(_alembic(old), "0006")
        command.upgrade(_alembic(old), "head")
    finally:
        drops.drop(old)  # in the background (conftest.Drops)
