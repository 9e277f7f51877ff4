"""Small helpers the source modules share to read files and tidy what they read.

* :func:`read_vector` / :func:`list_layers`: a vector file through GDAL (pyogrio), with a
  one-line :class:`SourceFileError` when the file is not what it claims to be. The frame keeps
  the file's own CRS; the framework reprojects to EPSG:28992 after validation.
* :func:`read_table`: a CSV of any common separator, every value a string.
* :func:`require_columns`: a one-line :class:`SourceFileError` for a file without the columns
  (or the geometry) a pipeline reads.
* :func:`text`, :func:`text_column`, :func:`plain_records`, :func:`snake_case`: values as the
  target columns and ``props`` want them (blank and placeholder text as missing);
  :func:`json_objects`: ``props`` as JSON text, built column by column in Arrow (C++), for a
  source of a million records where a dict per record is most of the load's time.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from sitefinder.core.crs import RD, WGS84
from sitefinder.core.errors import SourceFileError

BLANKS = ("", "None", "none", "null", "nan", "NaN", "NaT", "<NA>")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _cannot_read(what: str, label: str, exc: BaseException) -> SourceFileError:
    prefix = f"{what}: " if what else ""
    return SourceFileError(f"{prefix}cannot read {label}: {_first_line(exc)}")


def read_vector(
    path: Path | str, *, what: str = "", label: str | None = None, **kwargs: Any
) -> gpd.GeoDataFrame:
    """Read a vector file through GDAL (pyogrio); a file that is not what it claims fails.

    ``kwargs`` go to :func:`pyogrio.read_dataframe` (``layer``, ``read_geometry``, GDAL open
    options such as ``WRITE_GFS="NO"``; ``use_arrow=True``: GDAL's Arrow stream, about three
    times faster at a million features, for a source whose frame it leaves the same: not
    every driver's, e.g. BAG GeoPackages with list fields differ). The error names ``label``
    (default: the path), after ``what`` (the layer) when given.
    """
    try:
        return pyogrio.read_dataframe(path, **kwargs)
    except (DataSourceError, DataLayerError) as exc:
        raise _cannot_read(what, label or str(path), exc) from exc


def list_layers(
    path: Path | str, *, what: str = "", label: str | None = None
) -> list[tuple[str, str | None]]:
    """The (name, geometry type) of every layer GDAL sees in ``path``; one-line errors."""
    try:
        layers = pyogrio.list_layers(path)
    except (DataSourceError, DataLayerError) as exc:
        raise _cannot_read(what, label or str(path), exc) from exc
    return [(str(name), None if kind is None else str(kind)) for name, kind in layers]


def read_table(path: Path, *, layer: str, nrows: int | None = None) -> pd.DataFrame:
    """A CSV of any common separator as strings (nothing parsed as NaN); one-line errors."""
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
        raise SourceFileError(f"{layer}: cannot read {path.name}: {_first_line(exc)}") from exc


def require_columns(
    frame: pd.DataFrame, columns: tuple[str, ...], *, what: str, label: str, geometry: bool = True
) -> None:
    """Raise :class:`SourceFileError` when ``frame`` lacks one of ``columns`` (or, with
    ``geometry``, is not a GeoDataFrame with a geometry column and a CRS)."""
    missing = [c for c in columns if c not in frame.columns]
    has_geometry = isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame
    if not missing and (has_geometry or not geometry):
        return
    found = ", ".join(str(c) for c in frame.columns if c != "geometry")[:200] or "none"
    wanted = ", ".join(columns) + (" and a geometry" if geometry else "")
    lacks = ", ".join(missing) if missing else "a geometry"
    raise SourceFileError(
        f"{what}: {label} has no {lacks} (it needs {wanted}; columns found: {found})"
    )


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


# JSON's two escapes any text needs; a value holding a control character (U+0000 to U+001F,
# which JSON writes as \n, \u0001, ...) goes to orjson with the rest of its row
_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'))
_CONTROL = "[\\x00-\\x1f]"


def missing(value: Any) -> bool:
    """None, NaN, NA or NaT (what ``pd.isna`` says of a scalar, without its cost per value)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(value != value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return False


def _mask(values: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(values, False), dtype=bool)


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())  # large: a column of 2 GB of text or more


def _json_values(values: pa.Array, slow: np.ndarray) -> tuple[pa.Array, bool] | None:
    """A column's values as JSON (null where missing) and whether they go in quotes; None: not
    a kind done here. Marks in ``slow`` the rows this cannot write (infinity)."""
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        for old, new in _JSON_ESCAPES:
            values = pc.replace_substring(values, old, new)
        return pc.cast(values, pa.large_string()), True
    if pa.types.is_floating(kind):  # NaN is missing; infinity is orjson's (null)
        nan = _mask(pc.is_nan(values))
        slow |= ~_mask(pc.is_finite(values)) & _mask(pc.is_valid(values)) & ~nan
        values = pc.if_else(pc.is_finite(values), values, pa.scalar(None, kind))
        return pc.cast(values, pa.large_string()), False
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return pc.cast(values, pa.large_string()), False
    return None


def json_objects(columns: pd.DataFrame) -> pd.Series:
    """One JSON object per row as text (``props``): ``{"<column>": value, ...}`` without the
    missing values (None, NA, NaN; ``{}`` when all are missing), as Arrow-backed strings.

    Column by column in Arrow (C++ kernels: escape, wrap in the key, join the present ones),
    no Python call per row: at a million records several times faster than a dict per record
    and ``orjson`` on each. Text, numbers and booleans; a column of anything else, and a row
    holding a control character or an infinity, go through ``orjson`` as a dict would.
    :func:`etl.loading.to_rows` stores the text as it is."""
    parts: list[pa.Array] = []
    slow = np.zeros(len(columns), dtype=bool)
    for name in columns.columns:
        try:
            values = pa.array(columns[name], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            values = None
        if values is not None and pa.types.is_null(values.type):
            continue  # nothing present
        done = None if values is None else _json_values(values, slow)
        if done is None:
            slow[:] = True
            continue
        text, quoted = done
        key, quote = orjson.dumps(str(name)).decode() + ":", '"' if quoted else ""
        pair = pc.binary_join_element_wise(_text(key + quote), text, _text(quote + ","), _text(""))
        parts.append(pc.fill_null(pair, _text("")))  # "key":value, ("" where it is missing)
    # the present ones joined, the last comma off: filled first, as a join that replaces nulls
    # itself takes twice as long
    opening = pa.repeat(_text("{"), len(columns))  # an array: there may be no parts at all
    present = pc.binary_join_element_wise(opening, *parts, _text(""))
    objects = pc.binary_join_element_wise(
        pc.ascii_rtrim(present, characters=","), _text("}"), _text("")
    )
    slow |= _mask(pc.match_substring_regex(objects, _CONTROL))  # only values hold them raw
    if slow.any():
        records = columns.loc[slow].astype(object).to_dict("records")
        exact = [
            orjson.dumps(
                {k: v for k, v in rec.items() if not missing(v)},
                default=str,
                option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS,
            ).decode()
            for rec in records
        ]
        objects = pc.replace_with_mask(objects, pa.array(slow), pa.array(exact, objects.type))
    return pd.Series(pd.arrays.ArrowStringArray(objects), index=columns.index)


def lonlat_points(lon: pd.Series, lat: pd.Series) -> np.ndarray:
    """Text or numbers of WGS84 degrees -> RD New points (EPSG:28992, metres); None where a
    coordinate is missing or not a number, so that validation quarantines the record."""
    x = pd.to_numeric(text(lon.astype("string")), errors="coerce")
    y = pd.to_numeric(text(lat.astype("string")), errors="coerce")
    known = (x.notna() & y.notna()).to_numpy()
    points = gpd.GeoSeries(gpd.points_from_xy(x.fillna(0), y.fillna(0)), crs=WGS84).to_crs(RD)
    out = np.asarray(points.to_numpy(), dtype=object)
    out[~known] = None
    return out


def snake_case(name: str) -> str:
    """``bevolkingsdichtheidInwonersPerKm2`` -> ``bevolkingsdichtheid_inwoners_per_km2``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
