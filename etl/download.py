"""One file at a URL as an online source (the national GTFS feed of OVapi, a ``--from URL``).

:data:`DOWNLOAD` is the :class:`etl.declarations.Fetcher` that gets ``spec.base_url`` through
:func:`etl.http.fetch` (retried, resumed, cached per URL and UTC day) and caches it with the
extension ``spec.format`` (``.zip``, ``.geojson`` …) so that GDAL can tell what it is. The
file is always the whole file: an area is applied by the framework after reading.
"""

from __future__ import annotations

from etl import http
from etl.areas import Area
from etl.declarations import Fetched, OnlineSource, Pipeline
from sitefinder.core.settings import Settings


class FileDownload:
    """The fetcher of one file; ``spec.collection`` is not used."""

    def fetch(
        self,
        pipeline: Pipeline,
        spec: OnlineSource,
        area: Area | None,
        settings: Settings,
        *,
        progress: bool,
        refresh: bool,
    ) -> Fetched:
        path = http.fetch(
            spec.base_url,
            settings=settings,
            progress=progress,
            refresh=refresh,
            suffix=spec.format or None,
        )
        return Fetched(path=path, url=spec.base_url)


DOWNLOAD = FileDownload()
