"""The criterion catalogue: one module per criterion in this package, each declaring ``CRITERION``.

A module may instead declare ``DERIVED``: raw columns derived for every site that are stored
but not weighted (the gemeente). Engine, compute, explain, the API and the bench read the
criteria only from here; so do the ``site_raw`` columns, the layers loaded for scoring and the
groups that ``sitefinder score`` recomputes when a layer is reloaded.

A criterion defined elsewhere (a plug-in, a test) joins with ``register`` (or, for a while,
``registered``) and is then treated exactly like the modules of this package.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from types import MappingProxyType

from layers import catalogue as layer_catalogue
from sitefinder.scoring.base import LayerUse, RawColumn
from sitefinder.scoring.declaration import Criterion, Declaration

_registered: dict[str, Declaration] = {}


@lru_cache(maxsize=1)
def _modules() -> tuple[Declaration, ...]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for attribute in ("CRITERION", "DERIVED"):
            declaration = getattr(module, attribute, None)
            if isinstance(declaration, Declaration):
                found.append(declaration)
    return tuple(found)


@lru_cache(maxsize=1)
def _ordered() -> tuple[Declaration, ...]:
    everything = sorted((*_modules(), *_registered.values()), key=lambda d: (d.order, d.name))
    names: set[str] = set()
    columns: set[str] = set()
    for declaration in everything:
        if declaration.name in names:
            raise ValueError(f"criterion '{declaration.name}' is declared twice")
        names.add(declaration.name)
        unknown = [name for name in declaration.layer_names if name not in layer_catalogue()]
        if unknown:
            raise ValueError(f"criterion '{declaration.name}' reads unknown layers {unknown}")
        for column in declaration.columns:
            if column.name in columns or column.name.startswith("cov_"):
                raise ValueError(
                    f"criterion '{declaration.name}': raw column '{column.name}' is taken"
                )
            columns.add(column.name)
    return tuple(everything)


def declarations() -> tuple[Declaration, ...]:
    """Every declaration (derived columns and criteria), in catalogue order."""
    return _ordered()


@lru_cache(maxsize=1)
def catalogue() -> Mapping[str, Criterion]:
    """The criteria by name, in catalogue order (``order``, then name); read-only."""
    return MappingProxyType({d.name: d for d in _ordered() if isinstance(d, Criterion)})


def _changed() -> None:
    """Forget everything derived from the catalogue (a declaration joined or left)."""
    for cached in (_ordered, catalogue, coverage_layers, raw_columns, groups):
        cached.cache_clear()


def register(declaration: Declaration) -> None:
    """Add a criterion (or derived columns) declared outside this package to the catalogue."""
    if declaration.name in _registered or any(d.name == declaration.name for d in _modules()):
        raise ValueError(f"criterion '{declaration.name}' is already in the catalogue")
    _registered[declaration.name] = declaration
    _changed()
    try:
        _ordered()
    except ValueError:
        unregister(declaration.name)
        raise


def unregister(name: str) -> None:
    """Remove a criterion added with ``register``."""
    _registered.pop(name, None)
    _changed()


@contextmanager
def registered(*added: Declaration) -> Iterator[None]:
    """The catalogue with ``added`` for the duration of a ``with`` block."""
    done: list[str] = []
    try:
        for declaration in added:
            register(declaration)
            done.append(declaration.name)
        yield
    finally:
        for name in done:
            unregister(name)


def coverage_column(layer: str) -> str:
    """The ``site_raw`` column saying whether a site lies in ``layer``'s coverage."""
    return f"cov_{layer}"


@lru_cache(maxsize=64)
def coverage_layers(group: str | None = None) -> tuple[str, ...]:
    """The layers whose coverage decides 'missing' for some criterion (of ``group``)."""
    return tuple(
        dict.fromkeys(
            layer
            for c in catalogue().values()
            if group is None or c.group == group
            for layer in c.coverage_layers
        )
    )


@lru_cache(maxsize=1)
def raw_columns() -> tuple[RawColumn, ...]:
    """Every ``site_raw`` column besides ``site_id`` and ``computed_at``, in catalogue order:
    the declared columns, then one boolean coverage column per coverage layer."""
    declared = [column for d in _ordered() for column in d.columns]
    coverage = [
        RawColumn(coverage_column(layer), "bool", None, f"the site lies in {layer}'s coverage")
        for layer in coverage_layers()
    ]
    return (*declared, *coverage)


@lru_cache(maxsize=1)
def groups() -> Mapping[str, tuple[Declaration, ...]]:
    """The declarations that read layers, grouped by the layer whose reload recomputes them.

    Declarations that read no layer (the size of a site) depend on the sites only and are
    recomputed whenever every site is.
    """
    out: dict[str, tuple[Declaration, ...]] = {}
    for declaration in _ordered():
        if declaration.group:
            out[declaration.group] = (*out.get(declaration.group, ()), declaration)
    return MappingProxyType(out)


def layer_uses() -> list[LayerUse]:
    """How the declarations read their layers."""
    return [use for d in _ordered() for use in d.reads]


def layer_names() -> list[str]:
    """Every layer some declaration reads (what scoring depends on)."""
    return list(dict.fromkeys(use.layer for use in layer_uses()))
