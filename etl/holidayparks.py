"""Holiday parks: OpenStreetMap campsites merged with a hand-compiled list of Dutch parks.

Inputs (GeoJSON points, CRS84/WGS84 degrees; any declared CRS is accepted):

* OSM ``tourism=camp_site`` objects, one point per node/way/relation, with ``name``,
  ``osm_type``, ``osm_id``, ``tourism``, address and capacity columns and ``tags_json`` (all
  tags). Bundled: the points for the European Netherlands (an Overpass export, 2026-08-01).
  Missing values may be JSON null or the string ``'None'``; both mean "no value". Licence
  ODbL 1.0, © OpenStreetMap contributors.
* OSM objects from an **Overpass API JSON** file (``out center``/``out geom``) or an **OSM
  PBF** extract, read by :func:`etl.osm.read_osm` with the tags of :data:`SELECT`:
  ``tourism=camp_site|chalet``, ``leisure=resort``, ``landuse=recreation_ground`` (an object
  matches when any of them does; ``tourism=caravan_site`` objects are left out even when
  another tag matched, and counted in :attr:`HolidayParks.osm_skipped`). They become the
  columns of the campsite file above (each column its OSM tag, ``addr:street`` ->
  ``addr_street`` …; ``tags_json`` all tags; an object without ``name`` is named by its
  ``operator``, else by its id ``way/123``, as that export does) and one point each (nodes as
  they are; ``out center``: Overpass's centre; polygons: a point on their surface), then go
  through the same reading and merging. Bundled:
  ``holidayparks/overpass_campsites_ede_amsterdam_out_center.json``, the campsites of the
  file above inside the bounding boxes of Ede and Amsterdam in that format; read alone it
  gives the same sites (ids, names, props, sources; points within 1 cm) as the GeoJSON
  records. A site counts as a holiday object (a merge target, not quarantined) when it has a
  ``tourism`` tag, ``leisure=resort`` or ``landuse=recreation_ground``. Caveat:
  ``landuse=recreation_ground`` also tags sports and event grounds; the TU Delft PBF
  (``osm/tudelft_campus_osm_2025.osm.pbf``) holds such ways, none of them a holiday park, and
  they would load as sites (the unnamed ones named ``way/<id>``).
* The park list of Beyond-Growth/vakantieparken-kaart-nederland (``park_number``, ``park``,
  ``website``, ``full_address``, ``geocode_source``, ``osm_type``, ``geocode_quality``). No
  licence of its own: an *unverified list*. Only rows with ``geocode_quality == 'ok'`` are used
  as locations; the others (a suspect place, a place centroid only, the wrong province) are not
  loaded at all (counted in :attr:`HolidayParks.skipped`). Which file is which is told by the
  ``park_number`` column.

Not holiday parks, never loaded: ``tourism=caravan_site`` (motorhome pitches) and list rows
geocoded onto an OSM ``caravan_site``.

Merging (in EPSG:28992, metres): a list park whose ``geocode_source`` names an OSM object
(``https://www.openstreetmap.org/way/123``) present in the campsite file joins that campsite;
otherwise, a list park within 250 m of a campsite joins the nearest one
(``geopandas.sjoin_nearest`` with ``max_distance=250``). The rest become sites of their own
(the counts per way are in :attr:`HolidayParks.matches`). A campsite may collect several list
parks. A merged site keeps the OSM location and
name and lists every record in ``sources`` (with how and at what distance it was matched);
``props.list_name``/``list_website`` carry the list's name(s) and website.

Two more inputs may be given (not in the demo defaults: their bundled samples are written
files, see below):

* **TOP10NL FunctioneelGebied** GML (BRT TOP10NL 1.2, EPSG:28992; a ``.gml``/``.xml`` or a
  PDOK zip), parsed with lxml by :func:`etl.top10nl.read_functioneel_gebied`: only the types
  ``bungalowpark``, ``kampeerterrein``, ``recreatiepark``, ``vakantiepark`` (and the older
  ``camping``). Bundled: ``holidayparks/top10nl_functioneelgebied_ede_voorbeeld.gml``,
  polygons *drawn by hand* around real OSM campsite locations in Ede (there is no real
  TOP10NL sample).
* **A province's park register** (CSV, separator sniffed), columns matched case- and
  punctuation-insensitively: ``naam``, ``adres``, ``postcode``, ``plaats``, ``gemeente``,
  RD ``x``/``y`` (metres) or ``lat``/``lon`` (WGS84 degrees), ``aantal_plaatsen``,
  ``aantal_recreatiewoningen``, ``status`` and a number ``nr`` (``registernummer``). Bundled:
  ``holidayparks/gelderland_vakantieparkenregister_voorbeeld.csv``: real parks in Ede with
  their locations from the OSM and park-list data (statuses illustrative).

Merging with these (EPSG:28992, vectorised ``sjoin_nearest``): after the list parks have
joined the campsites as above, every OSM campsite site inside a TOP10NL polygon or within
50 m of it, and every list-only park within 250 m of one, joins that polygon (the nearest);
then every register entry joins the nearest site (a TOP10NL polygon, a campsite or a list
park) within 250 m, else it is a site of its own. A TOP10NL site is ``source`` ``top10nl``,
``source_ref`` ``top10nl:<lokaalID>``, named by its ``naamNL`` (else its first campsite's
name), with ``area_m2`` the polygon's area (m²) and ``props.top10nl_type``; its geometry is
the polygon when the layer accepts polygons (``layers/holidayparks.py`` declares the generic
type ``Geometry``), else (a layer declared ``Point``) the first campsite's point, or else a
point on the polygon's surface. ``sources`` keeps every record: the
TOP10NL object, each campsite with its list parks, and the register entries (with how and
at what distance they were matched). Register fields go to ``props.register_name``,
``register_status``, ``aantal_plaatsen``, ``aantal_recreatiewoningen``. A register entry
without coordinates is a site without geometry and is quarantined ("no geometry").

Output: ``site`` rows, layer ``holidayparks`` (kind ``vakantiepark``), EPSG:28992: points, and
the TOP10NL sites' polygons (the layer is declared ``Geometry``; under a ``Point`` declaration
they would be points, as described above). A TOP10NL area given only as a point
(``brt:puntGeometrie``) is not a merge target; it is a site of its own without ``area_m2``.
``source_ref``: ``osm:<type>/<id>`` (e.g. ``osm:node/26859269``) for OSM-based sites,
``parklist:<park_number>`` for list-only ones, ``top10nl:<lokaalID>`` and
``parkregister:<nr>`` for the new ones. ``props``: ``tourism``, ``capacity`` (integer,
from ``capacity``), ``static_caravans``, ``permanent_camping``, ``website``, ``address``,
``phone``, ``operator``, ``osm_url`` and, where tagged, ``caravans``, ``tents``, ``cabins``,
``camp_site``, ``capacity:pitches``/``persons``/``cabins``/``caravans``/``tents``,
``group_only``, ``access``, ``backcountry``, ``landuse``, ``leisure``, ``fee`` (raw tag
values).

Online (``sitefinder etl run holidayparks --online [--gemeente|--provincie|--bbox]``): the
Overpass API (``https://overpass-api.de/api/interpreter``; see :mod:`etl.overpass`), asked for
every node, way and relation with the tags of :data:`SELECT` in the area's bounding box, ``out
center tags``, read as the Overpass JSON above. Not ``tourism=caravan_site``. Without an area
the whole Netherlands is asked for (allowed, with a note). The online
mode reads the service only: the park list, a TOP10NL file or a park register are added by
loading from files instead, the Overpass answer among them (``--from`` the cached
``….json`` of the online run, ``--from`` the list …; every file is merged as above).

Quarantined: OSM records without a ``tourism`` tag, ``leisure=resort`` or
``landuse=recreation_ground`` (such as records that carry no tags at all and are named only by
their id: nothing says they are campsites; they are not match targets either) and list rows
repeating a ``park_number`` (the framework's duplicate id).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from psycopg import sql

from etl.declarations import Pipeline, SourceInfo, Statement
from etl.loading import quarantine_staged
from etl.osm import Selector, as_points, is_overpass_json, is_pbf, read_osm
from etl.overpass import overpass_source
from etl.readers import plain_records, read_table, read_vector, text, text_column
from etl.top10nl import read_functioneel_gebied
from etl.validation import POLYGONAL
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError

MATCH_DISTANCE_M = 250.0
NEAR_POLYGON_M = 50.0  # an OSM campsite this close to a TOP10NL polygon is that park
TOP10NL_LICENCE = "CC BY 4.0 (Kadaster, BRT TOP10NL)"
REGISTER_SOURCE = "parkregister"
REGISTER_ALIASES: dict[str, tuple[str, ...]] = {
    "nr": ("nr", "nummer", "registernummer", "parknummer", "id"),
    "naam": ("naam", "parknaam", "name"),
    "adres": ("adres", "straat", "straat_huisnummer"),
    "postcode": ("postcode",),
    "plaats": ("plaats", "woonplaats"),
    "gemeente": ("gemeente", "gemeentenaam"),
    "x": ("x", "x_rd", "rd_x", "xcoord"),
    "y": ("y", "y_rd", "rd_y", "ycoord"),
    "lat": ("lat", "latitude", "breedtegraad"),
    "lon": ("lon", "lng", "longitude", "lengtegraad"),
    "aantal_plaatsen": ("aantal_plaatsen", "plaatsen", "aantal_standplaatsen"),
    "aantal_recreatiewoningen": ("aantal_recreatiewoningen", "recreatiewoningen"),
    "status": ("status",),
}
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
    "leisure",
    "fee",
)
# The OSM objects that are holiday parks (the Overpass query of the online mode; PBF and
# Overpass files are read with it too). Never tourism=caravan_site: motorhome pitches.
SELECT: Selector = {
    "tourism": frozenset({"camp_site", "chalet"}),
    "leisure": frozenset({"resort"}),
    "landuse": frozenset({"recreation_ground"}),
}
NOT_HOLIDAY_TOURISM = frozenset({"caravan_site"})
# OSM tag -> the column of the campsite GeoJSON export (read by ``_campsites``).
OSM_COLUMNS = {
    "name": "name",
    "tourism": "tourism",
    "operator": "operator",
    "addr:street": "addr_street",
    "addr:housenumber": "addr_housenumber",
    "addr:postcode": "addr_postcode",
    "addr:city": "addr_city",
    "website": "website",
    "phone": "phone",
    "capacity": "capacity",
    "static_caravans": "static_caravans",
    "permanent_camping": "permanent_camping",
}
NO_TAGS_REASON = "OSM record without a tourism tag (it has no tags at all): not known as a campsite"


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


def _campsites(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per OSM campsite with its props (EPSG:28992)."""
    tags = _tags(frame["tags_json"]) if "tags_json" in frame else [{}] * len(frame)
    tag_frame = pd.DataFrame.from_records(tags, index=frame.index).reindex(
        columns=["website", "contact:website", "phone", "contact:phone", *EXTRA_TAGS]
    )
    tag_frame = tag_frame.astype("string").apply(text)
    osm_type = text_column(frame, "osm_type")
    osm_id = pd.to_numeric(frame["osm_id"], errors="coerce").astype("Int64").astype("string")
    ref = osm_type + "/" + osm_id
    tourism = text_column(frame, "tourism")
    street = text_column(frame, "addr_street")
    number = text_column(frame, "addr_housenumber")
    place = (
        text_column(frame, "addr_postcode").fillna("")
        + " "
        + text_column(frame, "addr_city").fillna("")
    ).str.strip()
    address = (street + (" " + number).fillna("")).fillna("")
    address = (address + ", " + place).str.strip(", ").where(lambda s: s != "")
    props = pd.DataFrame(
        {
            "tourism": tourism,
            "capacity": pd.to_numeric(text_column(frame, "capacity"), errors="coerce").astype(
                "Int64"
            ),
            "static_caravans": text_column(frame, "static_caravans"),
            "permanent_camping": text_column(frame, "permanent_camping"),
            "website": text_column(frame, "website")
            .fillna(tag_frame["website"])
            .fillna(tag_frame["contact:website"]),
            "address": address,
            "phone": text_column(frame, "phone").fillna(tag_frame["contact:phone"]),
            "operator": text_column(frame, "operator"),
            "osm_url": "https://www.openstreetmap.org/" + ref,
        }
    )
    for tag in EXTRA_TAGS:
        props[tag] = tag_frame[tag]
    holiday = (
        tourism.notna()
        | (tag_frame["leisure"] == "resort").fillna(False)
        | (tag_frame["landuse"] == "recreation_ground").fillna(False)
    )
    return gpd.GeoDataFrame(
        {
            "osm_ref": ref,
            "is_campsite": holiday.to_numpy(dtype=bool),
            "name": text_column(frame, "name"),
            "gemeentecode": text_column(frame, "gemeentecode"),
            "props": plain_records(props),
        },
        geometry=frame.geometry.to_crs(RD).to_numpy(),
        crs=RD,
    )


def _holiday_props(props: Any) -> bool:
    """Props of an OSM site that say it is a holiday object (as :data:`SELECT`, any tourism)."""
    if not isinstance(props, dict):
        return False
    return (
        props.get("tourism") is not None
        or props.get("leisure") == "resort"
        or props.get("landuse") == "recreation_ground"
    )


def _osm_campsite_file(osm: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Objects read by :func:`etl.osm.read_osm` (Overpass JSON or PBF) as the campsite
    export's columns (EPSG:4326 points), and the number of ``tourism=caravan_site`` objects
    left out.

    Each column is its OSM tag (``addr:street`` -> ``addr_street`` …), ``tags_json`` all tags.
    An object without a ``name`` tag is named by its ``operator``, else by its OSM id
    (``way/123``), as the bundled export names such objects. Areas become one point (a PBF's
    or ``out geom`` polygon: a point on its surface; ``out center``: Overpass's centre).
    """
    tags = pd.DataFrame(list(osm["tags"]), index=osm.index).reindex(columns=list(OSM_COLUMNS))
    tags = tags.astype("string").apply(text)
    caravan = tags["tourism"].isin(NOT_HOLIDAY_TOURISM).fillna(False).to_numpy(dtype=bool)
    osm, tags = osm.loc[~caravan], tags.loc[~caravan]
    frame = tags.rename(columns=OSM_COLUMNS)
    ids = osm["osm_type"].astype(str) + "/" + osm["osm_id"].astype("int64").astype(str)
    frame["name"] = frame["name"].fillna(frame["operator"]).fillna(ids.astype("string"))
    frame["osm_type"] = osm["osm_type"].to_numpy()
    frame["osm_id"] = osm["osm_id"].to_numpy()
    frame["tags_json"] = pd.Series([dict(t) for t in osm["tags"]], index=frame.index, dtype=object)
    points = gpd.GeoSeries(as_points(osm), index=osm.index, crs=osm.crs)
    return gpd.GeoDataFrame(frame, geometry=points, crs=osm.crs), int(caravan.sum())


def _parklist(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """The list's usable rows (EPSG:28992) and the counts of the rows left out."""
    quality = text_column(frame, "geocode_quality")
    caravan = (text_column(frame, "osm_type") == "caravan_site").fillna(False)
    ok = (quality == "ok").fillna(False)
    skipped = {
        "geocode not ok": int((~ok).sum()),
        "caravan_site": int((ok & caravan).sum()),
    }
    frame = frame.loc[ok & ~caravan]
    found = text_column(frame, "geocode_source").str.extract(OSM_URL)
    number = pd.to_numeric(frame["park_number"], errors="coerce").astype("Int64")
    out = gpd.GeoDataFrame(
        {
            "park_number": number,
            "list_ref": "parklist:" + number.astype("string"),
            "osm_ref": found[0] + "/" + found[1],
            "park": text_column(frame, "park"),
            "website": text_column(frame, "website"),
            "full_address": text_column(frame, "full_address"),
            "osm_type": text_column(frame, "osm_type"),
            "gemeentecode": text_column(frame, "gemeentecode"),
        },
        geometry=frame.geometry.to_crs(RD).to_numpy(),
        crs=RD,
    )
    return out, skipped


def _list_source(rows: pd.DataFrame) -> list[dict[str, Any]]:
    return plain_records(
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


def _top10nl(path: Path) -> gpd.GeoDataFrame:
    """Holiday-type TOP10NL FunctioneelGebieden of one file (EPSG:28992)."""
    read = read_functioneel_gebied(path)
    frame = read.records
    geometry = gpd.GeoSeries(read.geometry, crs=read.crs).to_crs(RD)
    polygonal = geometry.geom_type.isin(list(POLYGONAL)).to_numpy()
    return gpd.GeoDataFrame(
        {
            "t_ref": "top10nl:" + frame["lokaal_id"].astype("string"),
            "type": frame["type"],
            "naam": frame["naam"],
            "area_m2": np.where(polygonal, geometry.area.to_numpy(), np.nan),
            "file": frame["file"],
        },
        geometry=geometry.to_numpy(),
        crs=RD,
    )


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _register(path: Path) -> gpd.GeoDataFrame:
    """A province's park register (CSV) with its points in EPSG:28992 (None without any)."""
    raw = read_table(path, layer="holidayparks")
    names = {_normalise(c): c for c in raw.columns}

    def column(key: str) -> pd.Series:
        for alias in REGISTER_ALIASES[key]:
            if alias in names:
                return text(raw[names[alias]])
        return pd.Series(pd.NA, index=raw.index, dtype="string")

    has_rd = any(a in names for a in REGISTER_ALIASES["x"]) and any(
        a in names for a in REGISTER_ALIASES["y"]
    )
    has_wgs = any(a in names for a in REGISTER_ALIASES["lat"]) and any(
        a in names for a in REGISTER_ALIASES["lon"]
    )
    if not any(a in names for a in REGISTER_ALIASES["naam"]) or not (has_rd or has_wgs):
        raise SourceFileError(
            f"holidayparks: {path.name} is not a park register (it needs naam and x/y or lat/lon)"
        )
    if has_rd:
        x = pd.to_numeric(column("x").str.replace(",", "."), errors="coerce")
        y = pd.to_numeric(column("y").str.replace(",", "."), errors="coerce")
        crs = RD
    else:
        x = pd.to_numeric(column("lon").str.replace(",", "."), errors="coerce")
        y = pd.to_numeric(column("lat").str.replace(",", "."), errors="coerce")
        crs = "OGC:CRS84"
    ok = (x.notna() & y.notna()).to_numpy()
    points = np.asarray(gpd.points_from_xy(x.fillna(0), y.fillna(0)), dtype=object)
    points[~ok] = None
    number = column("nr").fillna(
        pd.Series(range(1, len(raw) + 1), index=raw.index).astype("string")
    )
    return gpd.GeoDataFrame(
        {
            "reg_ref": REGISTER_SOURCE + ":" + number,
            "naam": column("naam"),
            "adres": column("adres"),
            "postcode": column("postcode"),
            "plaats": column("plaats"),
            "gemeente": column("gemeente"),
            "aantal_plaatsen": pd.to_numeric(column("aantal_plaatsen"), errors="coerce").astype(
                "Int64"
            ),
            "aantal_recreatiewoningen": pd.to_numeric(
                column("aantal_recreatiewoningen"), errors="coerce"
            ).astype("Int64"),
            "status": column("status"),
            "file": path.name,
        },
        geometry=gpd.GeoSeries(points, crs=crs).to_crs(RD).to_numpy(),
        crs=RD,
    )


def _register_entries(rows: pd.DataFrame) -> list[dict[str, Any]]:
    return plain_records(
        pd.DataFrame(
            {
                "source": REGISTER_SOURCE,
                "source_ref": rows["reg_ref"],
                "name": rows["naam"],
                "status": rows["status"],
                "aantal_plaatsen": rows["aantal_plaatsen"],
                "aantal_recreatiewoningen": rows["aantal_recreatiewoningen"],
                "file": rows["file"],
                "match": rows["match"],
                "distance_m": rows["distance_m"].astype(float).round(1),
            },
            index=rows.index,
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
    online = overpass_source(SELECT, "osm_overpass_holidayparks")
    demo_files = (
        "holidayparks/osm_nl_campsites_tourism_camp_site.geojson",
        "holidayparks/vakantieparken_nl_list_geocoded.geojson",
    )
    required = ("name",)
    version = "2"  # OSM PBF/Overpass input; leisure=resort, landuse=recreation_ground parks

    def __init__(self) -> None:
        self.skipped: dict[str, int] = {}
        self.matches: dict[str, int] = {}
        self.merged: dict[str, int] = {}
        self.osm_skipped: dict[str, int] = {}  # OSM objects of the query that are no park

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        """Sites from the OSM, park-list, TOP10NL and register files among ``paths``.

        Which file is which: ``.gml``/``.xml``/``.zip`` is TOP10NL, ``.csv`` a park register,
        anything else goes through GDAL (with ``park_number``: the park list; else OSM).
        """
        camps, lists, tops, registers = [], [], [], []
        self.osm_skipped = {}
        for path in paths:
            suffix = path.suffix.lower()
            if is_pbf(path) or is_overpass_json(path):
                campsites, n_caravan = _osm_campsite_file(read_osm(path, SELECT))
                camps.append(campsites)
                if n_caravan:
                    self.osm_skipped["caravan_site"] = (
                        self.osm_skipped.get("caravan_site", 0) + n_caravan
                    )
                continue
            if suffix in (".gml", ".xml", ".zip"):
                tops.append(_top10nl(path))
                continue
            if suffix == ".csv":
                registers.append(_register(path))
                continue
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
        sites = self._campsites_and_lists(camps, lists).reset_index(drop=True)
        self.merged = {}
        if tops:
            sites = self._merge_top10nl(sites, pd.concat(tops, ignore_index=True))
        if registers:
            sites = self._merge_register(sites, pd.concat(registers, ignore_index=True))
        if self.osm_skipped:
            self.notes.append(
                f"{self.osm_skipped['caravan_site']} OSM tourism=caravan_site object(s) left out"
            )
        return gpd.GeoDataFrame(
            sites.drop(columns=["_footprint", "_target"], errors="ignore"),
            geometry="geometry",
            crs=RD,
        )

    def _campsites_and_lists(
        self, camps: list[gpd.GeoDataFrame], lists: list[gpd.GeoDataFrame]
    ) -> gpd.GeoDataFrame:
        """OSM campsites and list parks, the list parks joined to campsites (by id, else near)."""
        camp = pd.concat([_campsites(f) for f in camps], ignore_index=True) if camps else None
        parts = [_parklist(f) for f in lists]
        parks = pd.concat([p for p, _ in parts], ignore_index=True) if parts else None
        self.skipped = {k: sum(s[k] for _, s in parts) for k in ("geocode not ok", "caravan_site")}
        if camp is None:
            empty = pd.Series([], dtype="string")
            camp = gpd.GeoDataFrame(
                {
                    "osm_ref": empty,
                    "is_campsite": pd.Series([], dtype=bool),
                    "name": empty,
                    "gemeentecode": empty,
                    "props": pd.Series([], dtype=object),
                },
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
        matched_id = unique.loc[by_id]
        matched_id = matched_id.assign(match="osm id", camp_ref=matched_id["osm_ref"])
        camp_points = targets.set_index("osm_ref").geometry.reindex(matched_id["camp_ref"])
        # Only this frame's own columns and arrays: a Series of another frame set on an empty
        # frame would become its index (no list park matched by id: an area without one).
        matched_id["distance_m"] = shapely.distance(
            matched_id.geometry.to_numpy(), camp_points.to_numpy()
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

    def _targets(self, sites: gpd.GeoDataFrame) -> pd.Series:
        """Sites other records may join: tagged campsites and list parks, unique ids."""
        tagged = [_holiday_props(p) for p in sites["props"]]
        ok = (sites["source"] != "osm").to_numpy() | np.asarray(tagged, dtype=bool)
        return pd.Series(ok & ~sites["source_ref"].duplicated(keep=False).to_numpy(), sites.index)

    def _merge_top10nl(self, sites: gpd.GeoDataFrame, top: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Fold campsites (≤ 50 m) and list-only parks (≤ 250 m) into TOP10NL polygon sites."""
        top = top.drop_duplicates("t_ref").reset_index(drop=True)
        polygons = top.loc[top.geom_type.isin(list(POLYGONAL)), ["t_ref", "geometry"]]
        candidates = sites.loc[
            self._targets(sites) & sites["source"].isin(["osm", "parklist"]), ["geometry"]
        ]
        near = gpd.sjoin_nearest(
            candidates,
            polygons,
            how="inner",
            max_distance=MATCH_DISTANCE_M,
            distance_col="distance_m",
        )
        near = near[~near.index.duplicated(keep="first")]
        limit = np.where(sites.loc[near.index, "source"] == "osm", NEAR_POLYGON_M, MATCH_DISTANCE_M)
        near = near[near["distance_m"].to_numpy() <= limit]
        members = sites.loc[near.index].assign(
            t_ref=near["t_ref"], distance_m=near["distance_m"].astype(float)
        )
        self.merged.update(
            {
                "osm into top10nl": int((members["source"] == "osm").sum()),
                "parklist into top10nl": int((members["source"] == "parklist").sum()),
            }
        )
        how = np.where(
            members["distance_m"].to_numpy() == 0,
            "inside the top10nl polygon",
            np.where(
                members["source"].to_numpy() == "osm",
                f"within {NEAR_POLYGON_M:g} m of the top10nl polygon",
                f"within {MATCH_DISTANCE_M:g} m of the top10nl polygon",
            ),
        )
        members["sources"] = [
            [{**entries[0], "match": m, "distance_m": round(float(d), 1)}, *entries[1:]]
            for entries, m, d in zip(members["sources"], how, members["distance_m"], strict=True)
        ]
        # OSM members first (by id), then list parks; each keeps its own records' order.
        members = members.assign(_osm=members["source"] != "osm").sort_values(
            ["t_ref", "_osm", "source_ref"], kind="stable"
        )
        grouped = members.groupby("t_ref", sort=False)
        agg = pd.DataFrame(
            {
                "sources": grouped["sources"].agg(lambda s: [e for entries in s for e in entries]),
                "name": grouped["name"].first(),
                "gemeentecode": grouped["gemeentecode"].first(),
                "props": grouped["props"].first(),
                "point": grouped["geometry"].first(),
            }
        ).reindex(top["t_ref"])
        top_entries = plain_records(
            pd.DataFrame(
                {
                    "source": "top10nl",
                    "source_ref": top["t_ref"],
                    "type": top["type"],
                    "naam": top["naam"],
                    "area_m2": top["area_m2"].round(1),
                    "licence": TOP10NL_LICENCE,
                }
            )
        )
        props = [
            {
                **(p if isinstance(p, dict) else {}),
                "top10nl_type": kind,
                "top10nl_naam": None if pd.isna(naam) else naam,
            }
            for p, kind, naam in zip(agg["props"], top["type"], top["naam"], strict=True)
        ]
        footprint = top.geometry.to_numpy()
        geometry = footprint
        if self.layer_decl.geometry_type == "Point":
            # The layer holds points: the campsite's own point, else a point on the polygon.
            surface = np.asarray(top.geometry.representative_point(), dtype=object)
            point = agg["point"].to_numpy()
            geometry = np.where(pd.isna(point), surface, point)
        merged = gpd.GeoDataFrame(
            {
                "source_ref": top["t_ref"].to_numpy(),
                "source": "top10nl",
                "name": top["naam"].fillna(agg["name"].reset_index(drop=True)).to_numpy(),
                "gemeentecode": agg["gemeentecode"].to_numpy(),
                "area_m2": top["area_m2"].to_numpy(),
                "props": props,
                "sources": [
                    [t, *(s if isinstance(s, list) else [])]
                    for t, s in zip(top_entries, agg["sources"], strict=True)
                ],
                "_footprint": footprint,
            },
            geometry=geometry,
            crs=RD,
        )
        rest = sites.drop(index=members.index)
        return gpd.GeoDataFrame(
            pd.concat([rest, merged], ignore_index=True), geometry="geometry", crs=RD
        )

    def _merge_register(
        self, sites: gpd.GeoDataFrame, register: gpd.GeoDataFrame
    ) -> gpd.GeoDataFrame:
        """Join each register entry to the nearest site within 250 m, else make it a site."""
        register = register.reset_index(drop=True)
        footprint = gpd.GeoSeries(
            sites["_footprint"].fillna(sites.geometry) if "_footprint" in sites else sites.geometry,
            crs=RD,
        )
        targets = gpd.GeoDataFrame(
            {"_target": sites.index}, geometry=footprint.to_numpy(), crs=RD
        ).loc[self._targets(sites).to_numpy()]
        located = register.loc[register.geometry.notna().to_numpy()]
        near = gpd.sjoin_nearest(
            located[["geometry"]],
            targets,
            how="inner",
            max_distance=MATCH_DISTANCE_M,
            distance_col="distance_m",
        )
        near = near[~near.index.duplicated(keep="first")]
        matched = register.loc[near.index].assign(
            _target=near["_target"],
            distance_m=near["distance_m"].astype(float),
            match=np.where(
                near["distance_m"].to_numpy() == 0,
                "inside or at the site",
                f"nearest within {MATCH_DISTANCE_M:g} m",
            ),
        )
        alone = register.drop(index=near.index).assign(match=None, distance_m=np.nan)
        self.merged.update({"register joined": len(matched), "register only": len(alone)})
        if len(matched):
            entries = pd.Series(_register_entries(matched), index=matched.index)
            grouped = matched.assign(entry=entries).groupby("_target", sort=False)
            extra = pd.DataFrame(
                {
                    "entries": grouped["entry"].agg(list),
                    "naam": grouped["naam"].first(),
                    "status": grouped["status"].first(),
                    "plaatsen": grouped["aantal_plaatsen"].first(),
                    "woningen": grouped["aantal_recreatiewoningen"].first(),
                }
            )
            sites = sites.copy()
            at = extra.index.to_numpy()
            sites.loc[at, "sources"] = pd.Series(
                [[*s, *e] for s, e in zip(sites.loc[at, "sources"], extra["entries"], strict=True)],
                index=at,
                dtype=object,
            )
            register_props = plain_records(
                pd.DataFrame(
                    {
                        "register_name": extra["naam"],
                        "register_status": extra["status"],
                        "aantal_plaatsen": extra["plaatsen"],
                        "aantal_recreatiewoningen": extra["woningen"],
                    }
                )
            )
            sites.loc[at, "props"] = pd.Series(
                [
                    {
                        **(p if isinstance(p, dict) else {}),
                        **{k: v for k, v in r.items() if v is not None},
                    }
                    for p, r in zip(sites.loc[at, "props"], register_props, strict=True)
                ],
                index=at,
                dtype=object,
            )
        if not len(alone):
            return sites
        address = (
            alone["adres"].fillna("")
            + ", "
            + (alone["postcode"].fillna("") + " " + alone["plaats"].fillna("")).str.strip()
        ).str.strip(", ")
        own = gpd.GeoDataFrame(
            {
                "source_ref": alone["reg_ref"],
                "source": REGISTER_SOURCE,
                "name": alone["naam"],
                "gemeentecode": None,
                "props": plain_records(
                    pd.DataFrame(
                        {
                            "address": address.where(address != ""),
                            "gemeente": alone["gemeente"],
                            "register_name": alone["naam"],
                            "register_status": alone["status"],
                            "aantal_plaatsen": alone["aantal_plaatsen"],
                            "aantal_recreatiewoningen": alone["aantal_recreatiewoningen"],
                        }
                    )
                ),
                "sources": [[e] for e in _register_entries(alone)],
            },
            geometry=alone.geometry.to_numpy(),
            crs=RD,
        )
        return gpd.GeoDataFrame(
            pd.concat([sites, own], ignore_index=True), geometry="geometry", crs=RD
        )

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
        alone_props = plain_records(
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
                sql.SQL(
                    "source = 'osm' AND props->>'tourism' IS NULL"
                    " AND props->>'leisure' IS DISTINCT FROM 'resort'"
                    " AND props->>'landuse' IS DISTINCT FROM 'recreation_ground'"
                ),
                sql.Literal(NO_TAGS_REASON),
            ),
        )


PIPELINE = HolidayParks
