"""BAG panden (buildings): footprints used to tell whether a cadastral parcel is built on.

Input: BAG pand polygons as GeoJSON (or any vector format GDAL reads) with the fields
``Pandidentificatie``, ``bouwjaar`` and ``status`` (the status *name*, as in the BAG catalogue).
The bundled file is the Amsterdam sample of 2015 in EPSG:28992 (RD New, metres); any declared
CRS is accepted.

Output: ``area`` rows, layer ``bag_panden``, EPSG:28992 MultiPolygons.

* ``source_ref`` is ``Pandidentificatie`` exactly as in the file, kept as text so the leading
  zero survives. The Amsterdam UVA2 export writes it with 14 digits (gemeentecode + 10-digit
  number, e.g. ``03630013112567``); the national 16-digit BAG id inserts the object-type code
  ``10`` after the gemeentecode (``0363100013112567``). That national id goes into ``code`` (and
  ``props.bag_id``) so BAG and BGT (``identificatieBAGPND``) can be joined; a 16-digit id is
  used as is.
* ``props``: ``bouwjaar`` (integer; BAG's placeholder year 1005 "unknown" becomes null),
  ``status``.

Which statuses count as a building. A parcel with a pand that stands on it, is being built or
is about to be demolished is not free land, so these count (are loaded): ``Pand in gebruik``,
``Pand in gebruik (niet ingemeten)``, ``Verbouwing pand``, ``Pand buiten gebruik``,
``Sloopvergunning verleend`` and ``Bouw gestart``. These describe no building on the ground and
are left out (not errors, not quarantined): ``Bouwvergunning verleend``, ``Niet gerealiseerd
pand``, ``Pand gesloopt``, ``Pand ten onrechte opgevoerd``. Any other status value is unknown:
the record is quarantined ("unknown BAG pand status") rather than guessed; a missing status is
quarantined as a missing required field.

Online (``sitefinder etl run bag_panden --online [--gemeente GM0363]``): the PDOK BAG OGC API
Features service ``https://api.pdok.nl/kadaster/bag/ogc/v2``, collection ``pand``, as GeoJSON
in CRS84 (degrees), limited to the area's bounding box. Its properties (per the service's
published schema) are ``identificatie`` (the 16-digit national id, text), ``bouwjaar``
(integer), ``status`` (the status name, as above), ``gebruiksdoel``,
``aantal_verblijfsobjecten`` …; ``identificatie`` is read as ``Pandidentificatie``. The whole
country holds some 11 million panden: load it by area.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
from psycopg import sql

from etl.declarations import OnlineSource, Pipeline, SourceInfo, Statement
from etl.loading import quarantine_staged
from etl.ogcapi import OGC_API
from etl.readers import read_vector
from sitefinder.core.errors import SourceFileError

EXISTING_STATUSES = frozenset(
    {
        "pand in gebruik",
        "pand in gebruik (niet ingemeten)",
        "verbouwing pand",
        "pand buiten gebruik",
        "sloopvergunning verleend",
        "bouw gestart",
    }
)
NOT_A_BUILDING_STATUSES = frozenset(
    {
        "bouwvergunning verleend",
        "niet gerealiseerd pand",
        "pand gesloopt",
        "pand ten onrechte opgevoerd",
    }
)
UNKNOWN_BOUWJAAR = 1005  # BAG placeholder: construction year not known
FIELDS = ("Pandidentificatie", "bouwjaar", "status")
PDOK_OGC_BASE = "https://api.pdok.nl/kadaster/bag/ogc/v2"


def national_pand_id(ids: pd.Series) -> pd.Series:
    """The 16-digit national BAG pand id from a 14- or 16-digit identifier (else missing)."""
    text = ids.astype("string").str.strip()
    short = text.str.fullmatch(r"\d{14}").fillna(False)
    full = text.str.fullmatch(r"\d{16}").fillna(False)
    out = pd.Series(pd.NA, index=ids.index, dtype="string")
    out[short] = text[short].str[:4] + "10" + text[short].str[4:]
    out[full] = text[full]
    return out


def parse_bouwjaar(values: pd.Series) -> pd.Series:
    """Construction years as nullable integers; 1005 (BAG 'unknown') and junk become missing."""
    years = pd.to_numeric(values, errors="coerce").astype("Float64")
    return years.where(years != UNKNOWN_BOUWJAAR).round().astype("Int64")


class BagPanden(Pipeline):
    layer = "bag_panden"
    source = SourceInfo(
        key="bag_panden_amsterdam_2015",
        publisher="Gemeente Amsterdam / Kadaster (BAG, UVA2 export 2015-07-06)",
        licence="CC0 1.0",
        data_as_of="2015-07-06",
        url="https://github.com/Amsterdam/bag_services",
    )
    online = OnlineSource.service(
        OGC_API,
        PDOK_OGC_BASE,
        key="pdok_ogc_bag_pand",
        publisher="Kadaster (BAG, PDOK OGC API v2)",
        licence="CC0 1.0",
        collection="pand",
    )
    demo_files = ("bag/amsterdam_pand_sample_2015_rd.geojson",)
    required = ("status",)

    def __init__(self) -> None:
        self.filtered: dict[str, int] = {}

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        frames = [read_vector(p) for p in paths]
        # The PDOK OGC API names the id 'identificatie' (16 digits).
        frames = [
            f.rename(columns={"identificatie": "Pandidentificatie"})
            if "Pandidentificatie" not in f.columns
            else f
            for f in frames
        ]
        crs = frames[0].crs
        frame = pd.concat(
            [f.to_crs(crs) if f.crs and f.crs != crs else f for f in frames], ignore_index=True
        )
        missing = [c for c in FIELDS if c not in frame.columns]
        if missing:
            raise SourceFileError(f"bag_panden: field(s) {', '.join(missing)} not in the file")
        status = frame["status"].astype("string").str.strip()
        gone = status.str.lower().isin(NOT_A_BUILDING_STATUSES).fillna(False).to_numpy()
        self.filtered = {str(k): int(v) for k, v in status[gone].value_counts().items()}
        frame, status = frame.loc[~gone], status[~gone]
        ref = frame["Pandidentificatie"].astype("string").str.strip()
        code = national_pand_id(ref)
        bouwjaar = parse_bouwjaar(frame["bouwjaar"])
        props = pd.DataFrame(
            {"bag_id": code, "bouwjaar": bouwjaar, "status": status}, index=frame.index
        ).astype(object)
        props = props.where(props.notna(), None)
        return gpd.GeoDataFrame(
            {
                "source_ref": ref,
                "name": "BAG-pand " + code.fillna(ref),
                "code": code,
                "category": "pand",
                "status": status,
                "props": props.to_dict("records"),
            },
            geometry=frame.geometry.to_numpy(),
            crs=frame.crs,
        )

    def stage_sql(self) -> Sequence[Statement]:
        """Quarantine staged panden whose status is neither a building nor a known non-one."""
        known = sql.SQL(", ").join(sql.Literal(s) for s in sorted(EXISTING_STATUSES))
        return (
            quarantine_staged(
                self.layer,
                sql.SQL("lower(props->>'status') NOT IN ({known})").format(known=known),
                sql.SQL("'unknown BAG pand status: ' || (props->>'status')"),
            ),
        )


PIPELINE = BagPanden
