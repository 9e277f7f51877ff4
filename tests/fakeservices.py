"""Fake online services on 127.0.0.1 for the online tests, built from the real demo files.

The server speaks the formats of the real services, at their real paths (so that
``SITEFINDER_ONLINE_MIRRORS='{"https://api.pdok.nl": "<fake.url>"}'`` points the pipelines'
declared services at it):

* ``/cbs/wijken-en-buurten-2023/ogc/v1/collections/gemeenten/items``: OGC API Features pages
  of the 343 CBS 2023 gemeenten (``data/demo/boundaries/gemeenten_2023_cbs.geojson``) with
  the property names of the PDOK service (snake_case: ``aantal_inwoners`` …) and a uuid
  ``id``, CRS84;
* ``/kadaster/bag/ogc/v2/collections/pand/items``: the 79 Amsterdam BAG panden
  (``data/demo/bag/amsterdam_pand_sample_2015_rd.geojson``) converted to CRS84, with the PDOK
  BAG v2 properties (``identificatie`` as the 16-digit id, ``bouwjaar`` an integer,
  ``status``);
* ``/files/gvb_gtfs.zip``: the bundled GTFS zip, with ``Range`` support (206) when
  ``ranges`` is on;
* ``/broken/ogc/v1/collections/gemeenten/items``: an HTML page with status 200.

Fixtures: ``fake_services`` (session) and ``fake`` (the same, reset for each test); a test
module gets them with ``from fakeservices import fake_fixture, fake_services_fixture``. Also
:func:`run_cli`, which runs the ``sitefinder`` command in-process with given settings.

Pages honour ``limit`` (default 10, at most 1000, like PDOK), ``bbox`` (CRS84, or RD with
``bbox-crs``; a feature is returned when its geometry intersects the box) and carry
``numberMatched``, ``numberReturned`` and ``links`` with ``rel="next"`` holding an opaque
``cursor`` until the last page. Failure modes, switched per test: :meth:`fail_next` (the next
N requests answer an error status with ``Retry-After``), :meth:`drop_next` (the next N
responses send only part of the body, then close the connection); unknown paths are 404.
Every request is logged (path, query, Range header) for the tests to count.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner, Result

from etl.bag_panden import national_pand_id
from etl.cbs_gemeenten import snake_case
from sitefinder.cli import main
from sitefinder.settings import PROJECT_ROOT, Settings, get_settings

DEMO = PROJECT_ROOT / "data" / "demo"
GEMEENTEN_BASE = "/cbs/wijken-en-buurten-2023/ogc/v1"
BAG_BASE = "/kadaster/bag/ogc/v2"
BROKEN_BASE = "/broken/ogc/v1"
GTFS_PATH = "/files/gvb_gtfs.zip"
RD_CRS_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
MAX_LIMIT = 1000


@dataclass
class Collection:
    """Features (GeoJSON dicts, CRS84) with their geometries in CRS84 and RD for bbox tests."""

    features: list[dict[str, Any]]
    geoms_crs84: np.ndarray
    geoms_rd: np.ndarray


@dataclass
class Logged:
    path: str
    query: dict[str, str]
    range: str | None


@dataclass
class Faults:
    fail: int = 0  # the next N requests answer `status`
    status: int = 503
    retry_after: str | None = "0"
    drop: int = 0  # the next N responses stop after `drop_after` body bytes
    drop_after: int = 100_000
    ranges: bool = True  # honour Range on the file endpoint


def _collection(frame: gpd.GeoDataFrame, properties: list[dict[str, Any]], ids: list[str]) -> Any:
    crs84 = frame.to_crs("OGC:CRS84")
    geoms = crs84.geometry.to_numpy()
    features = [
        {
            "type": "Feature",
            "id": fid,
            "properties": props,
            "geometry": json.loads(shapely.to_geojson(geom)),
        }
        for fid, props, geom in zip(ids, properties, geoms, strict=True)
    ]
    # Geometries as the client will see them (from the JSON), for exact bbox tests.
    seen = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    rd = gpd.GeoSeries(seen, crs="OGC:CRS84").to_crs("EPSG:28992").to_numpy()
    return Collection(features=features, geoms_crs84=seen, geoms_rd=rd)


def pdok_name(name: str) -> str:
    """The PDOK OGC API's name of a CBS key figure: ``percentagePersonen0Tot15Jaar`` ->
    ``percentage_personen_0_tot_15_jaar``, ``bevolkingsdichtheidInwonersPerKm2`` ->
    ``bevolkingsdichtheid_inwoners_per_km2``."""
    return re.sub(r"(?<=[a-z])(?<!km)(?=\d)", "_", snake_case(name))


def _plain(value: Any) -> Any:
    """JSON-ready: NaN (a missing value in the frame) becomes null."""
    return None if isinstance(value, float) and math.isnan(value) else value


def build_gemeenten() -> Collection:
    frame = gpd.read_file(DEMO / "boundaries" / "gemeenten_2023_cbs.geojson")
    props = []
    ids = []
    for record in frame.drop(columns="geometry").to_dict("records"):
        ids.append(str(record.pop("id")).rsplit(".", 1)[-1])
        props.append({pdok_name(k): _plain(v) for k, v in record.items()})
    return _collection(frame, props, ids)


def build_panden() -> Collection:
    frame = gpd.read_file(DEMO / "bag" / "amsterdam_pand_sample_2015_rd.geojson")
    national = national_pand_id(frame["Pandidentificatie"])
    props = [
        {
            "identificatie": str(n),
            "bouwjaar": int(year),
            "status": status,
            "rdf_seealso": f"http://bag.basisregistraties.overheid.nl/bag/id/pand/{n}",
        }
        for n, year, status in zip(national, frame["bouwjaar"], frame["status"], strict=True)
    ]
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"pand/{n}")) for n in national]
    return _collection(frame, props, ids)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset={offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int:
    text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    return int(text.split("=", 1)[1])


@dataclass
class FakeServices:
    gemeenten: Collection
    panden: Collection
    gtfs: bytes
    number_matched: bool = True
    link_base: str = ""  # the host the links name (default: this server), e.g. PDOK's own
    faults: Faults = field(default_factory=Faults)
    log: list[Logged] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- switches, for the tests --------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.faults = Faults()
            self.log.clear()
            self.number_matched = True
            self.link_base = ""

    def fail_next(self, n: int, status: int = 503, retry_after: str | None = "0") -> None:
        with self._lock:
            self.faults.fail, self.faults.status, self.faults.retry_after = n, status, retry_after

    def drop_next(self, n: int, after: int = 100_000) -> None:
        with self._lock:
            self.faults.drop, self.faults.drop_after = n, after

    def requests(self, path_prefix: str = "") -> list[Logged]:
        with self._lock:
            return [r for r in self.log if r.path.startswith(path_prefix)]

    # -- serving ------------------------------------------------------------------------------

    def _take(self, kind: str) -> tuple[int, Any] | None:
        """Consume one planned failure of ``kind`` ('fail' or 'drop')."""
        with self._lock:
            f = self.faults
            if kind == "fail" and f.fail > 0:
                f.fail -= 1
                return f.status, f.retry_after
            if kind == "drop" and f.drop > 0:
                f.drop -= 1
                return f.drop_after, None
        return None

    def page(self, collection: Collection, path: str, query: dict[str, str]) -> dict[str, Any]:
        limit = max(1, min(int(query.get("limit", "10")), MAX_LIMIT))
        offset = _offset(query["cursor"]) if "cursor" in query else 0
        chosen = np.arange(len(collection.features))
        if "bbox" in query:
            box = shapely.box(*(float(v) for v in query["bbox"].split(",")))
            rd = query.get("bbox-crs") == RD_CRS_URI
            geoms = collection.geoms_rd if rd else collection.geoms_crs84
            chosen = chosen[shapely.intersects(geoms, box)]
        window = chosen[offset : offset + limit]
        base = f"{self.link_base or self.url}{path}"
        keep = {k: v for k, v in query.items() if k != "cursor"}
        links = [
            {
                "rel": "self",
                "type": "application/geo+json",
                "href": f"{base}?{urllib.parse.urlencode(query)}",
            }
        ]
        if offset + limit < len(chosen):
            nxt = urllib.parse.urlencode({**keep, "cursor": _cursor(offset + limit)})
            links.append(
                {
                    "rel": "next",
                    "type": "application/geo+json",
                    "title": "Next page",
                    "href": f"{base}?{nxt}",
                }
            )
        body: dict[str, Any] = {"type": "FeatureCollection", "links": links}
        if self.number_matched:
            body["numberMatched"] = len(chosen)
        body["numberReturned"] = len(window)
        body["features"] = [collection.features[i] for i in window]
        return body


def _handler(services: FakeServices) -> type[BaseHTTPRequestHandler]:
    routes = {
        f"{GEMEENTEN_BASE}/collections/gemeenten/items": services.gemeenten,
        f"{BAG_BASE}/collections/pand/items": services.panden,
    }

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            with services._lock:
                services.log.append(Logged(parts.path, query, self.headers.get("Range")))
            failure = services._take("fail")
            if failure is not None:
                status, retry_after = failure
                headers = {"Retry-After": retry_after} if retry_after is not None else {}
                self._send(status, b'{"code": "unavailable"}', "application/json", headers)
                return
            if parts.path in routes:
                body = json.dumps(services.page(routes[parts.path], parts.path, query)).encode()
                self._send(200, body, "application/geo+json")
            elif parts.path == GTFS_PATH:
                self._file(services.gtfs, "application/zip")
            elif parts.path == f"{BROKEN_BASE}/collections/gemeenten/items":
                self._send(200, b"<html><body>Onderhoud</body></html>", "text/html")
            else:
                self._send(404, b'{"code": "NotFound"}', "application/json")

        def _file(self, data: bytes, content_type: str) -> None:
            wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
            if wanted and services.faults.ranges:
                start = int(wanted.group(1))
                end = int(wanted.group(2)) if wanted.group(2) else len(data) - 1
                if start >= len(data):
                    self._send(416, b"", content_type, {"Content-Range": f"bytes */{len(data)}"})
                    return
                content_range = f"bytes {start}-{end}/{len(data)}"
                self._send(
                    206, data[start : end + 1], content_type, {"Content-Range": content_range}
                )
                return
            self._send(200, data, content_type, {"Accept-Ranges": "bytes"})

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str,
            headers: dict[str, str] | None = None,
        ) -> None:
            drop = services._take("drop") if status in (200, 206) else None
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if drop is not None:  # part of the body, then the connection is gone
                self.wfile.write(body[: min(drop[0], max(len(body) - 1, 0))])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


def start(services: FakeServices) -> tuple[ThreadingHTTPServer, threading.Thread]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(services))  # loopback only
    server.daemon_threads = True
    host, port = server.server_address[:2]
    services.url = f"http://{host!s}:{port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    return server, thread


@pytest.fixture(scope="session", name="fake_services")
def fake_services_fixture() -> Iterator[FakeServices]:
    """The fake services, running for the whole session (built once: about a second)."""
    services = FakeServices(
        gemeenten=build_gemeenten(),
        panden=build_panden(),
        gtfs=(DEMO / "pt" / "gvb_gtfs_20170212_ovapi_no_stop_times.zip").read_bytes(),
    )
    server, thread = start(services)
    try:
        yield services
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(name="fake")
def fake_fixture(fake_services: FakeServices) -> Iterator[FakeServices]:
    """The fake services with no failure planned and an empty request log."""
    fake_services.reset()
    yield fake_services
    fake_services.reset()


def gemeente_geometry(code: str) -> Any:
    """A gemeente's polygon from the bundled file, in EPSG:28992 (metres)."""
    frame = gpd.read_file(DEMO / "boundaries" / "gemeenten_2023_cbs.geojson").to_crs(28992)
    return frame.loc[frame["gemeentecode"] == code].geometry.iloc[0]


def demo_path(*parts: str) -> Path:
    return DEMO.joinpath(*parts)


def run_cli(settings: Settings, *args: str) -> Result:
    """Run ``sitefinder ARGS`` through click's CliRunner with ``settings`` as its environment."""
    env = {
        "SITEFINDER_DATABASE_URL": settings.database_url,
        "SITEFINDER_DATA_DIR": str(settings.data_dir),
        "SITEFINDER_CACHE_DIR": str(settings.cache_dir),
        "SITEFINDER_HTTP_BACKOFF_S": str(settings.http_backoff_s),
        "SITEFINDER_HTTP_ATTEMPTS": str(settings.http_attempts),
        "SITEFINDER_OGC_LIMIT": str(settings.ogc_limit),
        "SITEFINDER_ONLINE_MIRRORS": json.dumps(settings.online_mirrors),
    }
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    finally:
        get_settings.cache_clear()
