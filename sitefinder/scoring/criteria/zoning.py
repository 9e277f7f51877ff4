"""Criterion ``zoning``: the zoning that applies at the site, and the overlays that burden it.

Layer ``zoning`` is the union of many IMRO plans (``etl/imro_zoning.py``): per plan its main
zoning (Enkelbestemming; a beheersverordening's Besluitvlak), props ``zoning_role`` =
``bestemming``, and its overlays (Dubbelbestemming, Gebiedsaanduiding, Besluitsubvlak),
``overlay``. Everything is decided at the site's point on surface (EPSG:28992).

**Plan priority.** Where the main zoning of several plans holds the point, the plan in force
decides, by :func:`priority_order`: the higher planstatus (``onherroepelijk`` and
``geconsolideerd`` > ``vastgesteld`` > ``ontwerp`` > ``voorontwerp`` > ``concept`` > unknown;
a ``vervallen`` or ``afgebroken`` plan never decides), then the newer plan date (unknown:
oldest), and only when both are equal the higher plan id (of two versions of one plan, the
later) and then the lower object id, so that the choice is repeatable. Its class
(bestemmingshoofdgroep) is valued by a class table; some classes (nature, water, forest)
exclude the site. Inside the plans' coverage but under no main zoning the value is unknown
(missing), not zero.

**Overlays.** The overlays at the point count when they belong to the deciding plan or to a
plan that has no main zoning there (a paraplu plan adds rules to the plan in force; the
overlays of a plan that lost the priority do not apply). Each has a factor, by
:func:`overlay_factor`: the smallest factor of the ``overlays`` keywords its name contains
(``archeolog`` 0.9, ``waterkering`` 0.5, ``hoogspanning`` 0.3, ...), else the factor of its
group (bestemmingshoofdgroep or gebiedsaanduidinggroep: ``leiding`` 0.6, ...), else
``overlay_default`` (1: no penalty). The class value is multiplied by the smallest factor at the
site: the most restrictive overlay decides. The facts name the deciding plan (id, name, status,
date, type) and every overlay counted with its factor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
    feature,
    id_list,
    text_list,
)
from sitefinder.scoring.declaration import Criterion
from sitefinder.scoring.spatial import LayerIndex, Layers, Sites

if TYPE_CHECKING:  # imported where used: the API starts without them (issue 14)
    import pandas as pd

LAYER = "zoning"
MAIN, OVERLAY = "bestemming", "overlay"
# planstatus -> rank (higher decides); IMRO2012 has no "onherroepelijk" (an IMRO2008 status,
# also the API's), a "geconsolideerd" version is the plan as it is in force.
STATUS_RANK = {
    "onherroepelijk": 5,
    "geconsolideerd": 5,
    "vastgesteld": 4,
    "ontwerp": 3,
    "voorontwerp": 2,
    "concept": 1,
}
NEVER_DECIDE = frozenset({"vervallen", "afgebroken"})
TEXTS = (
    "zoning_role",
    "zoning_class",
    "plan_id",
    "planstatus",
    "plan_datum",
    "bestemmingshoofdgroep",
    "gebiedsaanduidinggroep",
)


def _normalised(values: NDArray) -> NDArray:
    """Texts stripped and lower case, "" for none; worked out once per distinct value (a layer
    of 500,000 objects has a few dozen statuses and classes)."""
    import pandas as pd

    codes, distinct = pd.factorize(np.asarray(values, dtype=object))
    clean = np.array([str(v).strip().lower() for v in distinct] + [""], dtype=object)
    out: NDArray = clean[codes]  # code -1 (no value) takes the last: ""
    return out


def _texts(index: LayerIndex, key: str) -> NDArray:
    """A text prop of every feature, normalised (:func:`_normalised`)."""
    values = index.texts.get(key)
    if values is None:
        return np.full(len(index), "", dtype=object)
    return _normalised(values)


def status_rank(statuses: NDArray) -> NDArray:
    """The rank of each planstatus (lower case): 5 onherroepelijk, geconsolideerd ... 1
    concept, 0 unknown, -1 vervallen / afgebroken (never decides)."""
    import pandas as pd

    codes, distinct = pd.factorize(np.asarray(statuses, dtype=object))
    ranks = [-1 if s in NEVER_DECIDE else STATUS_RANK.get(str(s), 0) for s in distinct]
    out: NDArray = np.array([*ranks, 0], dtype=np.int64)[codes]
    return out


def priority_order(statuses: Any, dates: Any, plans: Any) -> NDArray:
    """The priority of each plan object (0 = decides first), vectorised: planstatus rank
    descending, plan date (``YYYY-MM-DD``, which sorts as text; unknown "": oldest)
    descending, plan id descending, then the position (the layer is read by id, so the lower
    object id) ascending."""
    import pandas as pd

    rank = status_rank(np.asarray(statuses, dtype=object))
    day = pd.factorize(np.asarray(dates, dtype=object), sort=True)[0]
    plan_code = pd.factorize(np.asarray(plans, dtype=object), sort=True)[0]
    position = np.arange(len(rank))
    order = np.lexsort((position, -plan_code, -day, -rank))
    out = np.empty(len(order), dtype=np.int64)
    out[order] = np.arange(len(order))
    return out


@dataclass
class Plans:
    """The zoning layer prepared once per loaded data: the main zoning and the overlays (each
    with its own tree; plans that never decide left out), per main object its plan, priority
    and class, per overlay its plan and ``group|name``."""

    main: LayerIndex
    overlays: LayerIndex
    main_plan: NDArray
    main_order: NDArray
    main_class: NDArray
    overlay_plan: NDArray
    overlay_kind: NDArray

    @classmethod
    def of(cls, index: LayerIndex) -> Plans:
        role = _texts(index, "zoning_role")
        status = _texts(index, "planstatus")
        overlay = role == OVERLAY
        keep = status_rank(status) >= 0
        main_mask, overlay_mask = ~overlay & keep, overlay & keep
        plan = _texts(index, "plan_id")
        zoning_class = _texts(index, "zoning_class")
        # a feature without a role (loaded before roles existed): its category is its class
        known = zoning_class.copy()
        known[zoning_class == ""] = None
        main_class = np.where(role == "", index.categories, known)
        group = _texts(index, "bestemmingshoofdgroep")
        group = np.where(group != "", group, _texts(index, "gebiedsaanduidinggroep"))
        names = _normalised(index.names[overlay_mask])
        return cls(
            main=index.subset(main_mask),
            overlays=index.subset(overlay_mask),
            main_plan=plan[main_mask],
            main_order=priority_order(
                status[main_mask], _texts(index, "plan_datum")[main_mask], plan[main_mask]
            ),
            main_class=main_class[main_mask],
            overlay_plan=plan[overlay_mask],
            overlay_kind=group[overlay_mask] + "|" + names,
        )


def compute(layers: Layers, sites: Sites) -> Columns:
    n = len(sites)
    out: Columns = {
        name: np.full(n, None, dtype=object)
        for name in ("zoning_id", "zoning_class", "zoning_overlay_ids", "zoning_overlays")
    }
    index = layers.get(LAYER)
    if index is None or len(index) == 0 or n == 0:
        return out
    plans = layers.memo((LAYER, "plans"), lambda: Plans.of(index))
    points = sites.surface_points
    src, tgt = plans.main.tree.query(points, predicate="intersects")
    decider = np.full(n, "", dtype=object)
    if len(src):
        pairs = np.lexsort((plans.main_order[tgt], src))  # per site, who decides first
        src_sorted, tgt_sorted = src[pairs], tgt[pairs]
        first = np.unique(src_sorted, return_index=True)[1]
        sites_hit, best = src_sorted[first], tgt_sorted[first]
        out["zoning_id"][sites_hit] = plans.main.ids[best]
        out["zoning_class"][sites_hit] = plans.main_class[best]
        decider[sites_hit] = plans.main_plan[best]
    if len(plans.overlays):
        _overlays_at(out, plans, points, src, plans.main_plan[tgt], decider)
    return out


def _overlays_at(
    out: Columns,
    plans: Plans,
    points: NDArray,
    main_sites: NDArray,
    main_plans: NDArray,
    decider: NDArray,
) -> None:
    """The overlays that count at each site (see the module doc) into ``out``, one list of
    ids and one of ``group|name`` texts (lower case) per site, in the layer's id order."""
    import pandas as pd

    o_src, o_tgt = plans.overlays.tree.query(points, predicate="intersects")
    if not len(o_src):
        return
    hits = pd.DataFrame({"site": o_src, "feature": o_tgt, "plan": plans.overlay_plan[o_tgt]})
    with_main = pd.DataFrame({"site": main_sites, "plan": main_plans}).drop_duplicates()
    hits = hits.merge(with_main.assign(decides_elsewhere=True), on=["site", "plan"], how="left")
    own = hits["plan"].to_numpy() == decider[hits["site"].to_numpy()]
    keep = own | hits["decides_elsewhere"].isna().to_numpy()
    hits = hits[keep].sort_values(["site", "feature"])
    if hits.empty:
        return
    features = hits["feature"].to_numpy()
    hits = hits.assign(id=plans.overlays.ids[features], kind=plans.overlay_kind[features])
    grouped = hits.groupby("site", sort=True)
    at = grouped.size().index.to_numpy()
    out["zoning_overlay_ids"][at] = grouped["id"].agg(list).to_numpy()
    out["zoning_overlays"][at] = grouped["kind"].agg(list).to_numpy()


def overlay_factor(kind: str, params: Params | Mapping[str, Any]) -> float:
    """The factor of one overlay, given as ``group|name`` (lower case): the smallest factor of
    the ``overlays`` keywords in its name, else its group's in ``overlay_groups``, else
    ``overlay_default``."""
    group, _, name = kind.partition("|")
    hits = [float(f) for key, f in params["overlays"].items() if str(key).lower() in name]
    if hits:
        return min(hits)
    return float(params["overlay_groups"].get(group, params["overlay_default"]))


def overlay_factors(overlays: pd.Series, params: Params) -> NDArray:
    """The smallest overlay factor per site (1 where no overlay counts), vectorised over the
    distinct overlays."""
    factors = np.ones(len(overlays))
    present = overlays.notna().to_numpy()
    if not present.any():
        return factors
    lists = overlays[present].map(text_list).explode().dropna()
    if lists.empty:
        return factors
    table = {kind: overlay_factor(kind, params) for kind in lists.unique()}
    per_site = lists.map(table).astype(float).groupby(level=0).min()
    positions = overlays.index.get_indexer(per_site.index)
    factors[positions] = per_site.to_numpy()
    return factors


def value(raw: Raw, params: Params) -> Valued:
    import pandas as pd

    classes = raw.series("zoning_class")
    # class keys as the profiles write them: "cultuur en ontspanning" -> cultuur_en_ontspanning
    keys = classes.astype("string").str.strip().str.lower().str.replace(" ", "_")
    table = pd.Series(params["classes"], dtype=float)
    zoned = keys.map(table).fillna(float(params["default"])).to_numpy(dtype=float)
    zoned = zoned * overlay_factors(raw.series("zoning_overlays"), params)
    values = np.where(classes.notna().to_numpy(), zoned, np.nan)
    excluded = keys.isin(list(params["exclude_classes"])).fillna(False).to_numpy(dtype=bool)
    return Valued(values, excluded)


def reading(row: Row, params: Params) -> str | None:
    found = row.get("zoning_class")
    return found if isinstance(found, str) else None


def facts(row: Row, params: Params, names: Names) -> Facts:
    zone = feature(names, row.get("zoning_id"), "code")
    if zone is None:
        return {"zoning": None}
    props = names.get(zone["id"], {}).get("props") or {}
    kinds = text_list(row.get("zoning_overlays"))
    factors = [overlay_factor(kind, params) for kind in kinds]
    found: Facts = {
        "zoning": {
            "class": reading(row, params),
            "name": zone["name"],
            "plan": zone["code"],
            "plan_name": props.get("plan_naam"),
            "plan_status": props.get("planstatus"),
            "plan_date": props.get("plan_datum"),
            "plan_type": props.get("plan_type"),
            "overlay_factor": min(factors, default=1.0),
        }
    }
    ids = id_list(row.get("zoning_overlay_ids"))
    if ids:
        found["areas"] = [
            {**(feature(names, i, "category") or {}), "factor": f}
            for i, f in zip(ids, factors, strict=False)
        ]
    return found


CRITERION = Criterion(
    name="zoning",
    title_nl="Bestemming",
    title_en="Zoning",
    unit="class",
    order=50,
    columns=(
        RawColumn("zoning_id", "id", None, "the deciding main zoning object at the point"),
        RawColumn("zoning_class", "text", "class", "its bestemmingshoofdgroep (lower case)"),
        RawColumn("zoning_overlay_ids", "ids", None, "the overlays that count at the point"),
        RawColumn("zoning_overlays", "texts", None, "each as 'group|name' (lower case)"),
    ),
    reads=(LayerUse(LAYER, texts=TEXTS),),
    coverage=LAYER,
    compute=compute,
    defaults={
        "weight": 0.25,
        # value for a zoning class not in the table below
        "default": 0.4,
        # classes that rule a site out (nature and water zoning exclude housing)
        "exclude_classes": ["natuur", "water", "bos"],
        "classes": {
            "wonen": 1.0,
            "woongebied": 1.0,
            "gemengd": 0.9,
            "centrum": 0.9,
            "kantoor": 0.7,
            "maatschappelijk": 0.7,
            "dienstverlening": 0.6,
            "detailhandel": 0.6,
            "horeca": 0.5,
            "recreatie": 0.5,
            "cultuur_en_ontspanning": 0.5,
            "bedrijf": 0.4,
            "bedrijventerrein": 0.4,
            "sport": 0.4,
            "agrarisch": 0.3,
            "tuin": 0.3,
            "agrarisch_met_waarden": 0.2,
            "groen": 0.2,
            "verkeer": 0.1,
            "bos": 0.0,
            "natuur": 0.0,
            "water": 0.0,
        },
        # overlay factors by a keyword of the overlay's name (lower case): what building
        # there takes (research, a permit of the water board or the pipeline's owner, a
        # safety distance); the smallest factor of the keywords a name contains counts
        "overlays": {
            "archeolog": 0.9,
            "cultuurhistor": 0.9,
            "monument": 0.9,
            "waterlinie": 0.9,
            "landschap": 0.9,
            "houtopstand": 0.9,
            "ecolog": 0.85,
            "molenbiotoop": 0.8,
            "inundatie": 0.8,
            "riool": 0.9,
            "waterberging": 0.7,
            "waterkering": 0.5,
            "gas": 0.4,
            "brandstof": 0.4,
            "hoogspanning": 0.3,
            "veiligheid": 0.4,
            "geluid": 0.7,
            "vrijwaring": 0.6,
        },
        # an overlay whose name has none of the keywords: the factor of its group
        # (bestemmingshoofdgroep of a dubbelbestemming, gebiedsaanduidinggroep)
        "overlay_groups": {
            "leiding": 0.6,
            "waterstaat": 0.6,
            "waarde": 0.9,
            "veiligheidszone": 0.4,
            "geluidzone": 0.7,
            "vrijwaringszone": 0.6,
            "milieuzone": 0.8,
            "luchtvaartverkeerzone": 0.6,
        },
        # any other overlay (overige zone, wetgevingzone, ...): no penalty, but shown
        "overlay_default": 1.0,
    },
    value=value,
    reading=reading,
    facts=facts,
    fact_keys=("zoning", "areas"),
)
