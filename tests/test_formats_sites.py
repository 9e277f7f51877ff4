"""The site pipelines' official formats, each loaded from its sample into a real PostGIS.

Offices: LV-BAG 2.0 XML (real Doesburg extract; plain, zipped and zip-of-zips), the BAG
GeoPackage and the PDOK BAG OGC API JSON (both written from the same Doesburg records), and
the vacancy register (CSV and XLSX) matched by BAG id and by address. Plots: the raw DKK GML
v4/v5 (equal to the derived GeoJSON) and the PDOK BRK OGC API JSON. Holiday parks: TOP10NL
FunctioneelGebied GML and a province's register merged with OSM and the park list. Broken
files fail with a one-line SourceFileError and leave the loaded layer as it was; a second
run is 'unchanged', a forced one identical. Counts were measured on the bundled files.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pyogrio
import pytest
import shapely

from etl import get_pipeline
from etl.bag_offices import BagOffices
from etl.declarations import RunResult
from etl.holidayparks import HolidayParks
from etl.loading import no_progress, run_pipeline
from etl.lvbag import read_lvbag
from etl.top10nl import read_functioneel_gebied
from etl.validation import POLYGONAL
from layers import catalogue
from sitefinder.core import db
from sitefinder.core.errors import SourceFileError
from sitefinder.core.settings import Settings

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
VBO_XML = DEMO / "bag/raw/0221VBO15092020-000001.xml"
NUM_XML = DEMO / "bag/raw/0221NUM15092020-000001.xml"
GPKG = DEMO / "bag/doesburg_0221_vbo_bag_light_2020-09-15.gpkg"
OGC_VBO = DEMO / "bag/doesburg_0221_vbo_pdok_ogcapi_v2.json"
BAGADRES = DEMO / "bag/amsterdam_bagadresplus_nlextract.csv"
VBO_2015 = DEMO / "bag/amsterdam_vbo_sample_2015_rd.geojson"
REGISTER_CSV = DEMO / "offices/leegstandsregister_amsterdam_voorbeeld.csv"
REGISTER_XLSX = DEMO / "offices/leegstandsregister_amsterdam_voorbeeld.xlsx"
MUNICIPAL = DEMO / "offices/kantoren_leegstand_transformatiepotentie_per_gemeente_2015.csv"
DKK_V4 = DEMO / "cadastre/raw/dkk_v4_perceel_amsterdam.gml"
DKK_V5 = DEMO / "cadastre/raw/dkk_v5_kadastralekaart_perceel_otterlo.gml"
DKK_V4_JSON = DEMO / "cadastre/brk_dkk_v4_percelen_amsterdam_zuidas_rd.geojson"
DKK_V5_JSON = DEMO / "cadastre/brk_dkk_v5_percelen_otterlo_rd.geojson"
OGC_PERCEEL = DEMO / "cadastre/pdok_ogcapi_perceel_otterlo.json"
CAMPSITES = DEMO / "holidayparks/osm_nl_campsites_tourism_camp_site.geojson"
PARKLIST = DEMO / "holidayparks/vakantieparken_nl_list_geocoded.geojson"
TOP10NL = DEMO / "holidayparks/top10nl_functioneelgebied_ede_voorbeeld.gml"
PARK_REGISTER = DEMO / "holidayparks/gelderland_vakantieparkenregister_voorbeeld.csv"

UNMATCHED = "vacancy record matches no BAG office unit"
NO_TAGS = "OSM record without a tourism tag (it has no tags at all): not known as a campsite"
NOT_COVERED = "no building data covers this parcel: cannot tell whether it is built on"
DOESBURG = {"0221010000330226", "0221010000330999"}
HOLIDAY_FILES = [CAMPSITES, PARKLIST, TOP10NL, PARK_REGISTER]


def run(
    conn: psycopg.Connection[Any], name: str, paths: list[Path], *, force: bool = False
) -> RunResult:
    # these tests load files of every size into one database, one after the other: the loss
    # guard (tested in test_load_guard.py) would refuse the small ones
    return run_pipeline(
        conn, get_pipeline(name), paths, force=force, progress=no_progress, accept_loss=True
    )


def counts(result: RunResult) -> tuple[str, int, int, int, dict[str, int]]:
    return result.status, result.n_read, result.n_loaded, result.n_quarantined, result.reasons


def fingerprint(
    conn: psycopg.Connection[Any], layer: str, *, sources: bool = True
) -> tuple[int, str]:
    """Rows and a hash of ids, geometries, props and (unless told not to) sources."""
    extra = " || sources::text" if sources else ""
    row = conn.execute(
        "SELECT count(*) AS n, md5(string_agg(id || ST_AsEWKT(geom) || props::text"
        + extra
        + ", '|' ORDER BY id)) AS md5 FROM site WHERE layer = %s",
        (layer,),
    ).fetchone()
    assert row is not None
    return row["n"], row["md5"]


def site(conn: psycopg.Connection[Any], layer: str, ref: str) -> dict[str, Any]:
    row = conn.execute(
        "SELECT name, source, floor_area_m2, area_m2, gemeentecode, props, sources,"
        " ST_GeometryType(geom) AS type, ST_Area(geom) AS geom_m2 FROM site"
        " WHERE layer = %s AND source_ref = %s",
        (layer, ref),
    ).fetchone()
    assert row is not None, ref
    return dict(row)


def quarantine(conn: psycopg.Connection[Any], layer: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT source_ref, reason FROM quarantine WHERE layer = %s", (layer,)
    ).fetchall()
    return {r["source_ref"]: r["reason"] for r in rows}


def as_offices(source: Path, target: Path) -> Path:
    """The real LV-BAG file with every ``gebruiksdoel`` made ``kantoorfunctie`` (a test copy)."""
    text = source.read_text(encoding="utf-8")
    for use in ("woonfunctie", "overige gebruiksfunctie"):
        text = text.replace(
            f"<Objecten:gebruiksdoel>{use}</Objecten:gebruiksdoel>",
            "<Objecten:gebruiksdoel>kantoorfunctie</Objecten:gebruiksdoel>",
        )
    target.write_text(text, encoding="utf-8")
    return target


def one_line_error(conn: psycopg.Connection[Any], layer: str, paths: list[Path]) -> str:
    with pytest.raises(SourceFileError) as error:
        run(conn, layer, paths)
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.fixture(scope="module")
def buildings(settings: Settings) -> Iterator[None]:
    """The building layers the plots pipeline judges parcels against (demo data)."""
    with db.connection(settings) as conn:
        for name in ("bag_panden", "bgt_panden"):
            pipeline = get_pipeline(name)
            assert run(conn, name, pipeline.default_paths(DEMO)).status == "ok"
    yield


# --------------------------------------------------------------------------------------------
# offices: LV-BAG XML, GeoPackage, OGC API


def test_lvbag_reader_takes_the_current_voorkomen() -> None:
    vbo = read_lvbag(VBO_XML, "VBO")
    assert vbo.n_historic == 3  # 0221010000330226 has 4 voorkomens; 3 have ended
    units = vbo.frame.set_index("identificatie")
    assert set(units.index) == DOESBURG
    assert units.loc["0221010000330226", "oppervlakte"] == 223  # was 306, 315, 223
    assert units.loc["0221010000330226", "status"] == "Verbouwing verblijfsobject"
    assert units.loc["0221010000330999", "oppervlakte"] == 18
    assert list(units.loc["0221010000330999", "pandRef"]) == ["0221100000311191"]
    num = read_lvbag(NUM_XML, "NUM").frame.set_index("identificatie")
    assert (len(num), num.loc["0221200000330227", "postcode"]) == (9, "6981CH")


def test_offices_from_lvbag_xml(
    settings: Settings, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    # The real extract holds no office: it loads, and the layer is empty.
    result = run(conn, "offices", [VBO_XML, NUM_XML])
    assert counts(result) == ("ok", 0, 0, 0, {})
    # The same records with kantoorfunctie: both units (current voorkomen) become offices.
    xml = as_offices(VBO_XML, tmp_path / "0221VBO15092020-000001.xml")
    result = run(conn, "offices", [xml, NUM_XML])
    assert counts(result) == ("ok", 2, 2, 0, {})
    unit = site(conn, "offices", "0221010000330226")
    assert unit["floor_area_m2"] == 223.0
    assert unit["name"] == "Kantoor 0221010000330226"
    assert unit["props"]["status"] == "Verbouwing verblijfsobject"
    assert unit["props"]["postcode"] == "6981CH"  # the hoofdadres, from the NUM file
    assert unit["props"]["pand_id"] == "0221100000312938"
    assert unit["props"]["leegstand"] == "onbekend"
    assert [s["source"] for s in unit["sources"]] == ["lvbag_extract"]
    small = site(conn, "offices", "0221010000330999")
    assert (small["floor_area_m2"], small["props"]["places"]) == (18.0, 0)
    before = fingerprint(conn, "offices", sources=False)

    # Zipped, and as Kadaster delivers it (a zip of zips): the same result (only the file
    # names in ``sources`` differ).
    inner = tmp_path / "0221VBO15092020.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        archive.write(xml, xml.name)
        archive.write(NUM_XML, NUM_XML.name)
    outer = tmp_path / "BAGGEM0221L-15092020.zip"
    with zipfile.ZipFile(outer, "w") as archive:
        archive.write(inner, inner.name)
    for path in (inner, outer):
        assert counts(run(conn, "offices", [path])) == ("ok", 2, 2, 0, {})
        assert fingerprint(conn, "offices", sources=False) == before


def test_offices_statuses(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    """Not-existing statuses are left out, unknown ones quarantined."""
    xml = as_offices(VBO_XML, tmp_path / "0221VBO15092020-000001.xml")
    text = xml.read_text().replace("Verbouwing verblijfsobject", "Verblijfsobject ingetrokken")
    xml.write_text(text.replace(">Verblijfsobject in gebruik<", ">Iets anders<"))
    pipeline = get_pipeline("offices")
    assert isinstance(pipeline, BagOffices)
    frame = pipeline.read([xml])
    assert pipeline.filtered == {"historic voorkomens": 3, "verblijfsobject ingetrokken": 1}
    assert list(frame["source_ref"]) == ["0221010000330999"]
    result = run(conn, "offices", [xml])
    assert counts(result) == (
        "ok",
        1,
        0,
        1,
        {"unknown BAG verblijfsobject status: Iets anders": 1},
    )


def test_offices_from_geopackage(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    assert counts(run(conn, "offices", [GPKG])) == ("ok", 0, 0, 0, {})
    frame = pyogrio.read_dataframe(GPKG, layer="verblijfsobject")
    frame.loc[frame["identificatie"] == "0221010000330999", "gebruiksdoel"] = (
        "kantoorfunctie,overige gebruiksfunctie"
    )
    variant = tmp_path / "bag-light.gpkg"
    pyogrio.write_dataframe(frame, variant, layer="verblijfsobject", driver="GPKG")
    assert counts(run(conn, "offices", [variant])) == ("ok", 1, 1, 0, {})
    unit = site(conn, "offices", "0221010000330999")
    assert unit["floor_area_m2"] == 18.0
    assert unit["gemeentecode"] == "GM0221"  # bronhouder_identificatie
    assert unit["props"]["gebruiksdoelen"] == ["kantoorfunctie", "overige gebruiksfunctie"]
    assert unit["props"]["bouwjaar"] == 1992
    assert [s["source"] for s in unit["sources"]] == ["bag_geopackage"]


def test_offices_from_ogc_api_json(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    assert counts(run(conn, "offices", [OGC_VBO])) == ("ok", 0, 0, 0, {})
    page = json.loads(OGC_VBO.read_text())
    page["features"][0]["properties"]["gebruiksdoel"] = ["woonfunctie", "kantoorfunctie"]
    page["features"][1]["properties"]["gebruiksdoel"] = "kantoorfunctie,winkelfunctie"
    variant = tmp_path / "verblijfsobject.json"
    variant.write_text(json.dumps(page))
    assert counts(run(conn, "offices", [variant])) == ("ok", 2, 2, 0, {})
    unit = site(conn, "offices", "0221010000330226")
    assert unit["floor_area_m2"] == 223.0
    assert unit["props"]["gebruiksdoelen"] == ["kantoorfunctie", "woonfunctie"]
    other = site(conn, "offices", "0221010000330999")
    assert other["props"]["gebruiksdoelen"] == ["kantoorfunctie", "winkelfunctie"]
    # CRS84 in, RD out: within a millimetre of the XML's point.
    point = conn.execute(
        "SELECT ST_X(geom) AS x, ST_Y(geom) AS y FROM site WHERE id = 'offices:0221010000330226'"
    ).fetchone()
    assert point is not None
    assert abs(point["x"] - 206335.699) < 0.01 and abs(point["y"] - 447529.842) < 0.01


# --------------------------------------------------------------------------------------------
# offices: vacancy


def test_vacancy_register_csv_demo(conn: psycopg.Connection[Any]) -> None:
    pipeline = get_pipeline("offices")
    result = run(conn, "offices", pipeline.default_paths(DEMO))
    assert counts(result) == ("ok", 18, 16, 2, {UNMATCHED: 2})  # 2 register rows read too
    by_id = site(conn, "offices", "0363010000977860")  # De Ruijterkade 107
    assert by_id["props"]["leegstand"] == "leeg"
    assert by_id["props"]["leeg_sinds"] == "2023-03-01"
    assert by_id["props"]["leegstand_m2"] == 1774.0
    assert by_id["sources"][-1] == {
        "source": "leegstandsregister",
        "source_ref": "leegstandsregister:LR-2024-0012",
        "file": "leegstandsregister_amsterdam_voorbeeld.csv",
        "match": "bag id",
        "leeg_sinds": "2023-03-01",
        "vloeroppervlak_m2": 1774.0,
    }
    # By address only: '1011 AB' 120 + toevoeging H; '1011am' 120.
    for ref, register in (
        ("0363010000618807", "LR-2024-0013"),
        ("0363010000783155", "LR-2024-0019"),
    ):
        unit = site(conn, "offices", ref)
        assert unit["props"]["leegstand"] == "leeg"
        assert unit["sources"][-1]["source_ref"] == f"leegstandsregister:{register}"
        assert unit["sources"][-1]["match"] == "adres"
    # Not in the register: unknown, as before.
    assert site(conn, "offices", "0363010000618805")["props"]["leegstand"] == "onbekend"
    leeg = conn.execute(
        "SELECT count(*) AS n FROM site WHERE layer = 'offices' AND props->>'leegstand' = 'leeg'"
    ).fetchone()
    assert leeg == {"n": 4}
    assert quarantine(conn, "offices") == {
        "leegstandsregister:LR-2024-0027": UNMATCHED,  # De Ruijterkade 110-2, a dwelling
        "leegstandsregister:LR-2024-0030": UNMATCHED,  # Prins Hendrikkade 131: no such unit
    }
    record = conn.execute(
        "SELECT record FROM quarantine WHERE source_ref = 'leegstandsregister:LR-2024-0027'"
    ).fetchone()
    assert record is not None
    assert record["record"]["props"]["huisnummertoevoeging"] == "2"  # the register row
    assert record["record"]["props"]["file"] == "leegstandsregister_amsterdam_voorbeeld.csv"
    assert record["record"]["name"] == "De Ruijterkade 110 1011AB"
    # Municipal context from the 2015 figures (Amsterdam: 284,550 m² vacant office space).
    assert by_id["props"]["leegstand_gemeente_m2"] == 284550.0


def test_vacancy_register_xlsx(conn: psycopg.Connection[Any]) -> None:
    result = run(conn, "offices", [BAGADRES, VBO_2015, REGISTER_XLSX])
    assert counts(result) == ("ok", 17, 16, 1, {UNMATCHED: 1})
    matches = conn.execute(
        "SELECT source_ref, props->>'leeg_sinds' AS since, s->>'match' AS how"
        " FROM site, jsonb_array_elements(sources) AS s WHERE layer = 'offices'"
        " AND s->>'source' = 'leegstandsregister' ORDER BY source_ref"
    ).fetchall()
    assert [tuple(r.values()) for r in matches] == [
        ("0363010000712888", "2024-02-15", "bag id"),
        ("0363010000839440", "2023-06-01", "bag id"),  # the id lost its leading zero in Excel
        ("0363010000957773", "2022-12-01", "adres"),  # Houtkopersdwarsstraat 6, '1011 AL'
    ]
    assert quarantine(conn, "offices") == {"leegstandsregister:LR-2024-0034": UNMATCHED}


def test_vacancy_by_address_on_lvbag(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    """The address a register gives is matched against the LV-BAG NUM addresses."""
    xml = as_offices(VBO_XML, tmp_path / "0221VBO15092020-000001.xml")
    register = tmp_path / "leegstand_doesburg.csv"
    register.write_text(
        "Kenmerk,Postcode,Huisnummer,Toevoeging,Leeg sinds,Vloeroppervlak (m2)\n"
        "D-1,6981 ch,4,,15-01-2024,200\n"
        "D-2,6981EA,12,,2024-02-01,\n"
    )
    result = run(conn, "offices", [xml, NUM_XML, register])
    assert counts(result) == ("ok", 3, 2, 1, {UNMATCHED: 1})
    unit = site(conn, "offices", "0221010000330226")
    assert (unit["props"]["leegstand"], unit["props"]["leeg_sinds"]) == ("leeg", "2024-01-15")
    assert unit["props"]["leegstand_m2"] == 200.0
    assert quarantine(conn, "offices") == {"leegstandsregister:D-2": UNMATCHED}


def test_offices_broken_files(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    assert run(conn, "offices", get_pipeline("offices").default_paths(DEMO), force=True)
    before = fingerprint(conn, "offices")
    data = VBO_XML.read_bytes()
    truncated = tmp_path / "0221VBO15092020-000001.xml"
    truncated.write_bytes(data[: len(data) // 2])
    assert "cannot read LV-BAG file" in one_line_error(conn, "offices", [truncated])
    broken_zip = tmp_path / "0221VBO15092020.zip"
    with zipfile.ZipFile(broken_zip, "w") as archive:
        archive.write(VBO_XML, VBO_XML.name)
    broken_zip.write_bytes(broken_zip.read_bytes()[:600])
    assert "not a zip file" in one_line_error(conn, "offices", [broken_zip])
    gpkg = tmp_path / "bag-light.gpkg"
    gpkg.write_bytes(GPKG.read_bytes()[:20000])
    assert "cannot read" in one_line_error(conn, "offices", [gpkg])
    page = tmp_path / "verblijfsobject.json"
    page.write_text(OGC_VBO.read_text()[:300])
    assert "cannot read" in one_line_error(conn, "offices", [page])
    garbage = tmp_path / "leegstand.csv"
    garbage.write_bytes(bytes(range(256)) * 8)
    assert "cannot read leegstand.csv" in one_line_error(conn, "offices", [BAGADRES, garbage])
    xlsx = tmp_path / "leegstand.xlsx"
    xlsx.write_bytes(REGISTER_XLSX.read_bytes()[:1000])
    assert "cannot read leegstand.xlsx" in one_line_error(conn, "offices", [BAGADRES, xlsx])
    assert fingerprint(conn, "offices") == before


# --------------------------------------------------------------------------------------------
# plots: raw DKK GML, OGC API


def test_plots_raw_gml_equals_the_derived_geojson(
    buildings: None, conn: psycopg.Connection[Any]
) -> None:
    pipeline = get_pipeline("plots")
    gml = pipeline.read([DKK_V4, DKK_V5])
    derived = pipeline.read([DKK_V4_JSON, DKK_V5_JSON])
    assert len(gml) == 19
    assert list(gml["source_ref"]) == list(derived["source_ref"])
    assert list(gml["area_m2"]) == list(derived["area_m2"])  # kadastrale grootte
    drawn = shapely.area(gml.geometry.to_numpy()) - shapely.area(derived.geometry.to_numpy())
    assert abs(drawn).max() < 1.0
    assert gml.loc[gml["source_ref"] == "11720001070000", "area_m2"].item() == 29250.0

    result = run(conn, "plots", [DKK_V4, DKK_V5])  # the demo default
    assert counts(result) == ("ok", 19, 3, 8, {NOT_COVERED: 8})
    from_gml = fingerprint(conn, "plots")
    assert site(conn, "plots", "84920231870000")["area_m2"] == 6345.0  # Otterlo B 2318
    assert counts(run(conn, "plots", [DKK_V4_JSON, DKK_V5_JSON])) == counts(result)
    assert fingerprint(conn, "plots") == from_gml


def test_plots_from_ogc_api_json(buildings: None, conn: psycopg.Connection[Any]) -> None:
    result = run(conn, "plots", [OGC_PERCEEL])
    assert counts(result) == ("ok", 11, 3, 0, {})
    rows = conn.execute(
        "SELECT source_ref, name, area_m2, ST_Area(geom) AS m2 FROM site WHERE layer = 'plots'"
        " ORDER BY source_ref"
    ).fetchall()
    assert [(r["source_ref"], r["name"], r["area_m2"]) for r in rows] == [
        ("84920231870000", "Otterlo B 2318", 6345.0),
        ("84920232070000", "Otterlo B 2320", 6.0),
        ("84920262570000", "Otterlo B 2625", 210.0),
    ]
    gml = get_pipeline("plots").read([DKK_V5]).set_index("source_ref")
    for row in rows:  # CRS84 round trip: the polygon's area within 1 m² of the GML's
        assert abs(row["m2"] - gml.geometry[row["source_ref"]].area) < 1.0


def test_plots_broken_files(buildings: None, conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    assert run(conn, "plots", [DKK_V4, DKK_V5], force=True).status == "ok"
    before = fingerprint(conn, "plots")
    data = DKK_V5.read_bytes()
    truncated = tmp_path / "kadastralekaart_perceel.gml"
    truncated.write_bytes(data[: len(data) // 2])
    assert "is not valid XML" in one_line_error(conn, "plots", [truncated])
    other = tmp_path / "other.gml"
    other.write_text("<root><thing/></root>")
    assert "holds no DKK Perceel" in one_line_error(conn, "plots", [other])
    page = tmp_path / "perceel.json"
    page.write_text(OGC_PERCEEL.read_text()[:500])
    assert "cannot read" in one_line_error(conn, "plots", [page])
    assert fingerprint(conn, "plots") == before


# --------------------------------------------------------------------------------------------
# holiday parks: TOP10NL + register + OSM + park list


def test_holidayparks_three_way_merge(conn: psycopg.Connection[Any]) -> None:
    pipeline = get_pipeline("holidayparks")
    assert isinstance(pipeline, HolidayParks)
    result = run(conn, "holidayparks", HOLIDAY_FILES)
    assert counts(result) == (
        "ok",
        3209,
        3203,
        6,
        {NO_TAGS: 4, "duplicate id": 1, "no geometry": 1},
    )
    pipeline.read(HOLIDAY_FILES)
    assert pipeline.matches == {"osm id": 24, "nearest": 49, "list only": 60}
    assert pipeline.merged == {
        "osm into top10nl": 4,
        "parklist into top10nl": 0,
        "register joined": 6,
        "register only": 1,
    }
    polygons = pipeline.layer_decl.geometry_type != "Point"
    dikkenberg = site(conn, "holidayparks", "top10nl:900000002")
    assert dikkenberg["name"] == "De Dikkenberg"
    assert dikkenberg["source"] == "top10nl"
    assert dikkenberg["area_m2"] == 56500.0
    assert [s["source_ref"] for s in dikkenberg["sources"]] == [
        "top10nl:900000002",
        "osm:way/1127339822",
        "parklist:79",
        "parkregister:1",
    ]
    assert dikkenberg["sources"][1]["match"] == "inside the top10nl polygon"
    assert dikkenberg["props"]["top10nl_type"] == "recreatiepark"
    assert dikkenberg["props"]["list_name"] == "Recreatiepark De Dikkenberg"
    assert dikkenberg["props"]["register_status"] == "in exploitatie"
    if polygons:  # the layer keeps the TOP10NL polygon
        assert dikkenberg["type"] == "ST_MultiPolygon"
        assert round(dikkenberg["geom_m2"]) == 56500
    else:  # a point layer: the campsite's own point
        assert dikkenberg["type"] == "ST_Point"
    # Two OSM campsites in one kampeerterrein polygon: one site with both.
    otterlo = site(conn, "holidayparks", "top10nl:900000001")
    assert otterlo["name"] == "Camping Otterlo"
    assert [s["source_ref"] for s in otterlo["sources"]] == [
        "top10nl:900000001",
        "osm:way/103199174",
        "osm:way/1435855587",
        "parkregister:2",
    ]
    assert otterlo["props"]["aantal_plaatsen"] == 39
    gone = conn.execute(
        "SELECT count(*) AS n FROM site WHERE layer = 'holidayparks' AND source_ref = ANY(%s)",
        (["osm:way/103199174", "osm:way/1435855587", "osm:way/1127339822", "parklist:79"],),
    ).fetchone()
    assert gone == {"n": 0}  # folded into the TOP10NL sites, not loaded twice
    # A register entry joining a list-only park, and one without coordinates.
    berkenrhode = site(conn, "holidayparks", "parklist:142")
    assert [s["source_ref"] for s in berkenrhode["sources"]] == ["parklist:142", "parkregister:5"]
    assert quarantine(conn, "holidayparks")["parkregister:7"] == "no geometry"
    by_source = conn.execute(
        "SELECT source, count(*) AS n FROM site WHERE layer = 'holidayparks'"
        " GROUP BY source ORDER BY source"
    ).fetchall()
    assert [(r["source"], r["n"]) for r in by_source] == [
        ("osm", 3141),
        ("parklist", 59),
        ("top10nl", 3),
    ]


def test_top10nl_sites_on_their_own() -> None:
    """TOP10NL alone: one site per polygon; its geometry follows the layer declaration."""
    pipeline = get_pipeline("holidayparks")
    frame = pipeline.read([TOP10NL])
    assert list(frame["source_ref"]) == [f"top10nl:90000000{i}" for i in (1, 2, 3)]
    assert list(frame["area_m2"]) == [16100.0, 56500.0, 25675.0]
    types = set(frame.geom_type)
    if pipeline.layer_decl.geometry_type in (*POLYGONAL, "Geometry", "GEOMETRY"):
        assert types == {"MultiPolygon"}
    else:
        assert types == {"Point"}
        # No campsite given: a point on the polygon's surface.
        polygons = read_functioneel_gebied(TOP10NL).geometry
        assert shapely.contains(polygons, frame.geometry.to_numpy()).all()


def test_holidayparks_polygons_in_a_geometry_layer(
    conn: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Declared with a generic geometry type, the layer keeps the TOP10NL polygons."""
    declared = catalogue()["holidayparks"]
    monkeypatch.setitem(
        catalogue(), "holidayparks", dataclasses.replace(declared, geometry_type="Geometry")
    )
    result = run(conn, "holidayparks", HOLIDAY_FILES, force=True)
    assert counts(result)[:3] == ("ok", 3209, 3203)
    rows = conn.execute(
        "SELECT source_ref, ST_GeometryType(geom) AS type, ST_Area(geom) AS m2, area_m2"
        " FROM site WHERE layer = 'holidayparks' AND source = 'top10nl' ORDER BY source_ref"
    ).fetchall()
    assert [(r["source_ref"], r["type"], round(r["m2"]), r["area_m2"]) for r in rows] == [
        ("top10nl:900000001", "ST_MultiPolygon", 16100, 16100.0),
        ("top10nl:900000002", "ST_MultiPolygon", 56500, 56500.0),  # with its interior ring
        ("top10nl:900000003", "ST_MultiPolygon", 25675, 25675.0),  # two parts
    ]
    monkeypatch.undo()
    assert run(conn, "holidayparks", HOLIDAY_FILES, force=True).status == "ok"


def test_holidayparks_broken_files(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    assert run(conn, "holidayparks", HOLIDAY_FILES, force=True).status == "ok"
    before = fingerprint(conn, "holidayparks")
    data = TOP10NL.read_bytes()
    truncated = tmp_path / "top10nl_functioneelgebied.gml"
    truncated.write_bytes(data[: len(data) // 2])
    assert "is not valid XML" in one_line_error(conn, "holidayparks", [CAMPSITES, truncated])
    empty = tmp_path / "top10nl_wegdeel.gml"
    empty.write_text("<FeatureCollectionT10NL/>")
    assert "holds no TOP10NL FunctioneelGebied" in one_line_error(conn, "holidayparks", [empty])
    bad_zip = tmp_path / "top10nl.zip"
    bad_zip.write_bytes(b"PK\x03\x04 not really a zip")
    assert "not a zip file" in one_line_error(conn, "holidayparks", [bad_zip])
    garbage = tmp_path / "register.csv"
    garbage.write_bytes(bytes(range(256)) * 8)
    assert "cannot read register.csv" in one_line_error(conn, "holidayparks", [CAMPSITES, garbage])
    no_coordinates = tmp_path / "register2.csv"
    no_coordinates.write_text("naam;gemeente\nDe Wije Werelt;Ede\n")
    assert "is not a park register" in one_line_error(conn, "holidayparks", [no_coordinates])
    assert fingerprint(conn, "holidayparks") == before


# --------------------------------------------------------------------------------------------
# reruns


@pytest.mark.parametrize(
    ("layer", "paths"),
    [
        ("offices", [BAGADRES, VBO_2015, VBO_XML, NUM_XML, REGISTER_CSV, MUNICIPAL]),
        ("offices", [GPKG, OGC_VBO, REGISTER_XLSX, BAGADRES]),
        ("plots", [DKK_V4, DKK_V5]),
        ("plots", [OGC_PERCEEL]),
        ("holidayparks", HOLIDAY_FILES),
    ],
)
def test_rerun_unchanged_and_forced_identical(
    buildings: None, conn: psycopg.Connection[Any], layer: str, paths: list[Path]
) -> None:
    first = run(conn, layer, paths, force=True)
    assert first.status == "ok"
    before = fingerprint(conn, layer)
    reasons = quarantine(conn, layer)
    assert run(conn, layer, paths).status == "unchanged"
    forced = run(conn, layer, paths, force=True)
    assert counts(forced) == counts(first)
    assert fingerprint(conn, layer) == before
    assert quarantine(conn, layer) == reasons
