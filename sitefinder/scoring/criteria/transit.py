"""Criterion ``transit``: walking distance to public transport, weighed by its service level.

Two raw distances per site, both straight-line metres (EPSG:28992): to the nearest local stop
(bus, tram, metro, ferry, or a stop whose list names no mode) and to the nearest railway
station. The stops come from every layer that declares one of those modes complete
(``layers.Layer.categories``: the GVB/NS stops, the HTM trams, the ferries, the Connexxion and
GOVI stop lists); the stations from every layer that declares ``rail`` (the national station
list, and the NS stations among the GVB/NS stops). Each mode is known where one of its layers
covers the site (a station list is national, a feed covers its own area); the value is the
better of the known modes, each valued on its walking distance and multiplied by its service
level: departures per hour where a timetable gives them, else, for a station, its class in
the national list (megastation and intercity > sneltrein > stoptrein), else 1 (unknown). A
site where no mode is known is missing; a known mode without any stop is a real 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from layers import with_category
from sitefinder.scoring.base import (
    Columns,
    Facts,
    LayerUse,
    Names,
    NDArray,
    Params,
    Raw,
    RawColumn,
    Row,
    Valued,
    nearest_fact,
    number,
    piecewise,
)
from sitefinder.scoring.criteria import coverage_column
from sitefinder.scoring.declaration import Criterion
from sitefinder.scoring.spatial import LayerIndex, Layers, Sites, nearest_columns

DPH = "departures_per_hour"
STATION_TYPE = "station_type"
LOCAL_MODES = ("bus", "tram", "metro", "ferry")


def _layers_of(*modes: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(layer.name for mode in modes for layer in with_category(mode)))


# Column prefix stop_<mode>_* -> the layers that hold that mode completely (catalogue order).
MODES: dict[str, tuple[str, ...]] = {"local": _layers_of(*LOCAL_MODES), "rail": _layers_of("rail")}
STOP_LAYERS = tuple(dict.fromkeys(name for names in MODES.values() for name in names))


def _modes(layers: Layers) -> tuple[LayerIndex | None, LayerIndex | None]:
    """Every loaded stop layer's features split into local stops and stations (once per data)."""

    def split() -> tuple[LayerIndex | None, LayerIndex | None]:
        found = []
        for mode in MODES:
            parts = []
            for name in MODES[mode]:
                index = layers.get(name)
                if index is not None:
                    rail = index.categories == "rail"
                    parts.append(index.subset(rail if mode == "rail" else ~rail))
            found.append(LayerIndex.joined(f"transit:{mode}", parts) if parts else None)
        return found[0], found[1]

    return layers.memo("transit.modes", split)


def compute(layers: Layers, sites: Sites) -> Columns:
    local, rail = _modes(layers)
    return {
        **nearest_columns("stop_local", local, sites, numbers={"dph": DPH}),
        **nearest_columns(
            "stop_rail", rail, sites, numbers={"dph": DPH}, texts={"class": STATION_TYPE}
        ),
    }


def _service(dph: NDArray, classes: Any, params: Params) -> NDArray:
    """Multiplier 0-1: departures per hour where known, else the station class, else 1."""
    import pandas as pd

    by_dph = piecewise(dph, *params.breakpoints("service_breakpoints"))
    table = {str(k): float(v) for k, v in params["station_classes"].items()}
    by_class = pd.Series(np.asarray(classes, dtype=object)).map(table).to_numpy(dtype=float)
    out: NDArray = np.where(np.isnan(dph), np.where(np.isnan(by_class), 1.0, by_class), by_dph)
    return out


def _mode_values(metres: NDArray, dph: NDArray, classes: Any, mode: str, params: Params) -> NDArray:
    """The mode's value 0-1 (NaN: no stop of the mode at all)."""
    walk = metres * params.detour_factor
    return piecewise(walk, *params.breakpoints(f"{mode}_breakpoints")) * _service(
        dph, classes, params
    )


def _known(raw: Raw, mode: str) -> NDArray:
    """Whether one of the mode's layers covers each site."""
    flags = [raw.bools(coverage_column(layer)) for layer in MODES[mode]]
    out: NDArray = np.logical_or.reduce(flags) if flags else np.zeros(len(raw), dtype=bool)
    return out


def value(raw: Raw, params: Params) -> Valued:
    found = []
    for mode in MODES:
        classes = raw.series(f"stop_{mode}_class").to_numpy(dtype=object)
        got = _mode_values(
            raw.floats(f"stop_{mode}_m"), raw.floats(f"stop_{mode}_dph"), classes, mode, params
        )
        # a known mode without any stop is a real 0; an unknown one does not count
        found.append(np.where(_known(raw, mode), np.nan_to_num(got, nan=0.0), np.nan))
    # fmax: an unknown mode does not hide the other
    return Valued(np.fmax(found[0], found[1]))


def _chosen(row: Row, params: Params) -> str | None:
    """The known mode that gave the value (the better; local on a tie), None: no stop."""
    best: tuple[float, str | None] = (-1.0, None)
    for mode, names in MODES.items():
        metres = number(row.get(f"stop_{mode}_m"))
        if metres is None or not any(bool(row.get(coverage_column(n)) or False) for n in names):
            continue
        dph = np.array([number(row.get(f"stop_{mode}_dph")) or np.nan])
        classes = np.array([row.get(f"stop_{mode}_class")], dtype=object)
        got = float(_mode_values(np.array([metres]), dph, classes, mode, params)[0])
        if got > best[0]:
            best = (got, mode)
    return best[1]


def reading(row: Row, params: Params) -> float | None:
    """Walking metres to the stop that gave the value."""
    mode = _chosen(row, params)
    metres = None if mode is None else number(row.get(f"stop_{mode}_m"))
    return None if metres is None else metres * params.detour_factor


def readings(raw: Raw, params: Params) -> NDArray:
    """``reading`` for many sites at once: walking metres to the stop of the known mode that
    gave the value (the better; local on a tie), NaN where no mode has a stop."""
    best = np.full(len(raw), -1.0)
    out = np.full(len(raw), np.nan)
    for mode in MODES:
        metres = raw.floats(f"stop_{mode}_m")
        classes = raw.series(f"stop_{mode}_class").to_numpy(dtype=object)
        got = _mode_values(metres, raw.floats(f"stop_{mode}_dph"), classes, mode, params)
        better = ~np.isnan(metres) & _known(raw, mode) & (got > best)
        best = np.where(better, got, best)
        out = np.where(better, metres * params.detour_factor, out)
    return out


def facts(row: Row, params: Params, names: Names) -> Facts:
    """The stop that gave the value: the ``nearest`` fact with its departures per hour, for a
    station its ``station_type``, and where the stop comes from (``source``, ``as_of``)."""
    mode = _chosen(row, params)
    if mode is None:
        return {"nearest": None}
    stop_id = row.get(f"stop_{mode}_id")
    nearest = nearest_fact(
        names,
        stop_id,
        row.get(f"stop_{mode}_m"),
        detour_factor=params.detour_factor,
        departures_per_hour=row.get(f"stop_{mode}_dph"),
    )
    if nearest is not None:
        found = names.get(str(stop_id), {})
        station_type = row.get(f"stop_{mode}_class")
        if isinstance(station_type, str):
            nearest["station_type"] = station_type
        nearest["source"] = found.get("source")
        nearest["as_of"] = found.get("as_of")
    return {"nearest": nearest}


def _columns(mode: str, what: str) -> tuple[RawColumn, ...]:
    return (
        RawColumn(f"stop_{mode}_id", "id", None, f"the nearest {what}"),
        RawColumn(f"stop_{mode}_m", "float", "m", f"straight-line distance to the nearest {what}"),
        RawColumn(f"stop_{mode}_dph", "float", "departures/h", f"its {DPH}; NULL: no timetable"),
    )


CRITERION = Criterion(
    name="transit",
    title_nl="Openbaar vervoer",
    title_en="Public transport",
    unit="m",
    order=10,
    columns=(
        *_columns("local", "bus, tram, metro or ferry stop"),
        *_columns("rail", "station"),
        RawColumn("stop_rail_class", "text", None, "the station's class in the national list"),
    ),
    reads=tuple(LayerUse(name, numbers=(DPH,), texts=(STATION_TYPE,)) for name in STOP_LAYERS),
    coverage=STOP_LAYERS,
    compute=compute,
    defaults={
        "weight": 0.30,
        # bus, tram, metro, ferry: a stop within 400 m walking is ideal, beyond 1500 m worthless
        "local_breakpoints": [[400.0, 1.0], [800.0, 0.6], [1500.0, 0.0]],
        # a railway station is worth walking further to
        "rail_breakpoints": [[800.0, 1.0], [1200.0, 0.8], [2000.0, 0.0]],
        # departures per hour at the stop -> multiplier; a feed without timetable counts as 1
        "service_breakpoints": [[0.0, 0.4], [4.0, 0.8], [8.0, 1.0]],
        # a station without timetable: its class in the national list (Rijden de Treinen)
        # -> multiplier, set to what service_breakpoints give the departures such a station
        # typically has: intercity stations 8+ an hour (1.0), sneltrein stations about 6
        # (0.9), a stoptrein halt about 4, two each way (0.8), an event-only station ~0 (0.4)
        "station_classes": {
            "megastation": 1.0,
            "knooppuntIntercitystation": 1.0,
            "intercitystation": 1.0,
            "knooppuntSneltreinstation": 0.9,
            "sneltreinstation": 0.9,
            "knooppuntStoptreinstation": 0.8,
            "stoptreinstation": 0.8,
            "facultatiefStation": 0.4,
        },
    },
    value=value,
    reading=reading,
    readings=readings,
    facts=facts,
    fact_keys=("nearest",),
)
