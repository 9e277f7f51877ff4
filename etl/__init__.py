"""ETL: one module per source, each exposing ``PIPELINE`` (a :class:`etl.framework.Pipeline`).

The layer declarations in ``layers/`` name the module that loads each layer; adding a source is
adding one module here and one declaration there.
"""

from __future__ import annotations

import importlib
from graphlib import TopologicalSorter

from etl.framework import Pipeline
from layers import catalogue, get_layer


def get_pipeline(layer_name: str) -> Pipeline:
    layer = get_layer(layer_name)
    module = importlib.import_module(layer.source)
    pipeline: Pipeline = module.PIPELINE()
    return pipeline


def run_order(names: list[str] | None = None) -> list[str]:
    """Layers in dependency order (a layer after the layers its pipeline reads from the db)."""
    wanted = names or list(catalogue())
    graph = {name: set(get_pipeline(name).depends_on) for name in wanted}
    if names is None:
        return list(TopologicalSorter(graph).static_order())
    return [n for n in TopologicalSorter(graph).static_order() if n in wanted]
