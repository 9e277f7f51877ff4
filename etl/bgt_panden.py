"""BGT panden (buildings) from a PDOK BGT download: footprints to tell whether a parcel is built.

Input: a BGT zip as PDOK delivers it (IMGeo 2.1 CityGML, one GML file per object class); only
the member ``bgt_pand.gml`` is read, streamed straight from the zip with ``lxml.iterparse``
(nothing is extracted to disk). Coordinates are EPSG:28992 (RD New, metres), ``srsDimension``
2 (a 3 is accepted and the height dropped).

Why not GDAL: its GML driver takes the first geometry it meets, which for panden with a house
number label is the label *point* in ``nummeraanduidingreeks``. This reader takes the footprint
``imgeo:geometrie2dGrondvlak`` (``gml:MultiSurface`` of ``gml:Polygon`` with exterior and
interior ``gml:LinearRing/gml:posList``) and builds the polygons vectorised
(``shapely.linearrings``/``polygons``/``multipolygons`` over one coordinate array).

Kept: current objects (no ``imgeo:eindRegistratie``) with ``bgt-status`` ``bestaand``. Historic
versions (with ``eindRegistratie``) and current objects that are only planned (``bgt-status``
``geenWaarde`` with ``plus-status`` ``plan``) are not errors and are simply left out; the counts
are kept in :attr:`BgtPanden.filtered`. In the bundled Otterlo download (2020-08-05):
2,273 pand records = 562 historic + 30 planned + 1,681 loaded.

Output: ``area`` rows, layer ``bgt_panden``, EPSG:28992 MultiPolygons. ``source_ref`` =
``lokaalID`` (e.g. ``G0228.fe246f2e4755d6d6e0400a0a35020533``), ``code`` =
``identificatieBAGPND`` (the 16-digit BAG pand id; the BGT placeholder ``…109999999999`` for
"not known" becomes null), ``props``: ``bag_id``, ``bronhouder``, ``tijdstip_registratie``,
``relatieve_hoogteligging``. A record without a usable footprint (missing or with a ring of
fewer than 4 points) keeps a null geometry and is quarantined by the framework.

A zip without ``bgt_pand.gml``, a truncated or corrupt zip or broken XML raise
:class:`SourceFileError` with a one-line message, before anything is written.

Online (``sitefinder etl run bgt_panden --online --gemeente GM0228``; an area is required): a
PDOK BGT custom download (``https://api.pdok.nl/lv/bgt/download/v1_0/full/custom``, feature type
``pand``, format ``citygml``, the area's outline as the RD geofilter; see
:mod:`etl.pdok_download`): requested, polled until PDOK has prepared it, then downloaded. The
zip has the shape read above; only the panden that intersect the area are loaded.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from lxml import etree

from etl.declarations import OnlineSource, Pipeline, SourceInfo
from etl.pdok_download import BGT_CUSTOM_URL, PDOK_DOWNLOAD
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError

MEMBER = "bgt_pand.gml"
IMGEO = "{http://www.geostandaarden.nl/imgeo/2.1}"
GML = "{http://www.opengis.net/gml}"
CORE = "{http://www.opengis.net/citygml/2.0}"
MEMBER_TAG = f"{CORE}cityObjectMember"
UNKNOWN_BAG_ID_SUFFIX = "9999999999"


@dataclass
class _Collected:
    """Attributes per kept record and their rings as flat arrays (one entry per ring)."""

    records: list[dict[str, Any]] = field(default_factory=list)
    coords: list[np.ndarray] = field(default_factory=list)  # (n, 2) per ring
    ring_feature: list[int] = field(default_factory=list)  # record index of each ring
    ring_polygon: list[int] = field(default_factory=list)  # global polygon number of each ring
    n_polygons: int = 0
    filtered: dict[str, int] = field(default_factory=lambda: {"historic": 0, "not bestaand": 0})


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _ring(pos_list: etree._Element) -> np.ndarray | None:
    """The ring's coordinates as an (n, 2) array; None when they cannot be read."""
    dim = int(pos_list.get("srsDimension") or 2)
    try:
        values = np.array((pos_list.text or "").split(), dtype=float)
    except ValueError:
        return None
    if dim not in (2, 3) or len(values) % dim or len(values) < 4 * dim:
        return None
    return values.reshape(-1, dim)[:, :2]


def _add_geometry(part: etree._Element, index: int, acc: _Collected) -> bool:
    """Append the footprint's rings; False when it is missing or has an unreadable ring."""
    footprint = part.find(f"{IMGEO}geometrie2dGrondvlak")
    if footprint is None:
        return False
    polygons: list[list[np.ndarray]] = []
    for polygon in footprint.iter(f"{GML}Polygon"):
        rings = [
            *polygon.iterfind(f"{GML}exterior/{GML}LinearRing/{GML}posList"),
            *polygon.iterfind(f"{GML}interior/{GML}LinearRing/{GML}posList"),
        ]
        read = [_ring(r) for r in rings]
        if not read or any(c is None for c in read):
            return False
        polygons.append([c for c in read if c is not None])
    if not polygons:
        return False
    for rings_of_polygon in polygons:
        for coords in rings_of_polygon:
            acc.coords.append(coords)
            acc.ring_feature.append(index)
            acc.ring_polygon.append(acc.n_polygons)
        acc.n_polygons += 1
    return True


def _members(handle: IO[bytes]) -> Iterator[etree._Element]:
    for _, member in etree.iterparse(handle, events=("end",), tag=MEMBER_TAG, huge_tree=True):
        for part in member:
            if isinstance(part.tag, str):
                yield part
        member.clear()
        while member.getprevious() is not None:
            del member.getparent()[0]


def _parse(handle: IO[bytes]) -> _Collected:
    acc = _Collected()
    for part in _members(handle):
        if _text(part, f"{IMGEO}eindRegistratie") is not None:
            acc.filtered["historic"] += 1
            continue
        if _text(part, f"{IMGEO}bgt-status") != "bestaand":
            acc.filtered["not bestaand"] += 1
            continue
        index = len(acc.records)
        _add_geometry(part, index, acc)
        acc.records.append(
            {
                "source_ref": _text(part, f"{IMGEO}identificatie/{IMGEO}NEN3610ID/{IMGEO}lokaalID"),
                "bag_id": _text(part, f"{IMGEO}identificatieBAGPND"),
                "bronhouder": _text(part, f"{IMGEO}bronhouder"),
                "tijdstip_registratie": _text(part, f"{IMGEO}tijdstipRegistratie"),
                "relatieve_hoogteligging": _text(part, f"{IMGEO}relatieveHoogteligging"),
            }
        )
    return acc


def _geometries(acc: _Collected) -> np.ndarray:
    """One MultiPolygon per record (None where the footprint was unusable), vectorised."""
    out = np.full(len(acc.records), None, dtype=object)
    if not acc.coords:
        return out
    sizes = np.array([len(c) for c in acc.coords])
    coords = np.concatenate(acc.coords)
    rings = np.asarray(
        shapely.linearrings(coords, indices=np.repeat(np.arange(len(sizes)), sizes)), dtype=object
    )
    ring_polygon = np.asarray(acc.ring_polygon)
    polygons = np.asarray(shapely.polygons(rings, indices=ring_polygon), dtype=object)
    polygon_feature = np.asarray(acc.ring_feature)[np.unique(ring_polygon, return_index=True)[1]]
    owners, dense = np.unique(polygon_feature, return_inverse=True)
    out[owners] = shapely.multipolygons(polygons, indices=dense)
    return out


def read_bgt_panden(path: Path) -> tuple[pd.DataFrame, np.ndarray, dict[str, int]]:
    """Records, footprints and filter counts from one BGT zip (or a bare ``bgt_pand.gml``)."""
    try:
        if not zipfile.is_zipfile(path):
            if path.name.lower() == MEMBER:
                with path.open("rb") as handle:
                    acc = _parse(handle)
            else:
                raise SourceFileError(
                    f"bgt_panden: {path} is not a zip file (truncated or corrupt?)"
                )
        else:
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if PurePosixPath(n).name.lower() == MEMBER]
                if not names:
                    raise SourceFileError(f"bgt_panden: {path} holds no {MEMBER}")
                with archive.open(names[0]) as handle:
                    acc = _parse(handle)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SourceFileError(f"bgt_panden: cannot read {path}: corrupt zip ({exc})") from exc
    except etree.XMLSyntaxError as exc:
        first = str(exc).splitlines()[0]
        raise SourceFileError(f"bgt_panden: {MEMBER} in {path} is not valid XML: {first}") from exc
    return pd.DataFrame.from_records(acc.records), _geometries(acc), acc.filtered


class BgtPanden(Pipeline):
    layer = "bgt_panden"
    source = SourceInfo(
        key="bgt_otterlo_2020-08-05",
        publisher="Kadaster / bronhouders via PDOK (BGT download, IMGeo 2.1)",
        licence="CC0 1.0",
        data_as_of="2020-08-05",
        url="https://api.pdok.nl/lv/bgt/download/v1_0/ui/",
    )
    online = OnlineSource.service(
        PDOK_DOWNLOAD,
        BGT_CUSTOM_URL,
        key="pdok_bgt_download_pand",
        publisher="Kadaster / bronhouders via PDOK (BGT custom download, IMGeo 2.1)",
        licence="CC0 1.0",
        collection="pand",
        format=".zip",
    )
    demo_files = ("bgt/bgt_otterlo_2020-08-05.zip",)

    def __init__(self) -> None:
        self.filtered: dict[str, int] = {}

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        records: list[pd.DataFrame] = []
        geometries: list[np.ndarray] = []
        self.filtered = {"historic": 0, "not bestaand": 0}
        for path in paths:
            frame, geoms, filtered = read_bgt_panden(path)
            records.append(frame)
            geometries.append(geoms)
            for key, n in filtered.items():
                self.filtered[key] += n
        frame = pd.concat(records, ignore_index=True)
        if frame.empty:
            frame = pd.DataFrame(
                columns=[
                    "source_ref",
                    "bag_id",
                    "bronhouder",
                    "tijdstip_registratie",
                    "relatieve_hoogteligging",
                ]
            )
        bag_id = frame["bag_id"].astype("string")
        bag_id = bag_id.where(~bag_id.str.endswith(UNKNOWN_BAG_ID_SUFFIX).fillna(False))
        frame["bag_id"] = bag_id
        frame["relatieve_hoogteligging"] = pd.to_numeric(
            frame["relatieve_hoogteligging"], errors="coerce"
        ).astype("Int64")
        props = frame[["bag_id", "bronhouder", "tijdstip_registratie", "relatieve_hoogteligging"]]
        props = props.astype(object).where(props.notna(), None)
        return gpd.GeoDataFrame(
            {
                "source_ref": frame["source_ref"],
                "name": "BGT-pand " + bag_id.fillna(frame["source_ref"].astype("string")),
                "code": bag_id,
                "category": "pand",
                "props": props.to_dict("records"),
            },
            geometry=np.concatenate(geometries) if geometries else [],
            crs=RD,
        )


PIPELINE = BgtPanden
