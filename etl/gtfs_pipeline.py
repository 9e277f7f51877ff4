"""The part every GTFS source shares: a pipeline that reads GTFS zips into stop rows.

A source module of a GTFS feed (:mod:`etl.ov_stops`, :mod:`etl.htm_tram`, :mod:`etl.ferries`)
subclasses :class:`GtfsPipeline` and names its layer, provenance and demo files. The service
date whose 07:00-19:00 departures are counted comes from ``SITEFINDER_GTFS_SERVICE_DATE``
(``settings.gtfs_service_date``; unset: each feed's busiest Tuesday, else its busiest day) and
is part of the run's checksum. What :func:`etl.gtfs.read_gtfs` notes about a feed (no
``stop_times.txt``, no Tuesday, expanded frequencies) goes into the run's message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Self

import geopandas as gpd
import pandas as pd

from etl.declarations import Pipeline
from etl.gtfs import GtfsStops, read_gtfs, service_fingerprint, stop_rows
from sitefinder.core.crs import RD
from sitefinder.core.settings import Settings


class GtfsPipeline(Pipeline):
    """A pipeline of GTFS feeds; ``feeds`` holds what the last read found in each."""

    required = ("category",)

    def __init__(self, service_date: date | None = None) -> None:
        self.service_date = service_date  # None: each feed's busiest Tuesday (else day)
        self.feeds: list[GtfsStops] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """The service date of ``SITEFINDER_GTFS_SERVICE_DATE`` (``settings.gtfs_service_date``)."""
        return cls(service_date=settings.gtfs_service_date)

    def fingerprint(self) -> str:
        return service_fingerprint(self.service_date)

    def feed_rows(self, path: Path) -> gpd.GeoDataFrame:
        """One GTFS zip as stop rows (EPSG:28992), its notes kept for the run's message."""
        feed = read_gtfs(path, service_date=self.service_date)
        self.feeds.append(feed)
        self.notes.extend(feed.notes)
        return stop_rows(feed)

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        self.feeds = []
        self.notes.clear()
        parts = [self.feed_rows(path) for path in paths]
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=RD)
