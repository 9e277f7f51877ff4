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
* ``/broken/ogc/v1/collections/gemeenten/items``: an HTML page with status 200;
* ``/nl/gtfs-nl.zip`` (OVapi's national GTFS feed, ``http://gtfs.ovapi.nl``): the bundled GVB
  2017 feed (``pt/gvb_gtfs_20170212_ovapi_no_stop_times.zip``) by default, or whatever
  ``ovapi_gtfs`` holds (the small feed with stop_times, ``gtfs_small``), with ``Range``;
* ``/rvo/natura2000/ogc/v1/collections/natura2000/items``: the 2 Natura 2000 areas of
  ``nature/natura2000_pdok_ogcapi_shape_sample.json`` (Aamsveen nr 55, Botshol nr 83), CRS84;
* ``/cbs/wijken-en-buurten-2023/ogc/v1/collections/buurten/items``: the 443 Amsterdam buurten
  of ``boundaries/amsterdam_buurten_kwb.geojson`` with PDOK's snake_case names
  (``buurtcode``, ``buurtnaam``, ``aantal_inwoners`` …, ``water`` = ``NEE``);
* ``/cbs/gebiedsindelingen/ogc/v1/collections/provincie_gegeneraliseerd/items``: the 12
  provinces of ``boundaries/provincies_2023_derived.geojson`` as ``statcode``/``statnaam``,
  ``jaarcode`` 2023, and once more as ``jaarcode`` 2022 (the same boundaries, standing in for
  the older editions the real collection holds);
* ``/kadaster/bag/ogc/v2/collections/verblijfsobject/items``: BAG verblijfsobjecten in the
  PDOK BAG v2 shape (``identificatie``, ``oppervlakte``, ``status``, ``gebruiksdoel`` as one
  comma-separated string, the address fields, ``pand.href``; uuid ids; CRS84 points): the 96
  units of the Amsterdam VBO sample, the 87 units of the bagadresplus CSV (main address) and
  the 2 Doesburg units of ``bag/doesburg_0221_vbo_pdok_ogcapi_v2.json``
  (:func:`build_verblijfsobjecten`);
* ``/kadaster/brk-kadastrale-kaart/ogc/v1/collections/perceel/items``: the 11 Otterlo parcels
  of ``cadastre/pdok_ogcapi_perceel_otterlo.json`` and the 8 Zuidas parcels of the derived DKK
  v4 file, with the PDOK property names (``identificatie_lokaal_id``,
  ``kadastrale_grootte_waarde`` …) and uuid ids, CRS84;
* ``POST /api/interpreter`` (the Overpass API, ``https://overpass-api.de``): a small Overpass
  QL interpreter for the queries :mod:`etl.overpass` writes (``nwr[...]`` statements with
  ``=``, ``~`` and key-only filters, a ``(s,w,n,e)`` box or ``(area.nl)``, ``out center
  tags``) over the elements of the bundled Overpass samples (:data:`OVERPASS_SAMPLES`:
  supermarkets, TU Delft care, and the campsites in the boxes of Ede and Amsterdam);
  ways and relations are answered with their ``center``. ``overpass_remark`` adds a
  ``remark`` (a server that gave up); a query without ``[out:json]`` is a 400;
* ``/ruimtelijke-plannen/api/opvragen/v4`` (the ruimtelijkeplannen API v4,
  ``https://ruimte.omgevingswet.overheid.nl``): ``POST /plannen/_zoek`` (``_geo.intersects``,
  RD with ``Content-Crs: epsg:28992``, else 400) and ``GET /plannen/{id}/bestemmingsvlakken``
  (``expand=geometrie`` with ``Accept-Crs: epsg:28992``, else 412), both HAL pages with
  ``page``/``pageSize`` (1-based, at most 100) and ``_links.next``, built from the three
  bundled IMRO plans (``zoning/*.gml``: plans from ``Bestemmingsplangebied``, vlakken from
  ``Enkelbestemming`` and ``Dubbelbestemming``); every request needs ``x-api-key`` =
  :data:`RP_API_KEY` (401 otherwise); ``rp_structuurvisie`` adds a plan without plan objects
  to the search results (its bestemmingsvlakken: 404);
* ``/lv/bgt/download/v1_0/full/custom`` (the PDOK BGT download API): ``POST`` checks the body
  (``featuretypes``, ``format`` ``citygml``, a WKT polygon ``geofilter``) and answers 202 with
  a ``downloadRequestId``; ``GET .../{id}/status`` says ``RUNNING`` twice (200), then
  ``COMPLETED`` (201, with ``_links.download``) or, when ``bgt_outcome`` is ``FAILED``, that;
  ``GET .../{id}/download`` serves ``bgt/bgt_otterlo_2020-08-05.zip`` (with ``Range``);
* ``/bzk/locatieserver/search/v3_1/free`` (the PDOK Locatieserver): the documented answer
  ``{"response": {"numFound", "start", "maxScore", "numFoundExact", "docs": [...]}}`` for a
  ``q`` of a postcode and a house number: every address of that postcode among the real BAG
  addresses of ``bag/amsterdam_bagadresplus_nlextract.csv`` and the Doesburg BAG GeoPackage
  (:func:`build_addresses`), the asked number first, as a free-text search also returns near
  matches; ``fq=type:adres`` keeps addresses only (without it a ``postcode`` doc comes
  first), ``fl`` and ``rows`` are honoured, ``centroide_rd`` is ``POINT(x y)`` in RD.

:func:`mirrors` maps every real service host to the fake server (for
``settings.online_mirrors``).

Fixtures: ``fake_services`` (session) and ``fake`` (the same, reset for each test); a test
module gets them with ``from fakeservices import fake_fixture, fake_services_fixture``. Also
:func:`run_cli`, which runs the ``sitefinder`` command in-process with given settings, and
:func:`one`, :func:`rows` and :func:`ok_sources`, which read what a run left in the database.

Pages honour ``limit`` (default 10, at most 1000, like PDOK), ``bbox`` (CRS84, or RD with
``bbox-crs``; a feature is returned when its geometry intersects the box) and carry
``numberMatched``, ``numberReturned`` and ``links`` with ``rel="next"`` holding an opaque
``cursor`` until the last page. Failure modes, switched per test: :meth:`fail_next` (the next
N requests answer an error status with ``Retry-After``), :meth:`drop_next` (the next N
responses send only part of the body, then close the connection); unknown paths are 404.
Every request is logged (method, path, query, Range header, headers, body) for the tests to
count and inspect. The collections and answers not needed by ``tests/test_online.py`` are built
on first use.
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
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner, Result

from etl.bag_panden import national_pand_id
from etl.cbs_buurten import PDOK_SNAKE_FIGURES
from etl.gml import Geometries, child_texts, iter_features
from etl.imro_zoning import OBJECT_FIELDS, PLAN_FIELDS, _fields, _object_ids
from etl.readers import snake_case
from sitefinder.cli import main
from sitefinder.core import db
from sitefinder.core.crs import RD
from sitefinder.core.settings import PROJECT_ROOT, Settings, get_settings

DEMO = PROJECT_ROOT / "data" / "demo"
GEMEENTEN_BASE = "/cbs/wijken-en-buurten-2023/ogc/v1"
BAG_BASE = "/kadaster/bag/ogc/v2"
BROKEN_BASE = "/broken/ogc/v1"
GTFS_PATH = "/files/gvb_gtfs.zip"
OVAPI_GTFS_PATH = "/nl/gtfs-nl.zip"
NATURA_BASE = "/rvo/natura2000/ogc/v1"
GEBIEDSINDELINGEN_BASE = "/cbs/gebiedsindelingen/ogc/v1"
ITEMS_NATURA = f"{NATURA_BASE}/collections/natura2000/items"
ITEMS_BUURTEN = f"{GEMEENTEN_BASE}/collections/buurten/items"
ITEMS_PROVINCIES = f"{GEBIEDSINDELINGEN_BASE}/collections/provincie_gegeneraliseerd/items"
ITEMS_VBO = f"{BAG_BASE}/collections/verblijfsobject/items"
BRK_BASE = "/kadaster/brk-kadastrale-kaart/ogc/v1"
ITEMS_PERCEEL = f"{BRK_BASE}/collections/perceel/items"
OVERPASS_PATH = "/api/interpreter"
RP_BASE = "/ruimtelijke-plannen/api/opvragen/v4"
RP_SEARCH = f"{RP_BASE}/plannen/_zoek"
RP_API_KEY = "fake-ruimtelijkeplannen-key"
BGT_CUSTOM = "/lv/bgt/download/v1_0/full/custom"
LOCATIESERVER_FREE = "/bzk/locatieserver/search/v3_1/free"
RD_CRS_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
MAX_LIMIT = 1000
RP_MAX_PAGE_SIZE = 100
BGT_RUNNING_POLLS = 2
REAL_HOSTS = (
    "https://api.pdok.nl",
    "https://overpass-api.de",
    "http://gtfs.ovapi.nl",
    "https://ruimte.omgevingswet.overheid.nl",
)


def mirrors(url: str) -> dict[str, str]:
    """``settings.online_mirrors`` sending every real service this project uses to ``url``."""
    return dict.fromkeys(REAL_HOSTS, url)


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
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode()))


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


def build_natura2000() -> Collection:
    """The two areas of the bundled OGC API sample, as PDOK serves them (CRS84)."""
    sample = json.loads((DEMO / "nature" / "natura2000_pdok_ogcapi_shape_sample.json").read_text())
    frame = gpd.GeoDataFrame.from_features(sample["features"], crs="OGC:CRS84")
    props = [dict(f["properties"]) for f in sample["features"]]
    ids = [str(f["id"]) for f in sample["features"]]
    return _collection(frame, props, ids)


def build_buurten() -> Collection:
    """The bundled Amsterdam KWB buurten with the PDOK OGC API's property names."""
    frame = gpd.read_file(DEMO / "boundaries" / "amsterdam_buurten_kwb.geojson")
    kwb_to_pdok = {kwb: pdok for pdok, kwb in PDOK_SNAKE_FIGURES.items()}
    props = []
    for record in frame.drop(columns="geometry").to_dict("records"):
        code = str(record["BU_CODE"])
        item: dict[str, Any] = {
            "buurtcode": code,
            "buurtnaam": record["BU_NAAM"],
            "wijkcode": "WK" + code[2:8],
            "gemeentecode": "GM" + code[2:6],
            "gemeentenaam": "Amsterdam",
            "water": "NEE",
        }
        item.update(
            {pdok: _plain(record[kwb]) for kwb, pdok in kwb_to_pdok.items() if kwb in record}
        )
        props.append(item)
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"buurt/{p['buurtcode']}")) for p in props]
    return _collection(frame, props, ids)


def build_provincies() -> Collection:
    """The 12 provinces as CBS Gebiedsindelingen serves them, jaarcode 2023 and 2022."""
    frame = gpd.read_file(DEMO / "boundaries" / "provincies_2023_derived.geojson")
    twice = gpd.GeoDataFrame(pd.concat([frame, frame], ignore_index=True), crs=frame.crs)
    props, ids = [], []
    for i, record in enumerate(twice.drop(columns="geometry").to_dict("records")):
        year = 2023 if i < len(frame) else 2022
        props.append(
            {"statcode": record["statcode"], "statnaam": record["provincienaam"], "jaarcode": year}
        )
        ids.append(f"{record['statcode']}_{year}")
    return _collection(twice, props, ids)


def _concat(*parts: Collection) -> Collection:
    return Collection(
        features=[f for part in parts for f in part.features],
        geoms_crs84=np.concatenate([part.geoms_crs84 for part in parts]),
        geoms_rd=np.concatenate([part.geoms_rd for part in parts]),
    )


def _from_features(features: list[dict[str, Any]], namespace: str, key: str) -> Collection:
    """GeoJSON features (CRS84) served as they are, with a uuid ``id`` as PDOK gives."""
    frame = gpd.GeoDataFrame.from_features(features, crs="OGC:CRS84")
    props = [{k: _plain(v) for k, v in f["properties"].items()} for f in features]
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"{namespace}/{p[key]}")) for p in props]
    return _collection(frame, props, ids)


def _pand_href(pand_id: str | None) -> list[str]:
    """``pand.href`` as PDOK BAG v2 gives it: links to pand features (by uuid, not BAG id)."""
    if not pand_id:
        return []
    fid = uuid.uuid5(uuid.NAMESPACE_URL, f"pand/{pand_id}")
    return [f"https://api.pdok.nl{BAG_BASE}/collections/pand/items/{fid}"]


def _vbo_props(
    vbo_id: str,
    m2: Any,
    status: str,
    uses: list[str],
    address: tuple[Any, Any, Any, Any, Any, Any] = (None,) * 6,
    bouwjaar: Any = None,
    pand_id: str | None = None,
) -> dict[str, Any]:
    street, number, letter, addition, postcode, place = (v if v != "" else None for v in address)
    props: dict[str, Any] = {
        "identificatie": vbo_id,
        "oppervlakte": int(m2),
        "status": status,
        "gebruiksdoel": ",".join(uses),
        "openbare_ruimte_naam": street,
        "huisnummer": int(number) if number is not None else None,
        "huisletter": letter,
        "toevoeging": addition,
        "postcode": postcode,
        "woonplaats_naam": place,
    }
    if bouwjaar is not None:
        props["bouwjaar"] = int(bouwjaar)
    props["pand.href"] = _pand_href(pand_id)
    return props


def build_verblijfsobjecten() -> Collection:
    """BAG verblijfsobjecten as the PDOK BAG OGC API v2 collection ``verblijfsobject`` serves
    them (CRS84 points, ``gebruiksdoel`` one comma-separated string, uuid ids, ``pand.href``):

    * the 96 units of ``bag/amsterdam_vbo_sample_2015_rd.geojson`` (no addresses there: null);
    * the 87 Verblijfsobject units of ``bag/amsterdam_bagadresplus_nlextract.csv`` (one per
      unit, with its main address; ligplaatsen and standplaatsen are other collections);
    * the 2 Doesburg units of ``bag/doesburg_0221_vbo_pdok_ogcapi_v2.json`` as they are.
    """
    vbo = gpd.read_file(DEMO / "bag" / "amsterdam_vbo_sample_2015_rd.geojson")
    sample = _collection(
        vbo,
        [
            _vbo_props(str(i), m2, status, str(uses).split(";"))
            for i, m2, status, uses in zip(
                vbo["vbo_id"],
                vbo["oppervlakte_m2"],
                vbo["status"],
                vbo["gebruiksdoelen_bag"],
                strict=True,
            )
        ],
        [str(uuid.uuid5(uuid.NAMESPACE_URL, f"verblijfsobject/{i}")) for i in vbo["vbo_id"]],
    )
    csv = pd.read_csv(
        DEMO / "bag" / "amsterdam_bagadresplus_nlextract.csv",
        sep=";", dtype=str, keep_default_na=False,
    )  # fmt: skip
    csv = csv[(csv["typeadresseerbaarobject"] == "Verblijfsobject") & (csv["nevenadres"] == "0")]
    flags = ("woonfunctie", "bijeenkomstfunctie", "celfunctie", "gezondheidszorgfunctie",
             "industriefunctie", "kantoorfunctie", "logiesfunctie", "onderwijsfunctie",
             "sportfunctie", "winkelfunctie", "overige_gebruiksfunctie")  # fmt: skip
    props = [
        _vbo_props(
            row["adresseerbaarobject_id"],
            row["opp_adresseerbaarobject_m2"],
            row["adresseerbaarobject_status"],
            [f.replace("_", " ") for f in flags if row[f] == "1"],
            (
                row["openbareruimtenaam"],
                row["huisnummer"],
                row["huisletter"],
                row["huisnummertoevoeging"],
                row["postcode"],
                row["woonplaats"],
            ),
            row["bouwjaar"] or None,
            row["pand_id"] or None,
        )
        for row in csv.to_dict("records")
    ]
    points = gpd.points_from_xy(csv["x"].astype(float), csv["y"].astype(float))
    adresplus = _collection(
        gpd.GeoDataFrame(geometry=points, crs="EPSG:28992"),
        props,
        [
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"verblijfsobject/{p['identificatie']}"))
            for p in props
        ],
    )
    doesburg = json.loads((DEMO / "bag" / "doesburg_0221_vbo_pdok_ogcapi_v2.json").read_text())
    return _concat(
        sample, adresplus, _from_features(doesburg["features"], "verblijfsobject", "identificatie")
    )


def build_addresses() -> list[dict[str, Any]]:
    """The real BAG addresses the fake Locatieserver knows, as its ``adres`` docs (all fields):
    the bagadresplus sample (RD x/y as given) and the Doesburg GeoPackage units with a postcode.
    """
    csv = pd.read_csv(
        DEMO / "bag" / "amsterdam_bagadresplus_nlextract.csv",
        sep=";", dtype=str, keep_default_na=False,
    )  # fmt: skip
    rows = [
        (r["openbareruimtenaam"], r["huisnummer"], r["huisletter"], r["huisnummertoevoeging"],
         r["postcode"], r["woonplaats"], r["gemeentecode"], r["nummeraanduiding_id"],
         float(r["x"]), float(r["y"]))
        for r in csv.to_dict("records")
    ]  # fmt: skip
    gpkg = gpd.read_file(DEMO / "bag" / "doesburg_0221_vbo_bag_light_2020-09-15.gpkg")
    for r, point in zip(gpkg.to_dict("records"), gpkg.geometry, strict=True):
        if isinstance(r["postcode"], str):
            rows.append(
                ("", str(r["huisnummer"]), r["huisletter"] or "", r["toevoeging"] or "",
                 r["postcode"], "Doesburg", "0221",
                 r["nummeraanduiding_hoofdadres_identificatie"], point.x, point.y)
            )  # fmt: skip
    lonlat = gpd.GeoSeries(
        gpd.points_from_xy([r[8] for r in rows], [r[9] for r in rows]), crs=RD
    ).to_crs(4326)
    docs = []
    for (street, number, letter, extra, pc, place, gemeente, num_id, x, y), ll in zip(
        rows, lonlat, strict=True
    ):
        label = f"{street} {number}{letter}{'-' + extra if extra else ''}".strip()
        doc = {
            "type": "adres",
            "weergavenaam": f"{label}, {pc} {place}",
            "postcode": pc,
            "huisnummer": int(number),
            "nummeraanduiding_id": num_id,
            "gemeentecode": gemeente,
            "centroide_ll": f"POINT({ll.x:.8f} {ll.y:.8f})",
            "centroide_rd": f"POINT({x:.3f} {y:.3f})",
        }
        if letter:
            doc["huisletter"] = letter
        if extra:
            doc["huisnummertoevoeging"] = extra
        docs.append(doc)
    return docs


def locatieserver_answer(query: dict[str, str], docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The Locatieserver's free-text answer to ``q`` = postcode and number (see the module)."""
    asked = re.fullmatch(r"\s*(\d{4})\s*([A-Za-z]{2})\s+(\d+)\s*", query.get("q", ""))
    found: list[dict[str, Any]] = []
    if asked:
        pc, number = (asked.group(1) + asked.group(2)).upper(), int(asked.group(3))
        same = [d for d in docs if d["postcode"] == pc]
        found = sorted(same, key=lambda d: (d["huisnummer"] != number, d["huisnummer"]))
        if found and query.get("fq") != "type:adres":
            found = [{"type": "postcode", "weergavenaam": pc, "postcode": pc}, *found]
    fields = query.get("fl", "").replace(",", " ").split()
    rows = int(query.get("rows", "10"))
    scored = [{**d, "score": round(20.0 - i * 0.5, 3)} for i, d in enumerate(found)]
    shown = [{k: v for k, v in d.items() if not fields or k in fields} for d in scored[:rows]]
    return {
        "response": {
            "numFound": len(found),
            "start": 0,
            "maxScore": scored[0]["score"] if scored else 0.0,
            "numFoundExact": True,
            "docs": shown,
        }
    }


def build_percelen() -> Collection:
    """Parcels as the PDOK BRK Kadastrale Kaart OGC API collection ``perceel`` serves them
    (CRS84, uuid ids): the 11 Otterlo parcels of ``cadastre/pdok_ogcapi_perceel_otterlo.json``
    as they are, and the 8 Zuidas parcels of ``cadastre/brk_dkk_v4_percelen_amsterdam_zuidas_rd
    .geojson`` with the same property names."""
    otterlo = json.loads((DEMO / "cadastre" / "pdok_ogcapi_perceel_otterlo.json").read_text())
    zuidas = gpd.read_file(DEMO / "cadastre" / "brk_dkk_v4_percelen_amsterdam_zuidas_rd.geojson")
    props = [
        {
            "identificatie_namespace": "NL.IMKAD.KadastraalObject",
            "identificatie_lokaal_id": str(r["identificatie"]),
            "kadastrale_gemeente_waarde": r["kadastrale_gemeente"],
            "sectie": r["sectie"],
            "akr_kadastrale_gemeente_code_waarde": r["akr_kadastrale_gemeentecode"],
            "kadastrale_grootte_waarde": float(r["kadastrale_grootte_m2"]),
            "perceelnummer": int(r["perceelnummer"]),
        }
        for r in zuidas.drop(columns="geometry").to_dict("records")
    ]
    ids = [
        str(uuid.uuid5(uuid.NAMESPACE_URL, f"perceel/{p['identificatie_lokaal_id']}"))
        for p in props
    ]
    return _concat(
        _collection(zuidas, props, ids),
        _from_features(otterlo["features"], "perceel", "identificatie_lokaal_id"),
    )


OVERPASS_SAMPLES = (
    "osm/overpass_supermarkets_ede_amstelveen_ways_out_center.json",
    "osm/overpass_tudelft_care_schools_out_geom.json",
    "holidayparks/overpass_campsites_ede_amsterdam_out_center.json",
)


def build_overpass_elements() -> list[dict[str, Any]]:
    """The elements of the bundled Overpass samples (once each), as ``out center tags``."""
    elements: dict[tuple[str, int], dict[str, Any]] = {}
    for name in OVERPASS_SAMPLES:
        for element in json.loads((DEMO / name).read_text())["elements"]:
            out: dict[str, Any] = {"type": element["type"], "id": element["id"]}
            if element["type"] == "node":
                out.update(lat=element["lat"], lon=element["lon"])
            elif "center" in element:
                out["center"] = element["center"]
            else:  # out geom: the middle of the bounds, as Overpass computes a center
                b = element["bounds"]
                out["center"] = {
                    "lat": round((b["minlat"] + b["maxlat"]) / 2, 7),
                    "lon": round((b["minlon"] + b["maxlon"]) / 2, 7),
                }
            out["tags"] = element.get("tags", {})
            elements[(element["type"], element["id"])] = out
    return list(elements.values())


def element_point(element: dict[str, Any]) -> tuple[float, float]:
    """(lon, lat) of an ``out center`` element."""
    where = element if element["type"] == "node" else element["center"]
    return float(where["lon"]), float(where["lat"])


_STATEMENT = re.compile(r"nwr((?:\[[^\]]*\])+)\(([^)]*)\);")
_FILTER = re.compile(r'\[\s*"?([^"=~\]]+?)"?\s*(?:(=|~)\s*"((?:[^"\\]|\\.)*)")?\s*\]')


def _tag_matches(tags: dict[str, str], key: str, op: str, quoted: str) -> bool:
    """One Overpass tag filter: ``["k"]``, ``["k"="v"]`` or ``["k"~"regex"]``."""
    if key not in tags:
        return False
    value = json.loads(f'"{quoted}"') if op else ""
    if op == "=":
        return tags[key] == value
    return not op or re.search(value, tags[key]) is not None


def overpass_answer(query: str, elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The elements a query of the shape :mod:`etl.overpass` writes selects."""
    chosen: dict[tuple[str, int], dict[str, Any]] = {}
    for filters, where in _STATEMENT.findall(query):
        tests = _FILTER.findall(filters)
        box = None
        if where != "area.nl":
            s, w, n, e = (float(v) for v in where.split(","))
            box = (s, w, n, e)
        for element in elements:
            tags = element["tags"]
            if not all(_tag_matches(tags, *test) for test in tests):
                continue
            lon, lat = element_point(element)
            if box is not None and not (box[0] <= lat <= box[2] and box[1] <= lon <= box[3]):
                continue
            chosen[(element["type"], element["id"])] = element
    return list(chosen.values())


@dataclass
class Plan:
    """One IMRO plan as the ruimtelijkeplannen API describes it, with its plan objects."""

    item: dict[str, Any]
    contour: Any  # shapely geometry, RD
    objects: list[dict[str, Any]]  # with "geometrie" (GeoJSON, RD)


def imro_features(path: Path, local: str) -> gpd.GeoDataFrame:
    """The ``local`` features (``Bestemmingsplangebied``, ``Enkelbestemming`` …) of an IMRO GML
    file: their simple fields by element name, the NEN3610 id parts, the plan status and date,
    and their ``imro:geometrie`` as :mod:`etl.gml` reads it (EPSG:28992)."""
    records: list[dict[str, Any]] = []
    geometries = Geometries()
    with path.open("rb") as handle:
        for element in iter_features(handle, local):
            geometries.add(element.find("{*}geometrie"), len(records))
            records.append(child_texts(element) | _fields(element, PLAN_FIELDS | OBJECT_FIELDS))
    return gpd.GeoDataFrame(
        pd.DataFrame.from_records(records), geometry=geometries.build(len(records)), crs=RD
    )


def build_plans() -> dict[str, Plan]:
    """The bundled IMRO GML plans as ruimtelijkeplannen API v4 plans and bestemmingsvlakken."""
    plans: dict[str, Plan] = {}
    for path in sorted((DEMO / "zoning").glob("*.gml")):
        area = imro_features(path, "Bestemmingsplangebied")
        first = area.iloc[0]
        plan_id = str(_object_ids(area.iloc[:1]).iloc[0])
        datum = str(first["datum"])[:10] if first.get("datum") is not None else None
        item = {
            "id": plan_id,
            "type": first["typePlan"],
            "naam": first["naam"],
            "planstatusInfo": {"planstatus": first["planstatus"], "datum": datum},
            "beleidsmatigVerantwoordelijkeOverheid": {
                "type": first["beleidsmatigVerantwoordelijkeOverheid"],
                "code": f"{int(first['overheidsCode']):04d}",
                "naam": first["naamOverheid"],
            },
            "isHistorisch": False,
            "_links": {"self": {"href": f"{RP_BASE}/plannen/{plan_id}"}},
        }
        objects = []
        objects_url = f"{RP_BASE}/plannen/{plan_id}/bestemmingsvlakken"
        for layer in ("Enkelbestemming", "Dubbelbestemming"):
            frame = imro_features(path, layer)
            ids = _object_ids(frame)
            for (_, row), object_id in zip(frame.iterrows(), ids, strict=True):
                objects.append(
                    {
                        "id": str(object_id),
                        "type": row["typePlanobject"],
                        "planId": plan_id,
                        "naam": row["naam"],
                        "bestemmingshoofdgroep": row["bestemmingshoofdgroep"],
                        "artikelnummer": str(row["artikelnummer"]),
                        "geometrie": json.loads(shapely.to_geojson(row.geometry)),
                        "_links": {"self": {"href": f"{objects_url}/{object_id}"}},
                    }
                )
        plans[plan_id] = Plan(item=item, contour=area.geometry.iloc[0], objects=objects)
    return plans


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset={offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int:
    text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    return int(text.split("=", 1)[1])


@dataclass
class BgtRequest:
    body: dict[str, Any]
    polls: int = 0


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
    # OVapi GTFS NL: the feed served at OVAPI_GTFS_PATH (default: the GVB 2017 feed)
    ovapi_gtfs: bytes = b""
    gtfs_small: bytes = b""
    overpass_remark: str | None = None  # a 'remark' in Overpass answers (a server that gave up)
    bgt_outcome: str = "COMPLETED"  # the status after the RUNNING polls: COMPLETED or FAILED
    rp_structuurvisie: bool = False  # the search also finds a plan without bestemmingsvlakken
    bgt_requests: dict[str, BgtRequest] = field(default_factory=dict)
    _built: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- switches, for the tests --------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.faults = Faults()
            self.log.clear()
            self.number_matched = True
            self.link_base = ""
            self.ovapi_gtfs = self.gtfs
            self.overpass_remark = None
            self.bgt_outcome = "COMPLETED"
            self.bgt_requests.clear()
            self.rp_structuurvisie = False

    def fail_next(self, n: int, status: int = 503, retry_after: str | None = "0") -> None:
        with self._lock:
            self.faults.fail, self.faults.status, self.faults.retry_after = n, status, retry_after

    def drop_next(self, n: int, after: int = 100_000) -> None:
        with self._lock:
            self.faults.drop, self.faults.drop_after = n, after

    def requests(self, path_prefix: str = "") -> list[Logged]:
        with self._lock:
            return [r for r in self.log if r.path.startswith(path_prefix)]

    # -- data built on first use ---------------------------------------------------------------

    def built(self, name: str) -> Any:
        """The data set ``name`` (a key of :data:`BUILDERS`)."""
        with self._lock:
            if name not in self._built:
                self._built[name] = BUILDERS[name]()
            return self._built[name]

    def ogc_collection(self, path: str) -> Collection | None:
        fixed = {
            f"{GEMEENTEN_BASE}/collections/gemeenten/items": self.gemeenten,
            f"{BAG_BASE}/collections/pand/items": self.panden,
        }
        if path in fixed:
            return fixed[path]
        lazy = {
            ITEMS_NATURA: "natura2000",
            ITEMS_BUURTEN: "buurten",
            ITEMS_PROVINCIES: "provincies",
            ITEMS_VBO: "verblijfsobjecten",
            ITEMS_PERCEEL: "percelen",
        }
        return self.built(lazy[path]) if path in lazy else None

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

    def overpass(self, body: bytes) -> tuple[int, dict[str, Any] | bytes]:
        query = dict(urllib.parse.parse_qsl(body.decode())).get("data", "")
        if "[out:json]" not in query or "out center" not in query:
            return 400, b"<html><body><p>Error: line 1: parse error (fake)</p></body></html>"
        answer: dict[str, Any] = {
            "version": 0.6,
            "generator": "Overpass API (fake, tests/fakeservices.py)",
            "osm3s": {
                "timestamp_osm_base": "2026-08-01T13:49:46Z",
                "copyright": "The data included in this document is from www.openstreetmap.org."
                " The data is made available under ODbL.",
            },
            "elements": overpass_answer(query, self.built("overpass")),
        }
        if self.overpass_remark:
            answer["remark"] = self.overpass_remark
            answer["elements"] = answer["elements"][:1]  # Overpass gives what it had
        return 200, answer

    def rp_page(
        self, items: list[dict[str, Any]], embedded: str, path: str, query: dict[str, str]
    ) -> dict[str, Any]:
        size = max(1, min(int(query.get("pageSize", "10")), RP_MAX_PAGE_SIZE))
        number = max(1, int(query.get("page", "1")))
        window = items[(number - 1) * size : number * size]
        total_pages = max(1, math.ceil(len(items) / size))
        link = f"{self.url}{path}?{{}}"
        links: dict[str, Any] = {"self": {"href": link.format(urllib.parse.urlencode(query))}}
        if number < total_pages:
            links["next"] = {
                "href": link.format(urllib.parse.urlencode({**query, "page": str(number + 1)}))
            }
        return {
            "_embedded": {embedded: window},
            "_links": links,
            "page": {
                "size": size,
                "totalElements": len(items),
                "totalPages": total_pages,
                "number": number,
            },
        }

    def rp_search(self, path: str, query: dict[str, str], body: bytes, crs: str) -> Any:
        if crs.lower() != "epsg:28992":
            return 400, {"status": 400, "title": "Content-Crs must be given (fake: epsg:28992)"}
        try:
            geo = json.loads(body)["_geo"]["intersects"]
            where = shapely.from_geojson(json.dumps(geo))
        except (ValueError, KeyError, TypeError, shapely.errors.GEOSException):
            return 400, {"status": 400, "title": "Bad _geo body"}
        plans = [
            plan.item for plan in self.built("plans").values() if plan.contour.intersects(where)
        ]
        if self.rp_structuurvisie:  # a plan type without plan objects (its objects: 404)
            plans.insert(
                0, {**plans[0], "id": "NL.IMRO.0664.SVGOES-VA01", "type": "structuurvisie"}
            )
        return 200, self.rp_page(plans, "plannen", path, query)

    def rp_objects(self, plan_id: str, path: str, query: dict[str, str], crs: str) -> Any:
        plan = self.built("plans").get(plan_id)
        if plan is None:
            return 404, {"status": 404, "title": "Plan not found"}
        geometry = "geometrie" in query.get("expand", "")
        if geometry and crs.lower() != "epsg:28992":
            return 412, {"status": 412, "title": "Accept-Crs is required for geometries"}
        items = [{k: v for k, v in o.items() if geometry or k != "geometrie"} for o in plan.objects]
        return 200, self.rp_page(items, "bestemmingsvlakken", path, query)

    def bgt_request(self, body: bytes) -> Any:
        try:
            asked = json.loads(body)
            types, fmt, wkt = asked["featuretypes"], asked["format"], asked["geofilter"]
            polygon = shapely.from_wkt(wkt)
        except (ValueError, KeyError, TypeError, shapely.errors.GEOSException):
            return 400, {"status": 400, "title": "Bad request (fake)"}
        if not types or fmt != "citygml" or polygon.geom_type != "Polygon":
            return 400, {"status": 400, "title": "featuretypes, format citygml, a polygon"}
        request_id = str(uuid.uuid4())
        with self._lock:
            self.bgt_requests[request_id] = BgtRequest(body=asked)
        status = f"{BGT_CUSTOM}/{request_id}/status"
        return 202, {"downloadRequestId": request_id, "_links": {"status": {"href": status}}}

    def bgt_status(self, request_id: str) -> Any:
        with self._lock:
            asked = self.bgt_requests.get(request_id)
            if asked is None:
                return 404, {"status": 404, "title": "Unknown downloadRequestId"}
            asked.polls += 1
            polls, outcome = asked.polls, self.bgt_outcome
        links: dict[str, Any] = {"status": {"href": f"{BGT_CUSTOM}/{request_id}/status"}}
        answer: dict[str, Any] = {"downloadRequestId": request_id, "_links": links}
        if polls <= BGT_RUNNING_POLLS:
            return 200, {**answer, "status": "RUNNING", "progress": 40 * polls}
        if outcome != "COMPLETED":
            return 200, {**answer, "status": outcome, "progress": 80}
        links["download"] = {"href": f"{BGT_CUSTOM}/{request_id}/download"}
        return 201, {**answer, "status": "COMPLETED", "progress": 100}


BUILDERS = {
    "natura2000": build_natura2000,
    "buurten": build_buurten,
    "provincies": build_provincies,
    "overpass": build_overpass_elements,
    "verblijfsobjecten": build_verblijfsobjecten,
    "percelen": build_percelen,
    "plans": build_plans,
    "bgt_zip": lambda: (DEMO / "bgt" / "bgt_otterlo_2020-08-05.zip").read_bytes(),
    "addresses": build_addresses,
}
_RP_OBJECTS = re.compile(re.escape(RP_BASE) + r"/plannen/([^/]+)/bestemmingsvlakken")
_BGT_STATUS = re.compile(re.escape(BGT_CUSTOM) + r"/([^/]+)/(status|download)")


def _handler(services: FakeServices) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _log(self, method: str, body: bytes = b"") -> tuple[str, dict[str, str]]:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            headers = {k.lower(): v for k, v in self.headers.items()}
            entry = Logged(parts.path, query, self.headers.get("Range"), method, headers, body)
            with services._lock:
                services.log.append(entry)
            return parts.path, query

        def _planned_failure(self) -> bool:
            failure = services._take("fail")
            if failure is None:
                return False
            status, retry_after = failure
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            self._send(status, b'{"code": "unavailable"}', "application/json", headers)
            return True

        def _rp_key_ok(self) -> bool:
            if self.headers.get("x-api-key") == RP_API_KEY:
                return True
            title = "Missing API Key" if not self.headers.get("x-api-key") else "Invalid API Key"
            self._json(401, {"status": 401, "title": title})
            return False

        def do_GET(self) -> None:
            path, query = self._log("GET")
            if self._planned_failure():
                return
            collection = services.ogc_collection(path)
            if collection is not None:
                body = json.dumps(services.page(collection, path, query)).encode()
                self._send(200, body, "application/geo+json")
            elif path == GTFS_PATH:
                self._file(services.gtfs, "application/zip")
            elif path == OVAPI_GTFS_PATH:
                self._file(services.ovapi_gtfs, "application/zip")
            elif path == LOCATIESERVER_FREE:
                self._json(200, locatieserver_answer(query, services.built("addresses")))
            elif path == f"{BROKEN_BASE}/collections/gemeenten/items":
                self._send(200, b"<html><body>Onderhoud</body></html>", "text/html")
            elif (found := _RP_OBJECTS.fullmatch(path)) is not None:
                if self._rp_key_ok():
                    plan_id = urllib.parse.unquote(found.group(1))
                    crs = self.headers.get("Accept-Crs", "")
                    self._json(*services.rp_objects(plan_id, path, query, crs))
            elif (found := _BGT_STATUS.fullmatch(path)) is not None:
                request_id, what = found.groups()
                if what == "status":
                    self._json(*services.bgt_status(request_id))
                elif request_id in services.bgt_requests:
                    self._file(services.built("bgt_zip"), "application/zip")
                else:
                    self._json(404, {"status": 404, "title": "Unknown download"})
            else:
                self._send(404, b'{"code": "NotFound"}', "application/json")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, query = self._log("POST", body)
            if self._planned_failure():
                return
            if path == OVERPASS_PATH:
                status, answer = services.overpass(body)
                if isinstance(answer, bytes):
                    self._send(status, answer, "text/html")
                else:
                    self._json(status, answer)
            elif path == RP_SEARCH:
                if self._rp_key_ok():
                    crs = self.headers.get("Content-Crs", "")
                    self._json(*services.rp_search(path, query, body, crs))
            elif path == BGT_CUSTOM:
                self._json(*services.bgt_request(body))
            else:
                self._send(404, b'{"code": "NotFound"}', "application/json")

        def _json(self, status: int, answer: Any) -> None:
            self._send(status, json.dumps(answer).encode(), "application/json")

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
    gtfs = (DEMO / "pt" / "gvb_gtfs_20170212_ovapi_no_stop_times.zip").read_bytes()
    services = FakeServices(
        gemeenten=build_gemeenten(),
        panden=build_panden(),
        gtfs=gtfs,
        ovapi_gtfs=gtfs,
        gtfs_small=(DEMO / "pt" / "gtfs_gvb_test_feed_with_stop_times.zip").read_bytes(),
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


LOOPBACK = ["127.0.0.1", "localhost"]


def run_cli(settings: Settings, *args: str) -> Result:
    """Run ``sitefinder ARGS`` through click's CliRunner with ``settings`` as its environment.

    Downloads may only reach loopback (``SITEFINDER_HTTP_ALLOWED_HOSTS``, unless ``settings``
    names other hosts): a service that is not mirrored to the fake server fails at once
    instead of reaching the internet.
    """
    env = {
        "SITEFINDER_DATABASE_URL": settings.database_url,
        "SITEFINDER_DATA_DIR": str(settings.data_dir),
        "SITEFINDER_CACHE_DIR": str(settings.cache_dir),
        "SITEFINDER_HTTP_BACKOFF_S": str(settings.http_backoff_s),
        "SITEFINDER_HTTP_ATTEMPTS": str(settings.http_attempts),
        "SITEFINDER_OGC_LIMIT": str(settings.ogc_limit),
        "SITEFINDER_ONLINE_MIRRORS": json.dumps(settings.online_mirrors),
        "SITEFINDER_HTTP_ALLOWED_HOSTS": json.dumps(settings.http_allowed_hosts or LOOPBACK),
        "SITEFINDER_RUIMTELIJKEPLANNEN_API_KEY": settings.ruimtelijkeplannen_api_key,
        "SITEFINDER_RUIMTELIJKEPLANNEN_PAGE_SIZE": str(settings.ruimtelijkeplannen_page_size),
        "SITEFINDER_PDOK_DOWNLOAD_POLL_S": str(settings.pdok_download_poll_s),
        "SITEFINDER_PDOK_DOWNLOAD_TIMEOUT_S": str(settings.pdok_download_timeout_s),
        "SITEFINDER_OVERPASS_TIMEOUT_S": str(settings.overpass_timeout_s),
    }
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    finally:
        get_settings.cache_clear()


def one(settings: Settings, query: str, *params: Any) -> Any:
    with db.connection(settings) as conn, conn.transaction():
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return next(iter(row.values()))


def rows(settings: Settings, query: str, *params: Any) -> list[dict[str, Any]]:
    with db.connection(settings) as conn, conn.transaction():
        return conn.execute(query, params).fetchall()


def ok_sources(settings: Settings) -> dict[str, str]:
    """Each layer's source key in its latest successful ETL run."""
    return {
        r["layer"]: r["source"]
        for r in rows(
            settings,
            "SELECT DISTINCT ON (layer) layer, source FROM etl_run WHERE status = 'ok'"
            " ORDER BY layer, id DESC",
        )
    }
