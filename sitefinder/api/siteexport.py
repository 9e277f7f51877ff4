"""Exports of a whole site selection: CSV, GeoJSON, GeoPackage and XLSX (``GET /api/sites?f=``).

An export holds exactly the sites of every page of ``GET /api/sites`` with the same query (the
same filters, profile or own weights, ranking and flag status; ``limit``/``offset`` do not
apply), in the same order, at most ``settings.api_export_max_sites`` of them (more: 422, a
message that says how to narrow the selection). Per site: rank, score, its range
``score_low``-``score_high`` and completeness, every criterion's raw value (its unit in the
column name, e.g. ``transit_raw_m``), value (0-1) and contribution to the score, the site's
columns, its visible flag status (through the viewer's scope filter: ``flagview``) and its
provenance (source record, publisher, licence, data as of of its layer).

Attribution and licences: every export names the sources of the data it holds, the site
layers in the selection and every layer the criteria read, from their last ETL runs
(``etl_run``): GeoJSON as the members ``attribution`` and ``sources``, GeoPackage as the table
``sources`` beside the layer ``sites`` (and the layer's metadata), XLSX as the sheet
``bronnen``; CSV carries the site's own provenance in every row and the attribution line of
all sources in the column ``attribution`` of its first row (repeated in every row it would
make up most of the file).

Memory stays bounded by the chunk (``CHUNK`` sites at a time, one query each): CSV and GeoJSON
are streamed as they are written; GeoPackage (pyogrio, EPSG:28992, the stored geometry) and
XLSX (XlsxWriter in ``constant_memory`` mode) are written chunk by chunk to a temporary file,
which is sent and then removed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import psycopg
import shapely
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from layers import site_layers
from sitefinder.api import queries
from sitefinder.api.exports import cell
from sitefinder.api.flagview import Visible
from sitefinder.core.crs import RD
from sitefinder.core.errors import ExportTooLargeError
from sitefinder.scoring import criteria
from sitefinder.scoring.base import NDArray, Raw
from sitefinder.scoring.engine import SiteTable

if TYPE_CHECKING:  # the writers import them: the API starts without them (issue 14)
    import pandas as pd

CHUNK = 2000  # sites per query and per write
DEFAULT_STATUS = "niet_beoordeeld"  # a site without a flag the viewer may see

# the answer's media type and file extension per format
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(MEDIA_TYPES)

SITE_FIELDS = (
    "rank",
    "id",
    "name",
    "kind",
    "layer",
    "gemeentecode",
    "gemeentenaam",
    "score",
    "score_low",
    "score_high",
    "completeness",
    "solid",
    "excluded",
    "reasons",
    "missing",
    "area_m2",
    "floor_area_m2",
    "places",
    "places_source",
    "vacancy",
    "status",
    "tags",
    "lon",
    "lat",
)
PROVENANCE_FIELDS = ("source", "source_ref", "publisher", "licence", "data_as_of")
SOURCE_FIELDS = ("layer", "source", "publisher", "licence", "data_as_of", "retrieved_at")
TEXT_UNITS = frozenset({"class"})  # a criterion whose raw value is a text (zoning class)
FLOAT_FIELDS = frozenset(
    {"score", "score_low", "score_high", "completeness", "area_m2", "floor_area_m2", "places"}
)
BOOL_FIELDS = frozenset({"solid", "excluded"})
ATTRIBUTION_PREFIX = "Data: "
GEMEENTEN = "gemeenten"  # the layer that names each site's municipality


@dataclass(frozen=True)
class CriterionColumns:
    """The three columns of one criterion: raw value (in ``unit``), value, contribution."""

    name: str
    unit: str

    @property
    def raw(self) -> str:
        return f"{self.name}_raw_{self.unit.replace('/', '_per_')}"

    @property
    def value(self) -> str:
        return f"{self.name}_value"

    @property
    def contribution(self) -> str:
        return f"{self.name}_contribution"


def criterion_columns() -> list[CriterionColumns]:
    return [CriterionColumns(c.name, c.unit) for c in criteria.catalogue().values()]


def columns() -> list[str]:
    """The columns of a CSV/XLSX row (a GeoJSON feature's and a GeoPackage row's properties),
    in order."""
    per_criterion = [n for c in criterion_columns() for n in (c.raw, c.value, c.contribution)]
    return [*SITE_FIELDS, *per_criterion, *PROVENANCE_FIELDS, "attribution"]


def _plain(value: Any, digits: int = 4) -> Any:
    """A number as JSON/CSV wants it: numpy scalars as Python, NaN as None, floats rounded."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, digits)
    return value


@dataclass
class Export:
    """One export being written: the ranked selection, the viewer's visible flags and the
    provenance of the layers (see the module docstring)."""

    conn: psycopg.Connection[Any]
    selection: queries.Selection
    shown: Visible
    sources: list[dict[str, Any]]
    generated_at: str

    @property
    def table(self) -> SiteTable:
        return self.selection.table

    @property
    def total(self) -> int:
        return len(self.selection.order)

    @property
    def attribution(self) -> str:
        """One line: the publisher and licence of every source the export holds."""
        parts = dict.fromkeys(f"{s['publisher']} ({s['licence']})" for s in self.sources)
        return ATTRIBUTION_PREFIX + "; ".join(parts)

    def metadata(self) -> dict[str, Any]:
        """What the export is: when, which query, profile and weights, the attribution."""
        q = self.selection.query
        return {
            "generated_at": self.generated_at,
            "total": self.total,
            "profile": q.profile.name,
            "weights": q.weights,
            "rank_by": q.rank_by,
            "filters": {
                "kind": q.kind,
                "gemeente": q.gemeente,
                "min_score": q.min_score,
                "bbox": None
                if q.bbox is None
                else [q.bbox.west, q.bbox.south, q.bbox.east, q.bbox.north],
                "include_excluded": q.include_excluded,
                "min_completeness": q.min_completeness,
                "vacancy": list(q.vacancy),
            },
            "attribution": self.attribution,
        }

    def chunks(self, geometry: str) -> Iterator[list[dict[str, Any]]]:
        """The rows of the selection, ``CHUNK`` at a time, in ranking order (one query per
        chunk; ``geometry`` as ``queries.EXPORT_GEOMETRY`` names it, in the key ``geometry``)."""
        sel = self.selection
        evaluation, weights, scores = sel.evaluation, sel.weights, sel.scores
        known = criteria.catalogue()
        cols = criterion_columns()
        params = {c.name: sel.query.profile.params(c.name) for c in cols}
        names = [(c.name, c.raw, c.value, c.contribution) for c in cols]
        by_layer = {s["layer"]: s for s in self.sources}
        attribution = self.attribution
        for start in range(0, self.total, CHUNK):
            idx = sel.order[start : start + CHUNK]
            ids = self.table.site_ids(idx)
            fetched = queries.export_rows(self.conn, ids, geometry)
            present = evaluation.present[idx]
            values = evaluation.values[idx]
            known_weight = present.astype(np.float64) @ weights
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(present, weights[None, :] / known_weight[:, None], 0.0)
            contribution = np.where(present, share * np.nan_to_num(values), 0.0)
            # rounded once per chunk, as Python lists (NaN as None): no numpy scalar per cell
            value_list = _listed(np.round(values, 4))
            share_list = _listed(np.round(contribution, 4))
            frame = self.table.raw_frame(self.conn, idx)
            view = Raw(frame)
            readings = {
                c.name: _listed(np.round(np.asarray(vector(view, params[c.name]), float), 1))
                for c in cols
                if (vector := known[c.name].readings) is not None
            }
            raws = cast(list[dict[str, Any]], frame.to_dict("records"))
            out = []
            for k, (i, site_id) in enumerate(zip(idx, ids, strict=True)):
                found = fetched.get(site_id)
                if found is None:
                    continue  # deleted by a load since the snapshot was taken
                row = dict(found)
                fields = queries.score_fields(scores, int(i))
                flag = self.shown.get(site_id)
                run = by_layer.get(row["layer"], {})
                row.update(
                    fields,
                    rank=None if fields["score"] is None else start + k + 1,
                    excluded=bool(evaluation.excluded[i]),
                    reasons=evaluation.reasons(int(i)),
                    missing=[
                        c.name for j, c in enumerate(cols) if not present[k, j] and weights[j] > 0
                    ],
                    status=flag["status"] if flag else DEFAULT_STATUS,
                    tags=list(flag.get("tags") or []) if flag else [],
                    publisher=run.get("publisher"),
                    licence=run.get("licence"),
                    data_as_of=run.get("data_as_of"),
                    attribution=attribution if start + k == 0 else None,
                    **queries.site_fields(row),
                )
                row["score"] = _plain(row["score"])
                raw = raws[k]
                for j, (name, raw_name, value_name, share_name) in enumerate(names):
                    if not present[k, j]:
                        row[raw_name] = row[value_name] = None
                    else:
                        # vectorised readings, else the criterion's own reading, per site
                        row[raw_name] = (
                            readings[name][k]
                            if name in readings
                            else _plain(known[name].reading(raw, params[name]), 1)
                        )
                        row[value_name] = value_list[k][j]
                    row[share_name] = share_list[k][j]
                out.append(row)
            yield out


def _listed(array: NDArray) -> list[Any]:
    """A numpy array as (nested) Python lists with NaN as None."""
    out = array.astype(object)
    out[np.isnan(array)] = None
    listed: list[Any] = out.tolist()
    return listed


def _text(value: Any) -> str:
    """A cell of a typed file (GeoPackage, XLSX) as text: lists joined with ``;``, as in the
    CSV, but no apostrophe before a leading ``=`` (such a file holds text as text)."""
    if isinstance(value, list | tuple):
        return ";".join(_text(v) for v in value)
    if isinstance(value, bool):
        return cell(value)
    return str(value)


def _csv_cell(value: Any) -> Any:
    """``exports.cell``, with numbers handed to the csv writer as they are (the fast path)."""
    kind = type(value)
    return value if kind is float or kind is int or value is None else cell(value)


# --- the formats ---


def csv_chunks(export: Export) -> Iterator[bytes]:
    """CSV (UTF-8 with BOM, comma, ``exports.cell``: no cell becomes a formula), streamed."""
    names = columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    yield ("\ufeff" + buffer.getvalue()).encode()
    for rows in export.chunks("none"):
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            writer.writerow([_csv_cell(row.get(n)) for n in names])
        yield buffer.getvalue().encode()


def geojson_chunks(export: Export) -> Iterator[bytes]:
    """A GeoJSON FeatureCollection (WGS84, RFC 7946) with the export's metadata, ``sources``
    and ``attribution`` as foreign members, streamed feature by feature."""
    names = [n for n in columns() if n not in ("lon", "lat", "attribution")]
    head = {
        "type": "FeatureCollection",
        "name": "woonplek_sites",
        **export.metadata(),
        "sources": [{k: s.get(k) for k in SOURCE_FIELDS} for s in export.sources],
    }
    yield (json.dumps(head, ensure_ascii=False, default=str)[:-1] + ', "features": [').encode()
    first = True
    for rows in export.chunks("geojson"):
        parts = []
        for row in rows:
            properties = json.dumps({n: row.get(n) for n in names}, ensure_ascii=False, default=str)
            feature = (
                f'{{"type": "Feature", "id": {json.dumps(row["id"])},'
                f' "geometry": {row["geometry"]}, "properties": {properties}}}'
            )
            parts.append(feature if first else "," + feature)
            first = False
        yield "\n".join(parts).encode()
    yield b"]}\n"


def _frame(rows: list[dict[str, Any]], names: list[str]) -> pd.DataFrame:
    """The rows as a frame with the same column types in every chunk (a chunk where a column
    has no value must not change its type in the file)."""
    import pandas as pd

    text_raw = {c.raw for c in criterion_columns() if c.unit in TEXT_UNITS}
    floats = FLOAT_FIELDS | {
        n for c in criterion_columns() for n in (c.raw, c.value, c.contribution)
    }
    data: dict[str, Any] = {}
    for n in names:
        values = [row.get(n) for row in rows]
        if n == "rank":
            data[n] = pd.array(values, dtype="Int64")
        elif n in BOOL_FIELDS:
            data[n] = np.array(values, dtype=bool)
        elif n in floats - text_raw or n in ("lon", "lat"):
            data[n] = np.array([np.nan if v is None else v for v in values], dtype=float)
        else:
            data[n] = pd.array([None if v is None else _text(v) for v in values], dtype=object)
    return pd.DataFrame(data)


def write_gpkg(export: Export, path: Path) -> None:
    """The GeoPackage: layer ``sites`` (the stored geometry, EPSG:28992, rank order) written
    chunk by chunk, the table ``sources`` (provenance and licences) and the export's metadata
    in the layer's metadata (``gpkg_metadata``)."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    names = [n for n in columns() if n not in ("lon", "lat", "attribution")]
    meta = {k: json.dumps(v, default=str) for k, v in export.metadata().items()}
    meta["DESCRIPTION"] = (
        f"Woonplek Sitefinder: {export.total} sites, profile {export.selection.query.profile.name}"
        f", generated {export.generated_at}. {export.attribution}"
    )
    sources = pd.DataFrame(
        [
            {k: _text(s.get(k)) if s.get(k) is not None else None for k in SOURCE_FIELDS}
            for s in export.sources
        ],
        columns=list(SOURCE_FIELDS),
    )
    pyogrio.write_dataframe(sources, path, layer="sources", driver="GPKG")
    written = False
    for rows in export.chunks("rd_wkb"):
        geometry = shapely.from_wkb([bytes(row["geometry"]) for row in rows])
        frame = gpd.GeoDataFrame(_frame(rows, names), geometry=geometry, crs=RD)
        pyogrio.write_dataframe(
            frame,
            path,
            layer="sites",
            driver="GPKG",
            append=written,
            geometry_type="Unknown",  # points, polygons and multipolygons together
            promote_to_multi=False,
            layer_metadata=None if written else meta,
        )
        written = True
    if not written:  # an empty selection: the layer with its columns, no rows
        frame = gpd.GeoDataFrame(_frame([], names), geometry=[], crs=RD)
        pyogrio.write_dataframe(
            frame, path, layer="sites", driver="GPKG", geometry_type="Unknown", layer_metadata=meta
        )


def write_xlsx(export: Export, path: Path) -> None:
    """The workbook: sheet ``locaties`` (the CSV's columns) and sheet ``bronnen`` (sources,
    licences, the query), in XlsxWriter's ``constant_memory`` mode (each row is flushed to disk
    as it is written, so memory stays that of one row)."""
    import xlsxwriter

    names = [n for n in columns() if n != "attribution"]
    book = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    try:
        bold = book.add_format({"bold": True})
        sheet = book.add_worksheet("locaties")
        sheet.write_row(0, 0, names, bold)
        sheet.freeze_panes(1, 2)
        line = 1
        for rows in export.chunks("none"):
            for row in rows:
                for j, n in enumerate(names):
                    value = row.get(n)
                    if isinstance(value, bool) or value is None or isinstance(value, int | float):
                        sheet.write(line, j, value)
                    else:
                        sheet.write_string(line, j, _text(value))
                line += 1
        about = book.add_worksheet("bronnen")
        about.write_row(0, 0, list(SOURCE_FIELDS), bold)
        for k, source in enumerate(export.sources, start=1):
            about.write_row(k, 0, [_text(source.get(f) or "") for f in SOURCE_FIELDS])
        at = len(export.sources) + 2
        for key, value in export.metadata().items():
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            about.write_row(at, 0, [key, text])
            at += 1
    finally:
        book.close()


# --- the answer ---

Writer = Callable[[Export, Path], None]
FILE_WRITERS: dict[str, Writer] = {"gpkg": write_gpkg, "xlsx": write_xlsx}
STREAMS: dict[str, Callable[[Export], Iterator[bytes]]] = {
    "csv": csv_chunks,
    "geojson": geojson_chunks,
}


def prepare(
    conn: psycopg.Connection[Any],
    table: SiteTable,
    q: queries.SiteQuery,
    shown: Visible,
    max_sites: int,
) -> Export:
    """The export of ``q``'s selection; ``ExportTooLargeError`` when it holds more than
    ``max_sites`` sites (checked before any work on the rows)."""
    total = queries.count_selected(table, q)
    if total > max_sites:
        raise ExportTooLargeError(
            f"the selection holds {total} sites, more than an export may hold ({max_sites});"
            " narrow it (gemeente, kind, bbox, min_score) or export in parts"
        )
    selection = queries.select_all(table, q)
    codes = np.unique(table.kind.codes[selection.order])
    kinds = {str(table.kind.categories[c]) for c in codes if c >= 0}
    held = [x.name for x in site_layers() if x.site_kind and x.site_kind.code in kinds]
    used = [layer for c in criteria.catalogue().values() for layer in c.layer_names]
    return Export(
        conn=conn,
        selection=selection,
        shown=shown,
        sources=queries.export_sources(conn, [*held, GEMEENTEN, *used]),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def filename(export: Export, fmt: str) -> str:
    day = export.generated_at[:10].replace("-", "")
    return f"woonplek-locaties-{export.selection.query.profile.name}-{day}.{fmt}"


def response(export: Export, fmt: str) -> StreamingResponse | FileResponse:
    """The download: CSV and GeoJSON streamed, GeoPackage and XLSX from a temporary file that
    is written before the answer starts (so a failure is still an error answer) and removed
    after it is sent."""
    headers = {
        "Content-Disposition": f'attachment; filename="{filename(export, fmt)}"',
        "Cache-Control": "no-store",
        "Link": '</api/layers>; rel="describedby"',
    }
    if fmt in STREAMS:
        return StreamingResponse(STREAMS[fmt](export), media_type=MEDIA_TYPES[fmt], headers=headers)
    folder = Path(tempfile.mkdtemp(prefix="sitefinder-export-"))
    path = folder / f"export.{fmt}"
    try:
        FILE_WRITERS[fmt](export, path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[fmt],
        headers=headers,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
