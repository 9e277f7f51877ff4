"""The ruimtelijkeplannen.nl API v4 ("Ruimtelijke Plannen Opvragen") as an online source.

The API of the Informatiehuis Ruimte (Kadaster, part of the DSO) serves the Wro plans of
ruimtelijkeplannen.nl as JSON (HAL): ``https://ruimte.omgevingswet.overheid.nl/ruimtelijke-
plannen/api/opvragen/v4``. Every request needs a key in the header ``x-api-key``; a key is
free (developer.omgevingswet.overheid.nl, "API-key aanvragen") and is read from the setting
``SITEFINDER_RUIMTELIJKEPLANNEN_API_KEY``. Without one the online mode stops at once with a
one-line message saying how to get and set it; a key the API refuses (401/403) is reported so.

For an area (required: a national harvest of every plan object is not what this API is for):

1. ``POST /plannen/_zoek?page=1&pageSize=N`` with the body
   ``{"_geo": {"intersects": <GeoJSON geometry>}}``: the plans that intersect the area. The
   geometry is the area's outline in EPSG:28992 (RD New, metres; header
   ``Content-Crs: epsg:28992``), simplified to at most 2 m off and grown by 2 m when it has more
   than 1,000 vertices (so it still covers the area). The answer is a HAL page:
   ``_embedded.plannen`` (``id`` = the IMRO plan id ``NL.IMRO.0664.BPBS02-VG99``, ``naam``,
   ``type`` (plan type), ``planstatusInfo.planstatus``/``.datum``,
   ``beleidsmatigVerantwoordelijkeOverheid.naam``, ``isHistorisch``), ``_links.next.href``
   while there are more pages (the same body is POSTed to it), ``page`` (size, totalElements,
   totalPages, number). Plans marked ``isHistorisch`` are skipped.
2. per plan, ``GET /plannen/{planId}/bestemmingsvlakken?page=1&pageSize=N&expand=geometrie``
   (headers ``Accept-Crs: epsg:28992``), paged the same way: ``_embedded.bestemmingsvlakken``
   with ``id``, ``type`` (``enkelbestemming`` / ``dubbelbestemming``), ``naam``,
   ``bestemmingshoofdgroep``, ``artikelnummer`` and ``geometrie`` (GeoJSON, RD). Both types are
   kept, as Enkelbestemming and Dubbelbestemming, as the IMRO GML reader reads them
   (:mod:`etl.imro_zoning`; gebiedsaanduidingen, ``/plannen/{planId}/gebiedsaanduidingen``,
   are not fetched yet). A plan that has no such objects (a structuurvisie: 404) is skipped,
   with a note.

Every page goes through :func:`etl.http.fetch` (retried, cached per request and UTC day; the
key is never part of the cache key). The result is one GeoJSON FeatureCollection in EPSG:28992
(a ``crs`` member names it) with the properties of the GML reader (``plan_id``, ``plan_naam``,
``planstatus``, ``plan_datum``, ``plan_type``, ``overheid``, ``identificatie``, ``naam``,
``bestemmingshoofdgroep``, ``artikelnummer``, ``objecttype``), cached as
``<cache_dir>/ruimtelijkeplannen/<YYYY-MM-DD>/<key>.geojson`` and read by
:class:`etl.imro_zoning.ImroZoning`.

Verified against published clients of the API (the paths ``/plannen/_zoek`` and
``/plannen/{planId}/bestemmingsvlakken``, the ``x-api-key``, ``Content-Crs`` and ``Accept-Crs``
headers, ``_geo.intersects``, ``expand=geometrie``, the ``_embedded``/``_links.next`` HAL shape,
the plan and object fields above, ``page``/``pageSize``). Assumed, not seen: that
``pageSize`` may be 100, that the next link of a POST search is followed by POSTing the same
body, and the exact JSON of an error. This machine cannot reach the service.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import shapely

from etl import http
from etl.areas import Area
from etl.declarations import Fetched, OnlineSource, Pipeline, require_area
from sitefinder.core.errors import DownloadError, InvalidParameterError
from sitefinder.core.settings import Settings

RP_URL = "https://ruimte.omgevingswet.overheid.nl/ruimtelijke-plannen/api/opvragen/v4"
KEY_HELP = (
    "set SITEFINDER_RUIMTELIJKEPLANNEN_API_KEY to a key for the ruimtelijkeplannen API v4"
    " (free: developer.omgevingswet.overheid.nl, 'API-key aanvragen')"
)
# the API's type of a bestemmingsvlak -> the IMRO feature type the GML reader gives it
OBJECT_TYPES = {"enkelbestemming": "Enkelbestemming", "dubbelbestemming": "Dubbelbestemming"}
MAX_PAGES = 10_000
MAX_VERTICES = 1000
SIMPLIFY_M = 2.0
RD_CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}


def search_geometry(area: Area) -> dict[str, Any]:
    """The area's outline as a GeoJSON geometry (RD, 2 decimals), simplified when large."""
    geom = area.geom
    if shapely.get_num_coordinates(geom) > MAX_VERTICES:
        geom = shapely.simplify(geom, SIMPLIFY_M, preserve_topology=True).buffer(
            SIMPLIFY_M, quad_segs=2
        )
    geom = shapely.set_precision(geom, 0.01)
    plain: dict[str, Any] = json.loads(shapely.to_geojson(geom))
    return plain


def _headers(key: str, *, post: bool) -> dict[str, str]:
    headers = {"x-api-key": key, "Accept": "application/hal+json", "Accept-Crs": "epsg:28992"}
    if post:
        headers.update({"Content-Type": "application/json", "Content-Crs": "epsg:28992"})
    return headers


def _read_page(path: Path, url: str) -> dict[str, Any]:
    page = http.read_json(path, url)
    if not isinstance(page, dict):
        http.forget(path)
        raise DownloadError(f"{url}: the response is not a ruimtelijkeplannen API page")
    return page


def pages(
    url: str,
    embedded: str,
    *,
    settings: Settings,
    key: str,
    body: bytes | None = None,
    expand: str | None = None,
    refresh: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every item of ``_embedded[embedded]`` over all pages of ``url`` (POSTing ``body``;
    ``expand`` names the fields to include, ``geometrie``)."""
    query: dict[str, str] | None = {
        "page": "1",
        "pageSize": str(settings.ruimtelijkeplannen_page_size),
        **({"expand": expand} if expand else {}),
    }
    headers = _headers(key, post=body is not None)
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        here = http.full_url(url, query)
        try:
            path = http.fetch(
                url,
                params=query,
                data=body,
                headers=headers,
                settings=settings,
                suffix=".json",
                progress=False,
                refresh=refresh,
            )
        except http.HttpStatusError as exc:
            if exc.status in (401, 403):
                raise DownloadError(
                    f"ruimtelijkeplannen: the API refused the key (HTTP {exc.status}): {KEY_HELP}"
                ) from None
            raise
        page = _read_page(path, here)
        items = (page.get("_embedded") or {}).get(embedded) or []
        if not isinstance(items, list):
            http.forget(path)
            raise DownloadError(f"{here}: _embedded.{embedded} is not a list")
        yield from (item for item in items if isinstance(item, dict))
        following = ((page.get("_links") or {}).get("next") or {}).get("href")
        if not following or not items:
            return
        following = urllib.parse.urljoin(here, str(following))
        if following in seen:
            raise DownloadError(f"{following}: the service sends the same page again")
        seen.add(following)
        url, query = following, None
    raise DownloadError(f"{url}: more than {MAX_PAGES} pages, stopped")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def plan_properties(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The plan fields the zoning layer keeps, under the GML reader's names."""
    status = plan.get("planstatusInfo") or {}
    overheid = plan.get("beleidsmatigVerantwoordelijkeOverheid") or {}
    datum = _text(status.get("datum"))
    return {
        "plan_id": _text(plan.get("id")),
        "plan_naam": _text(plan.get("naam")),
        "planstatus": _text(status.get("planstatus")),
        "plan_datum": datum[:10] if datum else None,
        "plan_type": _text(plan.get("type")),
        "overheid": _text(overheid.get("naam")),
    }


def _feature(plan: dict[str, Any], item: Mapping[str, Any], objecttype: str) -> dict[str, Any]:
    article = item.get("artikelnummer", item.get("artikelNummer"))
    return {
        "type": "Feature",
        "properties": {
            **plan,
            "objecttype": objecttype,
            "identificatie": _text(item.get("id")),
            "naam": _text(item.get("naam")),
            "bestemmingshoofdgroep": _text(item.get("bestemmingshoofdgroep")),
            "artikelnummer": _text(article),
        },
        "geometry": item.get("geometrie"),
    }


class RuimtelijkePlannenFetcher:
    """The fetcher of the ruimtelijkeplannen API v4: ``spec.collection`` the plan objects
    (``bestemmingsvlakken``); an area is required."""

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
        layer = pipeline.layer
        area = require_area(pipeline, area, "the ruimtelijkeplannen API is searched by area")
        key = settings.ruimtelijkeplannen_api_key.strip()
        if not key:
            raise InvalidParameterError(
                f"{layer}: no key for the ruimtelijkeplannen API; {KEY_HELP}"
            )
        base = http.mirrored(spec.base_url.rstrip("/"), settings)
        objects = spec.collection or "bestemmingsvlakken"
        geometry = search_geometry(area)
        body = json.dumps({"_geo": {"intersects": geometry}}, separators=(",", ":")).encode()
        search = f"{base}/plannen/_zoek"
        ident = "\n".join([search, objects, str(settings.ruimtelijkeplannen_page_size)])
        digest = hashlib.sha256(ident.encode() + b"\n" + body).hexdigest()[:24]
        out = settings.cache_dir / "ruimtelijkeplannen" / http.utc_day() / f"{digest}.geojson"
        meta_path = out.with_name(out.name + ".meta.json")
        if out.exists() and meta_path.exists() and not refresh:
            meta = json.loads(meta_path.read_text())
            return Fetched(path=out, url=search, n_features=int(meta["features"]))
        plans = [
            plan
            for plan in pages(
                search, "plannen", settings=settings, key=key, body=body, refresh=refresh
            )
            if not plan.get("isHistorisch") and _text(plan.get("id"))
        ]
        features: list[dict[str, Any]] = []
        without = 0
        for plan in plans:
            props = plan_properties(plan)
            plan_url = (
                f"{base}/plannen/{urllib.parse.quote(str(props['plan_id']), safe='')}/{objects}"
            )
            try:
                found = pages(
                    plan_url,
                    objects,
                    settings=settings,
                    key=key,
                    expand="geometrie",
                    refresh=refresh,
                )
                for item in found:
                    objecttype = OBJECT_TYPES.get(str(item.get("type") or "").lower())
                    if objecttype is not None:
                        features.append(_feature(props, item, objecttype))
            except http.HttpStatusError as exc:
                if exc.status != 404:
                    raise
                without += 1  # a plan without such objects (a structuurvisie …)
        if without:
            pipeline.notes.append(f"{without} plan(s) without {objects} skipped")
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(out.name + ".part")
        collection = {"type": "FeatureCollection", "crs": RD_CRS, "features": features}
        part.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
        part.replace(out)
        meta_path.write_text(
            json.dumps(
                {"url": search, "area": area.label, "plans": len(plans), "features": len(features)},
                indent=1,
            )
        )
        return Fetched(path=out, url=search, n_features=len(features))


RUIMTELIJKEPLANNEN = RuimtelijkePlannenFetcher()
