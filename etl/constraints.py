"""Constraints: any polygon layer whose areas rule housing out (flood, noise, NNN, external
safety, other), for the layer ``constraints``.

Input: one or more polygon files GDAL reads (GeoPackage: every polygon layer in it;
GeoJSON; Shapefile or a zip holding one; …) in any declared CRS (GeoJSON without a ``crs``
member is WGS84 by RFC 7946). Output: ``area`` rows, layer ``constraints``, MultiPolygons in
EPSG:28992 (metres); the scorer excludes every site that intersects one.

* ``category``: the constructor's ``category`` (:func:`etl.get_pipeline` passes the setting
  ``SITEFINDER_CONSTRAINT_CATEGORY``, ``settings.constraint_category``), else a column
  ``category`` / ``categorie`` /
  ``beperking`` / ``constraint_type`` per feature, else ``other``. Values are normalised to
  ``flood``, ``noise``, ``nnn``, ``external_safety`` or ``other`` (Dutch too: overstroming,
  geluid, natuurnetwerk / NNN / EHS, externe veiligheid …); an unrecognised value becomes
  ``other`` and is kept in ``props.category_text``.
* ``source_ref`` = ``<file stem>:<id>`` (``<file stem>:<layer>:<id>`` for a GeoPackage with
  several polygon layers), the id from a column ``id`` / ``identificatie`` / ``code`` /
  ``fid`` / ``objectid``, else the feature's number (1, 2, …) in the file; ``code`` = that id;
  ``name`` from ``name`` / ``naam`` / ``omschrijving`` / ``titel``; ``props`` = every other
  attribute (and ``source_file``).

There is no real national sample of these sources here, so the layer has **no demo file**: it
is loaded only with ``sitefinder etl run constraints --from FILE``; ``etl run all`` and
``sitefinder demo`` skip it (a layer without bundled files), leaving what it holds as it was.
The category is part of the run's checksum, so loading the same file with another category
reloads it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Self

import geopandas as gpd
import numpy as np
import pandas as pd

from etl.declarations import Pipeline, SourceInfo
from etl.readers import list_layers, read_vector
from sitefinder.core.crs import RD
from sitefinder.core.errors import InvalidParameterError, SourceFileError
from sitefinder.core.settings import Settings

log = logging.getLogger(__name__)

CATEGORIES = ("flood", "noise", "nnn", "external_safety", "other")
SYNONYMS = (  # (regular expression on the normalised text, category); first match wins
    (r"^(?:flood|overstroming|inundatie|waterdiepte|overstromingsrisico)", "flood"),
    (r"^(?:noise|geluid|geluidzone|geluidscontour|lden)", "noise"),
    (r"^(?:nnn|natuurnetwerk|ehs|ecologische_hoofdstructuur|gnn)", "nnn"),
    (
        r"^(?:external_safety|externe_veiligheid|ev|risicocontour|plaatsgebonden_risico|pr)",
        "external_safety",
    ),
    (r"^other|^overig", "other"),
)
CATEGORY_COLUMNS = ("category", "categorie", "beperking", "constraint_type")
ID_COLUMNS = ("id", "identificatie", "code", "fid", "objectid")
NAME_COLUMNS = ("name", "naam", "omschrijving", "titel")
POLYGON_TYPES = re.compile(r"polygon", re.IGNORECASE)


def normalise_category(values: pd.Series) -> pd.Series:
    """Free text -> one of :data:`CATEGORIES` (``other`` when nothing matches)."""
    text = (
        values.astype("string").str.strip().str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    ).fillna("")
    out = pd.Series("other", index=values.index, dtype=object)
    for pattern, category in reversed(SYNONYMS):
        out[text.str.contains(pattern, regex=True).to_numpy(dtype=bool)] = category
    return out


def _first(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    lower = {str(c).lower(): c for c in frame.columns}
    for name in names:
        if name in lower:
            return str(lower[name])
    return None


def _polygon_layers(path: Path) -> list[str | None]:
    """The polygon layers of a multi-layer source (GeoPackage); ``[None]`` for the rest."""
    if path.suffix.lower() != ".gpkg":
        return [None]
    layers = list_layers(path)
    names = [name for name, kind in layers if kind and POLYGON_TYPES.search(kind)]
    if not names:
        raise SourceFileError(f"cannot read {path}: the GeoPackage has no polygon layer")
    return list(names)


class Constraints(Pipeline):
    layer = "constraints"
    source = SourceInfo(
        key="constraints_file",
        publisher="as given with --from (no bundled source)",
        licence="that of the file loaded; record it with the file",
        data_as_of="that of the file loaded",
    )
    demo_files = ()

    def __init__(self, category: str | None = None) -> None:
        self.category = category  # None: each feature's own category column

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """The category of ``SITEFINDER_CONSTRAINT_CATEGORY`` (``settings.constraint_category``)."""
        return cls(category=settings.constraint_category)

    def fingerprint(self) -> str:
        return f"category={self._fixed_category() or 'from-file'}"

    def _fixed_category(self) -> str | None:
        given = (self.category or "").strip() or None
        if given is None:
            return None
        category = normalise_category(pd.Series([given])).iloc[0]
        if category == "other" and given.strip().lower() not in ("other", "overig"):
            raise InvalidParameterError(
                f"constraint category {given!r} is not one of {', '.join(CATEGORIES)}"
            )
        return str(category)

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        fixed = self._fixed_category()
        parts = []
        for path in paths:
            layers = _polygon_layers(path)
            for layer in layers:
                frame = read_vector(path, layer=layer) if layer else read_vector(path)
                prefix = path.stem if len(layers) == 1 else f"{path.stem}:{layer}"
                parts.append(self._convert(frame, prefix, path.name, fixed))
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=RD)

    @staticmethod
    def _convert(
        frame: gpd.GeoDataFrame, prefix: str, file_name: str, fixed: str | None
    ) -> gpd.GeoDataFrame:
        if frame.crs is None:
            raise SourceFileError(f"constraints: {file_name} has no coordinate reference system")
        frame = frame.reset_index(drop=True)
        id_col = _first(frame, ID_COLUMNS)
        name_col = _first(frame, NAME_COLUMNS)
        cat_col = _first(frame, CATEGORY_COLUMNS)
        ids = (
            frame[id_col].astype("string").str.strip()
            if id_col
            else pd.Series(np.arange(1, len(frame) + 1), index=frame.index).astype("string")
        )
        if fixed is not None:
            category = pd.Series(fixed, index=frame.index, dtype=object)
            text = None
        elif cat_col is not None:
            category = normalise_category(frame[cat_col])
            text = frame[cat_col].astype("string").where(category == "other")
        else:
            category = pd.Series("other", index=frame.index, dtype=object)
            text = None
        used = {c for c in (id_col, name_col, cat_col) if c}
        attrs = pd.DataFrame(frame.drop(columns=[frame.geometry.name, *used]))
        if text is not None:
            attrs["category_text"] = text
        attrs["source_file"] = file_name
        attrs = attrs.astype(object)
        attrs = attrs.where(attrs.notna() & (attrs != ""), None)
        return gpd.GeoDataFrame(
            {
                "source_ref": (prefix + ":" + ids).mask(ids.isna() | (ids == "")),
                "code": ids,
                "name": frame[name_col] if name_col else None,
                "category": category,
                "props": attrs.to_dict("records"),
            },
            geometry=frame.geometry.to_crs(RD).to_numpy(),
            crs=RD,
        )


PIPELINE = Constraints
