"""The layer catalogue: one module per layer in this package, each declaring ``LAYER``.

The API's ``/api/layers``, the map's layer list and the ETL's target tables all come from here.
Identifiers used in SQL (table names) come only from these declarations.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from sitefinder.core.errors import UnknownLayerError

Kind = Literal["site", "criterion", "constraint", "boundary", "reference", "table"]
Table = Literal["site", "poi", "area", "gemeente_region"]
Coverage = Literal["national", "hull", "union", "gemeenten"]
Shape = Literal["square", "triangle", "circle", "diamond"]
MIN_PLACES = 1  # a candidate has room for at least one place unless its kind says more


@dataclass(frozen=True)
class SiteKind:
    """One kind of candidate site, declared once, on the site layer that loads it.

    ``code`` is what ``site.kind`` holds and what the API's ``kind`` filter takes; the page
    draws the kind's markers with ``shape`` and its legend and filter from the titles.
    ``min_places``: the fewest places a site of this kind needs to be a candidate; a smaller
    one is excluded by the ``size`` criterion ("too small"), which a profile may change.
    ``m2_per_place``: where a site's places are not given, one place per this many m² of its
    area (floor area of a building, ground area of a parcel); None where the kind has no rule.
    """

    code: str
    title_nl: str
    title_en: str
    plural_nl: str
    plural_en: str
    shape: Shape
    colour: str  # outline of the kind's symbol in the legend (CSS colour)
    min_places: int = MIN_PLACES
    m2_per_place: float | None = None

    def public(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": {"nl": self.title_nl, "en": self.title_en},
            "plural": {"nl": self.plural_nl, "en": self.plural_en},
            "shape": self.shape,
            "colour": self.colour,
            "min_places": self.min_places,
        }


@dataclass(frozen=True)
class Layer:
    """One map/data layer.

    ``coverage`` says where the layer has data: ``national`` (all of the Netherlands), ``hull``
    (the convex hull of its features grown by ``coverage_buffer_m`` metres, EPSG:28992),
    ``union`` (the union of its features grown by ``coverage_buffer_m``) or ``gemeenten`` (the
    polygons of the loaded ``gemeenten`` layer whose every record loaded: a gemeente with a
    record in quarantine, or with none in the input, is not covered; each record names its
    gemeente in ``props.gemeentecode``). Outside its coverage a criterion based on the layer is
    *missing*, not zero.

    ``categories`` are the feature categories the layer holds *completely* inside its coverage
    (``rail`` for the national station list; ``bus`` for a bus operator's stop list; ``gp``,
    ``pharmacy``, ... for an OSM extract): a criterion about one category reads every layer
    that names it, and is missing outside all of their coverage. A layer that holds a
    category only in part (the care layer's copied OSM GPs) does not name it.

    Kind ``table`` is a layer without geometry (``geometry_type`` ``"None"``): rows the API
    joins (the regions of every gemeente), not drawn on the map.

    ``partitioned_by`` (e.g. ``"plan"``) declares the layer as the union of partitions: every
    record carries a partition key (the reader's ``partition_key`` column: for zoning the IMRO
    plan id without its version), and a load replaces only the partitions present in its
    input, keeping all others (``sitefinder etl run LAYER --replace`` replaces them all).
    Empty: a load replaces the whole layer.

    ``pickable``: an owner can take one of its features (a BRK parcel, a building) as their own
    site by clicking it on the map (``GET /api/layers/{name}/at``, the page's "Aanwijzen").
    """

    name: str
    title_nl: str
    title_en: str
    kind: Kind
    table: Table
    geometry_type: str
    source: str  # the etl module that loads it
    coverage: Coverage = "national"
    coverage_buffer_m: float = 0.0
    partitioned_by: str = ""  # what a partition is ("plan"); empty: not partitioned
    categories: tuple[str, ...] = ()
    site_kind: SiteKind | None = None  # for kind == "site": the kind of site it loads
    style: dict[str, Any] = field(default_factory=dict)
    simplify_m: float = 0.0  # tolerance (metres, RD) when served to the map
    visible: bool = False  # shown when the map opens
    pickable: bool = False  # an owner can click one of its features to take it as their site
    description_nl: str = ""
    description_en: str = ""

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": {"nl": self.title_nl, "en": self.title_en},
            "description": {"nl": self.description_nl, "en": self.description_en},
            "kind": self.kind,
            "geometry_type": self.geometry_type,
            "source": self.source,
            "coverage": self.coverage,
            "categories": list(self.categories),
            "site_kind": self.site_kind.public() if self.site_kind else None,
            "style": self.style,
            "visible": self.visible,
            "pickable": self.pickable,
        }


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Layer]:
    """All declared layers by name, in declaration-module order."""
    layers: dict[str, Layer] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        layer = getattr(module, "LAYER", None)
        if isinstance(layer, Layer):
            layers[layer.name] = layer
    return layers


def get_layer(name: str) -> Layer:
    try:
        return catalogue()[name]
    except KeyError:
        known = ", ".join(sorted(catalogue()))
        raise UnknownLayerError(f"Unknown layer '{name}'. Known layers: {known}") from None


def site_layers() -> list[Layer]:
    return [layer for layer in catalogue().values() if layer.kind == "site"]


def with_category(category: str) -> list[Layer]:
    """The layers that hold ``category`` completely inside their coverage, in catalogue order."""
    return [layer for layer in catalogue().values() if category in layer.categories]


def m2_per_place(name: str) -> float:
    """The m² of area per place of the site layer ``name``'s kind (its ``m2_per_place``)."""
    kind = get_layer(name).site_kind
    if kind is None or kind.m2_per_place is None:
        raise UnknownLayerError(f"layer {name!r} declares no m² per place")
    return kind.m2_per_place


def site_kinds() -> dict[str, SiteKind]:
    """Every declared kind of site by code, in catalogue order."""
    return {layer.site_kind.code: layer.site_kind for layer in site_layers() if layer.site_kind}
