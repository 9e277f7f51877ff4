"""A client for OGC API - Features (as PDOK serves it): page through a collection into one file.

:func:`fetch_collection` requests ``{base}/collections/{collection}/items?f=json&limit=..``
(plus ``bbox`` when an area is given), follows the ``rel="next"`` link of every response until
there is none, and writes every feature, in the order served, to one GeoJSON FeatureCollection
in CRS84 (longitude, latitude in degrees; the GeoJSON default), which the pipelines read with
:func:`etl.readers.read_vector`. :data:`OGC_API` is the :class:`etl.declarations.Fetcher` of a
pipeline whose ``online`` source is such a collection (with an area: its WGS84 bounding box).

* Each page goes through :func:`etl.http.fetch`, so pages are retried, and cached per URL and
  UTC day: a collection read again the same day, or a paging run that stopped half-way and is
  started again, requests only the pages it does not have yet.
* The combined file is cached too: ``<cache_dir>/ogc/<YYYY-MM-DD>/<key>.geojson``, with a
  sidecar ``.meta.json`` holding the first URL and the numbers of features and pages.
* ``bbox``: in WGS84 by default (``minlon,minlat,maxlon,maxlat``, degrees); ``bbox_rd`` sends
  RD New metres with ``bbox-crs=http://www.opengis.net/def/crs/EPSG/0/28992`` instead (PDOK
  supports both). Coordinates are rounded outwards, so the box never shrinks. The output CRS is
  always CRS84.
* Progress: a tqdm bar of the features so far, out of ``numberMatched`` when the server says.
* Bounded: at most ``MAX_PAGES`` pages, a ``next`` link seen before fails, and an empty page
  ends the paging.
"""

from __future__ import annotations

import hashlib
import json
import math
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tqdm import tqdm

from etl import http
from etl.areas import Area
from etl.declarations import Fetched, OnlineSource, Pipeline
from sitefinder.core.errors import DownloadError
from sitefinder.core.settings import Settings

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
RD_CRS_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
MAX_PAGES = 100_000

BBox = tuple[float, float, float, float]


def items_url(base_url: str, collection: str) -> str:
    """The items endpoint of ``collection`` under the API's landing page ``base_url``."""
    return f"{base_url.rstrip('/')}/collections/{urllib.parse.quote(collection)}/items"


def _outward(box: BBox, decimals: int) -> str:
    scale = 10**decimals
    minx, miny = (math.floor(v * scale) / scale for v in box[:2])
    maxx, maxy = (math.ceil(v * scale) / scale for v in box[2:])
    return ",".join(f"{v:.{decimals}f}" for v in (minx, miny, maxx, maxy))


def items_params(
    *,
    limit: int,
    bbox_wgs84: BBox | None = None,
    bbox_rd: BBox | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Query parameters of the first items request (``f``, ``limit``, ``bbox``…)."""
    if bbox_wgs84 is not None and bbox_rd is not None:
        raise ValueError("give bbox_wgs84 or bbox_rd, not both")
    params = dict(extra or {})
    params.update({"f": "json", "limit": str(limit)})
    if bbox_wgs84 is not None:
        params["bbox"] = _outward(bbox_wgs84, 6)  # 1e-6 degree: about 0.1 m
        params.pop("bbox-crs", None)
    elif bbox_rd is not None:
        params["bbox"] = _outward(bbox_rd, 0)  # metres
        params["bbox-crs"] = RD_CRS_URI
    return params


def _next_link(page: Mapping[str, Any], url: str) -> str | None:
    for link in page.get("links") or ():
        if isinstance(link, Mapping) and link.get("rel") == "next" and link.get("href"):
            return urllib.parse.urljoin(url, str(link["href"]))
    return None


def _read_page(path: Path, url: str) -> dict[str, Any]:
    """One page as a dict; a response that is not a FeatureCollection fails (and is uncached)."""
    page = http.read_json(path, url)
    if not isinstance(page, dict) or page.get("type") != "FeatureCollection":
        http.forget(path)
        raise DownloadError(f"{url}: the response is not an OGC API Features page")
    if not isinstance(page.get("features"), list):
        http.forget(path)
        raise DownloadError(f"{url}: the response has no features list")
    return page


def _first_request(
    base_url: str,
    collection: str,
    settings: Settings,
    bbox_wgs84: BBox | None,
    bbox_rd: BBox | None,
    limit: int | None,
    extra_params: Mapping[str, str] | None,
) -> tuple[str, dict[str, str]]:
    """The items endpoint and the query parameters of the first page (``limit`` by default
    ``settings.ogc_limit``)."""
    params = items_params(
        limit=limit or settings.ogc_limit,
        bbox_wgs84=bbox_wgs84,
        bbox_rd=bbox_rd,
        extra=extra_params,
    )
    return items_url(base_url, collection), params


def collection_url(
    base_url: str,
    collection: str,
    *,
    settings: Settings,
    bbox_wgs84: BBox | None = None,
    bbox_rd: BBox | None = None,
    limit: int | None = None,
    extra_params: Mapping[str, str] | None = None,
) -> str:
    """The first items request :func:`fetch_collection` makes, as one URL (for provenance)."""
    return http.full_url(
        *_first_request(base_url, collection, settings, bbox_wgs84, bbox_rd, limit, extra_params)
    )


def fetch_collection(
    base_url: str,
    collection: str,
    *,
    settings: Settings,
    bbox_wgs84: BBox | None = None,
    bbox_rd: BBox | None = None,
    limit: int | None = None,
    extra_params: Mapping[str, str] | None = None,
    progress: bool = True,
    refresh: bool = False,
) -> Path:
    """Every feature of ``collection`` (inside the bbox, if given) in one CRS84 GeoJSON file.

    ``limit`` is the page size (default ``settings.ogc_limit``). Returns the cached file.
    Raises :class:`DownloadError` when a page cannot be had or is not a FeatureCollection.
    """
    url, params = _first_request(
        base_url, collection, settings, bbox_wgs84, bbox_rd, limit, extra_params
    )
    first = http.full_url(url, params)
    key = hashlib.sha256(first.encode()).hexdigest()[:24]
    out_path = settings.cache_dir / "ogc" / http.utc_day() / f"{key}.geojson"
    if out_path.exists() and not refresh:
        return out_path
    out_path.parent.mkdir(parents=True, exist_ok=True)
    part = out_path.with_name(out_path.name + ".part")
    seen = {first}
    query: dict[str, str] | None = params
    n_features = 0
    bar = tqdm(
        desc=f"{collection}: downloaden",
        unit=" features",
        leave=False,
        disable=None if progress else True,
    )
    try:
        with part.open("w", encoding="utf-8") as out:
            out.write('{"type": "FeatureCollection", "features": [\n')
            n_pages = 0
            while n_pages < MAX_PAGES:
                n_pages += 1
                page_file = http.fetch(
                    url,
                    params=query,
                    settings=settings,
                    progress=False,
                    refresh=refresh,
                    suffix=".json",
                )
                page = _read_page(page_file, http.full_url(url, query))
                matched = page.get("numberMatched")
                if isinstance(matched, int) and bar.total != matched:
                    bar.total = matched
                    bar.refresh()
                for feature in page["features"]:
                    out.write(",\n" if n_features else "")
                    out.write(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
                    n_features += 1
                bar.update(len(page["features"]))
                following = _next_link(page, http.full_url(url, query))
                if following is None or not page["features"]:
                    break
                if following in seen:
                    raise DownloadError(f"{following}: the service sends the same page again")
                seen.add(following)
                url, query = following, None
            else:
                raise DownloadError(f"{first}: more than {MAX_PAGES} pages, stopped")
            summary = {"numberReturned": n_features, "pages": n_pages, "source": first}
            out.write("\n], " + json.dumps(summary)[1:-1] + "}\n")
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    part.replace(out_path)
    meta = {"url": first, "features": n_features, "pages": n_pages}
    out_path.with_name(out_path.name + ".meta.json").write_text(json.dumps(meta, indent=1))
    return out_path


def feature_count(path: Path) -> int | None:
    """How many features :func:`fetch_collection` wrote to ``path`` (None if unknown)."""
    try:
        meta = json.loads(path.with_name(path.name + ".meta.json").read_text())
    except (OSError, ValueError):
        return None
    count = meta.get("features")
    return count if isinstance(count, int) else None


class OgcApiFeatures:
    """The fetcher of an OGC API Features collection: ``spec.base_url`` is the landing page,
    ``spec.collection`` the collection, ``spec.params`` extra query parameters; with an area,
    only the features in its WGS84 bounding box are requested."""

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
        bbox = area.bbox_wgs84 if area is not None else None
        extra = dict(spec.params)
        url = collection_url(
            spec.base_url, spec.collection, settings=settings, bbox_wgs84=bbox, extra_params=extra
        )
        path = fetch_collection(
            spec.base_url,
            spec.collection,
            settings=settings,
            bbox_wgs84=bbox,
            extra_params=extra,
            progress=progress,
            refresh=refresh,
        )
        return Fetched(path=path, url=url, n_features=feature_count(path))


OGC_API = OgcApiFeatures()
