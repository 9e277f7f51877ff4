"""BGT panden (buildings) from a PDOK BGT download: footprints to tell whether a parcel is built.

Input: a BGT zip as PDOK delivers it (IMGeo 2.1 CityGML, one GML file per object class), or
a bare ``bgt_pand.gml``; only that member is read, streamed straight from the zip with
``lxml.iterparse`` (nothing is extracted to disk). Coordinates are EPSG:28992 (RD New,
metres), ``srsDimension`` 2 (a 3 is accepted and the height dropped).

The footprint is ``imgeo:geometrie2dGrondvlak`` (a ``gml:MultiSurface``), read by
:mod:`etl.gml` into one MultiPolygon per pand in one vectorised pass. GDAL's GML driver on its
own takes the first geometry it meets, which for panden with a house number label is the label
*point* in ``nummeraanduidingreeks``; why no GDAL with a GFS template either: see
:mod:`etl.gml`.

Kept: current objects (no ``imgeo:eindRegistratie``) with ``bgt-status`` ``bestaand``. Historic
versions (with ``eindRegistratie``) and current objects that are only planned (``bgt-status``
``geenWaarde`` with ``plus-status`` ``plan``) are not errors and are simply left out; the counts
are kept in :attr:`BgtPanden.filtered`.

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

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from lxml import etree

from etl.declarations import OnlineSource, Pipeline, SourceInfo
from etl.gml import (
    READ_ERRORS,
    Geometries,
    child_texts,
    iter_features,
    open_members,
    read_error,
    text_of,
)
from etl.pdok_download import BGT_CUSTOM_URL, PDOK_DOWNLOAD
from sitefinder.core.crs import RD

MEMBER = "bgt_pand.gml"
IMGEO = "{http://www.geostandaarden.nl/imgeo/2.1}"
UNKNOWN_BAG_ID_SUFFIX = "9999999999"
LOKAAL_ID = f"{IMGEO}identificatie/{IMGEO}NEN3610ID/{IMGEO}lokaalID"
FIELDS = ("source_ref", "bag_id", "bronhouder", "tijdstip_registratie", "relatieve_hoogteligging")


def _parts(handle: IO[bytes]) -> Iterator[etree._Element]:
    """The objects (``BuildingPart``) of every ``cityObjectMember``, streamed."""
    for member in iter_features(handle, "cityObjectMember"):
        yield from (part for part in member if isinstance(part.tag, str))


def read_bgt_panden(path: Path) -> tuple[pd.DataFrame, np.ndarray, dict[str, int]]:
    """Records, footprints (EPSG:28992) and filter counts from one BGT zip (or a bare GML)."""
    records: list[dict[str, Any]] = []
    geometries = Geometries()
    filtered = {"historic": 0, "not bestaand": 0}
    pattern = rf"^{re.escape(MEMBER)}$"
    for name, handle in open_members(path, pattern, "bgt_panden", label=MEMBER):
        try:
            for part in _parts(handle):
                values = child_texts(part)
                if "eindRegistratie" in values:
                    filtered["historic"] += 1
                    continue
                if values.get("bgt-status") != "bestaand":
                    filtered["not bestaand"] += 1
                    continue
                geometries.add(part.find(f"{IMGEO}geometrie2dGrondvlak"), len(records))
                records.append(
                    {
                        "source_ref": text_of(part, LOKAAL_ID),
                        "bag_id": values.get("identificatieBAGPND"),
                        "bronhouder": values.get("bronhouder"),
                        "tijdstip_registratie": values.get("tijdstipRegistratie"),
                        "relatieve_hoogteligging": values.get("relatieveHoogteligging"),
                    }
                )
        except READ_ERRORS as exc:
            raise read_error("bgt_panden", name, exc) from exc
    frame = pd.DataFrame.from_records(records, columns=list(FIELDS))
    return frame, geometries.build(len(records)), filtered


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
