"""Ferry landings with departures per hour, from the frequency-based Dutch ferries GTFS.

Input: a GTFS zip (:mod:`etl.gtfs`). Bundled: plannerstack's *dutch-ferries* feed (CC0,
2018-2020; ``pt/dutch_ferries_gtfs_2018-2020.zip``): small ferries across the country whose
trips are driven by ``frequencies.txt``. The reader expands each frequency period into
departures (a trip leaves its first landing every ``headway_secs`` from ``start_time`` until
``end_time``) and counts 07:00-19:00 on the feed's busiest Tuesday. The feed's own README says
the hourly frequencies were *generated*, not measured, so every landing carries ``props.service
= "generated hourly frequencies, not a measured timetable"`` and the run's message says so.

Output: ``poi`` rows, layer ``stops_ferries``, ``source_ref`` = stop_id, category ``ferry``
(route type 4), ``props.departures_per_hour``, geometry EPSG:28992 (metres). The few landings
just across the border (Emden, Borkum, Moerzeke) lie inside the RD domain and are kept: they
are the other end of a Dutch crossing.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from etl.declarations import SourceInfo
from etl.gtfs_pipeline import GtfsPipeline

GENERATED = "generated hourly frequencies, not a measured timetable"


class Ferries(GtfsPipeline):
    layer = "stops_ferries"
    source = SourceInfo(
        key="dutch_ferries_gtfs_2018_2020",
        publisher="plannerstack/dutch-ferries (GTFS of Dutch ferries, frequencies generated)",
        licence="CC0 1.0",
        data_as_of="2018-2020",
        url="https://github.com/plannerstack/dutch-ferries",
    )
    demo_files = ("pt/dutch_ferries_gtfs_2018-2020.zip",)

    def feed_rows(self, path: Path) -> gpd.GeoDataFrame:
        rows = super().feed_rows(path)
        rows["props"] = [{**props, "service": GENERATED} for props in rows["props"]]
        self.notes.append(f"{path.name}: departures per hour from {GENERATED} (the feed's README)")
        return rows


PIPELINE = Ferries
