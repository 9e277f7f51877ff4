"""Criterion ``transit``: walking distance to public transport, weighed by its service level.

Two raw distances per site, both straight-line metres (EPSG:28992): to the nearest local stop
(bus, tram, metro, ferry) and to the nearest railway station, each with its departures per hour
when the feed has a timetable. The value is the better of the two modes, each valued on its
walking distance and multiplied by its service level (1 when the timetable is unknown).
"""

from __future__ import annotations

import numpy as np

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
from sitefinder.scoring.declaration import Criterion
from sitefinder.scoring.spatial import LayerIndex, Layers, Sites, nearest_columns

MODES = ("local", "rail")  # column prefixes stop_local_*, stop_rail_*
DPH = "departures_per_hour"


def _modes(layers: Layers) -> tuple[LayerIndex | None, LayerIndex | None]:
    """The stops layer split into local stops and railway stations (once per loaded data)."""
    stops = layers.get("stops")
    if stops is None:
        return None, None

    def split() -> tuple[LayerIndex, LayerIndex]:
        rail = stops.categories == "rail"
        return stops.subset(~rail), stops.subset(rail)

    return layers.memo("transit.modes", split)


def compute(layers: Layers, sites: Sites) -> Columns:
    columns: Columns = {}
    for mode, index in zip(MODES, _modes(layers), strict=True):
        columns |= nearest_columns(f"stop_{mode}", index, sites, numbers={"dph": DPH})
    return columns


def _service(dph: NDArray, params: Params) -> NDArray:
    """Departures per hour -> multiplier 0-1; a stop without timetable counts as 1."""
    out: NDArray = np.where(
        np.isnan(dph), 1.0, piecewise(dph, *params.breakpoints("service_breakpoints"))
    )
    return out


def _mode_values(metres: NDArray, dph: NDArray, mode: str, params: Params) -> NDArray:
    walk = metres * params.detour_factor
    return piecewise(walk, *params.breakpoints(f"{mode}_breakpoints")) * _service(dph, params)


def value(raw: Raw, params: Params) -> Valued:
    local, rail = (
        _mode_values(raw.floats(f"stop_{m}_m"), raw.floats(f"stop_{m}_dph"), m, params)
        for m in MODES
    )
    # fmax: a missing mode does not hide the other; covered but no stop at all: a real 0
    return Valued(np.nan_to_num(np.fmax(local, rail), nan=0.0))


def _chosen(row: Row, params: Params) -> str | None:
    """The mode that gave the value (the better one; local on a tie), None: no stop at all."""
    best: tuple[float, str | None] = (-1.0, None)
    for mode in MODES:
        metres = number(row.get(f"stop_{mode}_m"))
        if metres is None:
            continue
        dph = np.array([number(row.get(f"stop_{mode}_dph")) or np.nan])
        got = float(_mode_values(np.array([metres]), dph, mode, params)[0])
        if got > best[0]:
            best = (got, mode)
    return best[1]


def reading(row: Row, params: Params) -> float | None:
    """Walking metres to the stop that gave the value."""
    mode = _chosen(row, params)
    metres = None if mode is None else number(row.get(f"stop_{mode}_m"))
    return None if metres is None else metres * params.detour_factor


def facts(row: Row, params: Params, names: Names) -> Facts:
    mode = _chosen(row, params)
    if mode is None:
        return {"nearest": None}
    return {
        "nearest": nearest_fact(
            names,
            row.get(f"stop_{mode}_id"),
            row.get(f"stop_{mode}_m"),
            detour_factor=params.detour_factor,
            departures_per_hour=row.get(f"stop_{mode}_dph"),
        )
    }


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
    columns=(*_columns("local", "bus, tram, metro or ferry stop"), *_columns("rail", "station")),
    reads=(LayerUse("stops", numbers=(DPH,)),),
    coverage="stops",
    compute=compute,
    defaults={
        "weight": 0.30,
        # bus, tram, metro, ferry: a stop within 400 m walking is ideal, beyond 1500 m worthless
        "local_breakpoints": [[400.0, 1.0], [800.0, 0.6], [1500.0, 0.0]],
        # a railway station is worth walking further to
        "rail_breakpoints": [[800.0, 1.0], [1200.0, 0.8], [2000.0, 0.0]],
        # departures per hour at the stop -> multiplier; a feed without timetable counts as 1
        "service_breakpoints": [[0.0, 0.4], [4.0, 0.8], [8.0, 1.0]],
    },
    value=value,
    reading=reading,
    facts=facts,
    fact_keys=("nearest",),
)
