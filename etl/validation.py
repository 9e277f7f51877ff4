"""Validation and repair, vectorised: which records load and which go to the quarantine, why.

:func:`validate` takes what a pipeline's ``read`` returned (any declared CRS) and splits it:

* quarantined, with the first reason that applies: the reader's own reason (a
  ``quarantine_reason`` column), ``no geometry`` (missing or empty), ``missing required field
  '<name>'`` (``source_ref``, the pipeline's ``required`` and, in a layer declared
  ``partitioned_by``, ``partition_key``; blank text counts as missing),
  ``invalid geometry that could not be repaired`` (``make_valid`` left nothing of the layer's
  geometry family), ``outside the Netherlands`` (the centroid outside ``RD_BOUNDS``, EPSG:28992
  metres) and ``duplicate id`` (a ``source_ref`` seen before in the same read);
* loadable: the rest, repaired where invalid (``shapely.make_valid``), coerced to the layer's
  family (polygon layers: one MultiPolygon per record, the polygon parts of what
  ``make_valid`` returned) and reprojected to EPSG:28992 (RD New, metres).

Each criterion is one vectorised call over the whole frame; nothing loops over records.

When most records lie outside the Netherlands, :func:`crs_hint` says what the coordinates look
like instead (WGS84 degrees read as RD metres, latitude and longitude swapped, RD metres read as
Web Mercator, ...): the load guard of :mod:`etl.loading` puts it in its one-line refusal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from etl.declarations import JSON_COLUMNS, PARTITION_KEY, QUARANTINE_REASON, Pipeline
from sitefinder.core.crs import RD, RD_BOUNDS, WGS84, WGS84_BOUNDS
from sitefinder.core.errors import SourceFileError

POLYGONAL = frozenset({"Polygon", "MultiPolygon"})
OUTSIDE = "outside the Netherlands"
HINT_SAMPLE = 2000  # centroids looked at for a CRS hint
HINT_SHARE = 0.9  # of them inside the Netherlands under another reading: that is the CRS
WEB_MERCATOR = "EPSG:3857"
# The Netherlands in the numbers of each reading (min x, min y, max x, max y).
LON, LAT = (WGS84_BOUNDS[0], WGS84_BOUNDS[2]), (WGS84_BOUNDS[1], WGS84_BOUNDS[3])
READINGS = {
    "WGS84 degrees (lon/lat, EPSG:4326)": (LON[0], LAT[0], LON[1], LAT[1]),
    "WGS84 degrees with latitude and longitude swapped": (LAT[0], LON[0], LAT[1], LON[1]),
    "RD New metres (EPSG:28992)": RD_BOUNDS,
    "Web Mercator metres (EPSG:3857)": (356_000.0, 6_569_000.0, 813_000.0, 7_115_000.0),
}
READING_CRS = dict(zip(READINGS, (WGS84, WGS84, RD, WEB_MERCATOR), strict=True))


@dataclass
class Validated:
    """The loadable records (EPSG:28992, repaired) and the quarantined ones, with why; ``hint``
    says what the coordinates look like when most lie outside the Netherlands."""

    good: gpd.GeoDataFrame
    quarantine: pd.DataFrame  # source_ref, reason, record (dict)
    hint: str = ""


def _inside(xy: np.ndarray, box: tuple[float, float, float, float]) -> float:
    """Share of the points ``xy`` (n x 2) inside ``box``."""
    if len(xy) == 0:
        return 0.0
    x0, y0, x1, y1 = box
    ok = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
    return float(ok.mean())


def crs_hint(geoms: np.ndarray, crs: Any) -> str:
    """What the coordinates of ``geoms`` (in ``crs``) look like when they do not lie in the
    Netherlands: the numbers as read, or as written in WGS84, RD New or Web Mercator (the
    frame may have been reprojected from the file's CRS already), tried against each reading
    of :data:`READINGS`. '' when no reading puts nearly all of them in the Netherlands."""
    centres = shapely.centroid(geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))])
    if len(centres) == 0:
        return ""
    centres = centres[:: max(1, len(centres) // HINT_SAMPLE)]
    xy = shapely.get_coordinates(centres)
    declared = CRS.from_user_input(crs)
    candidates: list[tuple[str, np.ndarray]] = [(declared.to_string(), xy)]
    for other in (WGS84, RD, WEB_MERCATOR):
        if CRS.from_user_input(other) != declared:
            to = Transformer.from_crs(declared, other, always_xy=True)
            with np.errstate(all="ignore"):
                x, y = to.transform(xy[:, 0], xy[:, 1])
            both = np.column_stack([x, y])
            candidates.append((other, both[np.isfinite(both).all(axis=1)]))
    for read_as, numbers in candidates:
        for looks, box in READINGS.items():
            same = CRS.from_user_input(READING_CRS[looks]) == CRS.from_user_input(read_as)
            if same and "swapped" not in looks:
                continue
            if len(numbers) and _inside(numbers, box) >= HINT_SHARE:
                return f"the coordinates look like {looks}, but are read as {read_as}"
    return ""


def _record_dicts(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Attribute dicts for quarantined records, with the geometry as (short) WKT."""
    plain = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    records: list[dict[str, Any]] = json.loads(plain.to_json(orient="records", default_handler=str))
    wkts = shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=3)
    for rec, wkt in zip(records, wkts, strict=True):
        for column in JSON_COLUMNS & rec.keys():  # JSON text already (etl.readers.json_objects)
            if isinstance(rec[column], str):
                rec[column] = json.loads(rec[column])
        rec["geometry"] = None if wkt is None else (wkt if len(wkt) < 500 else wkt[:500] + "…")
    return records


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | series.astype("string").str.strip().isin(["", "None", "nan"]).fillna(
        True
    )


def _to_family(geoms: np.ndarray, geometry_type: str) -> np.ndarray:
    """Coerce repaired geometries to the layer's family; ``None`` where that is impossible."""
    out = np.empty(len(geoms), dtype=object)
    types = shapely.get_type_id(geoms)
    if geometry_type == "Point":
        ok = types == shapely.GeometryType.POINT
        out[ok] = geoms[ok]
        return out
    if geometry_type in POLYGONAL:
        # Explode (make_valid can return GeometryCollections) and keep the polygon parts,
        # regrouped as one MultiPolygon per record.
        parts, index = shapely.get_parts(geoms, return_index=True)
        keep = (shapely.get_type_id(parts) == shapely.GeometryType.POLYGON) & ~shapely.is_empty(
            parts
        )
        parts, index = parts[keep], index[keep]
        if len(parts):
            owners, dense = np.unique(index, return_inverse=True)
            out[owners] = shapely.multipolygons(parts, indices=dense)
        return out
    out[:] = geoms
    return out


def validate(frame: gpd.GeoDataFrame, pipeline: Pipeline) -> Validated:
    """Split ``frame`` into loadable records (EPSG:28992, repaired) and quarantined ones."""
    if frame.crs is None:
        raise SourceFileError(f"{pipeline.layer}: the input has no coordinate reference system")
    frame = frame.reset_index(drop=True)
    if "source_ref" not in frame.columns:
        raise SourceFileError(f"{pipeline.layer}: the reader produced no source_ref column")
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")

    def flag(mask: pd.Series | np.ndarray, text: str) -> None:
        mask = pd.Series(np.asarray(mask, dtype=bool), index=frame.index)
        reason.loc[mask & reason.isna()] = text

    if QUARANTINE_REASON in frame.columns:  # the reader knows better why a record is unusable
        given = frame[QUARANTINE_REASON]
        reason.loc[given.notna()] = given[given.notna()].astype("string")
        frame = frame.drop(columns=QUARANTINE_REASON)
    geoms = frame.geometry.to_numpy()
    if pipeline.layer_decl.geometry_type != "None":  # a table layer has no geometry at all
        flag(shapely.is_missing(geoms) | shapely.is_empty(geoms), "no geometry")
    partition = (PARTITION_KEY,) if pipeline.layer_decl.partitioned_by else ()
    for column in ("source_ref", *pipeline.required, *partition):
        if column not in frame.columns:
            raise SourceFileError(f"{pipeline.layer}: required field '{column}' is not in the file")
        flag(_blank(frame[column]), f"missing required field '{column}'")

    # Repair where needed, then reproject everything to RD New (metres).
    present = ~shapely.is_missing(geoms)
    invalid = present & ~shapely.is_valid(np.where(present, geoms, None))
    repaired = geoms.copy()
    if invalid.any():
        repaired[invalid] = shapely.make_valid(geoms[invalid])
    family = _to_family(
        np.asarray(np.where(present, repaired, None), dtype=object),
        pipeline.layer_decl.geometry_type,
    )
    flag(present & pd.isna(family), "invalid geometry that could not be repaired")
    rd = gpd.GeoSeries(family, crs=frame.crs).to_crs(RD)
    x0, y0, x1, y1 = RD_BOUNDS
    rd_geoms = rd.to_numpy()
    centre = np.asarray(np.where(shapely.is_empty(rd_geoms), None, rd_geoms), dtype=object)
    other = shapely.get_type_id(centre) != shapely.GeometryType.POINT  # a point is its centre
    centre[other] = shapely.centroid(centre[other])
    cx, cy = shapely.get_x(centre), shapely.get_y(centre)
    inside = (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)
    flag(present & pd.notna(family) & ~inside, OUTSIDE)
    flag(frame["source_ref"].duplicated(keep="first"), "duplicate id")

    bad = reason.notna().to_numpy()
    quarantine = pd.DataFrame(
        {
            "source_ref": frame.loc[bad, "source_ref"].astype("string").fillna("(none)"),
            "reason": reason[bad],
            "record": _record_dicts(frame.loc[bad]) if bad.any() else [],
        }
    )
    good = frame.loc[~bad].copy()
    good = gpd.GeoDataFrame(good.drop(columns=frame.geometry.name), geometry=rd[~bad], crs=RD)
    hint = ""
    if (reason == OUTSIDE).sum() > 0.5 * max(int(present.sum()), 1):
        hint = crs_hint(np.asarray(family[present & pd.notna(family)], dtype=object), frame.crs)
    return Validated(good=good, quarantine=quarantine, hint=hint)
