"""Criteria that follow a common pattern, declared with one call.

``walking_to_nearest``: the straight-line distance (metres, EPSG:28992) from every site to the
nearest feature of one layer, valued on the walking distance (x the profile's detour factor)
with piecewise-linear breakpoints; 0 when the layer has no feature at all, missing outside the
layer's coverage. Care nearby and the supermarket are this pattern; so can a new criterion be.

``walking_to_nearest_of``: the same for the features of one *category* (GPs, primary schools)
in every layer that declares it holds that category completely (``layers.Layer.categories``):
the nearest among all of them, missing outside all of their coverage. A category no layer
holds cannot be declared, so a criterion never reads "no data" as "none nearby".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layers import with_category
from sitefinder.scoring.base import (
    Columns,
    Facts,
    LayerUse,
    Names,
    Params,
    Raw,
    RawColumn,
    Row,
    Valued,
    nearest_fact,
    number,
    walking_value,
)
from sitefinder.scoring.declaration import Criterion
from sitefinder.scoring.spatial import LayerIndex, Layers, Sites, nearest_columns


def walking_to_nearest(
    *,
    name: str,
    layer: str,
    prefix: str,
    title_nl: str,
    title_en: str,
    what: str,
    weight: float,
    breakpoints: list[list[float]],
    order: int = 100,
) -> Criterion:
    """A criterion on the walking distance to the nearest feature of ``layer``.

    Raw columns ``<prefix>_id`` (the feature) and ``<prefix>_m`` (straight-line metres); facts
    ``nearest``; ``breakpoints`` are ``[walking metres, value]`` pairs.
    """

    def compute(layers: Layers, sites: Sites) -> Columns:
        return nearest_columns(prefix, layers.get(layer), sites)

    return _walking(
        name=name,
        prefix=prefix,
        reads=(LayerUse(layer),),
        compute=compute,
        title_nl=title_nl,
        title_en=title_en,
        what=what,
        weight=weight,
        breakpoints=breakpoints,
        order=order,
    )


def walking_to_nearest_of(
    *,
    name: str,
    category: str,
    prefix: str,
    title_nl: str,
    title_en: str,
    what: str,
    weight: float,
    breakpoints: list[list[float]],
    order: int = 100,
) -> Criterion:
    """A criterion on the walking distance to the nearest feature of ``category``, over every
    layer that holds the category completely; raw columns and facts as
    :func:`walking_to_nearest`."""
    holders = tuple(layer.name for layer in with_category(category))
    if not holders:
        raise ValueError(f"criterion '{name}': no layer declares the category '{category}'")

    def compute(layers: Layers, sites: Sites) -> Columns:
        def gather() -> LayerIndex | None:
            parts = [
                index.subset(index.categories == category)
                for index in (layers.get(holder) for holder in holders)
                if index is not None
            ]
            return LayerIndex.joined(f"{name}:{category}", parts) if parts else None

        return nearest_columns(prefix, layers.memo(("category", category), gather), sites)

    return _walking(
        name=name,
        prefix=prefix,
        reads=tuple(LayerUse(holder) for holder in holders),
        compute=compute,
        title_nl=title_nl,
        title_en=title_en,
        what=what,
        weight=weight,
        breakpoints=breakpoints,
        order=order,
    )


def _walking(
    *,
    name: str,
    prefix: str,
    reads: tuple[LayerUse, ...],
    compute: Callable[[Layers, Sites], Columns],
    title_nl: str,
    title_en: str,
    what: str,
    weight: float,
    breakpoints: list[list[float]],
    order: int,
) -> Criterion:
    """The declaration both walking patterns share; missing outside every layer it reads."""

    def value(raw: Raw, params: Params) -> Valued:
        return Valued(walking_value(raw.floats(f"{prefix}_m"), params))

    def reading(row: Row, params: Params) -> float | None:
        metres = number(row.get(f"{prefix}_m"))
        return None if metres is None else metres * params.detour_factor

    def facts(row: Row, params: Params, names: Names) -> Facts:
        nearest: Any = nearest_fact(
            names,
            row.get(f"{prefix}_id"),
            row.get(f"{prefix}_m"),
            detour_factor=params.detour_factor,
        )
        return {"nearest": nearest}

    return Criterion(
        name=name,
        title_nl=title_nl,
        title_en=title_en,
        unit="m",
        order=order,
        columns=(
            RawColumn(f"{prefix}_id", "id", None, f"the nearest {what}"),
            RawColumn(f"{prefix}_m", "float", "m", f"straight-line distance to the nearest {what}"),
        ),
        reads=reads,
        coverage=tuple(use.layer for use in reads),
        compute=compute,
        defaults={"weight": weight, "breakpoints": breakpoints},
        value=value,
        reading=reading,
        facts=facts,
        fact_keys=("nearest",),
    )
