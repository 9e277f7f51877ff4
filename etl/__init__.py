"""ETL: one module per source, each exposing ``PIPELINE`` (a :class:`etl.declarations.Pipeline`).

The layer declarations in ``layers/`` name the module that loads each layer; adding a source is
adding one module here and one declaration there. The framework that runs every pipeline the
same way is in parts, each one concern: :mod:`etl.declarations` (what a pipeline and an online
source declare), :mod:`etl.inputs` (which files a run reads; downloads), :mod:`etl.validation`
(quarantine and repair) and :mod:`etl.loading` (staging, coverage, the run record in
:mod:`etl.runs`, the swap of the layer's table partition in :mod:`etl.swap`). Below them: the
online services (:mod:`etl.ogcapi`, :mod:`etl.download`, :mod:`etl.overpass`,
:mod:`etl.ruimtelijkeplannen`, :mod:`etl.pdok_download`) and the readers of formats
(:mod:`etl.gml`, :mod:`etl.readers`, :mod:`etl.gtfs`, :mod:`etl.lvbag`, :mod:`etl.osm` …).
``pyproject.toml`` states this order for ``lint-imports``.
"""

from __future__ import annotations

import importlib
from graphlib import TopologicalSorter

from etl.declarations import Pipeline
from layers import catalogue, get_layer
from sitefinder.core.settings import Settings, get_settings


def pipeline_class(layer_name: str) -> type[Pipeline]:
    """The :class:`Pipeline` subclass of the module ``layers`` names for ``layer_name``."""
    module = importlib.import_module(get_layer(layer_name).source)
    found: type[Pipeline] = module.PIPELINE
    return found


def get_pipeline(layer_name: str, settings: Settings | None = None) -> Pipeline:
    """The pipeline that loads ``layer_name``, with the options ``settings`` holds for it
    (the GTFS service date, a constraint category; default: the process's settings)."""
    return pipeline_class(layer_name).from_settings(settings or get_settings())


def run_order(names: list[str] | None = None) -> list[str]:
    """Layers in dependency order (a layer after the layers its pipeline reads from the db)."""
    wanted = names or list(catalogue())
    graph = {name: set(pipeline_class(name).upstream()) for name in wanted}
    if names is None:
        return list(TopologicalSorter(graph).static_order())
    return [n for n in TopologicalSorter(graph).static_order() if n in wanted]
