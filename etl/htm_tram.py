"""HTM tram stops with departures per hour, from HTM's GTFS timetable (Den Haag, Delft).

Input: a GTFS zip with ``stop_times.txt`` (:mod:`etl.gtfs`). Bundled: the real HTM tram
timetable of Thursday 1 March 2018 (lines 1, 9, 11, 12, 16, 17), reformatted from NDOV KV1 by
the shared data set (``pt/htm_tram_gtfs_20180301_derived.zip``). The feed runs on one day
only, a Thursday: with no Tuesday in its validity the departures per hour (07:00-19:00 / 12)
are counted on its busiest service day, and the run's message says so. The setting
``SITEFINDER_GTFS_SERVICE_DATE`` picks another date (:mod:`etl.gtfs_pipeline`).

Output: ``poi`` rows, layer ``stops_htm``, ``source_ref`` = stop_id (``HTM:1001``), category
``tram``, ``props.departures_per_hour``, geometry EPSG:28992 (metres). HTM's buses are not in
the feed, so the layer declares only ``tram`` complete.
"""

from __future__ import annotations

from etl.declarations import SourceInfo
from etl.gtfs_pipeline import GtfsPipeline


class HtmTram(GtfsPipeline):
    layer = "stops_htm"
    source = SourceInfo(
        key="htm_tram_gtfs_20180301",
        publisher="HTM via NDOV open data (KV1 timetable, reformatted to GTFS)",
        licence="Not stated by the carrier; attribute 'HTM / NDOV' (tests and demo only)",
        data_as_of="2018-03-01",
        url="https://github.com/plannerstack/PTDS.js",
    )
    demo_files = ("pt/htm_tram_gtfs_20180301_derived.zip",)


PIPELINE = HtmTram
