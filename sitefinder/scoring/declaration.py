"""A criterion is one declaration: ``Criterion`` (weighted) or ``Declaration`` (derived columns).

Every module of ``sitefinder/scoring/criteria/`` builds one of these; the catalogue, compute,
engine, explain, the API and the bench read nothing else about a criterion. Geometry handed to a
``compute`` function is EPSG:28992 (metres).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sitefinder.scoring.base import (
    IDENTIFIER,
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
)
from sitefinder.scoring.spatial import Layers, Sites


@dataclass(frozen=True, kw_only=True)
class Declaration:
    """Raw columns derived for every site, e.g. the gemeente: computed and stored, not weighted.

    ``compute`` gets the layers in memory and all sites and returns every column of
    ``columns`` for all sites at once (one vectorised call, never a loop over sites).
    ``reads`` are the layers it needs; a reload of the first one (or of any, for ``group``)
    recomputes the declaration's ``group`` only. ``order`` places it in the catalogue.
    """

    name: str
    columns: tuple[RawColumn, ...]
    compute: Callable[[Layers, Sites], Columns]
    reads: tuple[LayerUse, ...] = ()
    group: str = ""  # default: the first layer read; "" with no layers: only on a full run
    order: int = 100

    def __post_init__(self) -> None:
        if not IDENTIFIER.match(self.name):
            raise ValueError(f"criterion '{self.name}': lower case letters, digits and _ only")
        if not self.group and self.reads:
            object.__setattr__(self, "group", self.reads[0].layer)

    @property
    def layer_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(use.layer for use in self.reads))


def _nothing(row: Row, params: Params) -> Any:
    return None


@dataclass(frozen=True, kw_only=True)
class Criterion(Declaration):
    """One criterion, the only place it is described.

    Besides its raw columns (``Declaration``): ``coverage``, the layer whose coverage decides
    that the criterion is *missing* (no data here), or several layers (missing outside all of
    them: the stop layers of every feed, the station list), each one the criterion reads;
    ``defaults``, its parameters (always a ``weight``; breakpoints, classes, ...) that a profile
    may change; ``value``, the vectorised value function (0-1, NaN: no value) with the sites it
    excludes; ``reading``, the raw value (in ``unit``) the value function read for one site;
    ``facts``, the explanation of one site as facts (see FACTS.md: numbers, names, codes,
    units, no sentences) with the keys ``fact_keys``.
    """

    title_nl: str
    title_en: str
    unit: str  # of ``reading``
    value: Callable[[Raw, Params], Valued]
    facts: Callable[[Row, Params, Names], Facts]
    fact_keys: tuple[str, ...]
    defaults: Mapping[str, Any] = field(default_factory=lambda: {"weight": 0.0})
    coverage: str | tuple[str, ...] | None = None
    reading: Callable[[Row, Params], Any] = _nothing
    # the same raw values for many sites at once (one vectorised call; NaN: none), for a
    # criterion whose ``reading`` is too slow to call once per site in an export of 100,000
    readings: Callable[[Raw, Params], NDArray] | None = None
    constraint: bool = False  # only excludes (or penalises); weight 0 by default

    def __post_init__(self) -> None:
        super().__post_init__()
        if "weight" not in self.defaults:
            raise ValueError(f"criterion '{self.name}': defaults need a weight")
        outside = [layer for layer in self.coverage_layers if layer not in self.layer_names]
        if outside:
            raise ValueError(
                f"criterion '{self.name}': coverage layers {outside} must be layers it reads"
                " (recomputed together)"
            )

    @property
    def coverage_layers(self) -> tuple[str, ...]:
        """The layers whose coverage decides 'missing': none, one, or several."""
        if self.coverage is None:
            return ()
        return (self.coverage,) if isinstance(self.coverage, str) else tuple(self.coverage)

    def public(self) -> dict[str, Any]:
        """What ``GET /api/profiles`` says about the criterion (titles, unit, fact keys)."""
        return {
            "name": self.name,
            "title": {"nl": self.title_nl, "en": self.title_en},
            "unit": self.unit,
            "constraint": self.constraint,
            "facts": list(self.fact_keys),
        }
