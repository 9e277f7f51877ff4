"""The scoring engine: raw criteria -> values 0-1 -> weighted score, ranking and stability.

Everything is vectorised over all sites with numpy: a profile's value matrix is computed once
(n sites x criteria, one value function call per criterion of the catalogue) and cached;
re-ranking with other weights is one matrix-vector product and a partial sort. The same
``evaluate`` scores an ad-hoc geometry (an array of one site).
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import psycopg

from sitefinder.scoring import store
from sitefinder.scoring.base import NDArray, Raw
from sitefinder.scoring.criteria import catalogue, coverage_column
from sitefinder.scoring.profile import Profile

STABILITY_DRAWS = 200
STABILITY_SPREAD = 0.20  # each weight is multiplied by a uniform factor in [0.8, 1.2]
STABILITY_POOL = 2000  # the sites that can plausibly reach the top k (by base score)


@dataclass
class Evaluation:
    """Values (n sites x criteria, catalogue order; NaN = missing) and exclusions of a profile.

    ``excluding[i, j]``: criterion j excludes site i; ``excluded``: any criterion does.
    """

    names: list[str]
    values: NDArray
    present: NDArray  # bool, n x criteria
    excluding: NDArray  # bool, n x criteria

    def __post_init__(self) -> None:
        self.col: dict[str, int] = {name: j for j, name in enumerate(self.names)}
        self.excluded: NDArray = np.asarray(self.excluding.any(axis=1), dtype=bool)
        # Kept once per profile (float32: half the memory traffic; scores need no more
        # precision) so that a re-rank is two matrix-vector products.
        self.filled: NDArray = np.where(self.present, self.values, 0.0).astype(np.float32)
        self.present_f: NDArray = self.present.astype(np.float32)

    @cached_property
    def reason(self) -> NDArray:
        """Per site the first excluding criterion (catalogue order), None when not excluded."""
        names = np.array(self.names, dtype=object)
        out = np.full(len(self.excluded), None, dtype=object)
        first = np.argmax(self.excluding, axis=1)
        out[self.excluded] = names[first[self.excluded]]
        return out

    def reasons(self, i: int) -> list[str]:
        """Every criterion that excludes site ``i``, in catalogue order."""
        return [name for name, j in self.col.items() if self.excluding[i, j]]

    def scores_and_completeness(self, weights: NDArray) -> tuple[NDArray, NDArray]:
        """Scores (weighted mean over the criteria with data, weights renormalised; NaN if
        excluded or no criterion has data) and completeness (share of the total weight whose
        criteria have data, 0-1), both float32."""
        w = np.ascontiguousarray(weights, dtype=np.float32)  # same dtype: numpy uses BLAS
        num = self.filled @ w
        den = self.present_f @ w
        with np.errstate(invalid="ignore", divide="ignore"):
            score = num / den  # 0/0 -> NaN: no criterion with data
        score[self.excluded] = np.nan
        total = float(weights.sum())
        complete = den / np.float32(total) if total > 0 else np.zeros_like(den)
        return score, complete

    def scores(self, weights: NDArray) -> NDArray:
        """Weighted mean over the criteria with data (weights renormalised); NaN if excluded."""
        return self.scores_and_completeness(weights)[0]

    def completeness(self, weights: NDArray) -> NDArray:
        """Share of the total weight whose criteria have data at each site (0-1)."""
        return self.scores_and_completeness(weights)[1]


def evaluate(raw: pd.DataFrame, profile: Profile) -> Evaluation:
    """The value functions of the catalogue's criteria, with ``profile``'s parameters, on the
    raw columns (as in ``site_raw``) of many sites: one vectorised call per criterion.

    Outside its coverage layers' coverage a criterion is missing (NaN), whatever its value.
    """
    criteria = list(catalogue().values())
    view = Raw(raw)
    n = len(raw)
    values = np.full((n, len(criteria)), np.nan)
    excluding = np.zeros((n, len(criteria)), dtype=bool)
    for j, criterion in enumerate(criteria):
        valued = criterion.value(view, profile.params(criterion.name))
        column = np.asarray(valued.values, dtype=float)
        if criterion.coverage_layers:
            covered = np.logical_or.reduce(
                [view.bools(coverage_column(layer)) for layer in criterion.coverage_layers]
            )
            column = np.where(covered, column, np.nan)
        values[:, j] = column
        if valued.excluded is not None:
            excluding[:, j] = np.asarray(valued.excluded, dtype=bool)
    return Evaluation(
        names=[c.name for c in criteria],
        values=values,
        present=~np.isnan(values),
        excluding=excluding,
    )


def weight_vector(weights: dict[str, float]) -> NDArray:
    """Weights in catalogue order (criteria not named: 0)."""
    return np.array([float(weights.get(name, 0.0)) for name in catalogue()])


def breakdown(evaluation: Evaluation, i: int, weights: NDArray) -> list[dict[str, Any]]:
    """Per criterion of site ``i``: value, weight, effective weight and contribution.

    Effective weights are renormalised over the criteria with data, so the contributions of a
    site that is not excluded add up to its score.
    """
    present = evaluation.present[i]
    den = float(weights[present].sum())
    out = []
    for name, j in evaluation.col.items():
        value = evaluation.values[i, j]
        has = bool(present[j])
        eff = float(weights[j] / den) if has and den > 0 else 0.0
        out.append(
            {
                "criterion": name,
                "value": float(value) if has else None,
                "weight": float(weights[j]),
                "effective_weight": eff,
                "contribution": eff * float(value) if has else 0.0,
                "missing": not has,
                "excluded": bool(evaluation.excluding[i, j]),
            }
        )
    return out


def top_indices(scores: NDArray, candidates: NDArray, count: int) -> NDArray:
    """The ``count`` best candidates, best first (ties by position = by site id); NaN last."""
    if len(candidates) == 0:
        return candidates
    s = np.where(np.isnan(scores[candidates]), -np.inf, scores[candidates])
    if count < len(candidates):
        part = np.argpartition(-s, count - 1)[:count]
        part = part[np.lexsort((candidates[part], -s[part]))]
        return candidates[part]
    order = np.lexsort((candidates, -s))
    return candidates[order]


def stability(
    evaluation: Evaluation,
    weights: NDArray,
    candidates: NDArray,
    targets: NDArray,
    k: int,
    base: NDArray | None = None,
    *,
    ranked: bool = False,
) -> NDArray:
    """Share of weight perturbations (each weight x U(0.8, 1.2)) in which each target stays in
    the top ``k`` of the candidates. Monte Carlo with a fixed seed, so answers are repeatable.
    """
    if len(targets) == 0:
        return np.zeros(0)
    if base is None:
        base = evaluation.scores(weights)
    # the best STABILITY_POOL candidates; callers that already ranked pass them (best first)
    size = min(len(candidates), max(STABILITY_POOL, 5 * k))
    pool = candidates[:size] if ranked else top_indices(base, candidates, size)
    pool = pool[~np.isnan(base[pool])]
    rng = np.random.default_rng(20261121)
    factors = rng.uniform(
        1 - STABILITY_SPREAD, 1 + STABILITY_SPREAD, (STABILITY_DRAWS, len(weights))
    )
    # criteria x draws, float32 and contiguous like the value matrices (else numpy leaves BLAS)
    draws = np.ascontiguousarray((factors * weights).T, dtype=np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (evaluation.filled[pool] @ draws) / (evaluation.present_f[pool] @ draws)
    s = np.nan_to_num(s, nan=-np.inf)
    kk = min(k, len(pool))
    if kk == 0:
        return np.zeros(len(targets))
    # the k-th best score per draw: a target is in the top k when it scores at least that
    kth = -np.partition(-s, kk - 1, axis=0)[kk - 1]
    position = {int(site): row for row, site in enumerate(pool)}
    out = np.zeros(len(targets))
    for t, site in enumerate(targets):  # the page's sites only (at most `limit`)
        row = position.get(int(site))
        if row is not None:
            out[t] = float(np.mean(s[row] >= kth))
    return out


@dataclass
class SiteTable:
    """All sites with their raw criteria, in memory, for one scoring version."""

    version: int
    ids: NDArray
    index: dict[str, int]
    kind: pd.Categorical  # compared by integer code: fast filters over a million sites
    gemeente: pd.Categorical
    lon: NDArray
    lat: NDArray
    raw: pd.DataFrame
    _cache: dict[tuple[str, ...], Evaluation]

    @classmethod
    def load(cls, conn: psycopg.Connection[Any], version: int) -> SiteTable:
        """All sites with their raw columns, read with one COPY (fast at a million sites)."""
        frame = store.read(conn)
        ids = frame["site_id"].to_numpy(dtype=object)
        return cls(
            version=version,
            ids=ids,
            index={str(site): i for i, site in enumerate(ids)},
            kind=pd.Categorical(frame["kind"]),
            gemeente=pd.Categorical(frame["gemeentecode"]),
            lon=frame["lon"].to_numpy(dtype=float),
            lat=frame["lat"].to_numpy(dtype=float),
            raw=frame,
            _cache={},
        )

    def matching(self, column: pd.Categorical, value: str) -> NDArray:
        """Boolean mask of the sites whose ``column`` (kind, gemeente) equals ``value``."""
        categories = list(column.categories)
        if value not in categories:
            return np.zeros(len(self.ids), dtype=bool)
        mask: NDArray = column.codes == categories.index(value)
        return mask

    def evaluation(self, profile: Profile) -> Evaluation:
        """The profile's evaluation of every site, computed once per profile (and catalogue)."""
        key = (profile.name, *catalogue())
        if key not in self._cache:
            self._cache[key] = evaluate(self.raw, profile)
        return self._cache[key]


class Engine:
    """Keeps the current ``SiteTable`` and reloads it when ``sitefinder score`` has run again."""

    def __init__(self) -> None:
        self._table: SiteTable | None = None
        self._lock = threading.Lock()

    def table(self, conn: psycopg.Connection[Any]) -> SiteTable:
        row = conn.execute("SELECT version FROM scoring_state WHERE id = 1").fetchone()
        version = int(row["version"]) if row else 0
        with self._lock:
            if self._table is None or self._table.version != version:
                self._table = SiteTable.load(conn, version)
                # A million rows of Python objects made every full garbage collection walk
                # them (about 0.1 s, at random requests); they live until the next reload.
                gc.collect()
                gc.freeze()
            return self._table
