"""The PDOK download API (BGT "full custom" download) as an online source.

PDOK prepares a BGT extract for a polygon on request; it takes from seconds to many minutes.
The API (``https://api.pdok.nl/lv/bgt/download/v1_0``):

1. ``POST .../full/custom`` with the JSON body ``{"featuretypes": ["pand"], "format":
   "citygml", "geofilter": "POLYGON((x y, …))"}``; the geofilter is WKT in EPSG:28992 (RD New,
   metres). Answer: ``202 Accepted`` with ``{"downloadRequestId": "…", "_links": {"status":
   {"href": "/lv/bgt/download/v1_0/full/custom/<id>/status"}}}``.
2. ``GET .../full/custom/<id>/status`` until ``status`` is ``COMPLETED`` (``PENDING`` /
   ``RUNNING`` before, with a ``progress`` percentage; the answer's status code is 200 while
   running and 201 when done); then ``_links.download.href`` names the zip (a path on the same
   host). Any other status (``FAILED`` …) ends the run with a one-line :class:`DownloadError`.
   Polled every ``settings.pdok_download_poll_s`` seconds, for at most
   ``settings.pdok_download_timeout_s`` seconds; the status requests are retried like every
   request but never cached.
3. ``GET`` the zip through :func:`etl.http.fetch` (progress bar, retries, resume). The result is
   the zip PDOK delivers (IMGeo 2.1 CityGML, one ``bgt_<featuretype>.gml`` per feature type),
   cached as ``<cache_dir>/http/<YYYY-MM-DD>/<key>.zip`` where the key is the request (URL and
   body): the same request on the same UTC day makes no request at all.

The geofilter is the area's outline (its convex hull when it has several parts), without holes,
simplified to at most 2 m off and grown by 2 m when it has more than 1,000 vertices; the
framework keeps only the panden that intersect the area itself. An area is required: the
whole country is not a "custom" download (PDOK offers the national BGT as a prepared file).

Verified against published clients of this API (the endpoint, the body fields and their
values, ``downloadRequestId``, ``_links.status.href``, ``status``/``progress``, ``COMPLETED``
and ``_links.download.href`` relative to the host, status 200 then 201). Assumed, not seen:
the name of a failure status (``FAILED``; any status other than PENDING/RUNNING/COMPLETED is
taken as a failure) and the limits PDOK puts on the polygon's size.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shapely

from etl import http
from etl.areas import Area
from etl.declarations import Fetched, OnlineSource, Pipeline, require_area
from sitefinder.core.errors import DownloadError
from sitefinder.core.settings import Settings

BGT_CUSTOM_URL = "https://api.pdok.nl/lv/bgt/download/v1_0/full/custom"
FORMAT = "citygml"
WAITING = frozenset({"PENDING", "RUNNING"})
MAX_VERTICES = 1000
SIMPLIFY_M = 2.0
MAX_POLLS = 100_000


def geofilter(area: Area) -> str:
    """The area as one WKT polygon in RD (2 decimals): outline only, simplified when large."""
    geom = area.geom
    if shapely.get_num_geometries(geom) > 1:
        geom = shapely.convex_hull(geom)
    if shapely.get_num_coordinates(geom) > MAX_VERTICES:
        geom = shapely.simplify(geom, SIMPLIFY_M, preserve_topology=True).buffer(
            SIMPLIFY_M, quad_segs=2
        )
    polygon = shapely.get_geometry(geom, 0) if geom.geom_type == "MultiPolygon" else geom
    outline = shapely.Polygon(shapely.get_exterior_ring(polygon))
    return shapely.to_wkt(outline, rounding_precision=2)


def request_body(featuretypes: list[str], area: Area) -> bytes:
    body = {"featuretypes": featuretypes, "format": FORMAT, "geofilter": geofilter(area)}
    return json.dumps(body, separators=(",", ":")).encode()


def _status_url(base_url: str, answer: dict[str, Any]) -> str:
    link = ((answer.get("_links") or {}).get("status") or {}).get("href")
    if link:
        return urllib.parse.urljoin(base_url + "/", str(link))
    request_id = answer.get("downloadRequestId")
    if not request_id:
        raise DownloadError(f"{base_url}: the answer names no downloadRequestId")
    return f"{base_url}/{urllib.parse.quote(str(request_id), safe='')}/status"


def wait_for_download(
    status_url: str,
    *,
    settings: Settings,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Poll ``status_url`` until the download is COMPLETED; return the zip's URL."""
    deadline = clock() + settings.pdok_download_timeout_s
    status = "?"
    for _ in range(MAX_POLLS):
        answer = http.request(
            status_url, settings=settings, headers={"Accept": "application/json"}
        ).json()
        status = str(answer.get("status") or "?").upper() if isinstance(answer, dict) else "?"
        if status == "COMPLETED":
            href = ((answer.get("_links") or {}).get("download") or {}).get("href")
            if not href:
                raise DownloadError(f"{status_url}: COMPLETED, but no download link")
            return urllib.parse.urljoin(status_url, str(href))
        if status not in WAITING:
            raise DownloadError(f"{status_url}: the PDOK download request ended {status}")
        if clock() >= deadline:
            break
        sleep(settings.pdok_download_poll_s)
    raise DownloadError(
        f"{status_url}: still {status} after {settings.pdok_download_timeout_s:g} s; try again"
        " later (or raise SITEFINDER_PDOK_DOWNLOAD_TIMEOUT_S)"
    )


def fetch_custom(
    base_url: str,
    featuretypes: list[str],
    area: Area,
    *,
    settings: Settings,
    progress: bool = True,
    refresh: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """A custom BGT download of ``featuretypes`` for ``area``: the cached zip."""
    base_url = http.mirrored(base_url.rstrip("/"), settings)
    body = request_body(featuretypes, area)
    out = http.cache_path(base_url, None, settings, suffix=".zip", data=body)
    if out.exists() and not refresh:
        return out
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    answer = http.request(base_url, settings=settings, data=body, headers=headers).json()
    if not isinstance(answer, dict):
        raise DownloadError(f"{base_url}: the answer is not a download request")
    download_url = wait_for_download(_status_url(base_url, answer), settings=settings, sleep=sleep)
    path = http.fetch(
        download_url, settings=settings, suffix=".zip", progress=progress, refresh=refresh
    )
    if not zipfile.is_zipfile(path):
        http.forget(path)
        raise DownloadError(f"{download_url}: the download is not a zip file")
    out.parent.mkdir(parents=True, exist_ok=True)
    path.replace(out)
    meta = {
        "url": base_url,
        "body": body.decode(),
        "download": download_url,
        "bytes": out.stat().st_size,
    }
    out.with_name(out.name + ".meta.json").write_text(json.dumps(meta, indent=1))
    path.with_name(path.name + ".meta.json").unlink(missing_ok=True)
    return out


class PdokDownloadFetcher:
    """The fetcher of the PDOK BGT custom download: ``spec.collection`` the feature types
    (``pand``, comma-separated); an area is required."""

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
        area = require_area(pipeline, area, "a PDOK custom download needs an area")
        featuretypes = [t.strip() for t in spec.collection.split(",") if t.strip()]
        path = fetch_custom(
            spec.base_url,
            featuretypes,
            area,
            settings=settings,
            progress=progress,
            refresh=refresh,
        )
        return Fetched(path=path, url=spec.base_url, n_features=None)


PDOK_DOWNLOAD = PdokDownloadFetcher()
