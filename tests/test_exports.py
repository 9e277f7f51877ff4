"""Exports of the site selection (``GET /api/sites?f=csv|geojson|gpkg|xlsx``) on the demo region:
each one holds exactly the sites of every page of the list with the same query, in its order,
with the score, its range, every criterion's raw value, value and contribution, and the
provenance and licences of its data. Files are read back with pyogrio, csv, json, openpyxl."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pyogrio
import pytest
from fastapi.testclient import TestClient

from sitefinder.api import create_app, siteexport
from sitefinder.core import db
from sitefinder.core.settings import Settings
from sitefinder.scoring import criteria, load_profile
from sitefinder.scoring.base import Raw
from sitefinder.scoring.engine import SiteTable

EDE = "gemeente=GM0228&include_excluded=true"
OWN_WEIGHTS = "weights=transit:0.2,daily_needs:0.6,size:0.2"
# a query of every kind: own weights, a filter, the ranking by point score
QUERIES = (
    EDE,
    f"{OWN_WEIGHTS}&kind=vakantiepark&min_score=0.1&rank_by=score",
    "profile=statushouders&bbox=4.85,52.33,4.95,52.40&include_excluded=true",
)


@pytest.fixture(scope="module")
def client(demo_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(demo_settings)) as test_client:
        yield test_client


def _listed(client: TestClient, query: str) -> list[dict[str, Any]]:
    """Every page of the list for ``query``, in order."""
    features: list[dict[str, Any]] = []
    while True:
        page = client.get(f"/api/sites?{query}&limit=500&offset={len(features)}").json()
        features += page["features"]
        if len(features) >= page["total"]:
            return features


def _export(client: TestClient, query: str, fmt: str) -> Any:
    response = client.get(f"/api/sites?{query}&f={fmt}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(siteexport.MEDIA_TYPES[fmt].split(";")[0])
    assert "attachment" in response.headers["content-disposition"]
    return response


def _csv_rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def _gpkg(content: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "export.gpkg"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("query", QUERIES)
def test_every_format_holds_exactly_the_selection(
    client: TestClient, query: str, tmp_path: Path
) -> None:
    listed = _listed(client, query)
    ids = [f["id"] for f in listed]
    assert ids, query  # each query selects something on the demo

    rows = _csv_rows(_export(client, query, "csv").text)
    assert [r["id"] for r in rows] == ids

    collection = json.loads(_export(client, query, "geojson").content)
    assert [f["id"] for f in collection["features"]] == ids
    assert collection["total"] == len(ids)

    path = _gpkg(_export(client, query, "gpkg").content, tmp_path)
    frame = pyogrio.read_dataframe(path, layer="sites")
    assert list(frame["id"]) == ids

    book = openpyxl.load_workbook(
        io.BytesIO(_export(client, query, "xlsx").content), read_only=True
    )
    sheet = list(book["locaties"].iter_rows(values_only=True))
    header = list(sheet[0])
    assert [r[header.index("id")] for r in sheet[1:]] == ids


def test_csv_columns_and_values(client: TestClient) -> None:
    rows = _csv_rows(_export(client, f"{EDE}&{OWN_WEIGHTS}", "csv").text)
    header = list(rows[0])
    assert header == siteexport.columns()
    for name, criterion in criteria.catalogue().items():
        unit = criterion.unit.replace("/", "_per_")
        assert {f"{name}_raw_{unit}", f"{name}_value", f"{name}_contribution"} <= set(header)
    listed = {f["id"]: f["properties"] for f in _listed(client, f"{EDE}&{OWN_WEIGHTS}")}
    for row in rows:
        site = listed[row["id"]]
        assert row["rank"] == ("" if site["rank"] is None else str(site["rank"]))
        for key in ("score", "score_low", "score_high", "completeness"):
            if site[key] is None:
                assert row[key] == "", (row["id"], key)
            else:
                assert float(row[key]) == pytest.approx(site[key], abs=1e-4), (row["id"], key)
        # the contributions add up to the score of a site that is not excluded
        if row["score"]:
            total = sum(float(row[f"{n}_contribution"]) for n in criteria.catalogue())
            assert total == pytest.approx(float(row["score"]), abs=2e-3), row["id"]
        # provenance of the site's own record
        assert row["source"] and row["source_ref"] and row["licence"] and row["publisher"]
        assert row["status"] == "niet_beoordeeld"  # nobody flagged anything here
    assert "OpenStreetMap" in rows[0]["attribution"] and "CC BY 4.0" in rows[0]["attribution"]


def test_csv_raw_values_are_the_breakdown(client: TestClient) -> None:
    """Raw value, value and contribution of each criterion are those of the site's detail."""
    rows = _csv_rows(_export(client, f"{EDE}&{OWN_WEIGHTS}", "csv").text)
    for row in rows[:3]:
        detail = client.get(f"/api/sites/{row['id']}?{OWN_WEIGHTS}").json()["properties"]
        for item in detail["breakdown"]:
            name = item["criterion"]
            unit = criteria.catalogue()[name].unit.replace("/", "_per_")
            raw = row[f"{name}_raw_{unit}"]
            if item["raw"] is None:
                assert raw == "", (row["id"], name)
            elif isinstance(item["raw"], str):
                assert raw == item["raw"], (row["id"], name)
            else:
                assert float(raw) == pytest.approx(item["raw"], abs=0.06), (row["id"], name)
            value = row[f"{name}_value"]
            assert (value == "") == (item["value"] is None), (row["id"], name)
            if item["value"] is not None:
                assert float(value) == pytest.approx(item["value"], abs=1e-4)
            contribution = float(row[f"{name}_contribution"])
            assert contribution == pytest.approx(item["contribution"], abs=1e-4), (row["id"], name)


def test_geopackage_is_rd_new_with_sources_and_licences(client: TestClient, tmp_path: Path) -> None:
    path = _gpkg(_export(client, EDE, "gpkg").content, tmp_path)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"sites", "sources"}
    info = pyogrio.read_info(path, layer="sites")
    assert info["crs"] == "EPSG:28992"
    frame = pyogrio.read_dataframe(path, layer="sites")
    # RD New metres: Ede lies about x 170-185 km, y 440-465 km
    west, south, east, north = frame.total_bounds
    assert 160_000 < west < east < 190_000 and 435_000 < south < north < 470_000
    assert set(frame.geom_type) <= {"Point", "MultiPolygon", "Polygon"}
    assert frame["score"].notna().any() and frame["source"].notna().all()
    sources = pyogrio.read_dataframe(path, layer="sources")
    by_layer = sources.set_index("layer")
    for layer in ("holidayparks", "plots", "gemeenten", "supermarkets", "natura2000"):
        assert by_layer.loc[layer, "licence"], layer
        assert by_layer.loc[layer, "publisher"], layer
    assert "ODbL" in by_layer.loc["supermarkets", "licence"]
    meta = info["layer_metadata"]
    assert json.loads(meta["profile"]) == "standaard"
    assert json.loads(meta["filters"])["gemeente"] == "GM0228"
    assert "OpenStreetMap" in meta["DESCRIPTION"]


def test_geojson_carries_its_sources(client: TestClient) -> None:
    collection = json.loads(_export(client, f"{EDE}&{OWN_WEIGHTS}", "geojson").content)
    assert collection["type"] == "FeatureCollection"
    assert collection["weights"]["daily_needs"] == pytest.approx(0.6)
    assert "OpenStreetMap" in collection["attribution"]
    assert {s["layer"] for s in collection["sources"]} >= {"holidayparks", "care", "zoning"}
    assert all(s["licence"] for s in collection["sources"])
    feature = next(f for f in collection["features"] if f["geometry"]["type"] == "Point")
    lon, lat = feature["geometry"]["coordinates"][:2]
    assert 5.5 < lon < 6.0 and 51.9 < lat < 52.2  # WGS84 degrees, in Ede
    assert feature["properties"]["licence"] and "transit_value" in feature["properties"]


def test_xlsx_has_a_sheet_of_sources(client: TestClient) -> None:
    content = _export(client, EDE, "xlsx").content
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == ["locaties", "bronnen"]
    header = next(book["locaties"].iter_rows(values_only=True))
    assert list(header) == [c for c in siteexport.columns() if c != "attribution"]
    about = list(book["bronnen"].iter_rows(values_only=True))
    assert about[0][:3] == ("layer", "source", "publisher")
    assert "holidayparks" in {row[0] for row in about}
    assert any(row[0] == "attribution" and "OpenStreetMap" in row[1] for row in about)


def test_csv_and_geojson_are_streamed(client: TestClient) -> None:
    for fmt in ("csv", "geojson"):
        with client.stream("GET", f"/api/sites?include_excluded=true&f={fmt}") as response:
            assert response.status_code == 200
            assert "content-length" not in response.headers  # sent in chunks as written
            chunks = list(response.iter_bytes())
        assert len(b"".join(chunks)) > 0


def test_a_selection_over_the_limit_is_refused(demo_settings: Settings) -> None:
    small = demo_settings.model_copy(update={"api_export_max_sites": 10})
    with TestClient(create_app(small)) as limited:
        response = limited.get(f"/api/sites?{EDE}&f=gpkg")
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert "more than an export may hold (10)" in detail and "narrow it" in detail
        assert limited.get("/api/sites?gemeente=GM0228&limit=5").status_code == 200
        ok = limited.get("/api/sites?gemeente=GM0228&kind=kavel&f=csv")
        assert ok.status_code == 200  # three plots in Ede: within the limit


def test_unknown_format_and_empty_selection(client: TestClient, tmp_path: Path) -> None:
    response = client.get("/api/sites?f=pdf")
    assert response.status_code == 422 and "f must be one of" in response.json()["detail"]
    nowhere = "bbox=3.0,50.0,3.0,50.0"
    assert _csv_rows(_export(client, nowhere, "csv").text) == []
    assert json.loads(_export(client, nowhere, "geojson").content)["features"] == []
    path = _gpkg(_export(client, nowhere, "gpkg").content, tmp_path)
    assert len(pyogrio.read_dataframe(path, layer="sites")) == 0
    assert len(pyogrio.read_dataframe(path, layer="sources")) > 0


@pytest.mark.parametrize("profile", ["standaard", "statushouders"])
def test_vectorised_readings_are_the_reading_of_each_site(
    demo_settings: Settings, profile: str
) -> None:
    """A criterion's ``readings`` (all sites at once, used by the exports) gives what its
    ``reading`` gives site by site (used by the site detail)."""
    with db.connection(demo_settings) as conn:
        table = SiteTable.load(conn, 0)
    chosen = load_profile(profile)
    rows = table.raw.iloc[::4].reset_index(drop=True)  # a quarter of the demo sites
    vectorised = [c for c in criteria.catalogue().values() if c.readings is not None]
    assert vectorised, "no criterion declares readings"
    for criterion in vectorised:
        params = chosen.params(criterion.name)
        assert criterion.readings is not None
        together = criterion.readings(Raw(rows), params)
        for k, row in enumerate(rows.to_dict("records")):
            one = criterion.reading({str(key): v for key, v in row.items()}, params)
            if one is None:
                assert np.isnan(together[k]), (criterion.name, row["site_id"])
            else:
                assert together[k] == pytest.approx(one), (criterion.name, row["site_id"])
