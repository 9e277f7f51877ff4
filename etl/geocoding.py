"""Addresses to points: offline on BAG address files, online with the PDOK Locatieserver.

An address is a postcode (``1011AB``), a house number and a suffix (the huisletter and the
huisnummertoevoeging, upper case, letters and digits only: ``A``, ``2``, ``A2``). Both
geocoders give an RD New point (EPSG:28992, metres) per address, or none, and the same match
rule: the BAG address with the same postcode and number and the same suffix (``exact``); else,
when there is none, the address of that number without a suffix, else the first address of
that number with another suffix (``number``: the school "Nassaulaan 54-56" stands at 54).

* **Offline** (:class:`BagAddresses`): the BAG addresses of the files given, no network. Read:
  the NLExtract *bagadresplus* CSV (``;``, ``postcode``, ``huisnummer``, ``huisletter``,
  ``huisnummertoevoeging``, RD ``x``/``y``) and any GDAL point file with ``postcode`` and
  ``huisnummer`` (PDOK's BAG GeoPackage ``bag-light.gpkg``, layer ``verblijfsobject``, or its
  OGC API JSON, with ``huisletter`` and ``toevoeging``; any CRS). A national ``bag-light.gpkg``
  places every address in the country; the bundled demo files hold a few hundred.
* **Online** (:func:`locatieserver`): the PDOK Locatieserver *free* endpoint,
  ``https://api.pdok.nl/bzk/locatieserver/search/v3_1/free`` (a Solr search over the BAG),
  one GET per distinct address, ``q=<postcode> <number>``, ``fq=type:adres``, ``rows=20``,
  ``fl`` the fields read below, through :mod:`etl.http` (retried, cached per UTC day, mirrored
  by ``settings.online_mirrors``). The answer, as the service documents it::

      {"response": {"numFound": 1, "start": 0, "maxScore": 23.89, "numFoundExact": true,
        "docs": [{"type": "adres", "weergavenaam": "Sint Jansstraat 4, 9712JN Groningen",
                  "postcode": "9712JN", "huisnummer": 4, "huisletter": "A",
                  "huisnummertoevoeging": "2", "nummeraanduiding_id": "0014200010...",
                  "gemeentecode": "0014", "centroide_ll": "POINT(6.57 53.21)",
                  "centroide_rd": "POINT(233870.4 582117.1)", "score": 23.89}]}}

  The point is ``centroide_rd`` (WKT, RD New). A free-text search returns near matches too
  (other numbers, other postcodes), so only a doc with the asked postcode and number counts.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm import tqdm

from etl import http
from etl.readers import list_layers, read_vector, text, text_column
from sitefinder.core.crs import RD
from sitefinder.core.errors import DownloadError, SourceFileError
from sitefinder.core.settings import Settings

LOCATIESERVER_URL = "https://api.pdok.nl/bzk/locatieserver/search/v3_1/free"
FIELDS = (
    "type",
    "weergavenaam",
    "postcode",
    "huisnummer",
    "huisletter",
    "huisnummertoevoeging",
    "nummeraanduiding_id",
    "gemeentecode",
    "centroide_rd",
)
KEY = ["postcode", "huisnummer"]
_POINT = re.compile(r"^\s*POINT\s*\(\s*([-0-9.eE]+)\s+([-0-9.eE]+)\s*\)\s*$")


def postcode(values: pd.Series) -> pd.Series:
    """``'1011 ab'`` -> ``'1011AB'``; missing where it is not a Dutch postcode."""
    pc = text(values).str.upper().str.replace(r"\s+", "", regex=True)
    return pc.where(pc.str.fullmatch(r"\d{4}[A-Z]{2}").fillna(False))


def suffix(*parts: pd.Series) -> pd.Series:
    """Huisletter and toevoeging as one upper-case code of letters and digits (``''``: none)."""
    joined = pd.Series("", index=parts[0].index, dtype="string")
    for part in parts:
        joined = joined + text(part).fillna("")
    return joined.str.upper().str.replace(r"[^0-9A-Z]", "", regex=True)


def split_number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``'3-A'`` -> (3, ``'A'``), ``'54-56'`` -> (54, ``'56'``), ``'12 bis'`` -> (12,
    ``'BIS'``): the house number (Int64, missing when there is none) and the suffix."""
    found = text(values).str.extract(r"^(\d+)\s*[-/ ]?\s*(.*)$")
    number = pd.to_numeric(found[0], errors="coerce").astype("Int64")
    return number, suffix(found[1])


@dataclass
class Placed:
    """Per asked address: RD x/y (NaN: not placed), how it matched and what placed it."""

    x: np.ndarray
    y: np.ndarray
    match: np.ndarray  # "exact", "number" or None
    by: np.ndarray  # the file or service that placed it, None when not placed

    @property
    def found(self) -> np.ndarray:
        return np.asarray(~np.isnan(self.x), dtype=bool)


def _best(asked: pd.DataFrame, known: pd.DataFrame, by: pd.Series | str) -> Placed:
    """The match rule of the module docstring, for every asked address at once.

    ``asked``: postcode, huisnummer, suffix (index 0..n-1); ``known``: the same with x, y (RD)
    and, where ``by`` is a column name, that column.
    """
    n = len(asked)
    out = Placed(np.full(n, np.nan), np.full(n, np.nan), np.full(n, None), np.full(n, None))
    if not n or not len(known):
        return out
    pairs = asked.reset_index(names="row").merge(known, on=KEY, suffixes=("", "_bag"))
    rank = np.where(pairs["suffix_bag"] == pairs["suffix"], 0, 1)
    rank = np.where((rank == 1) & (pairs["suffix_bag"] != ""), 2, rank)
    pairs = pairs.assign(rank=rank).sort_values(["row", "rank"], kind="stable")
    best = pairs.drop_duplicates("row")
    rows = best["row"].to_numpy()
    out.x[rows] = best["x"].to_numpy(dtype=float)
    out.y[rows] = best["y"].to_numpy(dtype=float)
    out.match[rows] = np.where(best["rank"].to_numpy() == 0, "exact", "number")
    out.by[rows] = best[by].to_numpy() if isinstance(by, str) and by in best else by
    return out


def asked_addresses(pc: pd.Series, number: pd.Series, rest: pd.Series) -> pd.DataFrame:
    """The addresses to place (one index): postcode, huisnummer (Int64) and suffix, 0..n-1."""
    frame = pd.DataFrame(
        {
            "postcode": postcode(pc),
            "huisnummer": pd.to_numeric(number, errors="coerce").astype("Int64"),
            "suffix": rest.fillna(""),
        }
    )
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# offline: BAG address files


def is_bag_address_file(path: Path) -> bool:
    """Whether ``path`` holds BAG addresses (a bagadresplus CSV, a BAG GeoPackage or point
    file with postcode and huisnummer), judged by its columns."""
    if path.suffix.lower() in (".csv", ".txt"):
        with path.open("rb") as handle:
            head = handle.readline().decode("utf-8-sig", "replace").lower()
        return "adresseerbaarobject_id" in head and "postcode" in head
    return path.suffix.lower() in (".gpkg", ".geojson", ".json") and _vector_has_address(path)


def _read_gdal(path: Path, **kwargs: Any) -> gpd.GeoDataFrame:
    """``read_vector`` without pyogrio's warning for text fields GDAL types as JSON (a
    property whose first value is null, then text: the text is kept, as wanted)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Could not parse column .* as JSON")
        return read_vector(path, what="schools", **kwargs, **_vbo_layer(path))


def _vector_has_address(path: Path) -> bool:
    try:
        frame = _read_gdal(path, max_features=1, read_geometry=False)
    except SourceFileError:
        return False
    return {"postcode", "huisnummer"} <= {str(c).lower() for c in frame.columns}


def _vbo_layer(path: Path) -> dict[str, str]:
    """The BAG GeoPackage's address layer (``verblijfsobject``) when the file has it."""
    if path.suffix.lower() != ".gpkg":
        return {}
    try:
        names = {name for name, _ in list_layers(path)}
    except SourceFileError:  # not a GeoPackage GDAL can open: read_vector says why
        return {}
    return {"layer": "verblijfsobject"} if "verblijfsobject" in names else {}


def _read_addresses(path: Path) -> pd.DataFrame:
    """One BAG address file as postcode, huisnummer, suffix, x, y (RD) and the file's name."""
    if path.suffix.lower() in (".csv", ".txt"):
        try:
            frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise SourceFileError(f"schools: cannot read {path.name}: {exc}") from exc
        x = pd.to_numeric(text_column(frame, "x"), errors="coerce")
        y = pd.to_numeric(text_column(frame, "y"), errors="coerce")
        letter, extra = text_column(frame, "huisletter"), text_column(frame, "huisnummertoevoeging")
    else:
        vector = _read_gdal(path)
        if vector.crs is None:
            raise SourceFileError(f"schools: {path.name} has no coordinate reference system")
        frame = pd.DataFrame(vector.drop(columns=vector.geometry.name))
        points = vector.geometry.to_crs(RD).to_numpy()
        x = pd.Series(shapely.get_x(points), index=frame.index)
        y = pd.Series(shapely.get_y(points), index=frame.index)
        letter, extra = text_column(frame, "huisletter"), text_column(frame, "toevoeging")
    out = pd.DataFrame(
        {
            "postcode": postcode(text_column(frame, "postcode")),
            "huisnummer": pd.to_numeric(text_column(frame, "huisnummer"), errors="coerce").astype(
                "Int64"
            ),
            "suffix": suffix(letter, extra),
            "x": x,
            "y": y,
            "file": f"BAG addresses: {path.name}",
        }
    )
    return out.dropna(subset=["postcode", "huisnummer", "x", "y"])


class BagAddresses:
    """The addresses of BAG address files, in memory, looked up without any network."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(paths)
        frames = [_read_addresses(path) for path in self.paths]
        self.table = (
            pd.concat(frames, ignore_index=True).drop_duplicates([*KEY, "suffix"])
            if frames
            else pd.DataFrame(columns=[*KEY, "suffix", "x", "y", "file"])
        )

    def __len__(self) -> int:
        return len(self.table)

    def place(self, asked: pd.DataFrame) -> Placed:
        """Place ``asked`` (postcode, huisnummer, suffix) by the match rule."""
        return _best(asked, self.table, "file")


# --------------------------------------------------------------------------------------------
# online: PDOK Locatieserver


def _docs(path: Path, url: str) -> list[dict[str, object]]:
    answer = http.read_json(path, url)
    docs = answer.get("response", {}).get("docs") if isinstance(answer, dict) else None
    if not isinstance(docs, list):
        http.forget(path)
        raise DownloadError(f"{url}: not a Locatieserver answer (no response.docs)")
    return [doc for doc in docs if isinstance(doc, dict)]


def _rd_point(wkt: object) -> tuple[float, float]:
    found = _POINT.match(wkt) if isinstance(wkt, str) else None
    return (float(found.group(1)), float(found.group(2))) if found else (np.nan, np.nan)


def locatieserver(
    asked: pd.DataFrame, settings: Settings, *, progress: bool = True, refresh: bool = False
) -> Placed:
    """Place ``asked`` (postcode, huisnummer, suffix) with the PDOK Locatieserver.

    One request per distinct postcode and number (cached per UTC day); the docs that name the
    asked postcode and number are matched by the rule of the module docstring. Raises
    :class:`DownloadError` when the service cannot be reached or answers something else.
    """
    wanted = asked.dropna(subset=KEY).drop_duplicates(KEY)
    found: list[dict[str, object]] = []
    bar = tqdm(
        total=len(wanted),
        desc="PDOK Locatieserver",
        unit=" adres",
        disable=None if progress else True,
    )
    try:
        for pc, number in wanted[KEY].itertuples(index=False, name=None):
            params: dict[str, str | int | float] = {
                "q": f"{pc} {number}",
                "fq": "type:adres",
                "rows": 20,
                "fl": " ".join(FIELDS),
            }
            path = http.fetch(
                LOCATIESERVER_URL,
                settings=settings,
                params=params,
                suffix=".json",
                progress=False,
                refresh=refresh,
            )
            found += _docs(path, http.full_url(LOCATIESERVER_URL, params))
            bar.update(1)
    finally:
        bar.close()
    docs = pd.DataFrame(found, columns=list(FIELDS))
    xy = [_rd_point(wkt) for wkt in docs["centroide_rd"]]
    known = pd.DataFrame(
        {
            "postcode": postcode(docs["postcode"].astype("string")),
            "huisnummer": pd.to_numeric(docs["huisnummer"], errors="coerce").astype("Int64"),
            "suffix": suffix(
                docs["huisletter"].astype("string"), docs["huisnummertoevoeging"].astype("string")
            ),
            "x": [p[0] for p in xy],
            "y": [p[1] for p in xy],
        }
    )
    known = known[docs["type"].astype("string").eq("adres").fillna(False).to_numpy()]
    known = known.dropna(subset=[*KEY, "x", "y"]).drop_duplicates([*KEY, "suffix"])
    return _best(asked, known, "PDOK Locatieserver")
