"""The parts a criterion declaration is made of: raw columns, layer uses, parameters, values, facts.

The bottom of the scoring package (``declaration.py`` assembles these into a ``Criterion``).
Distances in raw columns are straight-line metres in EPSG:28992.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:  # imported where used: the API starts without them (issue 14)
    import pandas as pd

NDArray = np.ndarray[Any, Any]
Columns = dict[str, NDArray]  # raw column name -> one value per site
Row = Mapping[str, Any]  # one site's raw columns
Names = Mapping[str, Mapping[str, Any]]  # feature id -> {name, category, code}
Facts = dict[str, Any]

# The types a raw column can have. "id" is a feature id (poi or area) whose name an explanation
# looks up; "ids" a list of them (PostgreSQL text[]); "texts" a list of plain texts (text[]).
ColumnType = Literal["float", "int", "bool", "text", "id", "ids", "texts"]
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class Steps:
    """Seconds of the steps of a run, each from the end of the one before: ``step = Steps(
    into)``, then ``step("read")`` after reading; ``progress`` is told each step's name."""

    def __init__(
        self, into: dict[str, float], progress: Callable[[str], None] | None = None
    ) -> None:
        import time

        self._clock = time.perf_counter
        self.seconds, self._progress, self._t0 = into, progress, self._clock()

    def __call__(self, name: str) -> None:
        now = self._clock()
        self.seconds[name] = round(now - self._t0, 3)
        self._t0 = now
        if self._progress:
            self._progress(name)


@dataclass(frozen=True)
class RawColumn:
    """One column of ``site_raw``: profile-independent, computed for every site at once."""

    name: str
    type: ColumnType
    unit: str | None = None  # "m" (straight-line metres, EPSG:28992), "count", "departures/h"
    description: str = ""
    # A search within a radius (metres): a distance searched only this far (NULL: nothing
    # within it) or a count within it; None: a nearest search without limit, or no search.
    # The partitioned run (``scoring.partitioned``) needs it to know when a partition's
    # neighbourhood holds the whole answer.
    reach_m: float | None = None

    def __post_init__(self) -> None:
        if not IDENTIFIER.match(self.name):
            raise ValueError(f"raw column '{self.name}': lower case letters, digits and _ only")


@dataclass(frozen=True)
class LayerUse:
    """How a declaration reads one layer into memory.

    ``parts``: large polygons cut into parts of a few vertices (``ST_Subdivide``), which keep
    the id of their feature; right for distances and point-in-polygon, wrong for counting
    features. ``numbers``: numeric ``props`` keys read along (e.g. ``departures_per_hour``);
    ``texts``: text ``props`` keys read along (e.g. a zoning plan's ``planstatus``, a station's
    ``station_type``).
    """

    layer: str
    parts: bool = False
    numbers: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Valued:
    """A criterion's values 0-1 for many sites (NaN: no value) and whom it excludes."""

    values: NDArray
    excluded: NDArray | None = None


class Raw:
    """The raw columns of many sites (a ``site_raw`` frame) read as numpy arrays.

    A column the frame lacks (a criterion added since the last ``sitefinder score``) reads as
    unknown everywhere: NaN, False or None.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def __len__(self) -> int:
        return len(self.frame)

    def floats(self, name: str) -> NDArray:
        if name not in self.frame:
            return np.full(len(self.frame), np.nan)
        out: NDArray = self.frame[name].to_numpy(dtype=float, na_value=np.nan)
        return out

    def bools(self, name: str) -> NDArray:
        if name not in self.frame:
            return np.zeros(len(self.frame), dtype=bool)
        column = self.frame[name]
        if column.dtype == bool:  # the usual case: no NULL, and no scan for one
            flags: NDArray = column.to_numpy()
            return flags
        out: NDArray = column.to_numpy(dtype=bool, na_value=False)
        return out

    def series(self, name: str) -> pd.Series:
        import pandas as pd

        if name not in self.frame:
            return pd.Series([None] * len(self.frame), index=self.frame.index, dtype=object)
        return self.frame[name]


@dataclass(frozen=True)
class Params:
    """A criterion's parameters in one profile: its declared defaults with the profile's changes.

    ``detour_factor`` is the profile's walking distance per straight-line metre.
    """

    values: Mapping[str, Any]
    detour_factor: float

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    @property
    def weight(self) -> float:
        return float(self.values.get("weight", 0.0))

    def breakpoints(self, key: str = "breakpoints") -> tuple[NDArray, NDArray]:
        """``[[raw, value], ...]`` as two arrays (raw ascending, values 0-1)."""
        pairs = self.values[key]
        xs = np.array([float(x) for x, _ in pairs])
        ys = np.array([float(y) for _, y in pairs])
        return xs, ys


def piecewise(x: NDArray | float, xs: NDArray, ys: NDArray) -> NDArray:
    """Piecewise-linear value function, constant outside the breakpoints; NaN stays NaN."""
    arr = np.asarray(x, dtype=float)
    out: NDArray = np.interp(arr, xs, ys) + arr * 0.0  # + x * 0 keeps NaN as NaN
    return out


def walking_value(metres: NDArray, params: Params, key: str = "breakpoints") -> NDArray:
    """Value of straight-line ``metres`` walked (x the detour factor); no feature at all: 0."""
    value = piecewise(metres * params.detour_factor, *params.breakpoints(key))
    out: NDArray = np.nan_to_num(value, nan=0.0)
    return out


def _unknown(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and bool(np.isnan(value)))


def number(value: Any) -> float | None:
    """A raw value as a plain float, None when unknown (NULL or NaN)."""
    return None if _unknown(value) else float(value)


def id_list(value: Any) -> list[str]:
    """Feature ids as a list, from a list or a PostgreSQL array literal; [] for none."""
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    if isinstance(value, str) and value.startswith("{") and len(value) > 2:
        return [part.strip().strip('"') for part in value[1:-1].split(",")]
    return []


def text_list(value: Any) -> list[str]:
    """Texts as a list, from a list or a PostgreSQL text[] literal (quoted elements may hold
    commas, ``\\"`` and ``\\\\``); [] for none."""
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    if not isinstance(value, str) or not value.startswith("{") or len(value) <= 2:
        return []
    row = next(csv.reader([value[1:-1]], quotechar='"', escapechar="\\", doublequote=False))
    return [str(v) for v in row]


def feature(names: Names, feature_id: Any, *keys: str) -> dict[str, Any] | None:
    """``{"id", "name", ...keys}`` of a feature a site's raw columns point at; None: none."""
    if not isinstance(feature_id, str):
        return None
    found = names.get(feature_id, {})
    return {"id": feature_id, "name": found.get("name"), **{k: found.get(k) for k in keys}}


def nearest_fact(
    names: Names,
    feature_id: Any,
    distance_m: Any,
    *,
    detour_factor: float | None = None,
    departures_per_hour: Any = ...,
) -> dict[str, Any] | None:
    """The ``nearest`` fact: id, name, category, walking and straight-line metres (rounded).

    ``walk_m`` (straight line x ``detour_factor``) only when a factor is given;
    ``departures_per_hour`` only when given (None: the timetable is unknown).
    """
    found = feature(names, feature_id, "category")
    metres = number(distance_m)
    if found is None or metres is None:
        return None
    if detour_factor is not None:
        found["walk_m"] = round(metres * detour_factor)
    found["distance_m"] = round(metres)
    if departures_per_hour is not ...:
        dph = number(departures_per_hour)
        found["departures_per_hour"] = None if dph is None else round(dph, 1)
    return found
