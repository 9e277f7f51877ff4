"""GTFS feeds: stops with their mode and, where the feed has a timetable, departures per hour.

Format: a GTFS *Schedule* zip (https://gtfs.org/schedule/reference/), read with pandas (every
file as text, UTF-8 with or without BOM; files may sit in one sub-folder of the zip). Used:
``stops.txt``, ``routes.txt``, ``trips.txt`` (required), ``stop_times.txt``, ``calendar.txt`` /
``calendar_dates.txt``, ``feed_info.txt`` and ``shapes.txt`` (optional). Coordinates are
WGS84 degrees (``stop_lat``/``stop_lon``); distances below are metres in EPSG:28992 (RD New).

pandas rather than gtfs-kit: only five files and a few group-bys are needed, every step stays
vectorised and visible here, and gtfs-kit would add a large dependency tree (folium, …) for
functionality the pipeline does not use.

What :func:`read_gtfs` gives, one row per stop (``location_type`` 0 or empty; parent stations,
``location_type`` 1, only supply ``parent_name``; entrances, generic nodes and boarding areas are
left out):

* **mode**: the 'highest' mode of the routes serving the stop, rail > metro > tram > bus >
  ferry, from the GTFS basic and extended route types (:func:`route_type_mode`);
* **departures_per_hour** (only with ``stop_times.txt``): on one service date, the number of
  departures from the stop between 07:00:00 (inclusive) and 19:00:00 (exclusive) divided by 12.
  A departure is a ``stop_times`` row of a trip running that day that is not the trip's last
  stop and not ``pickup_type = 1`` (no boarding). Times past 24:00:00 of trips of the
  previous service day count on the date (``31:00:00`` on Monday's service is Tuesday 07:00).
  Rows without a time (non-timepoints) get one interpolated linearly, by stop order, between
  the trip's timed stops. The date is ``service_date`` when given, else the feed's busiest
  Tuesday: the Tuesday within the feed's validity (``feed_info`` start/end, else the calendar's
  range) with the most trips running (the earliest on a tie). A feed whose validity holds no
  Tuesday (the HTM feed of one Thursday) is counted on its busiest service day, and
  :attr:`GtfsStops.notes` says so. Frequency-based trips (``frequencies.txt``) are expanded:
  a trip runs from its first stop at ``start_time``, ``start_time + headway_secs``, ... while
  before ``end_time`` (per row of ``frequencies.txt``; ``exact_times`` 0 or 1 alike), every
  stop keeping its offset from the first stop in ``stop_times``.

Without ``stop_times.txt`` (the bundled real GVB 2017 feed lacks it) routes cannot be linked to
stops exactly. The fallback, in this order:

1. ``shapes.txt`` present: the stop takes the mode of the route whose shape passes *nearest*
   to it, if one passes within 30 m (a stop sits on its own route; the nearest shape is right
   for 91 % of the GVB 2017 stops, checked against the modes the 2022 OVapi timetable gives
   stops of the same name and place, where the 'highest mode within 30 m' rule manages 85 %);
2. all routes of the feed of one mode: that mode;
3. otherwise: ``"unknown"``.

The stops then carry no departures, ``service`` says ``"unknown (feed has no stop_times.txt)"``
and ``mode_source`` how the mode was found; :attr:`GtfsStops.notes` says the same for the log.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl.readers import plain_records
from sitefinder.core.crs import RD, WGS84
from sitefinder.core.errors import SourceFileError

SHAPE_DISTANCE_M = 30.0
WINDOW = (7 * 3600, 19 * 3600)  # seconds after midnight: [07:00, 19:00)
UNKNOWN_SERVICE = "unknown (feed has no stop_times.txt)"

BASIC_ROUTE_TYPES = {
    0: "tram",
    1: "metro",
    2: "rail",
    3: "bus",
    4: "ferry",
    5: "tram",  # cable tram
    11: "bus",  # trolleybus
    12: "metro",  # monorail
}
# Extended (Hierarchical Vehicle Type) route types: [start, end) -> mode.
EXTENDED_ROUTE_TYPES = (
    (100, 200, "rail"),
    (200, 300, "bus"),  # coach
    (400, 500, "metro"),
    (700, 800, "bus"),
    (800, 900, "bus"),  # trolleybus
    (900, 1000, "tram"),
    (1000, 1100, "ferry"),  # water transport
    (1200, 1300, "ferry"),
)
MODE_RANK = {"ferry": 1, "bus": 2, "tram": 3, "metro": 4, "rail": 5}
RANK_MODE = {rank: mode for mode, rank in MODE_RANK.items()}


def route_type_mode(route_type: pd.Series) -> pd.Series:
    """GTFS route_type (number or numeric text) -> mode name; None where unknown."""
    code = pd.to_numeric(route_type, errors="coerce")
    whole = code.where(code % 1 == 0)
    modes = pd.Series(None, index=route_type.index, dtype=object)
    # One vectorised assignment per rule, not per stop.
    for key, mode in BASIC_ROUTE_TYPES.items():
        modes[(whole == key).to_numpy(dtype=bool)] = mode
    for start, end, mode in EXTENDED_ROUTE_TYPES:
        modes[((whole >= start) & (whole < end)).to_numpy(dtype=bool)] = mode
    return modes


@dataclass
class GtfsStops:
    """The stops of one feed (``stops``: EPSG:4326) and how their attributes were found."""

    stops: gpd.GeoDataFrame
    has_stop_times: bool
    service_date: date | None
    mode_source: str
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# reading the zip


REQUIRED = ("stops", "routes", "trips")
OPTIONAL = ("stop_times", "calendar", "calendar_dates", "feed_info", "shapes", "frequencies")
COLUMNS = {
    "stop_times": [
        "trip_id",
        "stop_id",
        "stop_sequence",
        "arrival_time",
        "departure_time",
        "pickup_type",
    ],
    "shapes": ["shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"],
}


def _wanted_columns(wanted: list[str]) -> Callable[[str], bool]:
    keep = frozenset(wanted)
    return lambda column: str(column).strip().lstrip("\ufeff") in keep


def _read_tables(path: Path) -> dict[str, pd.DataFrame]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = {Path(n).name: n for n in archive.namelist() if n.endswith(".txt")}
            missing = [f"{name}.txt" for name in REQUIRED if f"{name}.txt" not in members]
            if missing:
                raise SourceFileError(
                    f"cannot read {path}: not a GTFS feed, {', '.join(missing)} missing"
                )
            tables = {}
            for name in (*REQUIRED, *OPTIONAL):
                member = members.get(f"{name}.txt")
                if member is None:
                    continue
                wanted = COLUMNS.get(name)
                # Streamed from the zip, only the columns used (stop_times.txt of the national
                # feed is about a gigabyte unzipped).
                with archive.open(member) as raw:
                    frame = pd.read_csv(
                        raw,
                        dtype=str,
                        keep_default_na=False,
                        encoding="utf-8-sig",
                        skipinitialspace=True,
                        usecols=None if wanted is None else _wanted_columns(wanted),
                    )
                frame.columns = [str(c).strip() for c in frame.columns]
                if wanted is not None:
                    frame = frame[[c for c in wanted if c in frame.columns]]
                tables[name] = frame
    except SourceFileError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        UnicodeDecodeError,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
    ) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SourceFileError(f"cannot read {path}: {first}") from exc
    for name, columns in (
        ("stops", ("stop_id", "stop_lat", "stop_lon")),
        ("routes", ("route_id", "route_type")),
        ("trips", ("route_id", "service_id", "trip_id")),
    ):
        absent = [c for c in columns if c not in tables[name].columns]
        if absent:
            raise SourceFileError(f"cannot read {path}: {name}.txt has no {', '.join(absent)}")
    return tables


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype(str).str.strip()
    return pd.Series("", index=frame.index, dtype=object)


# --------------------------------------------------------------------------------------------
# service calendar


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.astype(str).str.strip(), format="%Y%m%d", errors="coerce")


def _validity(tables: dict[str, pd.DataFrame]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    info = tables.get("feed_info")
    if info is not None and len(info):
        start = _dates(_column(info, "feed_start_date")).min()
        end = _dates(_column(info, "feed_end_date")).max()
        if pd.notna(start) and pd.notna(end):
            return pd.Timestamp(start), pd.Timestamp(end)
    found = []
    if "calendar" in tables:
        found += [_dates(_column(tables["calendar"], c)) for c in ("start_date", "end_date")]
    if "calendar_dates" in tables:
        found.append(_dates(_column(tables["calendar_dates"], "date")))
    days = pd.concat(found) if found else pd.Series([], dtype="datetime64[ns]")
    if days.notna().any():
        return pd.Timestamp(days.min()), pd.Timestamp(days.max())
    return None


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def active_services(
    tables: dict[str, pd.DataFrame], services: pd.Index, days: Sequence[date]
) -> np.ndarray:
    """Whether each service runs on each day: a bool array (len(services), len(days))."""
    active = np.zeros((len(services), len(days)), dtype=bool)
    if not len(days):
        return active
    stamps = pd.DatetimeIndex([pd.Timestamp(d) for d in days])
    calendar = tables.get("calendar")
    if calendar is not None and len(calendar):
        row = services.get_indexer(pd.Index(_column(calendar, "service_id")))
        known = row >= 0
        start = _dates(_column(calendar, "start_date")).to_numpy()[:, None]
        end = _dates(_column(calendar, "end_date")).to_numpy()[:, None]
        flags = np.stack([(_column(calendar, d) == "1").to_numpy() for d in WEEKDAYS], axis=1)
        on_day = flags[:, stamps.day_of_week.to_numpy()]
        runs = on_day & (stamps.to_numpy()[None, :] >= start) & (stamps.to_numpy()[None, :] <= end)
        # A service listed twice in calendar.txt runs when any of its rows says so.
        np.logical_or.at(active, row[known], runs[known])
    exceptions = tables.get("calendar_dates")
    if exceptions is not None and len(exceptions):
        row = services.get_indexer(pd.Index(_column(exceptions, "service_id")))
        col = stamps.get_indexer(pd.DatetimeIndex(_dates(_column(exceptions, "date"))))
        kind = _column(exceptions, "exception_type").to_numpy()
        hit = (row >= 0) & (col >= 0)
        added = hit & (kind == "1")
        removed = hit & (kind == "2")
        active[row[added], col[added]] = True
        active[row[removed], col[removed]] = False
    return active


def _busiest(tables: dict[str, pd.DataFrame], days: Sequence[date]) -> date | None:
    """The day of ``days`` with the most trips running (the earliest on a tie); None: no trip
    runs on any of them."""
    if not days:
        return None
    trips = tables["trips"]
    services = pd.Index(_column(trips, "service_id").unique())
    per_service = _column(trips, "service_id").value_counts().reindex(services).to_numpy()
    running = per_service @ active_services(tables, services, days)
    if not running.any():
        return None
    return days[int(np.argmax(running))]


def busiest_tuesday(tables: dict[str, pd.DataFrame]) -> date | None:
    """The Tuesday within the feed's validity with the most trips running (earliest on a tie)."""
    span = _validity(tables)
    if span is None:
        return None
    first = span[0] + pd.Timedelta(days=(1 - span[0].weekday()) % 7)
    return _busiest(tables, [d.date() for d in pd.date_range(first, span[1], freq="7D")])


def busiest_day(tables: dict[str, pd.DataFrame]) -> date | None:
    """Any day within the feed's validity with the most trips running (earliest on a tie)."""
    span = _validity(tables)
    if span is None:
        return None
    return _busiest(tables, [d.date() for d in pd.date_range(span[0], span[1], freq="D")])


# --------------------------------------------------------------------------------------------
# modes and departures


def _seconds(times: pd.Series) -> pd.Series:
    """``H:MM:SS`` / ``HH:MM:SS`` (hours may pass 24) -> seconds; NaN when blank or malformed."""
    parts = times.astype(str).str.extract(r"^\s*(\d{1,3}):(\d{2}):(\d{2})\s*$").astype(float)
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def _route_ranks(tables: dict[str, pd.DataFrame]) -> tuple[pd.Index, np.ndarray]:
    """Per trip (index: trip_id): the rank of its route's mode (0 = unknown mode)."""
    routes = tables["routes"]
    route_rank = route_type_mode(_column(routes, "route_type")).map(MODE_RANK).fillna(0)
    route_index = pd.Index(_column(routes, "route_id"))
    trips = tables["trips"]
    trip_route = route_index.get_indexer(_column(trips, "route_id"))
    ranks = np.where(trip_route >= 0, route_rank.to_numpy()[np.maximum(trip_route, 0)], 0)
    return pd.Index(_column(trips, "trip_id")), ranks.astype(int)


def _timetable(
    tables: dict[str, pd.DataFrame], service_date: date
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per stop_id: best mode rank, route short names, departures per hour on ``service_date``."""
    st = tables["stop_times"]
    trips = tables["trips"]
    trip_ids, trip_rank = _route_ranks(tables)
    order = pd.DataFrame(
        {
            "trip": trip_ids.get_indexer(pd.Index(_column(st, "trip_id"))),
            "seq": pd.to_numeric(_column(st, "stop_sequence"), errors="coerce"),
            "stop_id": _column(st, "stop_id"),
            "pickup": _column(st, "pickup_type"),
        }
    )
    departure = _seconds(_column(st, "departure_time"))
    order["t"] = departure.fillna(_seconds(_column(st, "arrival_time")))
    order = order[order["trip"] >= 0].sort_values(["trip", "seq"], kind="stable")
    # Non-timepoints: interpolate by stop order. Every trip's first and last stop must carry a
    # time, so interpolating the sorted column never bridges two trips.
    order["t"] = order["t"].interpolate(limit_area="inside")
    last = order["trip"].to_numpy() != np.roll(order["trip"].to_numpy(), -1)
    if len(last):
        last[-1] = True
    order["last"] = last
    events = _expand_frequencies(tables, trip_ids, order)

    trip_rank_rows = trip_rank[order["trip"].to_numpy()]
    best = pd.Series(trip_rank_rows, index=order.index).groupby(order["stop_id"]).max()

    routes = tables["routes"]
    route_name = _column(routes, "route_short_name").where(
        _column(routes, "route_short_name") != "", _column(routes, "route_id")
    )
    route_index = pd.Index(_column(routes, "route_id"))
    trip_route = route_index.get_indexer(_column(trips, "route_id"))
    trip_name = np.where(trip_route >= 0, route_name.to_numpy()[np.maximum(trip_route, 0)], "")
    pairs = pd.DataFrame(
        {"stop_id": order["stop_id"].to_numpy(), "route": trip_name[order["trip"].to_numpy()]}
    ).drop_duplicates()
    names = pairs[pairs["route"] != ""].sort_values("route").groupby("stop_id")["route"].agg(list)

    services = pd.Index(_column(trips, "service_id").unique())
    trip_service = services.get_indexer(_column(trips, "service_id"))
    days = [service_date, service_date - timedelta(days=1)]
    active = active_services(tables, services, days)
    today = active[trip_service, 0][events["trip"].to_numpy()]
    before = active[trip_service, 1][events["trip"].to_numpy()]
    t = events["t"].to_numpy()
    start, end = WINDOW
    counted = (
        ~events["last"].to_numpy(dtype=bool)
        & (events["pickup"].to_numpy() != "1")
        & ((today & (t >= start) & (t < end)) | (before & (t - 86400 >= start) & (t - 86400 < end)))
    )
    departures = pd.Series(counted).groupby(events["stop_id"].to_numpy()).sum()
    # a stop served only by frequency trips outside the window still counts 0, not unknown
    departures = departures.reindex(best.index, fill_value=0)
    hours = (end - start) / 3600
    return best, names, departures / hours


def _expand_frequencies(
    tables: dict[str, pd.DataFrame], trip_ids: pd.Index, order: pd.DataFrame
) -> pd.DataFrame:
    """The stop events (trip, stop_id, pickup, t, last) with frequency trips expanded.

    A trip of ``frequencies.txt`` leaves its first stop at ``start_time + k x headway_secs``
    for every k with that time before ``end_time``; each stop keeps its ``stop_times`` offset
    from the first stop. One merge, no loop over trips.
    """
    columns = ["trip", "stop_id", "pickup", "t", "last"]
    freq = tables.get("frequencies")
    if freq is None or not len(freq):
        return order[columns]
    rows = pd.DataFrame(
        {
            "trip": trip_ids.get_indexer(pd.Index(_column(freq, "trip_id"))),
            "from": _seconds(_column(freq, "start_time")),
            "to": _seconds(_column(freq, "end_time")),
            "headway": pd.to_numeric(_column(freq, "headway_secs"), errors="coerce"),
        }
    )
    rows = rows[(rows["trip"] >= 0) & (rows["headway"] > 0) & (rows["to"] > rows["from"])]
    runs = np.ceil((rows["to"] - rows["from"]) / rows["headway"]).astype(int)
    rows = rows.loc[rows.index.repeat(runs)]
    k = rows.groupby(level=0).cumcount().to_numpy()
    starts = pd.DataFrame(
        {"trip": rows["trip"].to_numpy(), "start": rows["from"].to_numpy() + k * rows["headway"]}
    )
    timed = order.assign(offset=order["t"] - order.groupby("trip")["t"].transform("first"))
    expanded = timed[timed["trip"].isin(starts["trip"])].merge(starts, on="trip")
    expanded["t"] = expanded["start"] + expanded["offset"]
    fixed = timed[~timed["trip"].isin(starts["trip"])]
    return pd.concat([fixed[columns], expanded[columns]], ignore_index=True)


def _shape_modes(
    tables: dict[str, pd.DataFrame], points_rd: np.ndarray
) -> tuple[np.ndarray, list[list[str]]]:
    """Fallback: per stop, the rank of the route whose shape passes nearest within 30 m."""
    shapes = tables["shapes"]
    n = len(points_rd)
    if not {"shape_id", "shape_pt_lat", "shape_pt_lon"} <= set(shapes.columns):
        return np.zeros(n, dtype=int), [[] for _ in range(n)]
    frame = pd.DataFrame(
        {
            "shape_id": _column(shapes, "shape_id"),
            "seq": pd.to_numeric(_column(shapes, "shape_pt_sequence"), errors="coerce"),
            "lat": pd.to_numeric(_column(shapes, "shape_pt_lat"), errors="coerce"),
            "lon": pd.to_numeric(_column(shapes, "shape_pt_lon"), errors="coerce"),
        }
    ).dropna(subset=["lat", "lon"])
    frame = frame.sort_values(["shape_id", "seq"], kind="stable")
    frame = frame[frame.groupby("shape_id")["shape_id"].transform("size") >= 2]
    ids, index = np.unique(frame["shape_id"].to_numpy(), return_inverse=True)
    if not len(ids):
        return np.zeros(n, dtype=int), [[] for _ in range(n)]
    xy = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs=WGS84).to_crs(RD)
    lines = np.asarray(
        shapely.linestrings(shapely.get_coordinates(xy.to_numpy()), indices=index), dtype=object
    )
    _, trip_rank = _route_ranks(tables)
    trips = tables["trips"]
    shape_of_trip = pd.Index(ids).get_indexer(_column(trips, "shape_id"))
    has = shape_of_trip >= 0
    # A shape used by routes of several modes counts as the highest of them.
    shape_rank = np.zeros(len(ids), dtype=int)
    np.maximum.at(shape_rank, shape_of_trip[has], trip_rank[has])
    routes = tables["routes"]
    names = _column(routes, "route_short_name")
    trip_route = pd.Index(_column(routes, "route_id")).get_indexer(_column(trips, "route_id"))
    trip_name = np.where(trip_route >= 0, names.to_numpy()[np.maximum(trip_route, 0)], "")

    tree = shapely.STRtree(lines)
    stop_i, line_i = tree.query(points_rd, predicate="dwithin", distance=SHAPE_DISTANCE_M)
    ranks = np.zeros(n, dtype=int)
    nearby: list[list[str]] = [[] for _ in range(n)]
    if not len(stop_i):
        return ranks, nearby
    pairs = pd.DataFrame(
        {
            "stop": stop_i,
            "line": line_i,
            "dist": shapely.distance(points_rd[stop_i], lines[line_i]),
            "rank": shape_rank[line_i],
        }
    )
    nearest = pairs.sort_values(["stop", "dist", "rank"], ascending=[True, True, False])
    nearest = nearest.drop_duplicates("stop")
    ranks[nearest["stop"].to_numpy()] = nearest["rank"].to_numpy()
    route_pairs = pd.DataFrame(
        {"line": shape_of_trip[has], "route": trip_name[has]}
    ).drop_duplicates()
    route_pairs = route_pairs[route_pairs["route"] != ""]
    near_routes = (
        pairs[["stop", "line"]]
        .merge(route_pairs, on="line")
        .drop_duplicates(["stop", "route"])
        .sort_values("route")
        .groupby("stop")["route"]
        .agg(list)
    )
    for_stop = near_routes.reindex(range(n))
    nearby = [v if isinstance(v, list) else [] for v in for_stop.tolist()]
    return ranks, nearby


def read_gtfs(path: Path, *, service_date: date | None = None) -> GtfsStops:
    """The stops of the GTFS zip at ``path`` (see the module docstring). EPSG:4326."""
    tables = _read_tables(path)
    stops = tables["stops"]
    kind = _column(stops, "location_type")
    parents = stops.loc[kind == "1"]
    parent_names = pd.Series(
        _column(parents, "stop_name").to_numpy(), index=_column(parents, "stop_id").to_numpy()
    )
    parent_names = parent_names[~parent_names.index.duplicated()]
    own = stops.loc[kind.isin(["", "0"])].reset_index(drop=True)
    stop_id = _column(own, "stop_id")
    lat = pd.to_numeric(_column(own, "stop_lat"), errors="coerce")
    lon = pd.to_numeric(_column(own, "stop_lon"), errors="coerce")
    ok = lat.between(-90, 90) & lon.between(-180, 180) & ~((lat == 0) & (lon == 0))
    points = np.asarray(shapely.points(lon.fillna(0), lat.fillna(0)), dtype=object)
    points[~ok.to_numpy(dtype=bool)] = None
    parent = _column(own, "parent_station")
    frame = pd.DataFrame(
        {
            "stop_id": stop_id,
            "stop_code": _column(own, "stop_code"),
            "stop_name": _column(own, "stop_name"),
            "parent_station": parent,
            "parent_name": parent.map(parent_names),
            "wheelchair_boarding": _column(own, "wheelchair_boarding"),
            "platform_code": _column(own, "platform_code"),
        }
    )
    notes: list[str] = []
    has_stop_times = "stop_times" in tables
    when: date | None = None
    if has_stop_times:
        if "calendar" not in tables and "calendar_dates" not in tables:
            raise SourceFileError(
                f"cannot read {path}: neither calendar.txt nor calendar_dates.txt is in the feed"
            )
        when = service_date or busiest_tuesday(tables)
        if when is None and service_date is None:
            when = busiest_day(tables)
            if when is not None:
                notes.append(
                    f"{path.name}: no Tuesday with service in the feed's validity; departures"
                    f" per hour are counted on its busiest service day,"
                    f" {when.strftime('%A')} {when.isoformat()}"
                )
        if when is None:
            raise SourceFileError(f"cannot read {path}: the feed's calendar has no valid dates")
        if "frequencies" in tables and len(tables["frequencies"]):
            notes.append(
                f"{path.name}: {len(tables['frequencies'])} frequency-based trip periods"
                " (frequencies.txt) expanded into departures"
            )
        best, names, dph = _timetable(tables, when)
        rank = stop_id.map(best).fillna(0).astype(int)
        frame["routes"] = stop_id.map(names)
        served = stop_id.isin(best.index)
        frame["departures_per_hour"] = stop_id.map(dph).where(served)
        frame["mode"] = rank.map(RANK_MODE).where(served)
        mode_source = "stop_times"
        frame["service"] = None
    else:
        routes_modes = route_type_mode(_column(tables["routes"], "route_type")).dropna().unique()
        frame["departures_per_hour"] = np.nan
        frame["service"] = UNKNOWN_SERVICE
        notes.append(
            f"{path.name} has no stop_times.txt: departures per hour are unknown and routes"
            " cannot be linked to stops exactly"
        )
        if "shapes" in tables:
            rd = gpd.GeoSeries(points, crs=WGS84).to_crs(RD).to_numpy()
            safe = np.asarray(rd, dtype=object).copy()
            safe[pd.isna(safe)] = shapely.Point(0, 0)
            ranks, nearby = _shape_modes(tables, safe)
            ranks = np.where(ok, ranks, 0)
            frame["mode"] = pd.Series(ranks).map(RANK_MODE).fillna("unknown").to_numpy()
            frame["routes"] = pd.Series([r or None for r in nearby], dtype=object)
            mode_source = f"nearest route shape within {SHAPE_DISTANCE_M:.0f} m (approximate)"
            n_unknown = int((frame["mode"] == "unknown").sum())
            notes.append(
                f"the mode of each stop is that of the route shape passing nearest within"
                f" {SHAPE_DISTANCE_M:.0f} m (approximate); {n_unknown} stops have none: unknown"
            )
        elif len(routes_modes) == 1:
            frame["mode"] = routes_modes[0]
            frame["routes"] = None
            mode_source = "the feed's only mode"
        else:
            frame["mode"] = "unknown"
            frame["routes"] = None
            mode_source = "none (no stop_times.txt, no shapes.txt)"
            notes.append("without shapes.txt the mode of each stop is unknown")
    out = gpd.GeoDataFrame(frame, geometry=points, crs=WGS84)
    return GtfsStops(
        stops=out,
        has_stop_times=has_stop_times,
        service_date=when,
        mode_source=mode_source,
        notes=notes,
    )


def is_gtfs(path: Path) -> bool:
    """Whether ``path`` is a zip holding ``stops.txt`` (not a zipped shapefile or so)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(Path(n).name == "stops.txt" for n in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def stop_rows(feed: GtfsStops) -> gpd.GeoDataFrame:
    """The stops of a feed as ``poi`` rows in EPSG:28992 (metres): ``source_ref`` = stop_id,
    ``name``, ``category`` = the mode, ``props`` (stop_code, parent station, routes,
    ``departures_per_hour``, ``service_date``, ``mode_source``, ``service``)."""
    stops = feed.stops
    props = pd.DataFrame(
        {
            "stop_id": stops["stop_id"],
            "stop_code": stops["stop_code"],
            "parent_station": stops["parent_station"],
            "parent_name": stops["parent_name"],
            "platform_code": stops["platform_code"],
            "wheelchair_boarding": stops["wheelchair_boarding"],
            "routes": stops["routes"],
            "departures_per_hour": stops["departures_per_hour"].round(4),
            "service_date": (
                feed.service_date.isoformat() if feed.service_date is not None else None
            ),
            "mode_source": feed.mode_source,
            "service": stops["service"],
        }
    )
    if not feed.has_stop_times:
        # Without a timetable the routes are only those whose shapes pass near the stop.
        props = props.rename(columns={"routes": "routes_within_30m"})
    return gpd.GeoDataFrame(
        {
            "source_ref": stops["stop_id"].mask(stops["stop_id"] == ""),
            "name": stops["stop_name"].mask(stops["stop_name"] == ""),
            "category": stops["mode"],
            "props": plain_records(props, empty_as_none=True),
        },
        geometry=stops.geometry.to_crs(RD).to_numpy(),
        crs=RD,
    )


def service_fingerprint(service_date: date | None) -> str:
    """A GTFS pipeline's option in its run checksum: the service date, or the default rule."""
    return f"service_date={service_date.isoformat() if service_date else 'busiest-tuesday'}"
