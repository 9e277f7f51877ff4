"""Primary schools (DUO), placed on their address: offline on BAG addresses, or with PDOK.

Inputs (any mix, told apart by their columns):

* **DUO "alle schoolvestigingen basisonderwijs"** (``;``-separated CSV as DUO publishes it,
  Windows-1252, or UTF-8): one row per school location with ``VESTIGINGSCODE`` (BRIN + location
  number, ``32JK00``), ``VESTIGINGSNAAM``, ``STRAATNAAM``, ``HUISNUMMER-TOEVOEGING`` (``13``,
  ``3-A``, ``54-56``), ``POSTCODE`` (``9306 TC``), ``PLAATSNAAM``, ``GEMEENTENUMMER`` (four
  digits), ``DENOMINATIE``, ``INSTELLINGSCODE``. **Addresses only, no coordinates.** Bundled:
  the locations of the demo region's gemeenten (Amsterdam, Ede, Doesburg, Delft) from the
  2024/25 list (``schools/duo_02_…_demo_gemeenten.csv``, CC0).
* **BAG address files** (:mod:`etl.geocoding`: the NLExtract bagadresplus CSV, PDOK's BAG
  GeoPackage or OGC API JSON with postcode and huisnummer): the addresses the offline geocoder
  knows. Bundled: the Amsterdam bagadresplus sample and the two Doesburg units; with PDOK's
  national ``bag-light.gpkg`` (``--from duo.csv --from bag-light.gpkg``) every school can be
  placed offline.

Geocoding (:mod:`etl.geocoding`; RD New points, EPSG:28992): first on the BAG address files
given, then, with ``SITEFINDER_GEOCODER=pdok`` (``settings.geocoder``), the rest with the PDOK
Locatieserver (online, one request per address, cached per day). The match (``exact``: the
same letter and addition; ``number``: the same number, another or no suffix) and what placed
the school go into ``props``. A school that cannot be placed is quarantined with the reason:
``address not found in the BAG address files given (offline geocoder)``, ``address not found
by PDOK Locatieserver``, or ``no usable address (postcode and house number)``. The geocoder is
part of the run's checksum.

Output: ``poi`` rows, layer ``schools``, ``source_ref`` = ``VESTIGINGSCODE``, category
``primary_school``, ``props`` (address, postcode, plaats, ``gemeentecode`` ``GM....``,
denomination, instellingscode, geocoder, match). Coverage ``gemeenten``: only the gemeenten
whose every school was placed (:mod:`etl.loading`), so a gemeente with an unplaced school reads
as "no data", never as "no school nearby". The run's message names the complete gemeenten.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Self

import geopandas as gpd
import numpy as np
import pandas as pd

from etl.declarations import QUARANTINE_REASON, Pipeline, SourceInfo
from etl.geocoding import (
    BagAddresses,
    Placed,
    asked_addresses,
    is_bag_address_file,
    locatieserver,
    split_number,
)
from etl.readers import plain_records, text, text_column
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError
from sitefinder.core.settings import Settings

FIELDS = ("VESTIGINGSCODE", "VESTIGINGSNAAM", "HUISNUMMER-TOEVOEGING", "POSTCODE")
NOT_IN_BAG = "address not found in the BAG address files given (offline geocoder)"
NOT_BY_PDOK = "address not found by PDOK Locatieserver"
NO_ADDRESS = "no usable address (postcode and house number)"


def is_duo_list(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.readline().decode("cp1252", "replace")
    return all(field in head for field in FIELDS)


def read_duo(path: Path) -> pd.DataFrame:
    """DUO's school list as strings (Windows-1252 as DUO writes it, else UTF-8)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise SourceFileError(f"schools: cannot read {path.name}: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in FIELDS if c not in frame.columns]
    if missing:
        raise SourceFileError(
            f"schools: {path.name} is not DUO's school list ({', '.join(missing)} missing)"
        )
    return frame


def _merge(first: Placed, then: Placed) -> Placed:
    """``first`` where it placed the address, else ``then``."""
    keep = first.found
    return Placed(
        np.where(keep, first.x, then.x),
        np.where(keep, first.y, then.y),
        np.where(keep, first.match, then.match),
        np.where(keep, first.by, then.by),
    )


class DuoSchools(Pipeline):
    layer = "schools"
    source = SourceInfo(
        key="duo_basisonderwijs_vestigingen",
        publisher="DUO open onderwijsdata (alle schoolvestigingen basisonderwijs)",
        licence="CC0 1.0 (DUO); points: BAG (CC0) or PDOK Locatieserver",
        data_as_of="2024/2025",
        url="https://duo.nl/open_onderwijsdata/",
    )
    demo_files = (
        "schools/duo_02_alle_schoolvestigingen_basisonderwijs_demo_gemeenten.csv",
        "bag/amsterdam_bagadresplus_nlextract.csv",
        "bag/doesburg_0221_vbo_bag_light_2020-09-15.gpkg",
    )
    required = ("name", "category")
    depends_on = ("gemeenten",)  # the coverage is made of its polygons
    # Offline, a school is placed only on the BAG address files given to the run: without
    # matching ones every school waits in quarantine ("address not found"), which says what
    # the inputs lack, not that the file is wrong (the demo's BAG extract holds 100 addresses).
    max_quarantine_share = 1.0
    refuse_all_quarantined = False

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(settings)

    def fingerprint(self) -> str:
        return f"geocoder={self.settings.geocoder}"

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        self.notes.clear()
        lists = [p for p in paths if p.suffix.lower() in (".csv", ".txt") and is_duo_list(p)]
        bag = [p for p in paths if p not in lists and is_bag_address_file(p)]
        other = [p.name for p in paths if p not in lists and p not in bag]
        if other or not lists:
            raise SourceFileError(
                "schools: give DUO's school list (CSV) and, for the offline geocoder, BAG"
                f" address files; not understood: {', '.join(other) or 'no school list'}"
            )
        frame = pd.concat([read_duo(p) for p in lists], ignore_index=True)
        number, rest = split_number(frame["HUISNUMMER-TOEVOEGING"])
        asked = asked_addresses(frame["POSTCODE"], number, rest)
        offline = BagAddresses(bag)
        placed = offline.place(asked)
        online = self.settings.geocoder == "pdok"
        if online and not placed.found.all():
            todo = ~placed.found
            more = locatieserver(asked[todo].reset_index(drop=True), self.settings)
            placed = _merge(placed, _spread(more, todo))
        usable = (asked["postcode"].notna() & asked["huisnummer"].notna()).to_numpy()
        reason = np.full(len(frame), None, dtype=object)
        reason[~placed.found] = NOT_BY_PDOK if online else NOT_IN_BAG
        reason[~usable] = NO_ADDRESS
        digits = text(frame["GEMEENTENUMMER"]).str.zfill(4)
        gemeente = ("GM" + digits).where(digits.str.fullmatch(r"\d{4}").fillna(False))
        props = pd.DataFrame(
            {
                "address": (text(frame["STRAATNAAM"]) + " " + text(frame["HUISNUMMER-TOEVOEGING"])),
                "postcode": asked["postcode"],
                "plaats": text_column(frame, "PLAATSNAAM"),
                "gemeentecode": gemeente,
                "denominatie": text_column(frame, "DENOMINATIE"),
                "instellingscode": text_column(frame, "INSTELLINGSCODE"),
                "geocoder": placed.by,
                "match": placed.match,
            }
        )
        self._note(gemeente, placed, len(offline), online)
        points = np.asarray(gpd.points_from_xy(placed.x, placed.y), dtype=object)
        points[~placed.found] = None
        return gpd.GeoDataFrame(
            {
                "source_ref": text(frame["VESTIGINGSCODE"]),
                "name": text(frame["VESTIGINGSNAAM"]),
                "category": "primary_school",
                "props": plain_records(props),
                QUARANTINE_REASON: reason,
            },
            geometry=points,
            crs=RD,
        )

    def _note(self, gemeente: pd.Series, placed: Placed, n_bag: int, online: bool) -> None:
        per = pd.DataFrame({"gemeente": gemeente, "placed": placed.found})
        complete = per.groupby("gemeente")["placed"].all()
        how = f"offline on {n_bag} BAG addresses" + (", then PDOK Locatieserver" if online else "")
        self.notes.append(
            f"placed {int(placed.found.sum())} of {len(per)} schools ({how});"
            f" complete gemeenten (the layer's coverage): {int(complete.sum())} of"
            f" {len(complete)}"
            + (f" ({', '.join(complete.index[complete])})" if 0 < complete.sum() <= 20 else "")
        )


def _spread(placed: Placed, rows: np.ndarray) -> Placed:
    """``placed`` for the rows where ``rows`` holds, back into a result for every row."""
    n = len(rows)
    out = Placed(np.full(n, np.nan), np.full(n, np.nan), np.full(n, None), np.full(n, None))
    out.x[rows], out.y[rows], out.match[rows], out.by[rows] = (
        placed.x,
        placed.y,
        placed.match,
        placed.by,
    )
    return out


PIPELINE = DuoSchools
