"""Finding a property: an address on the BAG (offline, and online through PDOK Locatieserver),
and the geometry of an uploaded file (GeoJSON, GeoPackage, KML, zipped Shapefile).

**Addresses.** A query is a postcode with a house number (``1011AB 105``, ``1011 ab 105-2``) or a
street with a number (``De Ruijterkade 105``). Offline it is looked up in the bundled BAG
address files (NLExtract *bagadresplus* CSV in ``<data_dir>/bag``: street, postcode, number,
suffix, RD x/y; read once, vectorised filters). When nothing is found there and the settings'
geocoder is ``pdok``, a postcode query goes to the PDOK Locatieserver
(``etl.geocoding.locatieserver``: the same match rule, cached per day, mirrors honoured).

**Files.** The body is the file itself (at most :data:`UPLOAD_LIMIT` bytes, the API's guard
refuses more); its name's extension says the format. A zip is first checked against the ETL's
zip limits (``etl.archives``), then read by GDAL through ``/vsizip/``. Any CRS the file
declares is transformed to EPSG:28992; the answer is the union of its polygons (or its first
point when it has only points) in WGS84, bounded like a drawn geometry
(``sitefinder.api.geojson``). A file GDAL cannot read, without a CRS, empty, or too complex is
a 422 with the reason.
"""

from __future__ import annotations

import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from etl.archives import ArchiveLimits, check_archive
from sitefinder.api.adhoc import MAX_AREA_M2, to_geojson
from sitefinder.api.geojson import MAX_VERTICES
from sitefinder.core.crs import RD, RD_BOUNDS, WGS84, transformer
from sitefinder.core.errors import DownloadError, InvalidParameterError, SourceFileError
from sitefinder.core.settings import Settings

if TYPE_CHECKING:  # imported where used: the API starts without pandas and the ETL's readers
    import pandas as pd

UPLOAD_LIMIT = 5 << 20  # bytes of an uploaded file
UPLOAD_UNZIPPED = 50 << 20  # bytes a zipped upload may inflate to
MAX_FEATURES = 10_000
MAX_RESULTS = 10
FORMATS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage", ".kml": "KML"}
ZIP = ".zip"
NL_BOX = shapely.box(*RD_BOUNDS)
_POSTCODE_QUERY = re.compile(r"^\s*(\d{4})\s*([A-Za-z]{2})\s+(\d+)\s*[-/ ]?\s*([0-9A-Za-z]*)\s*$")
_STREET_QUERY = re.compile(r"^\s*(.+?)\s+(\d+)\s*[-/ ]?\s*([0-9A-Za-z]*)\s*$")


# --- addresses ---


@lru_cache(maxsize=4)
def _bag(data_dir: Path) -> pd.DataFrame:
    """The bundled BAG addresses (street, postcode, number, suffix, place, RD x/y, lon/lat)."""
    import pandas as pd

    from etl.geocoding import postcode, suffix

    frames = []
    for path in sorted((data_dir / "bag").glob("*bagadresplus*.csv")):
        frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
        frames.append(
            pd.DataFrame(
                {
                    "street": frame["openbareruimtenaam"].str.strip(),
                    "street_key": frame["openbareruimtenaam"].str.lower().str.strip(),
                    "postcode": postcode(frame["postcode"]),
                    "huisnummer": pd.to_numeric(frame["huisnummer"], errors="coerce"),
                    "suffix": suffix(frame["huisletter"], frame["huisnummertoevoeging"]),
                    "place": frame["woonplaats"],
                    "x": pd.to_numeric(frame["x"], errors="coerce"),
                    "y": pd.to_numeric(frame["y"], errors="coerce"),
                    "source": f"BAG: {path.name}",
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=["street", "street_key", "postcode", "huisnummer", "suffix", "place", "x", "y"]
        )
    table = pd.concat(frames, ignore_index=True).dropna(subset=["huisnummer", "x", "y"])
    return table.drop_duplicates(["postcode", "huisnummer", "suffix"])


def _lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = transformer(RD, WGS84).transform(x, y)
    return np.round(np.asarray(lon), 6), np.round(np.asarray(lat), 6)


def _rows(found: pd.DataFrame) -> list[dict[str, Any]]:
    if found.empty:
        return []
    lon, lat = _lonlat(found["x"].to_numpy(float), found["y"].to_numpy(float))
    out = []
    for (_, r), lo, la in zip(found.iterrows(), lon, lat, strict=True):  # at most MAX_RESULTS
        rest = f"-{r['suffix']}" if r["suffix"] else ""
        label = f"{r['street']} {int(r['huisnummer'])}{rest}, {r['postcode']} {r['place']}"
        out.append(
            {
                "label": label.strip(),
                "postcode": r["postcode"],
                "huisnummer": int(r["huisnummer"]),
                "suffix": r["suffix"] or None,
                "lon": float(lo),
                "lat": float(la),
                "source": r["source"],
            }
        )
    return out


def search_addresses(settings: Settings, query: str) -> list[dict[str, Any]]:
    """Addresses matching ``query`` (see the module docstring), best first."""
    text = query.strip()
    table = _bag(settings.data_dir)
    by_postcode = _POSTCODE_QUERY.match(text)
    if by_postcode:
        pc = (by_postcode.group(1) + by_postcode.group(2)).upper()
        number, rest = int(by_postcode.group(3)), by_postcode.group(4).upper()
        same = table[(table["postcode"] == pc) & (table["huisnummer"] == number)]
        exact = same[same["suffix"] == rest] if rest else same
        found = _rows((exact if len(exact) else same).head(MAX_RESULTS))
        if not found and settings.geocoder == "pdok":
            found = _online(settings, pc, number, rest)
        return found
    by_street = _STREET_QUERY.match(text)
    if not by_street:  # not an address (no house number): nothing to find
        return []
    street = by_street.group(1).lower().strip()
    number, rest = int(by_street.group(2)), by_street.group(3).upper()
    same = table[table["street_key"].str.startswith(street) & (table["huisnummer"] == number)]
    exact = same[same["suffix"] == rest] if rest else same
    return _rows((exact if len(exact) else same).head(MAX_RESULTS))


def _online(settings: Settings, pc: str, number: int, rest: str) -> list[dict[str, Any]]:
    import pandas as pd

    from etl.geocoding import asked_addresses, locatieserver

    asked = asked_addresses(pd.Series([pc]), pd.Series([number]), pd.Series([rest]))
    try:
        placed = locatieserver(asked, settings, progress=False)
    except DownloadError as exc:
        raise DownloadError(f"PDOK Locatieserver: {exc}") from exc
    if not placed.found[0]:
        return []
    lon, lat = _lonlat(placed.x, placed.y)
    return [
        {
            "label": f"{pc} {number}{'-' + rest if rest else ''}",
            "postcode": pc,
            "huisnummer": number,
            "suffix": rest or None,
            "lon": float(lon[0]),
            "lat": float(lat[0]),
            "source": "PDOK Locatieserver",
        }
    ]


# --- uploaded files ---


def _format(filename: str) -> str:
    suffix_ = Path(filename).suffix.lower()
    if suffix_ not in (*FORMATS, ZIP):
        raise InvalidParameterError(
            "upload a GeoJSON (.geojson, .json), GeoPackage (.gpkg), KML (.kml) or a zipped"
            f" Shapefile (.zip); got '{Path(filename).name[:80]}'"
        )
    return suffix_


def read_upload(filename: str, body: bytes) -> dict[str, Any]:
    """The geometry of an uploaded file (see the module docstring)."""
    from etl.readers import read_vector

    extension = _format(filename)
    if not body:
        raise InvalidParameterError("the uploaded file is empty")
    with tempfile.TemporaryDirectory(prefix="sitefinder-upload-") as folder:
        path = Path(folder) / f"upload{extension}"
        path.write_bytes(body)
        source: str | Path = path
        if extension == ZIP:
            check_archive(path, "upload", ArchiveLimits(UPLOAD_UNZIPPED, 200))
            source = f"/vsizip/{path}"
        try:
            frame = read_vector(source, what="upload", label=Path(filename).name[:80])
        except SourceFileError:
            raise
        except Exception as exc:  # GDAL's other failures on a hostile file: still the file's fault
            raise SourceFileError(f"upload: cannot read {Path(filename).name[:80]}: {exc}") from exc
    if len(frame) > MAX_FEATURES:
        raise InvalidParameterError(f"the file has {len(frame)} features; at most {MAX_FEATURES}")
    if frame.crs is None:
        raise InvalidParameterError("the file does not say its coordinate reference system")
    geoms = frame.geometry.to_crs(RD).to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(geoms):
        raise InvalidParameterError("the file holds no geometry")
    if int(shapely.get_num_coordinates(geoms).sum()) > MAX_VERTICES:
        raise InvalidParameterError(f"the file's geometry has more than {MAX_VERTICES} positions")
    parts = shapely.get_parts(shapely.force_2d(geoms))
    kinds = shapely.get_type_id(parts)
    polygons = parts[kinds == shapely.GeometryType.POLYGON]
    if len(polygons):
        merged = shapely.make_valid(shapely.union_all(polygons))
        kept = shapely.get_parts(merged)
        kept = kept[shapely.get_type_id(kept) == shapely.GeometryType.POLYGON]
        result = kept[0] if len(kept) == 1 else shapely.MultiPolygon(list(kept))
    else:
        points = parts[kinds == shapely.GeometryType.POINT]
        if not len(points):
            raise InvalidParameterError("the file holds no polygon or point (lines are no plot)")
        result = points[0]
    area = float(shapely.area(result))
    if area > MAX_AREA_M2:
        raise InvalidParameterError(f"the plot is larger than {MAX_AREA_M2 / 1e6:.0f} km²")
    if not shapely.contains(NL_BOX, result):
        raise InvalidParameterError("the file's geometry does not lie in the Netherlands")
    return {
        "geometry": to_geojson(result),
        "features": len(frame),
        "crs": str(frame.crs.to_string()),
        "area_m2": round(area, 1) or None,
    }
