"""Holiday parks: OpenStreetMap campsites merged with a hand-compiled list of Dutch parks.

Inputs (GeoJSON points, CRS84/WGS84 degrees; any declared CRS is accepted):

* OSM ``tourism=camp_site`` objects, one point per node/way/relation, with ``name``,
  ``osm_type``, ``osm_id``, ``tourism``, address and capacity columns and ``tags_json`` (all
  tags). Bundled: 3,149 points for the European Netherlands (an Overpass export, 2026-08-01).
  Missing values may be JSON null or the string ``'None'``; both mean "no value". Licence
  ODbL 1.0, © OpenStreetMap contributors.
* The park list of Beyond-Growth/vakantieparken-kaart-nederland (236 parks, ``park_number``,
  ``park``, ``website``, ``full_address``, ``geocode_source``, ``osm_type``,
  ``geocode_quality``). No licence of its own: an *unverified list*. Only rows with
  ``geocode_quality == 'ok'`` are used as locations; the other 101 (41 suspect place, 39 place
  centroid only, 21 wrong province) are not loaded at all. Which file is which is told by the
  ``park_number`` column.

Not holiday parks, never loaded: ``tourism=caravan_site`` (motorhome pitches; the OSM file
holds none) and list rows geocoded onto an OSM ``caravan_site`` (2 of the 135 ``ok`` rows:
58 Buitenplaats Holten and 110 Noordijkerveld), leaving 133 list parks.

Merging (in EPSG:28992, metres): a list park whose ``geocode_source`` names an OSM object
(``https://www.openstreetmap.org/way/123``) present in the campsite file joins that campsite
(24 in the bundled data); otherwise, a list park within 250 m of a campsite joins the nearest
one (``geopandas.sjoin_nearest`` with ``max_distance=250``; 49). The rest (60) become sites of
their own. A campsite may collect several list parks. A merged site keeps the OSM location and
name and lists every record in ``sources`` (with how and at what distance it was matched);
``props.list_name``/``list_website`` carry the list's name(s) and website.

Output: ``site`` rows, layer ``holidayparks`` (kind ``vakantiepark``), EPSG:28992 points.
``source_ref``: ``osm:<type>/<id>`` (e.g. ``osm:node/26859269``) for OSM-based sites,
``parklist:<park_number>`` for list-only ones. ``props``: ``tourism``, ``capacity`` (integer,
from ``capacity``), ``static_caravans``, ``permanent_camping``, ``website``, ``address``,
``phone``, ``operator``, ``osm_url`` and, where tagged, ``caravans``, ``tents``, ``cabins``,
``camp_site``, ``capacity:pitches``/``persons``/``cabins``/``caravans``/``tents``,
``group_only``, ``access``, ``backcountry``, ``landuse``, ``fee`` (raw tag values).

Quarantined: campsites without a ``tourism`` tag (4 in Sluis that carry no tags at all and are
named only by their id: nothing says they are campsites; they are not match targets either)
and list rows repeating a ``park_number`` (1, park 162: the framework's duplicate id).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
from psycopg import sql

from etl.framework import RD, Pipeline, SourceInfo, Statement, quarantine_staged, read_vector
from sitefinder.errors import SourceFileError

MATCH_DISTANCE_M = 250.0
OSM_LICENCE = "ODbL 1.0 (© OpenStreetMap contributors)"
LIST_LICENCE = "unverified list (Beyond-Growth/vakantieparken-kaart-nederland)"
OSM_URL = r"openstreetmap\.org/(node|way|relation)/(\d+)"
CAMPSITE_FIELDS = ("name", "osm_type", "osm_id", "tourism")
LIST_FIELDS = ("park_number", "park", "geocode_quality", "geocode_source")
EXTRA_TAGS = (
    "caravans",
    "tents",
    "cabins",
    "camp_site",
    "capacity:pitches",
    "capacity:persons",
    "capacity:cabins",
    "capacity:caravans",
    "capacity:tents",
    "group_only",
    "access",
    "backcountry",
    "landuse",
    "fee",
)
NO_TAGS_REASON = "OSM record without a tourism tag (it has no tags at all): not known as a campsite"


def _text(series: pd.Series) -> pd.Series:
    """Strings with blanks and the literal 'None'/'nan' as missing."""
    text = series.astype("string").str.strip()
    return text.where(~text.isin(["", "None", "nan", "NaN", "null"]))


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return _text(frame[name])
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def _tags(values: pd.Series) -> list[dict[str, Any]]:
    """``tags_json`` as dicts (GDAL gives dicts for JSON objects, strings for text)."""

    def parse(value: Any) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        if isinstance(value, str) and value.strip() not in ("", "None"):
            try:
                parsed = json.loads(value)
            except ValueError:
                return {}
            return parsed if isinstance(parsed, dict) else {}
        return {}

    return [parse(v) for v in values]


def _clean(records: pd.DataFrame) -> list[dict[str, Any]]:
    plain = records.astype(object)
    return cast(list[dict[str, Any]], plain.where(plain.notna(), None).to_dict("records"))


def _campsites(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per OSM campsite with its props (EPSG:28992)."""
    tags = _tags(frame["tags_json"]) if "tags_json" in frame else [{}] * len(frame)
    tag_frame = pd.DataFrame.from_records(tags, index=frame.index).reindex(
        columns=["website", "contact:website", "phone", "contact:phone", *EXTRA_TAGS]
    )
    tag_frame = tag_frame.astype("string").apply(_text)
    osm_type = _column(frame, "osm_type")
    osm_id = pd.to_numeric(frame["osm_id"], errors="coerce").astype("Int64").astype("string")
    ref = osm_type + "/" + osm_id
    tourism = _column(frame, "tourism")
    street = _column(frame, "addr_street")
    number = _column(frame, "addr_housenumber")
    place = (
        _column(frame, "addr_postcode").fillna("") + " " + _column(frame, "addr_city").fillna("")
    ).str.strip()
    address = (street + (" " + number).fillna("")).fillna("")
    address = (address + ", " + place).str.strip(", ").where(lambda s: s != "")
    props = pd.DataFrame(
        {
            "tourism": tourism,
            "capacity": pd.to_numeric(_column(frame, "capacity"), errors="coerce").astype("Int64"),
            "static_caravans": _column(frame, "static_caravans"),
            "permanent_camping": _column(frame, "permanent_camping"),
            "website": _column(frame, "website")
            .fillna(tag_frame["website"])
            .fillna(tag_frame["contact:website"]),
            "address": address,
            "phone": _column(frame, "phone").fillna(tag_frame["contact:phone"]),
            "operator": _column(frame, "operator"),
            "osm_url": "https://www.openstreetmap.org/" + ref,
        }
    )
    for tag in EXTRA_TAGS:
        props[tag] = tag_frame[tag]
    return gpd.GeoDataFrame(
        {
            "osm_ref": ref,
            "is_campsite": tourism.notna().to_numpy(),
            "name": _column(frame, "name"),
            "gemeentecode": _column(frame, "gemeentecode"),
            "props": _clean(props),
        },
        geometry=frame.geometry.to_crs(RD).to_numpy(),
        crs=RD,
    )


def _parklist(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """The list's usable rows (EPSG:28992) and the counts of the rows left out."""
    quality = _column(frame, "geocode_quality")
    caravan = (_column(frame, "osm_type") == "caravan_site").fillna(False)
    ok = (quality == "ok").fillna(False)
    skipped = {
        "geocode not ok": int((~ok).sum()),
        "caravan_site": int((ok & caravan).sum()),
    }
    frame = frame.loc[ok & ~caravan]
    found = _column(frame, "geocode_source").str.extract(OSM_URL)
    number = pd.to_numeric(frame["park_number"], errors="coerce").astype("Int64")
    out = gpd.GeoDataFrame(
        {
            "park_number": number,
            "list_ref": "parklist:" + number.astype("string"),
            "osm_ref": found[0] + "/" + found[1],
            "park": _column(frame, "park"),
            "website": _column(frame, "website"),
            "full_address": _column(frame, "full_address"),
            "osm_type": _column(frame, "osm_type"),
            "gemeentecode": _column(frame, "gemeentecode"),
        },
        geometry=frame.geometry.to_crs(RD).to_numpy(),
        crs=RD,
    )
    return out, skipped


def _list_source(rows: pd.DataFrame) -> list[dict[str, Any]]:
    return _clean(
        pd.DataFrame(
            {
                "source": "parklist",
                "source_ref": rows["list_ref"],
                "name": rows["park"],
                "website": rows["website"],
                "licence": LIST_LICENCE,
                "match": rows["match"],
                "distance_m": rows["distance_m"].round(1),
            }
        )
    )


class HolidayParks(Pipeline):
    layer = "holidayparks"
    source = SourceInfo(
        key="osm_campsites+parklist",
        publisher="OpenStreetMap contributors; Beyond-Growth/vakantieparken-kaart-nederland",
        licence=f"{OSM_LICENCE}; park list: {LIST_LICENCE}",
        data_as_of="2026-08-01",
        url="https://www.openstreetmap.org/copyright",
    )
    demo_files = (
        "holidayparks/osm_nl_campsites_tourism_camp_site.geojson",
        "holidayparks/vakantieparken_nl_list_geocoded.geojson",
    )
    required = ("name",)

    def __init__(self) -> None:
        self.skipped: dict[str, int] = {}
        self.matches: dict[str, int] = {}

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        camps, lists = [], []
        for path in paths:
            frame = read_vector(path)
            if frame.crs is None:
                raise SourceFileError(f"holidayparks: {path.name} has no coordinate system")
            if "park_number" in frame:
                absent = [f for f in LIST_FIELDS if f not in frame]
                lists.append(frame)
            else:
                absent = [f for f in CAMPSITE_FIELDS if f not in frame]
                camps.append(frame)
            if absent:
                raise SourceFileError(
                    f"holidayparks: {path.name} lacks the field(s) {', '.join(absent)}"
                )
        camp = pd.concat([_campsites(f) for f in camps], ignore_index=True) if camps else None
        parts = [_parklist(f) for f in lists]
        parks = pd.concat([p for p, _ in parts], ignore_index=True) if parts else None
        self.skipped = {k: sum(s[k] for _, s in parts) for k in ("geocode not ok", "caravan_site")}
        if camp is None:
            camp = gpd.GeoDataFrame(
                {"osm_ref": [], "is_campsite": [], "name": [], "gemeentecode": [], "props": []},
                geometry=[],
                crs=RD,
            )
        if parks is None:
            return self._output(camp, parks_matched=None, parks_alone=None)
        parks = gpd.GeoDataFrame(parks, geometry="geometry", crs=RD)
        # A repeated park number is not merged: it goes out on its own and is quarantined.
        repeated = parks["park_number"].duplicated(keep="first").to_numpy()
        unique = parks.loc[~repeated]
        targets = camp.loc[camp["is_campsite"].astype(bool), ["osm_ref", "geometry"]]
        targets = targets.drop_duplicates("osm_ref")

        by_id = unique["osm_ref"].isin(targets["osm_ref"]).to_numpy()
        matched_id = unique.loc[by_id].assign(match="osm id", camp_ref=unique["osm_ref"])
        matched_id["distance_m"] = matched_id.distance(
            targets.set_index("osm_ref")
            .geometry.reindex(matched_id["camp_ref"])
            .set_axis(matched_id.index)
        )
        rest = unique.loc[~by_id]
        near = gpd.sjoin_nearest(
            rest[["list_ref", "geometry"]],
            targets.rename(columns={"osm_ref": "camp_ref"}),
            how="inner",
            max_distance=MATCH_DISTANCE_M,
            distance_col="distance_m",
        )
        near = near[~near.index.duplicated(keep="first")]  # equidistant: the first campsite
        matched_near = rest.loc[near.index].assign(
            match=f"nearest within {MATCH_DISTANCE_M:g} m",
            camp_ref=near["camp_ref"],
            distance_m=near["distance_m"],
        )
        alone = pd.concat([rest.drop(index=near.index), parks.loc[repeated]])
        self.matches = {
            "osm id": len(matched_id),
            "nearest": len(matched_near),
            "list only": len(alone),
        }
        return self._output(camp, pd.concat([matched_id, matched_near]), alone)

    def _output(
        self,
        camp: gpd.GeoDataFrame,
        parks_matched: pd.DataFrame | None,
        parks_alone: pd.DataFrame | None,
    ) -> gpd.GeoDataFrame:
        osm_sources = [
            [{"source": "osm", "source_ref": f"osm:{ref}", "licence": OSM_LICENCE}]
            for ref in camp["osm_ref"]
        ]
        props = [dict(p) for p in camp["props"]]
        if parks_matched is not None and len(parks_matched):
            entries = pd.Series(_list_source(parks_matched), index=parks_matched.index)
            by_camp = (
                parks_matched.assign(entry=entries)
                .groupby("camp_ref", sort=False)
                .agg(
                    entries=("entry", list),
                    names=("park", lambda s: " / ".join(dict.fromkeys(s.dropna()))),
                    website=("website", "first"),
                    numbers=("park_number", lambda s: [int(n) for n in s]),
                )
                .reindex(camp["osm_ref"])  # aligned with the campsites; NaN where unmatched
            )
            has_list = by_camp["entries"].notna().to_numpy()
            for i in np.flatnonzero(has_list):
                row = by_camp.iloc[i]
                osm_sources[i] = osm_sources[i] + row["entries"]
                website = row["website"] if pd.notna(row["website"]) else None
                props[i].update(
                    list_name=row["names"] or None,
                    list_website=website,
                    list_park_numbers=row["numbers"],
                )
                if props[i].get("website") is None:
                    props[i]["website"] = website
        osm = gpd.GeoDataFrame(
            {
                "source_ref": "osm:" + camp["osm_ref"],
                "source": "osm",
                "name": camp["name"],
                "gemeentecode": camp["gemeentecode"],
                "props": props,
                "sources": osm_sources,
            },
            geometry=camp.geometry.to_numpy(),
            crs=RD,
        )
        if parks_alone is None or not len(parks_alone):
            return osm
        alone = parks_alone.assign(match=None, distance_m=np.nan)
        alone_props = _clean(
            pd.DataFrame(
                {
                    "website": alone["website"],
                    "address": alone["full_address"],
                    "list_name": alone["park"],
                    "list_website": alone["website"],
                    "list_park_numbers": [
                        [int(n)] if pd.notna(n) else None for n in alone["park_number"]
                    ],
                    "list_osm_type": alone["osm_type"],
                    "list_osm_url": "https://www.openstreetmap.org/" + alone["osm_ref"],
                },
                index=alone.index,
            )
        )
        listed = gpd.GeoDataFrame(
            {
                "source_ref": alone["list_ref"],
                "source": "parklist",
                "name": alone["park"],
                "gemeentecode": alone["gemeentecode"],
                "props": alone_props,
                "sources": [[e] for e in _list_source(alone)],
            },
            geometry=alone.geometry.to_numpy(),
            crs=RD,
        )
        return gpd.GeoDataFrame(pd.concat([osm, listed], ignore_index=True), crs=RD)

    def stage_sql(self) -> Sequence[Statement]:
        """Quarantine OSM campsites that carry no tags at all (nothing says they are one)."""
        return (
            quarantine_staged(
                self.layer,
                sql.SQL("source = 'osm' AND props->>'tourism' IS NULL"),
                sql.Literal(NO_TAGS_REASON),
            ),
        )


PIPELINE = HolidayParks
