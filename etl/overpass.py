"""The Overpass API as an online source: OSM objects with given tags, for an area.

Used by ``supermarkets`` (:mod:`etl.osm_supermarkets`), ``care_osm`` (:mod:`etl.osm_care`) and
``holidayparks`` (:mod:`etl.holidayparks`). A pipeline declares
``online = overpass_source(SELECT, key)``: an ``OnlineSource`` with the fetcher
:data:`OVERPASS`, ``base_url`` :data:`OVERPASS_URL` and ``collection`` the OSM tags,
``key=value1|value2;key2=*`` (``*``: any value; see :func:`tag_spec`, which writes it from a
pipeline's :data:`etl.osm.Selector`). The fetcher:

* builds one Overpass QL query (:func:`build_query`)::

      [out:json][timeout:180];
      (nwr["shop"="supermarket"](52.0,5.6,52.1,5.7););
      out center tags;

  ``nwr`` asks for nodes, ways and relations; ``out center tags`` gives nodes with
  ``lat``/``lon`` and ways and relations with a ``center`` (the middle of their bounding box),
  WGS84 degrees, and every object's tags: the Overpass JSON that
  :func:`etl.osm.read_overpass` reads (areas become their centre point there);
* with an area, the query is limited to the area's WGS84 bounding box
  ``(south,west,north,east)``, degrees rounded outwards to 1e-6 (about 0.1 m); the framework
  then keeps the objects that fall inside the area itself. **Without an area** the query asks
  for the whole Netherlands (``area["ISO3166-1"="NL"][admin_level=2]``, the country's boundary
  relation; anything outside the European Netherlands is quarantined by the framework):
  allowed, since the tag sets of this project are small (some 5,000 supermarkets, tens of
  thousands of care objects or of holiday-park objects: campsites, chalets, resorts,
  recreation grounds), but slow and heavy on a shared public server; the run's note says so.
  Prefer ``--gemeente``/``--provincie``/``--bbox``;
* POSTs it as ``data=<query>`` (form-encoded) through :func:`etl.http.fetch`: retried (Overpass
  answers 429 when busy and 504 when overloaded), cached per query and UTC day, mirrored by
  ``settings.online_mirrors``. The read timeout is raised to the query's timeout plus a minute,
  since Overpass sends nothing until the query is done;
* checks the answer: JSON with an ``elements`` list, and no ``remark`` saying the server gave up
  (``runtime error: Query timed out …``, which Overpass reports with status 200 and a partial
  result); a bad answer is dropped from the cache and fails with a one-line
  :class:`DownloadError`.

Verified (OSM wiki and published clients such as overpy): the endpoint, the JSON header
(``version``, ``generator``, ``osm3s``, ``elements``), ``remark`` as
``runtime error: Query timed out …`` (fatal) or ``runtime remark: …`` (not), 429/504 when
busy, ``out center`` and the ``data=`` form. The public instance asks for fewer than 10,000
queries and 5 GB a day. Here the code only ever ran against the fake server of the tests.
"""

from __future__ import annotations

import json
import math
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from etl import http
from etl.areas import Area
from etl.declarations import Fetched, OnlineSource, Pipeline
from etl.osm import Selector
from sitefinder.core.errors import DownloadError, InvalidParameterError
from sitefinder.core.settings import Settings

OVERPASS_URL = "https://overpass-api.de/api/interpreter"
NL_AREA = 'area["ISO3166-1"="NL"][admin_level=2]->.nl;'
BBox = tuple[float, float, float, float]  # minlon, minlat, maxlon, maxlat (degrees)
_PLAIN = re.compile(r"[A-Za-z0-9_:.\- ]+")


def overpass_source(select: Selector, key: str) -> OnlineSource:
    """The ``Pipeline.online`` declaration of an OSM layer read through the Overpass API."""
    return OnlineSource.service(
        OVERPASS,
        OVERPASS_URL,
        key=key,
        publisher="OpenStreetMap contributors (Overpass API)",
        licence="ODbL 1.0 (© OpenStreetMap contributors)",
        collection=tag_spec(select),
    )


def tag_spec(select: Selector) -> str:
    """A Selector as ``key=v1|v2;key2=*`` (keys in order, values sorted)."""
    parts = []
    for key, values in select.items():
        parts.append(f"{key}=*" if values is None else f"{key}={'|'.join(sorted(values))}")
    return ";".join(parts)


def parse_tags(spec: str) -> dict[str, frozenset[str] | None]:
    """``key=v1|v2;key2=*`` -> a Selector; an :class:`InvalidParameterError` for junk."""
    select: dict[str, frozenset[str] | None] = {}
    for part in (p.strip() for p in spec.split(";")):
        if not part:
            continue
        key, sep, values = part.partition("=")
        key, values = key.strip(), values.strip()
        if not sep or not key or not values or not _PLAIN.fullmatch(key):
            raise InvalidParameterError(f"overpass: cannot read the tag list '{spec}'")
        wanted = [v.strip() for v in values.split("|") if v.strip()]
        if not all(_PLAIN.fullmatch(v) or v == "*" for v in wanted):
            raise InvalidParameterError(f"overpass: cannot read the tag list '{spec}'")
        select[key] = None if "*" in wanted else frozenset(wanted)
    if not select:
        raise InvalidParameterError("overpass: no tags to ask for")
    return select


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # "..." with \" and \\ escaped


def _filter(key: str, values: frozenset[str] | None) -> str:
    if values is None:
        return f"[{_quote(key)}]"
    if len(values) == 1:
        return f"[{_quote(key)}={_quote(next(iter(values)))}]"
    alternatives = "|".join(re.escape(v) for v in sorted(values))
    return f"[{_quote(key)}~{_quote(f'^({alternatives})$')}]"


def bbox_clause(bbox: BBox) -> str:
    """``(south,west,north,east)`` from (minlon, minlat, maxlon, maxlat), rounded outwards."""
    lon0, lat0, lon1, lat1 = bbox
    down = [math.floor(v * 1e6) / 1e6 for v in (lat0, lon0)]
    up = [math.ceil(v * 1e6) / 1e6 for v in (lat1, lon1)]
    return "(" + ",".join(f"{v:.6f}" for v in (*down, *up)) + ")"


def build_query(
    select: Mapping[str, frozenset[str] | None], bbox: BBox | None, timeout: int
) -> str:
    """The Overpass QL query for the objects with ``select``'s tags (in ``bbox``, else in NL)."""
    where = bbox_clause(bbox) if bbox is not None else "(area.nl)"
    statements = "".join(f"nwr{_filter(k, v)}{where};" for k, v in select.items())
    prefix = "" if bbox is not None else NL_AREA
    return f"[out:json][timeout:{timeout}];{prefix}({statements});out center tags;"


def get_url(base_url: str, query: str) -> str:
    """The same query as one GET URL (``?data=``): the provenance recorded for a run."""
    return f"{base_url}?{urllib.parse.urlencode({'data': query})}"


def _check(path_text: bytes, url: str) -> int:
    """The number of elements of an Overpass JSON answer; DownloadError when it is not one."""
    try:
        answer = json.loads(path_text)
    except ValueError:
        raise DownloadError(f"{url}: the Overpass answer is not JSON") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("elements"), list):
        raise DownloadError(f"{url}: not an Overpass API JSON answer (no 'elements' list)")
    remark = str(answer.get("remark") or "")
    if "error" in remark.lower():
        first = remark.strip().splitlines()[0][:300]
        raise DownloadError(f"{url}: the Overpass server gave up on the query: {first}")
    return len(answer["elements"])


def fetch_query(
    base_url: str,
    query: str,
    *,
    settings: Settings,
    progress: bool = True,
    refresh: bool = False,
) -> tuple[Path, int]:
    """POST ``query`` to the Overpass API at ``base_url``; (the cached JSON, element count)."""
    timeout = re.search(r"\[timeout:(\d+)\]", query)
    seconds = float(timeout.group(1)) + 60.0 if timeout else settings.http_timeout_s
    patient = settings.model_copy(update={"http_timeout_s": max(settings.http_timeout_s, seconds)})
    body = urllib.parse.urlencode({"data": query}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    path = http.fetch(
        base_url,
        settings=patient,
        data=body,
        headers=headers,
        suffix=".json",
        progress=progress,
        refresh=refresh,
    )
    try:
        n_elements = _check(path.read_bytes(), base_url)
    except DownloadError:
        http.forget(path)
        raise
    return path, n_elements


class OverpassFetcher:
    """The fetcher of the Overpass API: ``spec.collection`` the OSM tags (``key=v1|v2;key2=*``);
    with an area, its WGS84 bounding box, else the whole Netherlands (with a note)."""

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
        select = parse_tags(spec.collection)
        bbox = area.bbox_wgs84 if area is not None else None
        query = build_query(select, bbox, settings.overpass_timeout_s)
        if area is None:
            pipeline.notes.append(
                "national Overpass query (the whole Netherlands): slow and heavy on a shared"
                " server; prefer --gemeente, --provincie or --bbox"
            )
        path, n_elements = fetch_query(
            spec.base_url, query, settings=settings, progress=progress, refresh=refresh
        )
        return Fetched(path=path, url=get_url(spec.base_url, query), n_features=n_elements)


OVERPASS = OverpassFetcher()
