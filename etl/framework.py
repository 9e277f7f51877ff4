"""The shared ETL framework: read -> validate and repair -> quarantine -> COPY to staging -> swap.

Every source module in ``etl/`` subclasses :class:`Pipeline` and implements :meth:`Pipeline.read`,
which returns a GeoDataFrame with the target table's columns (see ``TABLE_COLUMNS``) plus a
geometry in any declared CRS. Everything after that is shared:

1. validation, vectorised: missing geometry, missing required fields, geometries that
   ``make_valid`` cannot repair into the layer's geometry family, records outside the
   Netherlands (RD New bounds) and duplicate ids go to the quarantine with a reason;
2. the good records are reprojected to EPSG:28992 and COPYed into a temporary staging table;
3. in the same transaction the layer's old rows are deleted and the staged rows inserted, the
   layer's quarantine and coverage are replaced and the run is recorded. A run that fails or is
   killed at any point rolls back and leaves the previous data as it was.

Where the input comes from is decided by :func:`resolve_inputs`: the bundled demo files, a file
given with ``--from PATH``, or the online service (``--from URL``, or ``--online`` for the
service a pipeline declares in ``online``), downloaded through ``etl/http.py`` /
``etl/ogcapi.py`` into the cache and then read like any file. With an area
(:class:`etl.areas.Area`, ``--gemeente``/``--provincie``/``--bbox``), only the validated
features that intersect the area (EPSG:28992) are loaded, and they *replace the whole layer*;
the layer's coverage becomes its usual coverage cut to the area (the area itself for a
national layer).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import math
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql
from tqdm import tqdm

from layers import Layer, get_layer
from sitefinder.core.crs import RD, RD_BOUNDS
from sitefinder.core.errors import InvalidParameterError, SourceFileError

if TYPE_CHECKING:
    from etl.areas import Area
    from sitefinder.core.settings import Settings

FRAMEWORK_VERSION = "1"

COMMON_COLUMNS = ("id", "layer", "name", "source", "source_ref", "props", "geom")
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "site": (*COMMON_COLUMNS, "kind", "gemeentecode", "area_m2", "floor_area_m2", "sources"),
    "poi": (*COMMON_COLUMNS, "category"),
    "area": (*COMMON_COLUMNS, "code", "category"),
}
JSON_COLUMNS = frozenset({"props", "sources"})
POLYGONAL = frozenset({"Polygon", "MultiPolygon"})
Statement = sql.SQL | sql.Composed
# A reader may name why a record cannot be used in this column; validation quarantines it so.
QUARANTINE_REASON = "quarantine_reason"


@dataclass(frozen=True)
class SourceInfo:
    """Provenance of a source: who publishes it, under which licence, as of when."""

    key: str
    publisher: str
    licence: str
    data_as_of: str
    url: str = ""


OnlineKind = Literal["ogcapi", "download", "overpass", "ruimtelijkeplannen", "pdok_download"]


@dataclass(frozen=True)
class OnlineSource:
    """Where a pipeline's data can be had online (``sitefinder etl run LAYER --online``).

    * ``kind="ogcapi"``: an OGC API Features service; ``base_url`` is its landing page and
      ``collection`` the collection read (all pages; with an area, only its bounding box).
    * ``kind="download"``: one file at ``base_url``, cached with the extension ``format`` so
      that GDAL can tell what it is; an area is applied after reading.
    * the kinds in :data:`ONLINE_FETCHERS`, each one function in its own module:
      ``"overpass"`` (:mod:`etl.overpass`; ``collection`` the OSM tags, ``key=v1|v2;key2=*``),
      ``"ruimtelijkeplannen"`` (:mod:`etl.ruimtelijkeplannen`; ``collection`` the plan objects,
      ``bestemmingsvlakken``) and ``"pdok_download"`` (:mod:`etl.pdok_download`; ``collection``
      the feature types, ``pand``).

    ``source`` is the provenance of the online data (key, publisher, licence); a run records the
    download date (UTC) as its ``data_as_of``. Without it the pipeline's ``source`` is used.
    """

    kind: OnlineKind
    base_url: str
    collection: str = ""
    format: str = ".geojson"
    source: SourceInfo | None = None

    @classmethod
    def service(
        cls,
        kind: OnlineKind,
        base_url: str,
        *,
        key: str,
        publisher: str,
        licence: str,
        collection: str = "",
        format: str = ".geojson",
    ) -> OnlineSource:
        """A service whose data carries its own provenance; ``data_as_of`` is set per run
        (the download date) and the service's address is its ``url``."""
        return cls(
            kind=kind,
            base_url=base_url,
            collection=collection,
            format=format,
            source=SourceInfo(
                key=key, publisher=publisher, licence=licence, data_as_of="", url=base_url
            ),
        )


@dataclass
class RunResult:
    layer: str
    status: str  # ok | unchanged | failed
    n_read: int = 0
    n_loaded: int = 0
    n_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    n_outside_area: int = 0  # valid features left out because they miss the area
    area: str = ""  # the area's label when the load was limited to one


class Pipeline(ABC):
    """One source, loading one layer. Subclasses set the class variables and ``read``."""

    layer: ClassVar[str]
    source: ClassVar[SourceInfo]
    demo_files: ClassVar[tuple[str, ...]]  # relative to the data directory
    required: ClassVar[tuple[str, ...]] = ()
    depends_on: ClassVar[tuple[str, ...]] = ()
    version: ClassVar[str] = "1"
    online: ClassVar[OnlineSource | None] = None  # the service ``--online`` reads, if any

    @property
    def layer_decl(self) -> Layer:
        return get_layer(self.layer)

    @abstractmethod
    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        """Read the files into a frame with ``source_ref`` and the target columns.

        The frame must carry a CRS. Values that cannot be parsed are left as NaN/None so that
        validation can quarantine the record with a reason.
        """

    def stage_sql(self) -> Sequence[Statement]:
        """Statements run on the staging table (``stage``) before the swap. Optional."""
        return ()

    def fingerprint(self) -> str:
        """Options that change what ``read`` makes of the same files (a service date, a
        category); part of the run's checksum, so changing them reloads without ``--force``."""
        return ""

    @property
    def notes(self) -> list[str]:
        """What the last ``read`` wants the user to know (written to the run's message)."""
        if not hasattr(self, "_notes"):
            self._notes: list[str] = []
        return self._notes

    def default_paths(self, data_dir: Path) -> list[Path]:
        return [data_dir / name for name in self.demo_files]


# --------------------------------------------------------------------------------------------
# inputs: demo files, a file, or the online service


@dataclass(frozen=True)
class Fetched:
    """What an online fetcher (:data:`ONLINE_FETCHERS`) returns: the cached file, under a
    directory named after the UTC day of the download (``.../<YYYY-MM-DD>/<file>``), the
    request made (for the run's provenance) and the number of features, when known."""

    path: Path
    url: str
    n_features: int | None = None


# Online kinds beyond 'ogcapi' and 'download': kind -> "module:function" of a fetcher
# ``(pipeline, spec, area, settings, *, progress, refresh) -> Fetched``, imported when used.
ONLINE_FETCHERS: dict[str, str] = {
    "overpass": "etl.overpass:fetch_online",
    "ruimtelijkeplannen": "etl.ruimtelijkeplannen:fetch_online",
    "pdok_download": "etl.pdok_download:fetch_online",
}


class Inputs(list[Path]):
    """The files a run reads, with where they came from.

    ``uri`` is recorded as the run's ``etl_run.uri`` (for a download: the URL and the cached
    file); ``source``, when set, replaces the pipeline's provenance for the run (an online run:
    the online publisher and licence, ``data_as_of`` the download date). ``n_features`` is the
    number of features a service returned, when known.
    """

    def __init__(
        self,
        paths: Iterable[Path],
        *,
        uri: str | None = None,
        source: SourceInfo | None = None,
        n_features: int | None = None,
    ) -> None:
        super().__init__(paths)
        self.uri = uri or ", ".join(str(p) for p in self)
        self.source = source
        self.n_features = n_features


FILE_SUFFIXES = frozenset(
    {".geojson", ".json", ".gpkg", ".zip", ".csv", ".gml", ".xml", ".shp", ".fgb", ".parquet"}
)


def require_area(pipeline: Pipeline, area: Area | None, why: str) -> Area:
    """The area of an online fetch that cannot ask for the whole country (``why`` says so)."""
    if area is None:
        raise InvalidParameterError(
            f"{pipeline.layer}: {why}: give --gemeente, --provincie or --bbox"
        )
    return area


def is_url(source: str | Path) -> bool:
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def _spec_for_url(pipeline: Pipeline, url: str) -> tuple[OnlineSource, dict[str, str]]:
    """How to read ``--from URL``: an OGC API collection, or one file to download.

    * ``…/collections/{c}[/items][?query]``: OGC API collection ``c`` (the query is kept);
    * a URL whose last path segment has a file extension (``.zip``, ``.geojson`` …): a file;
    * any other URL, for a pipeline with an OGC API source: that API's landing page, read at
      the pipeline's collection (a mirror or a test server of the declared service); for a
      pipeline with an Overpass, ruimtelijkeplannen or PDOK download source: that service's
      endpoint, read as the declared one.
    """
    parts = urllib.parse.urlsplit(url)
    declared = pipeline.online
    info = declared.source if declared else None
    if "/collections/" in parts.path:
        base, _, rest = parts.path.partition("/collections/")
        collection = urllib.parse.unquote(rest.split("/", 1)[0])
        base_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, base, "", ""))
        extra = {k: v for k, v in urllib.parse.parse_qsl(parts.query) if k not in ("f", "limit")}
        return OnlineSource("ogcapi", base_url, collection, source=info), extra
    suffix = Path(parts.path).suffix.lower()
    if suffix in FILE_SUFFIXES or declared is None or declared.kind == "download":
        fmt = suffix if suffix in FILE_SUFFIXES else (declared.format if declared else ".bin")
        return OnlineSource("download", url, format=fmt, source=info), {}
    if declared.kind in ONLINE_FETCHERS:  # another endpoint of the declared kind (a mirror)
        return dataclasses.replace(declared, base_url=url.rstrip("/")), {}
    return OnlineSource("ogcapi", url.rstrip("/"), declared.collection, source=info), {}


def _download(
    pipeline: Pipeline,
    spec: OnlineSource,
    area: Area | None,
    settings: Settings,
    *,
    extra: dict[str, str] | None = None,
    progress: bool = True,
    refresh: bool = False,
) -> Inputs:
    from etl import http, ogcapi

    if spec.kind in ONLINE_FETCHERS:
        module, _, name = ONLINE_FETCHERS[spec.kind].partition(":")
        fetcher = getattr(importlib.import_module(module), name)
        fetched: Fetched = fetcher(
            pipeline, spec, area, settings, progress=progress, refresh=refresh
        )
        url, path, n_features = fetched.url, fetched.path, fetched.n_features
    elif spec.kind == "ogcapi":
        bbox = area.bbox_wgs84 if area is not None else None
        url = ogcapi.collection_url(
            spec.base_url, spec.collection, settings=settings, bbox_wgs84=bbox, extra_params=extra
        )
        path = ogcapi.fetch_collection(
            spec.base_url,
            spec.collection,
            settings=settings,
            bbox_wgs84=bbox,
            extra_params=extra,
            progress=progress,
            refresh=refresh,
        )
        n_features = ogcapi.feature_count(path)
    else:
        url, n_features = spec.base_url, None
        path = http.fetch(
            url, settings=settings, progress=progress, refresh=refresh, suffix=spec.format or None
        )
    info = dataclasses.replace(spec.source or pipeline.source, data_as_of=path.parent.name, url=url)
    return Inputs([path], uri=f"{url} (cache: {path})", source=info, n_features=n_features)


def empty_frame(pipeline: Pipeline) -> gpd.GeoDataFrame:
    """A frame with no records and every column ``read`` would give (EPSG:28992)."""
    columns = ["source_ref", *TABLE_COLUMNS[pipeline.layer_decl.table], *pipeline.required]
    names = dict.fromkeys(c for c in columns if c not in ("id", "layer", "geom"))
    return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in names}, geometry=[], crs=RD)


def resolve_inputs(
    pipeline: Pipeline,
    source: str | Path | None,
    area: Area | None,
    settings: Settings,
    *,
    online: bool = False,
    progress: bool = True,
    refresh: bool = False,
) -> Inputs:
    """The files ``pipeline`` reads, downloading them first when they are online.

    * no ``source`` and not ``online``: the bundled demo files (``pipeline.demo_files``);
    * ``source`` a path: that file;
    * ``source`` an http(s) URL, or ``online``: downloaded (OGC API collections page by page,
      with the area's WGS84 bounding box as ``bbox``) into ``settings.cache_dir`` and read
      from there. ``online`` reads the service the pipeline declares (``Pipeline.online``),
      with ``settings.online_mirrors`` applied to its URL. ``refresh`` downloads again even
      when today's copy is in the cache.

    Raises :class:`InvalidParameterError` (both ``source`` and ``online``; ``online`` for a
    pipeline without an online source) or :class:`DownloadError`.
    """
    if source is not None and online:
        raise InvalidParameterError("give --from or --online, not both")
    if source is None and not online:
        return Inputs(pipeline.default_paths(settings.data_dir))
    if source is not None and not is_url(source):
        return Inputs([Path(source)])
    if source is None:
        declared = pipeline.online
        if declared is None:
            raise InvalidParameterError(
                f"{pipeline.layer}: no online source is declared for this layer yet;"
                " load it from a file or URL with --from"
            )
        from etl.http import mirrored

        spec = dataclasses.replace(declared, base_url=mirrored(declared.base_url, settings))
        return _download(pipeline, spec, area, settings, progress=progress, refresh=refresh)
    spec, extra = _spec_for_url(pipeline, str(source))
    return _download(
        pipeline, spec, area, settings, extra=extra, progress=progress, refresh=refresh
    )


# --------------------------------------------------------------------------------------------
# validation


@dataclass
class Validated:
    good: gpd.GeoDataFrame
    quarantine: pd.DataFrame  # source_ref, reason, record (dict)


def _record_dicts(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Attribute dicts for quarantined records, with the geometry as (short) WKT."""
    plain = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    records: list[dict[str, Any]] = json.loads(plain.to_json(orient="records", default_handler=str))
    wkts = shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=3)
    for rec, wkt in zip(records, wkts, strict=True):
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
    flag(shapely.is_missing(geoms) | shapely.is_empty(geoms), "no geometry")
    for column in ("source_ref", *pipeline.required):
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
    centre = shapely.centroid(np.where(shapely.is_empty(rd_geoms), None, rd_geoms))
    cx, cy = shapely.get_x(centre), shapely.get_y(centre)
    inside = (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)
    flag(present & pd.notna(family) & ~inside, "outside the Netherlands")
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
    return Validated(good=good, quarantine=quarantine)


# --------------------------------------------------------------------------------------------
# loading


def _jsonable(value: Any) -> Any:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _clean_json(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "{}"
    if isinstance(value, dict):
        value = {k: _jsonable(v) for k, v in value.items() if _jsonable(v) is not None}
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def to_rows(frame: gpd.GeoDataFrame, layer: Layer, source: SourceInfo) -> pd.DataFrame:
    """The staging rows: every target column, geometry as hex EWKB (SRID 28992)."""
    columns = TABLE_COLUMNS[layer.table]
    rows = pd.DataFrame(index=frame.index)
    for column in columns:
        if column == "id":
            rows[column] = layer.name + ":" + frame["source_ref"].astype(str)
        elif column == "layer":
            rows[column] = layer.name
        elif column == "source":
            rows[column] = frame.get("source", source.key)
        elif column == "geom":
            rows[column] = shapely.to_wkb(frame.geometry.to_numpy(), hex=True, include_srid=True)
        elif column == "kind":
            rows[column] = layer.site_kind.code if layer.site_kind else None
        elif column in JSON_COLUMNS:
            values = frame[column] if column in frame else pd.Series([None] * len(frame))
            rows[column] = [_clean_json(v) for v in values]
        else:
            rows[column] = frame.get(column, None)
    return rows.astype(object).where(rows.notna(), None)


def _with_srid(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.copy()
    frame[frame.geometry.name] = shapely.set_srid(frame.geometry.to_numpy(), 28992)
    return frame


def checksum(paths: Iterable[Path], *parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
    for path in paths:
        digest.update(str(path.name).encode())
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def quarantine_staged(
    layer: str,
    where: sql.Composable,
    reason: sql.Composable,
    *,
    using: sql.Composable | None = None,
    with_: sql.Composable | None = None,
) -> sql.Composed:
    """Move staged rows matching ``where`` into the quarantine with ``reason`` (a SQL expression).

    For ``Pipeline.stage_sql``: the statement runs in the load transaction with ``%(run_id)s``.
    ``using`` adds a ``DELETE ... USING`` source and ``with_`` leading CTEs (``name AS (...)``).
    """
    return sql.SQL(
        "WITH {ctes}moved AS (DELETE FROM stage {using} WHERE {where} RETURNING stage.*)"
        " INSERT INTO quarantine (layer, run_id, source_ref, reason, record)"
        " SELECT {layer}, %(run_id)s, source_ref, {reason},"
        " to_jsonb(moved) - 'geom' || jsonb_build_object('geometry', left(ST_AsText(geom, 3), 500))"
        " FROM moved"
    ).format(
        ctes=sql.SQL("{}, ").format(with_) if with_ is not None else sql.SQL(""),
        using=sql.SQL("USING {}").format(using) if using is not None else sql.SQL(""),
        where=where,
        layer=sql.Literal(layer),
        reason=reason,
    )


def _coverage_sql(layer: Layer, area: bool = False) -> Statement:
    """Replace the layer's coverage polygon (EPSG:28992) from its freshly loaded rows.

    With ``area`` (a load limited to an area; the statement then takes ``%(area)s``, the
    area's WKB in EPSG:28992) the coverage is cut to the area: a national layer covers
    exactly the area, a hull/union layer the part of its hull/union inside it.
    """
    table = sql.Identifier(layer.table)
    clip = "ST_GeomFromWKB(%(area)s, 28992)"
    if area and layer.coverage == "national":
        return sql.SQL(
            "INSERT INTO layer_coverage (layer, national, geom) VALUES ({layer}, false,"
            " ST_Multi(ST_CollectionExtract(ST_MakeValid(" + clip + "), 3)))"
            " ON CONFLICT (layer) DO UPDATE SET national = false, geom = EXCLUDED.geom"
        ).format(layer=sql.Literal(layer.name))
    if layer.coverage == "national":
        return sql.SQL(
            "INSERT INTO layer_coverage (layer, national, geom) VALUES ({layer}, true, NULL) "
            "ON CONFLICT (layer) DO UPDATE SET national = true, geom = NULL"
        ).format(layer=sql.Literal(layer.name))
    if layer.coverage == "hull":
        shape = sql.SQL("ST_Buffer(ST_ConvexHull(ST_Collect(geom)), {buf})")
    else:
        shape = sql.SQL("ST_Buffer(ST_Union(geom), {buf})")
    if area:
        shape = sql.SQL("ST_Intersection(" + shape.as_string() + ", " + clip + ")")
    return sql.SQL(
        "INSERT INTO layer_coverage (layer, national, geom) "
        "SELECT {layer}, false, ST_Multi(ST_CollectionExtract(ST_MakeValid("
        + shape.as_string()
        + "), 3)) FROM {table} WHERE layer = {layer} "
        "ON CONFLICT (layer) DO UPDATE SET national = false, geom = EXCLUDED.geom"
    ).format(layer=sql.Literal(layer.name), table=table, buf=sql.Literal(layer.coverage_buffer_m))


ProgressFactory = Callable[[int, str], Any]


def default_progress(total: int, desc: str) -> Any:
    """A progress bar on stderr (hidden when stderr is not a terminal)."""
    return tqdm(total=total, desc=desc, unit=" rec", leave=False, disable=None)


def no_progress(total: int, desc: str) -> Any:
    return tqdm(total=total, desc=desc, disable=True)


def run_pipeline(
    conn: psycopg.Connection[Any],
    pipeline: Pipeline,
    paths: Sequence[Path],
    *,
    force: bool = False,
    progress: ProgressFactory = default_progress,
    area: Area | None = None,
) -> RunResult:
    """Run one pipeline into the database over ``conn``; atomic, idempotent, recorded.

    ``paths`` may be :class:`Inputs` (from :func:`resolve_inputs`), whose ``uri`` and
    ``source`` then go into the run record. With ``area``, only the validated features that
    intersect it are loaded, and they replace the layer's whole content.
    """
    layer = pipeline.layer_decl
    started = datetime.now(UTC)
    info = pipeline.source
    uri = ", ".join(str(p) for p in paths)
    if isinstance(paths, Inputs):
        uri, info = paths.uri, paths.source or info
    for path in paths:
        if not path.exists():
            raise SourceFileError(f"{layer.name}: input file not found: {path}")
        if path.is_file() and path.stat().st_size == 0:
            raise SourceFileError(f"{layer.name}: input file is empty: {path}")
    # A layer built from other loaded layers (plots from buildings) reloads when they change.
    upstream = [_last_checksum(conn, name) or "" for name in pipeline.depends_on]
    in_area = (area.key,) if area is not None else ()
    digest = checksum(
        paths,
        FRAMEWORK_VERSION,
        pipeline.version,
        layer.name,
        pipeline.fingerprint(),
        *upstream,
        *in_area,
    )
    if not force and _unchanged(conn, layer.name, digest):
        return RunResult(
            layer=layer.name,
            status="unchanged",
            message="input unchanged",
            area=area.label if area is not None else "",
        )

    n_outside = 0
    returned = paths.n_features if isinstance(paths, Inputs) else None
    try:
        if returned == 0 and area is None:
            raise SourceFileError(
                f"{layer.name}: the service returned no features at all; the layer is left as it"
                " was"
            )
        # An area where the service has nothing: the layer becomes empty, as asked.
        frame = empty_frame(pipeline) if returned == 0 else pipeline.read(paths)
        checked = validate(frame, pipeline)
        if area is not None:
            inside = area.contains_mask(checked.good.geometry.to_numpy())
            n_outside = int((~inside).sum())
            checked = Validated(good=checked.good.loc[inside], quarantine=checked.quarantine)
    except Exception as exc:
        _record_failure(conn, layer.name, info, uri, digest, started, exc)
        raise
    rows = to_rows(_with_srid(checked.good), layer, info)
    table = sql.Identifier(layer.table)
    columns = TABLE_COLUMNS[layer.table]
    col_list = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    try:
        with conn.transaction():
            run_id = conn.execute(
                "INSERT INTO etl_run (layer, source, uri, publisher, licence, data_as_of, checksum,"
                " status, n_read, started_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, 'running', %s, %s) RETURNING id",
                (
                    layer.name,
                    info.key,
                    uri,
                    info.publisher,
                    info.licence,
                    info.data_as_of,
                    digest,
                    len(frame),
                    started,
                ),
            ).fetchone()["id"]  # type: ignore[index]
            conn.execute(
                sql.SQL(
                    "CREATE TEMP TABLE stage (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
                ).format(table=table)
            )
            bar = progress(len(rows), f"{layer.name}: laden")
            with conn.cursor().copy(
                sql.SQL("COPY stage ({cols}) FROM STDIN").format(cols=col_list)
            ) as copy:
                for i, row in enumerate(rows.itertuples(index=False, name=None)):
                    copy.write_row(row)
                    if i % 1000 == 999:
                        bar.update(1000)
            bar.update(len(rows) % 1000)
            bar.close()
            for statement in pipeline.stage_sql():
                conn.execute(statement, {"run_id": run_id})
            n_quarantined_stage = conn.execute(
                "SELECT count(*) AS n FROM quarantine WHERE run_id = %s", (run_id,)
            ).fetchone()["n"]  # type: ignore[index]
            conn.execute(
                sql.SQL("DELETE FROM {table} WHERE layer = %s").format(table=table), (layer.name,)
            )
            loaded = conn.execute(
                sql.SQL("INSERT INTO {table} ({cols}) SELECT {cols} FROM stage").format(
                    table=table, cols=col_list
                )
            ).rowcount
            conn.execute(
                "DELETE FROM quarantine WHERE layer = %s AND run_id <> %s", (layer.name, run_id)
            )
            with conn.cursor().copy(
                "COPY quarantine (layer, run_id, source_ref, reason, record) FROM STDIN"
            ) as copy:
                for ref, why, record in checked.quarantine.itertuples(index=False, name=None):
                    copy.write_row(
                        (layer.name, run_id, ref, why, json.dumps(record, ensure_ascii=False))
                    )
            if area is None:
                conn.execute(_coverage_sql(layer))
            else:
                conn.execute(_coverage_sql(layer, area=True), {"area": area.wkb})
            n_quarantined = len(checked.quarantine) + int(n_quarantined_stage)
            notes = list(pipeline.notes)
            if area is not None:
                notes.append(
                    f"limited to {area.label}: {loaded} loaded, {n_outside} outside it left out;"
                    " the layer holds only this area"
                )
            note = "; ".join(notes) or None
            conn.execute(
                "UPDATE etl_run SET status = 'ok', n_loaded = %s, n_quarantined = %s,"
                " message = %s, finished_at = now() WHERE id = %s",
                (loaded, n_quarantined, note, run_id),
            )
            conn.execute("DROP TABLE stage")  # also when this block is only a savepoint
    except Exception as exc:
        _record_failure(conn, layer.name, info, uri, digest, started, exc)
        raise
    with conn.transaction():  # leave the connection idle, not in an open transaction
        reasons = conn.execute(
            "SELECT reason, count(*) AS n FROM quarantine WHERE layer = %s GROUP BY reason",
            (layer.name,),
        ).fetchall()
    return RunResult(
        layer=layer.name,
        status="ok",
        n_read=len(frame),
        n_loaded=loaded,
        n_quarantined=n_quarantined,
        reasons={r["reason"]: r["n"] for r in reasons},
        seconds=(datetime.now(UTC) - started).total_seconds(),
        n_outside_area=n_outside,
        area=area.label if area is not None else "",
        message=note or "",
    )


def _last_checksum(conn: psycopg.Connection[Any], layer: str) -> str | None:
    with conn.transaction():
        last = conn.execute(
            "SELECT checksum FROM etl_run WHERE layer = %s AND status = 'ok'"
            " ORDER BY id DESC LIMIT 1",
            (layer,),
        ).fetchone()
    return None if last is None else str(last["checksum"])


def _unchanged(conn: psycopg.Connection[Any], layer: str, digest: str) -> bool:
    return _last_checksum(conn, layer) == digest


def _record_failure(
    conn: psycopg.Connection[Any],
    layer: str,
    source: SourceInfo,
    uri: str,
    digest: str,
    started: datetime,
    exc: Exception,
) -> None:
    try:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.rollback()
        with conn.transaction():
            conn.execute(
                "INSERT INTO etl_run (layer, source, uri, publisher, licence, data_as_of, checksum,"
                " status, message, started_at, finished_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, 'failed', %s, %s, now())",
                (
                    layer,
                    source.key,
                    uri,
                    source.publisher,
                    source.licence,
                    source.data_as_of,
                    digest,
                    str(exc)[:2000],
                    started,
                ),
            )
    except psycopg.Error:
        pass  # the database itself is gone; the caller reports the original error


def read_vector(path: Path | str, **kwargs: Any) -> gpd.GeoDataFrame:
    """Read a vector file through GDAL (pyogrio); a file that is not what it claims fails."""
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        return pyogrio.read_dataframe(path, **kwargs)
    except (DataSourceError, DataLayerError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise SourceFileError(f"cannot read {path}: {first}") from exc


# --------------------------------------------------------------------------------------------
# small readers' helpers shared by the source modules

BLANKS = ("", "None", "none", "null", "nan", "NaN", "NaT", "<NA>")


def text(series: pd.Series) -> pd.Series:
    """Stripped strings, with blanks and placeholder text ('None', 'nan', …) as missing."""
    values = series.astype("string").str.strip()
    return values.where(~values.isin(BLANKS))


def text_column(frame: pd.DataFrame, name: str) -> pd.Series:
    """``text`` of a column, or an all-missing column when the frame does not have it."""
    if name in frame:
        return text(frame[name])
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def plain_records(frame: pd.DataFrame, *, empty_as_none: bool = False) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts (for ``props``), missing values (NaN, NA, NaT) as None;
    with ``empty_as_none`` empty strings too."""
    plain = frame.astype(object)
    keep = plain.notna() & (plain != "") if empty_as_none else plain.notna()
    return cast(list[dict[str, Any]], plain.where(keep, None).to_dict("records"))


def read_table(path: Path, *, layer: str, nrows: int | None = None) -> pd.DataFrame:
    """A CSV of any common separator as strings (nothing parsed as NaN); one-line errors."""
    import csv

    try:
        return pd.read_csv(
            path,
            sep=None,
            engine="python",
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            nrows=nrows,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, csv.Error) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SourceFileError(f"{layer}: cannot read {path.name}: {first}") from exc
