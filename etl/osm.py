"""Shared OpenStreetMap readers: OSM PBF (pyosmium) and Overpass API JSON.

Both give the same frame for the same objects: one row per selected OSM object with
``osm_type`` (``node``/``way``/``relation``), ``osm_id`` (int), ``tags`` (dict) and a geometry
in EPSG:4326 (WGS84 degrees; OSM stores 7 decimals): a point for a node, a (multi)polygon for a
closed way or a multipolygon relation. Objects are selected by tags (:data:`Selector`: key ->
allowed values, or ``None`` for any value); an object matches when any key matches.

* **PBF** (``*.osm.pbf``, also ``.osm``/``.osm.bz2`` XML): read with pyosmium's
  :class:`osmium.FileProcessor` and its area assembler (closed ways and ``type=multipolygon``
  relations become areas; their geometry comes from :class:`osmium.geom.WKBFactory`). pyosmium
  because it is the maintained binding of libosmium, streams files of any size with node
  locations cached in memory, assembles multipolygons correctly, and ships as a wheel; GDAL's
  OSM driver would do too, but it fixes the tag→column mapping in an ``osmconf.ini`` and hides
  the OSM ids of relations among ``osm_way_id``. Ways that are not closed (and relations that
  are not areas) are not read: a POI mapped as an open line is rare.
* **Overpass JSON** (``[out:json]``; ``out center``, ``out geom`` or plain ``out`` of nodes):
  parsed with :mod:`json` and pandas. A node has ``lat``/``lon``; a way or relation with
  ``geometry`` (``out geom``) becomes a polygon when the ring is closed (relations: their
  ``outer``/``inner`` member ways assembled into rings), else a point at ``center``
  (``out center``); anything with neither has no geometry (quarantined as "no geometry").

For point layers, :func:`as_points` turns areas into a point on their surface (inside the
polygon, unlike a centroid), so a PBF and an ``out geom`` Overpass file of the same objects give
the same points; ``out center`` gives Overpass's bounding-box centre instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely

from etl.readers import plain_records
from sitefinder.core.crs import RD, WGS84
from sitefinder.core.errors import SourceFileError

Selector = Mapping[str, frozenset[str] | None]
OSM_COLUMNS = ("osm_type", "osm_id", "tags")


def _matches(tags: Mapping[str, str], select: Selector) -> bool:
    for key, values in select.items():
        value = tags.get(key)
        if value is not None and (values is None or value in values):
            return True
    return False


def empty_osm_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "osm_type": pd.Series([], dtype=object),
            "osm_id": pd.Series([], dtype="int64"),
            "tags": pd.Series([], dtype=object),
        },
        geometry=[],
        crs=WGS84,
    )


def _frame(
    types: list[str], ids: list[int], tags: list[dict[str, str]], geoms: Any
) -> gpd.GeoDataFrame:
    if not types:
        return empty_osm_frame()
    frame = gpd.GeoDataFrame(
        {"osm_type": types, "osm_id": np.asarray(ids, dtype="int64"), "tags": tags},
        geometry=np.asarray(geoms, dtype=object),
        crs=WGS84,
    )
    order = frame["osm_type"].map({"node": 0, "way": 1, "relation": 2})
    frame = frame.assign(_o=order).sort_values(["_o", "osm_id"], kind="stable")
    return frame.drop(columns="_o").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# PBF


def read_pbf(path: Path, select: Selector) -> gpd.GeoDataFrame:
    """Nodes and areas of the OSM file at ``path`` whose tags match ``select`` (EPSG:4326)."""
    types: list[str] = []
    ids: list[int] = []
    tags: list[dict[str, str]] = []
    nodes_xy: list[tuple[float, float]] = []
    area_wkb: list[str] = []
    keys = list(select)
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_areas(osmium.filter.KeyFilter(*keys))
            .with_filter(osmium.filter.KeyFilter(*keys))
        )
        factory = osmium.geom.WKBFactory()
        # pyosmium yields every object passing the key filter; the values are checked here.
        for obj in processor:
            if isinstance(obj, osmium.osm.Node):
                found = dict(obj.tags)
                if _matches(found, select) and obj.location.valid():
                    types.append("node")
                    ids.append(obj.id)
                    tags.append(found)
                    nodes_xy.append((obj.location.lon, obj.location.lat))
                    area_wkb.append("")
            elif isinstance(obj, osmium.osm.Area):
                found = dict(obj.tags)
                if _matches(found, select):
                    try:
                        wkb = factory.create_multipolygon(obj)
                    except RuntimeError:
                        wkb = ""  # a broken ring: no geometry, quarantined downstream
                    types.append("way" if obj.from_way() else "relation")
                    ids.append(obj.orig_id())
                    tags.append(found)
                    nodes_xy.append((np.nan, np.nan))
                    area_wkb.append(wkb)
    except (RuntimeError, ValueError, OSError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SourceFileError(f"cannot read {path}: {first}") from exc
    if not types:
        return empty_osm_frame()
    xy = np.asarray(nodes_xy, dtype=float)
    is_node = np.asarray([t == "node" for t in types])
    geoms = np.empty(len(types), dtype=object)
    geoms[is_node] = shapely.points(xy[is_node])
    wkbs = np.asarray(area_wkb, dtype=object)
    has_area = ~is_node & (wkbs != "")
    if has_area.any():
        geoms[has_area] = shapely.from_wkb(wkbs[has_area], on_invalid="ignore")
    return _frame(types, ids, tags, geoms)


# --------------------------------------------------------------------------------------------
# Overpass JSON


def _load_overpass(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SourceFileError(f"cannot read {path}: not valid JSON ({first})") from exc
    elements = data.get("elements") if isinstance(data, dict) else None
    if not isinstance(elements, list):
        raise SourceFileError(
            f"cannot read {path}: not an Overpass API JSON file (no 'elements' list)"
        )
    return [e for e in elements if isinstance(e, dict)]


def _coords(frame: pd.DataFrame, owner: str) -> pd.DataFrame:
    """The ``geometry`` lists of ``frame`` (``out geom``: ``{"lat", "lon"}`` per point) as one
    row per point: ``owner`` (the frame's index label), lon, lat (degrees); unreadable dropped."""
    points = frame[["geometry"]].explode("geometry").dropna()
    return pd.DataFrame(
        {
            owner: points.index.to_numpy(),
            "lon": pd.to_numeric(points["geometry"].str.get("lon"), errors="coerce"),
            "lat": pd.to_numeric(points["geometry"].str.get("lat"), errors="coerce"),
        }
    ).dropna()


def _ring_polygons(
    coords: pd.DataFrame, owner: str, closed_only: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Closed rings (``coords``: owner column, lon, lat in order) -> (owner values, polygons)."""
    counts = coords.groupby(owner, sort=False).size()
    first = coords.groupby(owner, sort=False)[["lon", "lat"]].first()
    last = coords.groupby(owner, sort=False)[["lon", "lat"]].last()
    closed = (first == last).all(axis=1) & (counts >= 4)
    keep = closed[closed].index if closed_only else counts.index
    rows = coords[coords[owner].isin(keep)]
    if rows.empty:
        return np.asarray([], dtype=object), np.asarray([], dtype=object)
    owners, index = np.unique(rows[owner].to_numpy(), return_inverse=True)
    rings = shapely.linearrings(rows[["lon", "lat"]].to_numpy(), indices=index)
    return owners, np.asarray(shapely.polygons(rings), dtype=object)


def read_overpass(path: Path, select: Selector) -> gpd.GeoDataFrame:
    """The matching elements of an Overpass API JSON file (EPSG:4326)."""
    elements = _load_overpass(path)
    frame = pd.DataFrame(elements)
    if frame.empty:
        return empty_osm_frame()
    for column in ("type", "id", "lat", "lon", "tags", "center", "geometry", "members"):
        if column not in frame.columns:
            frame[column] = None
    frame["tags"] = pd.Series(
        [t if isinstance(t, dict) else {} for t in frame["tags"]], index=frame.index, dtype=object
    )
    # libosmium leaves a relation's ``type=multipolygon`` out of the area's tags; so do we.
    is_area_relation = (frame["type"] == "relation").to_numpy() & np.asarray(
        [t.get("type") == "multipolygon" for t in frame["tags"]], dtype=bool
    )
    frame.loc[is_area_relation, "tags"] = pd.Series(
        [{k: v for k, v in t.items() if k != "type"} for t in frame.loc[is_area_relation, "tags"]],
        index=frame.index[is_area_relation],
        dtype=object,
    )
    wanted = np.asarray([_matches(t, select) for t in frame["tags"]], dtype=bool)
    frame = frame[wanted & frame["type"].isin(["node", "way", "relation"]).to_numpy()]
    frame = frame.reset_index(drop=True)
    ids = pd.to_numeric(frame["id"], errors="coerce")
    frame = frame[ids.notna()].reset_index(drop=True)
    if frame.empty:
        return empty_osm_frame()
    geoms = np.full(len(frame), None, dtype=object)
    lat = pd.to_numeric(frame["lat"], errors="coerce")
    lon = pd.to_numeric(frame["lon"], errors="coerce")
    point = lat.notna() & lon.notna()
    geoms[point.to_numpy()] = shapely.points(lon[point].to_numpy(), lat[point].to_numpy())
    center = frame["center"].map(lambda c: c if isinstance(c, dict) else {})
    c_lat = pd.to_numeric(center.str.get("lat"), errors="coerce")
    c_lon = pd.to_numeric(center.str.get("lon"), errors="coerce")
    has_center = (~point & c_lat.notna() & c_lon.notna()).to_numpy()
    geoms[has_center] = shapely.points(c_lon[has_center].to_numpy(), c_lat[has_center].to_numpy())

    # ways with ``out geom``: one closed ring each -> a polygon (replaces the centre).
    ways = frame[(frame["type"] == "way") & frame["geometry"].map(lambda g: isinstance(g, list))]
    if len(ways):
        rows, polygons = _ring_polygons(_coords(ways, "row"), "row")
        geoms[rows.astype(int)] = shapely.multipolygons(polygons, indices=np.arange(len(rows)))
    # relations with ``out geom``: outer and inner member ways, assembled into rings.
    relations = frame[
        (frame["type"] == "relation") & frame["members"].map(lambda m: isinstance(m, list))
    ]
    if len(relations):
        members = relations[["members"]].explode("members").dropna()
        members = pd.DataFrame(
            {
                "row": members.index.to_numpy(),
                "role": members["members"].str.get("role").fillna(""),
                "geometry": members["members"].str.get("geometry"),
            }
        )
        members = members[members["geometry"].map(lambda g: isinstance(g, list))]
        members = members.reset_index(drop=True)
        coords = _coords(members, "member")
        if len(coords):
            geoms_rel = _relation_areas(members, coords)
            geoms[geoms_rel.index.to_numpy(dtype=int)] = geoms_rel.to_numpy()
    return _frame(
        frame["type"].tolist(),
        pd.to_numeric(frame["id"]).astype("int64").tolist(),
        frame["tags"].tolist(),
        geoms,
    )


def _relation_areas(members: pd.DataFrame, coords: pd.DataFrame) -> pd.Series:
    """Multipolygon relations (``out geom``) -> MultiPolygon per relation row.

    Member ways are merged into rings per relation and role (``shapely.polygonize`` on their
    lines: a ring split over several ways is joined); outer rings minus inner rings. One
    polygonize call per relation: relations are few, and shapely has no grouped polygonize.
    """
    _, index = np.unique(coords["member"].to_numpy(), return_inverse=True)
    member_ids = np.unique(coords["member"].to_numpy())
    lines = shapely.linestrings(coords[["lon", "lat"]].to_numpy(), indices=index)
    parts = pd.DataFrame(
        {
            "row": members.loc[member_ids, "row"].to_numpy(),
            "inner": (members.loc[member_ids, "role"] == "inner").to_numpy(),
            "line": lines,
        }
    )
    out = {}
    for row, group in parts.groupby("row"):
        outer = shapely.polygonize(group.loc[~group["inner"], "line"].to_numpy())
        inner = shapely.polygonize(group.loc[group["inner"], "line"].to_numpy())
        shape = shapely.difference(
            shapely.union_all(shapely.get_parts(outer)),
            shapely.union_all(shapely.get_parts(inner)),
        )
        polygons = [p for p in shapely.get_parts(shape) if p.geom_type == "Polygon"]
        out[row] = shapely.MultiPolygon(polygons) if polygons else None
    return pd.Series(out, dtype=object)


# --------------------------------------------------------------------------------------------
# helpers for pipelines


def is_pbf(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".pbf", ".osm", ".osm.bz2", ".osm.gz"))


def is_overpass_json(path: Path) -> bool:
    """A ``.json`` file whose first kilobytes look like an Overpass answer (``"elements"``)."""
    if path.suffix.lower() != ".json":
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'"elements"' in head


def read_osm(path: Path, select: Selector) -> gpd.GeoDataFrame:
    """PBF/OSM XML through pyosmium, Overpass JSON otherwise."""
    return read_pbf(path, select) if is_pbf(path) else read_overpass(path, select)


def as_points(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Points as they are; polygons as a point on their surface (always inside)."""
    geoms = frame.geometry.to_numpy()
    present = ~shapely.is_missing(geoms)
    out = np.asarray(geoms, dtype=object).copy()
    polygonal = present & np.isin(shapely.get_type_id(geoms), [3, 6])
    if polygonal.any():
        out[polygonal] = shapely.point_on_surface(geoms[polygonal])
    return out


def source_refs(frame: pd.DataFrame) -> pd.Series:
    """``node/123``, ``way/456``, ``relation/789``."""
    return frame["osm_type"].astype(str) + "/" + frame["osm_id"].astype("int64").astype(str)


def tag_columns(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The values of ``keys`` in each row's tags (NaN where absent), one column per key."""
    table = pd.DataFrame(list(frame["tags"]), index=frame.index)
    return table.reindex(columns=list(keys))


def poi_rows(
    osm: gpd.GeoDataFrame, names: pd.Series, category: Any, props: pd.DataFrame
) -> gpd.GeoDataFrame:
    """OSM objects (one row each in ``osm``, ``names`` and ``props``) as ``poi`` rows:
    ``source_ref`` ``node/123``, the name, ``category`` (one for all, or one per object), the
    ``props`` with missing values as None, and a point in EPSG:28992 (metres; areas as a point
    on their surface, see :func:`as_points`)."""
    return gpd.GeoDataFrame(
        {
            "source_ref": source_refs(osm).to_numpy(),
            "name": names.to_numpy(),
            "category": category,
            "props": plain_records(props),
        },
        geometry=gpd.GeoSeries(as_points(osm), crs=osm.crs).to_crs(RD).to_numpy(),
        crs=RD,
    )
