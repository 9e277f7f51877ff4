"""Care from OpenStreetMap: GPs, clinics, hospitals, pharmacies, mental-health care, social
facilities, for the layer ``care_osm``.

Input: an OSM PBF extract (``*.osm.pbf``, read with pyosmium) or an Overpass API JSON file
(``out center`` / ``out geom``); see :mod:`etl.osm`. Coordinates WGS84 degrees; output
``poi`` points in EPSG:28992 (metres): nodes as they are, areas (closed ways, multipolygons) as
a point on their surface. ``source_ref`` = ``node/123`` / ``way/456`` / ``relation/789``.
The bundled file is the real OSM extract of the TU Delft campus (2025).

Online (``sitefinder etl run care_osm --online [--gemeente|--provincie|--bbox]``): the Overpass
API (``https://overpass-api.de/api/interpreter``; see :mod:`etl.overpass`), asked for every
node, way and relation with the tags selected below (``amenity=…`` or any ``healthcare``) in
the area's bounding box, ``out center tags`` (areas arrive as their centre point, WGS84
degrees). Without an area the whole Netherlands is asked for (allowed, with a note).

Selected: ``amenity=doctors|clinic|health_centre|hospital|pharmacy|social_facility`` and
every ``healthcare=*``. ``category`` (first rule that applies):

* ``mental_health``: ``healthcare=psychotherapist|psychologist``, a
  ``healthcare:speciality`` containing ``psychiatry``, or
  ``social_facility:for=mental_health``;
* ``hospital``: ``amenity=hospital`` or ``healthcare=hospital``;
* ``gp``: ``amenity=doctors`` or ``healthcare=doctor`` with no speciality or
  ``healthcare:speciality=general``;
* ``clinic``: ``amenity=clinic|health_centre``, ``healthcare=clinic|centre``, or a doctor
  with another speciality (a specialist practice);
* ``pharmacy``: ``amenity=pharmacy`` or ``healthcare=pharmacy``;
* ``social_facility``: ``amenity=social_facility`` (shelters, group homes, outreach …).

Other healthcare (dentists, physiotherapists, opticians, …) is not care in the sense of this
tool: it is not loaded, and :attr:`OsmCare.skipped` counts it per ``healthcare`` value.

**How this enters the score.** The scorer reads one care layer, ``care``; that layer's
pipeline (:mod:`etl.rivm_hospitals`) adds the rows of ``care_osm`` to the national hospital
list on every load (it ``depends_on`` this layer). ``care`` stays *national* because the
hospital list is; the OSM rows only add care inside the extract. So a site inside the extract
can be near a GP, a site elsewhere only near a hospital: the distance and count criteria are
comparable only among sites inside the same extract. A missing GP outside it is *not* known to
be missing. ``care_osm``'s own coverage is the hull of its features grown by 250 m, as an
honest picture of where local care data exists.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from etl.declarations import Pipeline, SourceInfo
from etl.osm import Selector, poi_rows, read_osm, tag_columns
from etl.overpass import overpass_source
from sitefinder.core.crs import RD

log = logging.getLogger(__name__)

SELECT: Selector = {
    "amenity": frozenset(
        {"doctors", "clinic", "health_centre", "hospital", "pharmacy", "social_facility"}
    ),
    "healthcare": None,
}
PROP_TAGS = {
    "amenity": "amenity",
    "healthcare": "healthcare",
    "healthcare:speciality": "speciality",
    "social_facility": "social_facility",
    "social_facility:for": "social_facility_for",
    "operator": "operator",
    "opening_hours": "opening_hours",
    "addr:street": "addr_street",
    "addr:housenumber": "addr_housenumber",
    "addr:postcode": "addr_postcode",
    "addr:city": "addr_city",
    "website": "website",
}
CATEGORIES = ("gp", "clinic", "hospital", "pharmacy", "social_facility", "mental_health")


def care_category(tags: pd.DataFrame) -> pd.Series:
    """OSM tags (columns amenity, healthcare, healthcare:speciality, social_facility:for)
    -> care category; None for healthcare that is not care here (dentist, physiotherapist …)."""

    def col(name: str) -> pd.Series:
        if name not in tags.columns:
            return pd.Series("", index=tags.index, dtype="string")
        return tags[name].astype("string").str.strip().str.lower().fillna("")

    amenity, healthcare = col("amenity"), col("healthcare")
    speciality = col("healthcare:speciality")
    general = speciality.isin(["", "general", "general_practice", "family_medicine"])
    doctor = (amenity == "doctors") | (healthcare == "doctor")
    rules = [  # later rules overwrite earlier ones: the list runs from lowest priority up
        ("social_facility", amenity == "social_facility"),
        ("pharmacy", (amenity == "pharmacy") | (healthcare == "pharmacy")),
        (
            "clinic",
            amenity.isin(["clinic", "health_centre"])
            | healthcare.isin(["clinic", "centre"])
            | (doctor & ~general),
        ),
        ("gp", doctor & general),
        ("hospital", (amenity == "hospital") | (healthcare == "hospital")),
        (
            "mental_health",
            healthcare.isin(["psychotherapist", "psychologist"])
            | speciality.str.contains(r"(?:^|;)\s*psychiatry\s*(?:;|$)", regex=True)
            | col("social_facility:for").str.contains("mental_health", regex=False),
        ),
    ]
    category = pd.Series(None, index=tags.index, dtype=object)
    for name, mask in rules:
        category[mask.to_numpy(dtype=bool)] = name
    return category.astype(object).where(category.notna(), None)


def care_frame(osm: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Selected OSM objects -> care rows (EPSG:28992) and the counts of what was skipped."""
    tags = tag_columns(osm, ["name", *PROP_TAGS])
    category = care_category(tags)
    keep = category.notna().to_numpy()
    skipped_kind = tags["healthcare"].fillna(tags["amenity"]).fillna("other")[~keep]
    skipped = {f"healthcare={k}": int(n) for k, n in skipped_kind.value_counts().items()}
    props = tags[list(PROP_TAGS)].rename(columns=PROP_TAGS)[keep]
    frame = poi_rows(osm[keep], tags["name"][keep], category[keep].to_numpy(), props)
    return frame, skipped


class OsmCare(Pipeline):
    layer = "care_osm"
    source = SourceInfo(
        key="osm_care_extract",
        publisher="OpenStreetMap contributors (OSM PBF extract or Overpass API)",
        licence="ODbL 1.0 (© OpenStreetMap contributors)",
        data_as_of="the extract's date (bundled: TU Delft campus, 2025)",
        url="https://www.openstreetmap.org/copyright",
    )
    online = overpass_source(SELECT, "osm_overpass_care")
    demo_files = ("osm/tudelft_campus_osm_2025.osm.pbf",)
    required = ("category",)

    def __init__(self) -> None:
        self.skipped: dict[str, int] = {}

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        frames: list[gpd.GeoDataFrame] = []
        skipped: dict[str, int] = {}
        for path in paths:
            frame, skip = care_frame(read_osm(path, SELECT))
            frames.append(frame)
            for key, n in skip.items():
                skipped[key] = skipped.get(key, 0) + n
        self.skipped = skipped
        if skipped:
            log.info("care_osm: not care in this sense, not loaded: %s", skipped)
        self.notes.clear()
        found = pd.concat(frames)["category"].value_counts() if frames else pd.Series(dtype=int)
        empty = [c for c in CATEGORIES if not found.get(c)]
        self.notes.append(
            "care per category in the extract: "
            + ", ".join(f"{c} {int(found.get(c, 0))}" for c in CATEGORIES)
            + (
                f"; none of {', '.join(empty)}: inside the extract that reads as none nearby,"
                " outside it as no data"
                if empty
                else ""
            )
        )
        if not frames:
            return gpd.GeoDataFrame(
                {"source_ref": [], "name": [], "category": [], "props": []},
                geometry=np.asarray([], dtype=object),
                crs=RD,
            )
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=RD)


PIPELINE = OsmCare
