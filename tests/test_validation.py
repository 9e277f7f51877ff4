"""Unit tests of ``etl.validation.validate`` on small hand-made frames, and of how a run fails
on a file that is not what it claims (real PostGIS for the latter)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import psycopg
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon
from tqdm import tqdm

from etl import get_pipeline
from etl.declarations import Pipeline, SourceInfo
from etl.loading import run_pipeline
from etl.validation import validate
from sitefinder.core import db
from sitefinder.core.errors import SourceFileError
from sitefinder.core.settings import PROJECT_ROOT, Settings

DEMO_DATA = PROJECT_ROOT / "data" / "demo"
AMSTERDAM_RD = Point(121_304, 487_362)  # Dam square, EPSG:28992 (metres)


class PointPipeline(Pipeline):
    """A stand-in pipeline on the declared point layer ``care``."""

    layer = "care"
    source = SourceInfo(key="test", publisher="test", licence="none", data_as_of="today")
    demo_files: ClassVar[tuple[str, ...]] = ()
    required = ("name",)

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        raise NotImplementedError


class PolygonPipeline(PointPipeline):
    """A stand-in pipeline on the declared (multi)polygon layer ``constraints`` (not zoning:
    a layer partitioned by plan also needs each record's ``partition_key``)."""

    layer = "constraints"
    required = ("category",)


def frame(rows: list[dict[str, Any]], crs: str | None = "EPSG:28992") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def reasons(result: Any) -> dict[str, str]:
    return dict(zip(result.quarantine["source_ref"], result.quarantine["reason"], strict=True))


# --------------------------------------------------------------------------------------------
# validate


def test_good_records_are_kept_in_rd() -> None:
    checked = validate(
        frame(
            [{"source_ref": "a", "name": "A", "geometry": Point(4.8924, 52.3731)}], crs="EPSG:4326"
        ),
        PointPipeline(),
    )
    assert checked.quarantine.empty
    assert checked.good.crs.to_epsg() == 28992
    assert checked.good.geometry.iloc[0].distance(AMSTERDAM_RD) < 1  # metres


def test_missing_geometry() -> None:
    empty_polygon = Polygon()
    checked = validate(
        frame(
            [
                {"source_ref": "a", "category": "wonen", "geometry": AMSTERDAM_RD.buffer(10)},
                {"source_ref": "b", "category": "wonen", "geometry": None},
                {"source_ref": "c", "category": "wonen", "geometry": empty_polygon},
            ]
        ),
        PolygonPipeline(),
    )
    assert list(checked.good["source_ref"]) == ["a"]
    assert reasons(checked) == {"b": "no geometry", "c": "no geometry"}
    checked = validate(
        frame(
            [
                {"source_ref": "a", "name": "A", "geometry": AMSTERDAM_RD},
                {"source_ref": "b", "name": "B", "geometry": None},
            ]
        ),
        PointPipeline(),
    )
    assert list(checked.good["source_ref"]) == ["a"]
    assert reasons(checked) == {"b": "no geometry"}


def test_empty_point_is_quarantined() -> None:
    checked = validate(
        frame(
            [
                {"source_ref": "a", "name": "A", "geometry": AMSTERDAM_RD},
                {"source_ref": "c", "name": "C", "geometry": Point()},
            ]
        ),
        PointPipeline(),
    )
    assert reasons(checked) == {"c": "no geometry"}


def test_missing_required_field() -> None:
    checked = validate(
        frame(
            [
                {"source_ref": "a", "name": "A", "geometry": AMSTERDAM_RD},
                {"source_ref": "b", "name": None, "geometry": AMSTERDAM_RD},
                {"source_ref": "c", "name": "  ", "geometry": AMSTERDAM_RD},
                {"source_ref": "d", "name": "None", "geometry": AMSTERDAM_RD},
                {"source_ref": None, "name": "E", "geometry": AMSTERDAM_RD},
            ]
        ),
        PointPipeline(),
    )
    assert list(checked.good["source_ref"]) == ["a"]
    assert reasons(checked) == {
        "b": "missing required field 'name'",
        "c": "missing required field 'name'",
        "d": "missing required field 'name'",
        "(none)": "missing required field 'source_ref'",
    }
    # The quarantined record keeps its attributes and the geometry as WKT.
    record = checked.quarantine["record"].iloc[0]
    assert record["source_ref"] == "b"
    assert record["geometry"] == "POINT (121304 487362)"


def test_first_reason_wins() -> None:
    checked = validate(
        frame([{"source_ref": "a", "name": None, "geometry": None}]), PointPipeline()
    )
    assert reasons(checked) == {"a": "no geometry"}


def test_required_column_absent_or_no_source_ref_raises() -> None:
    with pytest.raises(SourceFileError, match="required field 'name' is not in the file"):
        validate(frame([{"source_ref": "a", "geometry": AMSTERDAM_RD}]), PointPipeline())
    with pytest.raises(SourceFileError, match="no source_ref column"):
        validate(frame([{"name": "A", "geometry": AMSTERDAM_RD}]), PointPipeline())


def test_unrepairable_geometry_for_the_layer_family() -> None:
    line = LineString([(150_000, 450_000), (150_100, 450_100)])
    checked = validate(
        frame(
            [
                {"source_ref": "line", "category": "wonen", "geometry": line},
                {"source_ref": "point", "category": "wonen", "geometry": Point(150_000, 450_000)},
            ]
        ),
        PolygonPipeline(),
    )
    assert checked.good.empty
    assert reasons(checked) == {
        "line": "invalid geometry that could not be repaired",
        "point": "invalid geometry that could not be repaired",
    }
    # A polygon on a point layer cannot become a point either.
    square = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    checked = validate(
        frame(
            [
                {
                    "source_ref": "sq",
                    "name": "S",
                    "geometry": shapely.affinity.translate(square, 150_000, 450_000),
                }
            ]
        ),
        PointPipeline(),
    )
    assert reasons(checked) == {"sq": "invalid geometry that could not be repaired"}


def test_bowtie_is_repaired_and_kept() -> None:
    # A self-intersecting 100 m x 100 m "bowtie": invalid, make_valid splits it in two triangles.
    bowtie = Polygon(
        [
            (150_000, 450_000),
            (150_100, 450_100),
            (150_100, 450_000),
            (150_000, 450_100),
        ]
    )
    assert not bowtie.is_valid
    square = Polygon(
        [(150_200, 450_000), (150_300, 450_000), (150_300, 450_100), (150_200, 450_100)]
    )
    checked = validate(
        frame(
            [
                {"source_ref": "bowtie", "category": "wonen", "geometry": bowtie},
                {"source_ref": "square", "category": "groen", "geometry": square},
            ]
        ),
        PolygonPipeline(),
    )
    assert checked.quarantine.empty
    good = checked.good.set_index("source_ref").geometry
    assert set(good.geom_type) == {"MultiPolygon"}
    assert good["bowtie"].is_valid
    assert len(good["bowtie"].geoms) == 2
    assert good["bowtie"].area == pytest.approx(5_000)  # m2: two triangles of 2,500 m2
    assert good["square"].area == pytest.approx(10_000)


def test_point_outside_the_netherlands() -> None:
    checked = validate(
        frame(
            [
                {"source_ref": "paris", "name": "Notre-Dame", "geometry": Point(2.3499, 48.8530)},
                {"source_ref": "dam", "name": "Dam", "geometry": Point(4.8924, 52.3731)},
            ],
            crs="EPSG:4326",
        ),
        PointPipeline(),
    )
    assert list(checked.good["source_ref"]) == ["dam"]
    assert reasons(checked) == {"paris": "outside the Netherlands"}


def test_swapped_coordinates_are_outside() -> None:
    # lat/lon swapped: (52.37, 4.89) lies off Somalia.
    checked = validate(
        frame(
            [{"source_ref": "x", "name": "X", "geometry": Point(52.3731, 4.8924)}], crs="EPSG:4326"
        ),
        PointPipeline(),
    )
    assert reasons(checked) == {"x": "outside the Netherlands"}


def test_duplicate_ids() -> None:
    checked = validate(
        frame(
            [
                {"source_ref": "a", "name": "first", "geometry": AMSTERDAM_RD},
                {"source_ref": "a", "name": "second", "geometry": AMSTERDAM_RD},
                {"source_ref": "b", "name": "other", "geometry": AMSTERDAM_RD},
            ]
        ),
        PointPipeline(),
    )
    assert list(checked.good["name"]) == ["first", "other"]
    assert list(checked.quarantine["reason"]) == ["duplicate id"]
    assert checked.quarantine["record"].iloc[0]["name"] == "second"


def test_frame_without_crs_raises() -> None:
    with pytest.raises(SourceFileError, match="no coordinate reference system"):
        validate(
            frame([{"source_ref": "a", "name": "A", "geometry": AMSTERDAM_RD}], crs=None),
            PointPipeline(),
        )


# --------------------------------------------------------------------------------------------
# a run on a file that is not what it claims


def _quiet(total: int, desc: str) -> Any:
    return tqdm(total=total, desc=desc, disable=True)


def _snapshot(conn: psycopg.Connection[Any], layer: str) -> tuple[int, str, int]:
    with conn.transaction():
        row = conn.execute(
            "SELECT count(*) AS n, md5(string_agg(id || ST_AsEWKT(geom) || props::text, ','"
            " ORDER BY id)) AS h FROM poi WHERE layer = %s",
            (layer,),
        ).fetchone()
        runs = conn.execute(
            "SELECT count(*) AS n FROM etl_run WHERE layer = %s AND status = 'ok'", (layer,)
        ).fetchone()
    assert row is not None and runs is not None
    return row["n"], row["h"], runs["n"]


@pytest.fixture(scope="module")
def loaded_care(settings: Settings) -> tuple[int, str, int]:
    pipeline = get_pipeline("care")
    with db.connection(settings) as conn:
        result = run_pipeline(
            conn, pipeline, pipeline.default_paths(settings.data_dir), progress=_quiet
        )
        assert result.status == "ok"
        return _snapshot(conn, "care")


CARE_FILE = DEMO_DATA / "care/ziekenhuizen_2016_rivm_geocoded.geojson"
BAD_FILES: dict[str, bytes | None] = {
    "truncated": None,  # the first 3,000 bytes of the real file
    "garbage": b"this is not GeoJSON at all\n",
    "json_not_geojson": b'{"hello": "world"}',
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_fails_cleanly_and_keeps_the_layer(
    kind: str,
    tmp_path: Path,
    loaded_care: tuple[int, str, int],
    conn: psycopg.Connection[Any],
) -> None:
    bad = tmp_path / "ziekenhuizen.geojson"
    content = BAD_FILES[kind]
    bad.write_bytes(CARE_FILE.read_bytes()[:3000] if content is None else content)
    with pytest.raises(SourceFileError) as caught:
        run_pipeline(conn, get_pipeline("care"), [bad], progress=_quiet)
    message = str(caught.value)
    assert "\n" not in message
    assert str(bad) in message
    assert _snapshot(conn, "care") == loaded_care
    assert loaded_care[0] == 265


def test_empty_and_missing_files(
    tmp_path: Path, loaded_care: tuple[int, str, int], conn: psycopg.Connection[Any]
) -> None:
    empty = tmp_path / "empty.geojson"
    empty.touch()
    with pytest.raises(SourceFileError, match="input file is empty") as caught:
        run_pipeline(conn, get_pipeline("care"), [empty], progress=_quiet)
    assert "\n" not in str(caught.value)
    with pytest.raises(SourceFileError, match="input file not found"):
        run_pipeline(conn, get_pipeline("care"), [tmp_path / "nope.geojson"], progress=_quiet)
    assert _snapshot(conn, "care") == loaded_care


def test_bad_gml_for_zoning(tmp_path: Path, conn: psycopg.Connection[Any]) -> None:
    real = DEMO_DATA / "zoning/NL.IMRO.0664.BPBS03-ON99.gml"
    truncated = tmp_path / real.name
    truncated.write_bytes(real.read_bytes()[:100_000])
    html = tmp_path / "NL.IMRO.0000.html-0000.gml"
    html.write_bytes(b"<html><body>404 Not Found</body></html>")
    for bad in (truncated, html):
        with pytest.raises(SourceFileError) as caught:
            run_pipeline(conn, get_pipeline("zoning"), [bad], progress=_quiet)
        assert "\n" not in str(caught.value)
    assert not list(tmp_path.glob("*.gfs"))
