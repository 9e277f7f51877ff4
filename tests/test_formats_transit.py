"""The transit sources of their own: the national station list, the HTM tram timetable, the
frequency-based ferries, the Connexxion 2011 and GOVI 2011 stop lists, each into its own layer,
from the real files, on a real PostGIS.

Counts are exact; departures per hour are counted a second way here, with plain loops over the
feed's own rows (HTM: one Thursday, the feed has no Tuesday; ferries: frequencies.txt expanded).
Coordinates are checked in EPSG:28992 (metres).
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from test_formats_layers import assert_fails_cleanly, assert_idempotent, fetch, rows, run

from etl.gtfs import read_gtfs
from sitefinder.core.settings import PROJECT_ROOT

DEMO = PROJECT_ROOT / "data" / "demo"
STATIONS = DEMO / "pt" / "rdt_stations_2020-01_nl.csv"
HTM = DEMO / "pt" / "htm_tram_gtfs_20180301_derived.zip"
FERRIES = DEMO / "pt" / "dutch_ferries_gtfs_2018-2020.zip"
CONNEXXION = DEMO / "pt" / "connexxion_haltes_2011_derived.csv.zip"
GOVI = PROJECT_ROOT / "tests" / "data" / "pt" / "govi_stops_amsterdam_2011.kml"


def _table(path: Path, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(path) as archive, archive.open(f"{name}.txt") as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, "utf-8-sig")))


def _seconds(hms: str) -> int:
    h, m, s = (int(part) for part in hms.split(":"))
    return h * 3600 + m * 60 + s


def _coverage(conn: psycopg.Connection[Any], layer: str) -> dict[str, Any]:
    return fetch(
        conn,
        "SELECT national, ST_Area(geom) / 1e6 AS km2 FROM layer_coverage WHERE layer = %s",
        layer,
    )[0]


# --------------------------------------------------------------------------------------------
# stations


def test_station_list_loads_all_400_with_their_class(conn: psycopg.Connection[Any]) -> None:
    result = run(conn, "stations", STATIONS)
    assert (result.n_read, result.n_loaded, result.n_quarantined) == (400, 400, 0)
    found = rows(conn, "stations")
    asd = found["ASD"]
    assert asd["name"] == "Amsterdam Centraal" and asd["category"] == "rail"
    assert asd["props"]["station_type"] == "megastation" and asd["props"]["uic"] == "8400058"
    classes = fetch(
        conn,
        "SELECT props ->> 'station_type' AS t, count(*) AS n FROM poi WHERE layer = 'stations'"
        " GROUP BY 1",
    )
    assert {r["t"]: r["n"] for r in classes} == {
        "stoptreinstation": 279,
        "knooppuntStoptreinstation": 46,
        "knooppuntIntercitystation": 40,
        "intercitystation": 14,
        "megastation": 6,
        "sneltreinstation": 6,
        "knooppuntSneltreinstation": 5,
        "facultatiefStation": 4,
    }
    # Amsterdam Centraal at 52.3789 N, 4.9003 E lies at about (121900, 488100) in RD
    xy = fetch(conn, "SELECT ST_X(geom) AS x, ST_Y(geom) AS y FROM poi WHERE id = 'stations:ASD'")
    assert xy[0]["x"] == pytest.approx(121900, abs=300)
    assert xy[0]["y"] == pytest.approx(488100, abs=300)
    assert _coverage(conn, "stations")["national"] is True
    assert_idempotent(conn, "stations", STATIONS)


def test_a_station_abroad_or_without_type_is_quarantined(
    conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    lines = STATIONS.read_text(encoding="utf-8").splitlines()
    header, amsterdam, rest = lines[0], next(x for x in lines if ",ASD," in x), lines[1:4]
    emmerich = amsterdam.replace(",ASD,", ",EMR,").replace(",NL,", ",D,")
    untyped = rest[0].replace("stoptreinstation", "").replace("knooppuntIntercitystation", "")
    bad = tmp_path / "stations.csv"
    bad.write_text("\n".join([header, amsterdam, emmerich, untyped, *rest[1:]]), encoding="utf-8")
    result = run(conn, "stations", bad, force=True)
    assert result.reasons == {
        "station abroad (country D)": 1,
        "missing required field 'station_type'": 1,
    }
    assert result.n_loaded == 3
    run(conn, "stations", STATIONS, force=True)  # the real list back for the other tests
    assert_fails_cleanly(conn, "stations", CONNEXXION, "not a Rijden de Treinen station list")


# --------------------------------------------------------------------------------------------
# HTM: a real timetable of one Thursday


def test_htm_feed_has_no_tuesday_so_its_busiest_day_is_counted_and_said() -> None:
    feed = read_gtfs(HTM)
    assert feed.service_date == date(2018, 3, 1)  # a Thursday
    assert any("no Tuesday" in note and "Thursday 2018-03-01" in note for note in feed.notes)


def test_htm_departures_per_hour_hand_counted(conn: psycopg.Connection[Any]) -> None:
    result = run(conn, "stops_htm", HTM)
    assert (result.n_read, result.n_loaded, result.n_quarantined) == (286, 286, 0)
    assert "busiest service day, Thursday 2018-03-01" in result.message
    found = rows(conn, "stops_htm")
    assert {r["category"] for r in found.values()} == {"tram"}
    # counted again: departures 07:00-19:00 from every stop that is not a trip's last
    times = _table(HTM, "stop_times")
    last = {}
    for row in times:
        last[row["trip_id"]] = max(last.get(row["trip_id"], 0), int(row["stop_sequence"]))
    for stop in ("HTM:1001", "HTM:1101", "HTM:2908"):
        n = sum(
            1
            for r in times
            if r["stop_id"] == stop
            and int(r["stop_sequence"]) < last[r["trip_id"]]
            and 7 * 3600 <= _seconds(r["departure_time"]) < 19 * 3600
        )
        assert found[stop]["props"]["departures_per_hour"] == pytest.approx(n / 12, abs=1e-4)
        assert found[stop]["props"]["service_date"] == "2018-03-01"
    assert found["HTM:1001"]["props"]["departures_per_hour"] == pytest.approx(74 / 12, abs=1e-4)
    assert _coverage(conn, "stops_htm")["national"] is False
    assert_idempotent(conn, "stops_htm", HTM)


# --------------------------------------------------------------------------------------------
# ferries: frequencies.txt drives the trips


def test_ferry_frequencies_are_expanded_into_departures(conn: psycopg.Connection[Any]) -> None:
    result = run(conn, "stops_ferries", FERRIES)
    assert (result.n_read, result.n_loaded, result.n_quarantined) == (567, 567, 0)
    assert "551 frequency-based trip periods" in result.message
    assert "generated hourly frequencies" in result.message
    found = rows(conn, "stops_ferries")
    assert {r["category"] for r in found.values()} == {"ferry"}
    assert all(r["props"]["service"].startswith("generated") for r in found.values())
    # counted again on the feed's busiest Tuesday: every frequency trip leaves its first stop
    # at start + k x headway (< end); a stop keeps its offset; the last stop is no departure
    tables = {n: _table(FERRIES, n) for n in ("trips", "stop_times", "frequencies", "calendar")}
    when = date(2018, 1, 2)
    running = {
        c["service_id"]
        for c in tables["calendar"]
        if c["tuesday"] == "1" and c["start_date"] <= when.strftime("%Y%m%d") <= c["end_date"]
    }
    service = {t["trip_id"]: t["service_id"] for t in tables["trips"]}
    by_trip: dict[str, list[dict[str, str]]] = {}
    for r in tables["stop_times"]:
        by_trip.setdefault(r["trip_id"], []).append(r)
    expected: dict[str, int] = {}
    for f in tables["frequencies"]:
        if service[f["trip_id"]] not in running:
            continue
        stops = sorted(by_trip[f["trip_id"]], key=lambda r: int(r["stop_sequence"]))
        t0 = _seconds(stops[0]["departure_time"] or stops[0]["arrival_time"])
        start, end, step = (
            _seconds(f["start_time"]),
            _seconds(f["end_time"]),
            int(f["headway_secs"]),
        )
        for r in stops[:-1]:
            offset = _seconds(r["departure_time"] or r["arrival_time"]) - t0
            k = 0
            while start + k * step < end:
                if 7 * 3600 <= start + k * step + offset < 19 * 3600:
                    expected[r["stop_id"]] = expected.get(r["stop_id"], 0) + 1
                k += 1
    assert len(expected) > 500
    for stop, n in expected.items():
        assert found[stop]["props"]["departures_per_hour"] == pytest.approx(n / 12, abs=1e-4)
    assert found["VV:176:1"]["name"] == "Enkhuizen"
    assert found["VV:176:1"]["props"]["departures_per_hour"] == 3.0  # three crossings an hour
    assert_idempotent(conn, "stops_ferries", FERRIES)


def test_the_ferry_feed_is_counted_on_its_busiest_tuesday() -> None:
    feed = read_gtfs(FERRIES)
    assert feed.service_date == date(2018, 1, 2)  # its first Tuesday: every service runs
    assert not any("no Tuesday" in note for note in feed.notes)


# --------------------------------------------------------------------------------------------
# stop lists of their own year, no timetable


def test_connexxion_2011_stops_and_their_coverage(conn: psycopg.Connection[Any]) -> None:
    result = run(conn, "stops_connexxion", CONNEXXION)
    assert (result.n_read, result.n_loaded, result.n_quarantined) == (21921, 21921, 0)
    found = rows(conn, "stops_connexxion")
    first = found["50310040"]
    assert first["name"] == "Austerlitz, Austerlitzseweg" and first["category"] == "bus"
    assert first["props"]["postcode"] == "3711AR" and first["props"]["wheelchair"] is False
    assert "departures_per_hour" not in first["props"]
    assert first["props"]["service"] == "unknown (a stop list without timetable)"
    run_row = fetch(
        conn,
        "SELECT source, data_as_of FROM etl_run WHERE layer = 'stops_connexxion' AND status = 'ok'"
        " ORDER BY id DESC LIMIT 1",
    )[0]
    assert run_row == {"source": "connexxion_haltes_2011", "data_as_of": "2011-12"}
    # coverage: the stops grown by 1,500 m (union), far less than the hull of the concessions
    cover = _coverage(conn, "stops_connexxion")
    hull = fetch(
        conn,
        "SELECT ST_Area(ST_ConvexHull(ST_Collect(geom))) / 1e6 AS km2 FROM poi"
        " WHERE layer = 'stops_connexxion'",
    )[0]["km2"]
    assert cover["national"] is False and 5_000 < cover["km2"] < 0.5 * hull
    outside = fetch(
        conn,
        "SELECT count(*) AS n FROM poi p, layer_coverage c WHERE p.layer = 'stops_connexxion'"
        " AND c.layer = p.layer AND NOT ST_Within(p.geom, c.geom)",
    )[0]["n"]
    assert outside == 0


def test_govi_2011_stops_from_kml(conn: psycopg.Connection[Any]) -> None:
    result = run(conn, "stops_govi", GOVI)
    assert (result.n_read, result.n_loaded, result.n_quarantined) == (4429, 4429, 0)
    found = rows(conn, "stops_govi")
    assert found["36380010"]["name"] == "De Rijp, Julianalaan"
    assert found["36380010"]["category"] == "unknown"  # the list names no mode
    assert found["36380010"]["props"]["town"] == "De Rijp"
    assert _coverage(conn, "stops_govi")["national"] is False
    assert_idempotent(conn, "stops_govi", GOVI)
