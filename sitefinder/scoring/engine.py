"""The scoring engine: raw criteria -> values 0-1 -> weighted score, range, ranking, stability.

Everything is vectorised over all sites with numpy: a profile's value matrix is computed once
(n sites x criteria, one value function call per criterion of the catalogue) and cached;
re-weighting is two matrix-vector products (float32, BLAS) that give the point score, the range
the missing criteria leave open and the completeness at once (``Evaluation.score_all``); a
ranking is a vectorised key and a partial sort (``rank``). The same ``evaluate`` scores an
ad-hoc geometry (an array of one site). docs/scoring.md sections 3 and 7 give the rules.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import psycopg

from sitefinder.scoring import store
from sitefinder.scoring.base import NDArray, Raw
from sitefinder.scoring.criteria import catalogue, coverage_column
from sitefinder.scoring.profile import Profile

if TYPE_CHECKING:  # imported where used: the API starts without them (issue 14)
    import pandas as pd

STABILITY_DRAWS = 200
STABILITY_SPREAD = 0.20  # each weight is multiplied by a uniform factor in [0.8, 1.2]
STABILITY_POOL = 2000  # the sites that can plausibly reach the top k (by base score)
# A site whose upper end falls this far below the k-th best lower end can still reach the top
# k when the weights move by +-20 %; one farther below cannot in practice.
STABILITY_REACH = 0.10
STABILITY_EXTRA = 1000  # at most this many of them join the pool, by their upper end
STABILITY_SEED = 20261121
RANK_BY = ("conservative", "score")  # the ranking keys GET /api/sites?rank_by= takes
# The share of the weight with data that makes a score "solid": a site with less ranks after
# the solid ones unless it surely beats them (``conservative_key``; docs/scoring.md section 3).
SOLID_COMPLETENESS = 0.6
_EPS = 1e-6  # completeness compared with a tolerance: 0.6 computed in float32 is 0.6


@dataclass(frozen=True)
class Scores:
    """One weighting of every site, float32, one value per site.

    ``point``: the weighted mean over the criteria with data (the weights renormalised; NaN
    when excluded or no criterion has data). ``low``/``high``: the lowest and highest score
    the missing criteria leave open (each missing criterion at value 0 resp. 1, over the total
    weight; NaN when excluded). ``completeness``: the share of the total weight whose criteria
    have data. ``point`` lies in [``low``, ``high``] and ``high - low = 1 - completeness``.
    """

    point: NDArray
    low: NDArray
    high: NDArray
    completeness: NDArray


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
        # Kept once per profile (float32: half the memory traffic; scores need no more
        # precision) so that a re-rank is two matrix-vector products. Column-major (each
        # criterion's values contiguous): BLAS then adds whole columns, about twice as fast
        # at a million sites as a dot product of 14 values per row.
        self.filled: NDArray = np.where(self.present, self.values, 0.0).astype(
            np.float32, order="F"
        )
        self.present_f: NDArray = self.present.astype(np.float32)

    @classmethod
    def from_arrays(
        cls,
        names: list[str],
        values: NDArray,
        present: NDArray,
        excluding: NDArray,
        filled: NDArray,
        present_f: NDArray,
        *,
        excluded: NDArray | None = None,
        patterns: tuple[NDArray, NDArray] | None = None,
    ) -> Evaluation:
        """An evaluation from its arrays as ``__post_init__`` derives them (e.g. memory-mapped
        from a served snapshot, ``sitefinder.scoring.snapshot``): nothing is computed over
        the sites. ``excluded`` and ``patterns``, when given, are those properties as
        computed before (else computed on first use)."""
        out = cls.__new__(cls)
        out.names, out.values, out.present, out.excluding = names, values, present, excluding
        out.col = {name: j for j, name in enumerate(names)}
        out.filled, out.present_f = filled, present_f
        if excluded is not None:
            out.__dict__["excluded"] = excluded  # what the cached property would hold
        if patterns is not None:
            out.__dict__["patterns"] = patterns
        return out

    @cached_property
    def excluded(self) -> NDArray:
        """Per site whether any criterion excludes it: one pass per criterion (column), on
        first use (at a million sites ``excluding.any(axis=1)`` takes about twice as long,
        and a snapshot's profiles would each pay it when the API opens them)."""
        out = np.zeros(len(self.excluding), dtype=bool)
        for j in range(self.excluding.shape[1]):
            out |= self.excluding[:, j]
        return out

    @cached_property
    def excluded_rows(self) -> NDArray:
        """The positions of the excluded sites."""
        rows: NDArray = np.flatnonzero(self.excluded)
        return rows

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

    @cached_property
    def patterns(self) -> tuple[NDArray, NDArray]:
        """(pattern per site, patterns x criteria as float32): which criteria have data, as
        the index of the site's row among the few distinct rows of ``present`` (at most
        2^criteria; a handful in practice). The known weight of every site is then one
        product of the small pattern matrix and a gather, not a pass over ``present_f``:
        half the memory a re-rank reads."""
        packed = np.packbits(self.present, axis=1, bitorder="little")
        codes = np.zeros(len(packed), dtype=np.uint64)
        for byte in range(packed.shape[1]):  # a few bytes per site, never a loop over sites
            codes |= packed[:, byte].astype(np.uint64) << np.uint64(8 * byte)
        unique, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        dtype = np.uint16 if len(unique) <= np.iinfo(np.uint16).max else np.uint32
        return inverse.astype(dtype).ravel(), self.present_f[first]

    def score_all(self, weights: NDArray) -> Scores:
        """Point score, range and completeness of every site (``Scores``): the known part
        ``num`` = sum of w*v over the criteria with data (one matrix-vector product) and the
        known weight ``den`` (per presence pattern, ``patterns``); with ``W`` the total weight,
        low = num / W, high = (num + W - den) / W, completeness = den / W."""
        w = np.ascontiguousarray(weights, dtype=np.float32)  # same dtype: numpy uses BLAS
        # only the columns from the first to the last weighted criterion (the constraints at
        # the end weigh 0 unless a profile penalises with them): a slice of the column-major
        # matrix, no copy, and the zero weights outside it add exactly nothing
        weighted = np.flatnonzero(w)
        if len(weighted):
            first, last = int(weighted[0]), int(weighted[-1]) + 1
            num = self.filled[:, first:last] @ w[first:last]
        else:
            num = np.zeros(len(self.filled), dtype=np.float32)
        pattern, rows = self.patterns
        den = np.take(rows @ w, pattern)  # twice as fast as indexing with ``[pattern]``
        total = float(weights.sum())
        inverse = np.float32(1.0 / total if total > 0 else 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            point = num / den  # 0/0 -> NaN: no criterion with data
        low = num
        low *= inverse
        complete = den
        complete *= inverse
        high = low - complete
        high += np.float32(1.0)
        for array in (point, low, high):
            array[self.excluded_rows] = np.nan
        return Scores(point=point, low=low, high=high, completeness=complete)

    def scores_and_completeness(self, weights: NDArray) -> tuple[NDArray, NDArray]:
        """Point scores (NaN if excluded or no criterion has data) and completeness."""
        scores = self.score_all(weights)
        return scores.point, scores.completeness

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
    """The ``count`` best candidates by ``scores``, best first (ties by position); NaN last."""
    primary = _worst_for_nan(scores[candidates])
    return top_by(primary, np.zeros(len(candidates), dtype=np.float32), candidates, count)


def top_by(primary: NDArray, secondary: NDArray, candidates: NDArray, count: int) -> NDArray:
    """The ``count`` best ``candidates`` by ``primary`` (no NaN: -inf is worst), then
    ``secondary`` (NaN last), then by position (= by site id); best first. Both keys hold one
    value per candidate, higher is better: a threshold that surely keeps the best ``count``
    (``_best_positions``), then a sort of the few kept."""
    n = len(candidates)
    if n == 0:
        return candidates
    part = _best_positions(primary, count) if count < n else np.arange(n)
    q = _worst_for_nan(secondary[part])
    part = part[np.lexsort((candidates[part], -q, -primary[part]))][:count]
    return candidates[part]


TOP_SAMPLE = 32  # the threshold sample holds this many times the requested count


def _best_positions(primary: NDArray, count: int) -> NDArray:
    """Positions that include every one of the ``count`` best by ``primary`` (and all that tie
    with the last of them), few more: a value from an even sample of the keys is taken as a
    threshold, checked (at least ``count`` reach it, else one full partial sort is done), and
    every position at or above it is kept. At a million candidates one comparison pass
    instead of a partial sort of all (``np.argpartition``: ~10 ms)."""
    n = len(primary)
    stride = n // (TOP_SAMPLE * count)
    if stride >= 4:
        sample = primary[::stride]
        k = min(len(sample), int(count / stride * 1.5) + 16)
        threshold = np.sort(sample)[len(sample) - k]  # np.partition is slow on repeats
        if threshold > -np.inf:
            kept: NDArray = np.flatnonzero(primary >= threshold)
            if len(kept) >= count:
                return kept
    kth = np.sort(primary)[n - count]  # the count-th best value
    out: NDArray = np.flatnonzero(primary >= kth)
    return out


def _worst_for_nan(values: NDArray) -> NDArray:
    """``values`` with NaN as -inf (the worst key); cheaper than ``np.nan_to_num``."""
    out: NDArray = np.where(np.isnan(values), -np.inf, values)
    return out


def conservative_key(scores: Scores, candidates: NDArray, solid: float) -> NDArray:
    """The default ranking key of every site (float32, higher is better, -inf: no score).

    A *solid* site (completeness at least ``solid``) ranks by its lower end. A site with less
    data ranks after every solid site, by its lower end, except above the solid ``candidates``
    whose whole range lies below its lower end: it takes the key of the best of those, and its
    point score (the secondary key) puts it right above that site. So no site ranks below one
    it surely beats, and a thinly known site does not pass a well-known one on hope alone.
    ``candidates`` (sorted indices) are the sites being ranked.
    """
    low, high, point = scores.low, scores.high, scores.point
    weak = scores.completeness < np.float32(solid - _EPS)
    # below every solid site (keys of solid sites are 0-1); NaN (excluded) and no data: -inf
    key = _base_key(low, weak, np.isnan(point))
    # masks over all sites, not binary searches per site (a million weak sites: ~50 ms)
    ranked = np.zeros(len(key), dtype=bool)
    ranked[candidates] = True
    weak_rows = np.flatnonzero(weak & (key > -np.inf) & ranked)
    if len(weak_rows) == 0:
        return key
    weak_low = low[weak_rows]
    # solid candidates some weak site surely beats (their whole range below its lower end)
    passable = np.flatnonzero(~weak & (high < weak_low.max()) & ranked)
    passable = passable[~np.isnan(point[passable])]
    if len(passable):
        order = np.argsort(high[passable], kind="stable")
        highs = high[passable][order]
        best_low = np.maximum.accumulate(low[passable][order])
        below = np.searchsorted(highs, weak_low, side="left")  # solid sites with high < low
        beats = below > 0
        key[weak_rows[beats]] = best_low[below[beats] - 1]
    return key


def _base_key(low: NDArray, weak: NDArray, invalid: NDArray) -> NDArray:
    """The conservative key before a weak site is lifted: the lower end, less 2 for a weak
    site (below every solid one, whose keys are 0-1), -inf where ``invalid`` (no score, or
    not ranked). Arithmetic and a masked copy: ``np.where`` and a boolean assignment over a
    million sites take twice as long."""
    key = weak.astype(np.float32)
    key *= np.float32(-2.0)
    key += low
    np.copyto(key, np.float32(-np.inf), where=invalid)
    return key


def ranking_keys(
    scores: Scores,
    candidates: NDArray,
    rank_by: str = "conservative",
    solid: float = SOLID_COMPLETENESS,
) -> tuple[NDArray, NDArray]:
    """(primary, secondary) key per candidate, higher first (primary without NaN):
    ``conservative`` ranks by ``conservative_key`` then the point score; ``score`` by the
    point score then the lower end (of two equal scores, the better known first)."""
    if rank_by == "score":
        primary = _worst_for_nan(scores.point[candidates])
        return primary, scores.low[candidates]
    if rank_by != "conservative":
        raise ValueError(f"rank_by must be one of {', '.join(RANK_BY)}, got '{rank_by}'")
    return conservative_key(scores, candidates, solid)[candidates], scores.point[candidates]


def rank(
    scores: Scores,
    candidates: NDArray,
    count: int,
    rank_by: str = "conservative",
    solid: float = SOLID_COMPLETENESS,
    mask: NDArray | None = None,
) -> NDArray:
    """The ``count`` best ``candidates`` (sorted site indices; ``mask``: the same as a boolean
    mask over all sites, when the caller has it) under ``rank_by``, best first;
    ties by site id. The same order as sorting every candidate by ``ranking_keys``, found with
    a few passes over the sites' arrays (no gather of a million candidates): the keys of
    every site, a threshold that keeps the ``count`` best (``_best_positions``) and a sort of
    the kept; the conservative key's one non-local step (a thinly known site taking the key of
    a solid site it surely beats) is done on the kept only when that is exact
    (``_conservative_top``)."""
    if rank_by not in RANK_BY:
        raise ValueError(f"rank_by must be one of {', '.join(RANK_BY)}, got '{rank_by}'")
    n = len(scores.point)
    if count <= 0 or len(candidates) == 0:
        return candidates[:0]
    outside = ~(_candidate_mask(n, candidates) if mask is None else mask)
    if rank_by == "score":
        primary = _worst_for_nan(scores.point)
        primary[outside] = -np.inf
        return _top_of(primary, scores.low, count, len(candidates))
    found = _conservative_top(scores, outside, count, len(candidates), solid)
    if found is not None:
        return found
    return top_by(*ranking_keys(scores, candidates, rank_by, solid), candidates, count)


def _candidate_mask(n: int, candidates: NDArray) -> NDArray:
    """True at the ``candidates`` (indices) among ``n`` sites."""
    mask = np.zeros(n, dtype=bool)
    mask[candidates] = True
    return mask


def _top_of(primary: NDArray, secondary: NDArray, count: int, ranked: int) -> NDArray:
    """The ``count`` best sites by ``primary`` (over all sites; -inf: not ranked), then
    ``secondary`` (NaN last), then site index, best first; ``ranked`` sites are not -inf."""
    kept = _best_positions(primary, count) if count < ranked else np.flatnonzero(primary > -np.inf)
    q = _worst_for_nan(secondary[kept])
    out: NDArray = kept[np.lexsort((kept, -q, -primary[kept]))][: min(count, ranked)]
    return out


def _conservative_top(
    scores: Scores, outside: NDArray, count: int, ranked: int, solid: float
) -> NDArray | None:
    """``rank``'s conservative top ``count`` (None when every candidate is asked for).

    Without the step that lifts a weak site above a solid site it surely beats, a solid site's
    key is its lower end (0-1) and a weak site's lies below every solid one; the ``count``
    best of those keys are ``kept``, T the worst key among them. The step raises a weak site
    to the lower end of the best solid site whose upper end lies below the weak site's lower
    end. It changes the top ``count`` only by adding lifted sites to ``kept``: the others keep
    their order. When T is a solid site's key (at least ``count`` solid candidates) a weak site
    can only be lifted to T or above by a solid site in ``kept`` (the others lie below T), so
    the step needs the solid sites of ``kept`` and the weak sites whose lower end exceeds T;
    else it needs every solid candidate, fewer than ``count``. The same rule as
    ``conservative_key``, on a few sites."""
    if count >= ranked:
        return None
    low, point = scores.low, scores.point
    weak = scores.completeness < np.float32(solid - _EPS)
    invalid = np.isnan(point)
    invalid |= outside
    key = _base_key(low, weak, invalid)
    kept = _best_positions(key, count)
    threshold = float(np.min(key[kept]))
    if threshold >= 0.0:
        passable = kept[~weak[kept]]
        floor = np.float32(threshold)
    else:
        passable = np.flatnonzero(~weak & (key > -np.inf))
        floor = np.min(scores.high[passable]) if len(passable) else np.float32(np.inf)
    lifted = np.flatnonzero(weak & (low > floor) & (key > -np.inf)) if len(passable) else kept[:0]
    if len(lifted):
        high = scores.high
        passable = passable[high[passable] < low[lifted].max()]
        order = np.argsort(high[passable], kind="stable")
        highs = high[passable][order]
        best_low = np.maximum.accumulate(low[passable][order])
        below = np.searchsorted(highs, low[lifted], side="left")  # solid sites with high < low
        beats = below > 0
        key[lifted[beats]] = best_low[below[beats] - 1]
        kept = np.union1d(kept, lifted[beats])
    q = _worst_for_nan(point[kept])
    out: NDArray = kept[np.lexsort((kept, -q, -key[kept]))][:count]
    return out


def position(
    scores: Scores,
    candidates: NDArray,
    site: int,
    rank_by: str = "conservative",
    solid: float = SOLID_COMPLETENESS,
) -> int | None:
    """The 1-based rank of ``site`` among ``candidates`` under ``rank_by``; None when it is
    not among them or has no score."""
    where = np.flatnonzero(candidates == site)
    if len(where) == 0 or np.isnan(scores.point[site]):
        return None
    p, secondary = ranking_keys(scores, candidates, rank_by, solid)
    q = _worst_for_nan(secondary)
    me = int(where[0])
    before = (p > p[me]) | ((p == p[me]) & ((q > q[me]) | ((q == q[me]) & (candidates < site))))
    return int(before.sum()) + 1


def stability(
    evaluation: Evaluation,
    weights: NDArray,
    candidates: NDArray,
    targets: NDArray,
    k: int,
    base: NDArray | None = None,
    *,
    ranked: NDArray | None = None,
    scores: Scores | None = None,
    mask: NDArray | None = None,
) -> NDArray:
    """Share of Monte Carlo draws in which each target is in the top ``k`` of the candidates.

    Each draw multiplies every weight by an independent U(0.8, 1.2) factor *and* gives every
    missing criterion of every site an independent value U(0, 1); a site's score in a draw is
    then its weighted mean over all weighted criteria. So a site whose data leaves much open
    cannot look certain. Seeded (``STABILITY_SEED``): the same request gives the same answer.

    The draws run on a pool only: the best ``STABILITY_POOL`` candidates (``ranked``: the
    caller's ranking, best first, at least that deep; else the best by ``base``, default the
    point scores) plus the candidates whose upper end reaches the k-th best lower end of that
    pool, less ``STABILITY_REACH`` (at most ``STABILITY_EXTRA`` of them, by upper end): every
    site that can reach the top k in practice. ``candidates`` are sorted site indices (as
    ``np.flatnonzero`` of a filter gives them); ``mask`` the same as a boolean mask over all
    sites, when the caller has it.
    """
    if len(targets) == 0:
        return np.zeros(0)
    if scores is None:
        scores = evaluation.score_all(weights)
    if base is None:
        base = scores.point
    size = min(len(candidates), max(STABILITY_POOL, 5 * k))
    pool = ranked[:size] if ranked is not None else top_indices(base, candidates, size)
    pool = pool[~np.isnan(scores.point[pool])]
    kk = min(k, len(pool))
    if kk == 0:
        return np.zeros(len(targets))
    # the sites outside the pool that lucky unknown values could lift into the top k (NaN:
    # excluded or no data, never reaches): masks over the candidates, no sort of them all
    kth_low = np.sort(np.nan_to_num(scores.low[pool], nan=-1.0))[-kk]
    allowed = _candidate_mask(len(scores.high), candidates) if mask is None else mask.copy()
    allowed[pool] = False
    extra = _reaching(scores, allowed, kth_low - STABILITY_REACH, STABILITY_EXTRA)
    pool = np.concatenate([pool, extra])

    # draws x criteria, float32 like the value matrices (else numpy leaves BLAS)
    draws = np.ascontiguousarray(_weight_factors(len(weights)) * weights, dtype=np.float32)
    total = draws.sum(axis=1)
    if not (total > 0).all():
        return np.zeros(len(targets))
    # pool x draws (each site a contiguous row): first the part the data fixes
    s = evaluation.filled[pool] @ draws.T
    # then the missing part: per missing criterion of a site and draw one U(0, 1) value,
    # weighted; one vectorised step per criterion (a handful), never a loop over sites
    missing = ~evaluation.present[pool]
    scratch = np.empty_like(s)
    for j in np.flatnonzero(weights > 0):
        rows = np.flatnonzero(missing[:, j])
        if len(rows) == 0:
            continue
        unknown = _unknown_values(int(j), len(pool))
        if len(rows) == len(pool):  # missing at every site of the pool (a whole layer)
            s += np.multiply(unknown, draws[:, j], out=scratch)
        elif 2 * len(rows) > len(pool):  # mostly missing: dense, without gather and scatter
            np.multiply(unknown, draws[:, j], out=scratch)
            scratch *= missing[:, j, None]
            s += scratch
        else:
            s[rows] += unknown[rows] * draws[:, j]
    s /= total
    s = np.ascontiguousarray(s.T)  # draws x pool: each draw's scores a contiguous row
    kth = _kth_best_per_row(s, kk)
    order = np.argsort(pool, kind="stable")
    found = np.searchsorted(pool[order], targets)
    found = np.minimum(found, len(pool) - 1)
    hit = pool[order][found] == targets
    out = np.zeros(len(targets))
    at = order[found[hit]]  # the targets' columns in the draws
    out[hit] = (s[:, at] >= kth[:, None]).mean(axis=0)
    return out


def _reaching(scores: Scores, allowed: NDArray, floor: float, count: int) -> NDArray:
    """The sites of ``allowed`` (a mask over all sites) with a score whose upper end reaches
    ``floor``; when more than ``count``, the ``count`` with the highest upper ends (ties by
    site: the same sites whatever the order of work); sorted.

    A threshold from an even sample of the upper ends (those of allowed sites that reach)
    first: when at least ``count`` allowed sites reach it, the best ``count`` are among them,
    found with one comparison pass and a check of the few it keeps, not masks over every site
    (most of them reach in a list of near-equal sites)."""
    high, point = scores.high, scores.point
    stride = len(high) // (TOP_SAMPLE * count)
    if stride >= 4:
        sample = high[::stride]
        usable = allowed[::stride] & (sample >= floor) & ~np.isnan(point[::stride])
        values = np.sort(sample[usable])
        k = int(count / stride * 1.5) + 16
        if len(values) >= k:
            near = np.flatnonzero(high >= values[len(values) - k])  # NaN: never
            near = near[allowed[near] & ~np.isnan(point[near])]
            if len(near) >= count:
                out: NDArray = np.sort(near[np.lexsort((near, -high[near]))][:count])
                return out
    reach = high >= floor
    reach &= ~np.isnan(point)
    reach &= allowed
    if np.count_nonzero(reach) <= count:
        every: NDArray = np.flatnonzero(reach)
        return every
    keep = _best_positions(np.where(reach, high, -np.inf), count)
    best: NDArray = np.sort(keep[np.lexsort((keep, -high[keep]))][:count])
    return best


@cache
def _weight_factors(criteria: int) -> NDArray:
    """The weight factors of every draw (draws x criteria, U(0.8, 1.2)): seeded, the same in
    every request, so drawn once per process."""
    rng = np.random.default_rng(STABILITY_SEED)
    out: NDArray = rng.uniform(
        1 - STABILITY_SPREAD, 1 + STABILITY_SPREAD, (STABILITY_DRAWS, criteria)
    )
    out.flags.writeable = False
    return out


_UNKNOWN: dict[int, NDArray] = {}  # criterion -> pool positions x draws of U(0, 1), float32
_UNKNOWN_CHUNK = 512  # pool positions drawn at a time


def _unknown_values(criterion: int, size: int) -> NDArray:
    """The values a missing criterion takes in the draws at the first ``size`` pool positions
    (positions x draws, U(0, 1), float32). They depend on neither the weights nor the data,
    only on the seed, the criterion and the position in the pool: drawn once per process
    (a stream per criterion, ``STABILITY_SEED`` and the criterion's column as key; at most
    the pool's size x 200 draws x 4 bytes each, 2.4 MB at 3,000 positions), not again in
    every request (most of the time the draws took). A longer pool draws the stream
    further: the first positions keep their values."""
    have = _UNKNOWN.get(criterion)
    if have is None or len(have) < size:
        width = -(-size // _UNKNOWN_CHUNK) * _UNKNOWN_CHUNK
        rng = np.random.default_rng([STABILITY_SEED, criterion])
        have = rng.random((width, STABILITY_DRAWS), dtype=np.float32)
        have.flags.writeable = False
        _UNKNOWN[criterion] = have  # a racing request draws the same values
    return have[:size]


def _kth_best_per_row(s: NDArray, k: int) -> NDArray:
    """The ``k``-th best value of every row of ``s`` (draws x pool, the pool best first), exact.

    The ``k``-th best of the first columns (the pool's best sites) is a lower bound ``guess``
    of the row's; only the values at or above it can be the ``k``-th best, a few per row, and
    only those are sorted (one sort of them all, by row then value), not every row whole.
    A sort, not np.partition: scores repeat, and numpy's selection then takes 30x longer."""
    head = min(s.shape[1], max(4 * k, 200))
    guess = np.sort(s[:, :head], axis=1)[:, -k]
    above = s >= guess[:, None]
    values = s[above]  # row by row
    counts = np.count_nonzero(above, axis=1)  # at least k each: the head's k best
    rows = np.repeat(np.arange(s.shape[0]), counts)
    # by row, best first: one sort of one float64 key (the values, scores in [0, 1] as
    # float32, are exact in it beside the row number)
    order = np.argsort(rows * np.float64(4.0) - values)
    starts = np.cumsum(counts) - counts
    out: NDArray = values[order][starts + k - 1]
    return out


@dataclass(frozen=True)
class Coded:
    """A site column of few distinct values (kind, gemeente, vacancy): per site an integer code
    into ``categories`` (-1: no value), as ``pandas.Categorical`` holds it. Filters compare
    codes; a served snapshot opens its codes memory-mapped, with no work per site and no
    pandas (a fresh API process answers within a second, issue 14)."""

    codes: NDArray
    categories: tuple[str, ...]

    @classmethod
    def of(cls, values: pd.Series) -> Coded:
        """The codes of ``values`` (categories sorted, as pandas sorts them; NULL: -1)."""
        import pandas as pd

        column = pd.Categorical(values)
        return cls(np.asarray(column.codes), tuple(str(c) for c in column.categories))

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i: int) -> str | None:
        code = int(self.codes[i])
        return None if code < 0 else self.categories[code]

    def values(self) -> NDArray:
        """Per site its value (None where it has none), as an object array."""
        table = np.array([*self.categories, None], dtype=object)
        out: NDArray = table[self.codes]  # code -1 picks the None at the end
        return out


@dataclass
class SiteTable:
    """All sites with their raw criteria, in memory, for one scoring version.

    Either loaded from the database (``load``: the raw columns in ``raw``, evaluations
    computed per profile on first use) or opened from a served snapshot
    (``sitefinder.scoring.snapshot``: every array memory-mapped, the evaluations of every
    profile precomputed, ``raw`` None: a site's raw row is read from the database when its
    breakdown is asked for, ``raw_row``). ``ids`` then holds UTF-8 bytes, sorted by
    ``id_order`` for the binary search of ``position``.
    """

    version: int
    ids: NDArray
    index: dict[str, int] | None
    kind: Coded  # compared by integer code: fast filters over a million sites
    gemeente: Coded
    vacancy: Coded  # offices: leeg, in gebruik, onbekend; others: none
    lon: NDArray
    lat: NDArray
    raw: pd.DataFrame | None
    _cache: dict[tuple[str, ...], Evaluation]
    sorted_ids: NDArray | None = None  # ``ids`` in byte order (snapshots), and their positions
    id_order: NDArray | None = None
    # one evaluation of a profile at a time: a request and the tile values' thread
    # (api.snapshots) asking for the same one compute it once
    _evaluating: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def load(cls, conn: psycopg.Connection[Any], version: int) -> SiteTable:
        """All sites with their raw columns, read with one COPY (fast at a million sites)."""
        return cls.of_frame(store.read(conn), version)

    @classmethod
    def of_frame(cls, frame: pd.DataFrame, version: int) -> SiteTable:
        """The table of ``store.read``'s frame."""
        ids = frame["site_id"].to_numpy(dtype=object)
        return cls(
            version=version,
            ids=ids,
            index={str(site): i for i, site in enumerate(ids)},
            kind=Coded.of(frame["kind"]),
            gemeente=Coded.of(frame["gemeentecode"]),
            vacancy=Coded.of(frame["vacancy"]),
            lon=frame["lon"].to_numpy(dtype=float),
            lat=frame["lat"].to_numpy(dtype=float),
            raw=frame,
            _cache={},
        )

    def __len__(self) -> int:
        return len(self.ids)

    def site_id(self, i: int) -> str:
        """The id of the site at position ``i``."""
        value = self.ids[i]
        return value.decode() if isinstance(value, bytes) else str(value)

    def site_ids(self, rows: Sequence[int] | NDArray) -> list[str]:
        """The ids of the sites at ``rows``."""
        return [self.site_id(int(i)) for i in rows]

    def position(self, site_id: str) -> int | None:
        """The position of site ``site_id``; None when the table does not hold it."""
        if self.index is not None:
            return self.index.get(site_id)
        assert self.sorted_ids is not None and self.id_order is not None
        key = np.array([site_id.encode()], dtype=self.sorted_ids.dtype)
        if key[0].decode() != site_id:  # longer than any id held, or ends in NUL
            return None
        at = int(np.searchsorted(self.sorted_ids, key[0]))
        if at < len(self.sorted_ids) and self.sorted_ids[at] == key[0]:
            return int(self.id_order[at])
        return None

    def raw_row(self, conn: psycopg.Connection[Any], i: int) -> dict[str, Any]:
        """The raw columns of the site at position ``i`` (as ``store.read`` gives them)."""
        if self.raw is not None:
            return {str(k): v for k, v in self.raw.iloc[i].items()}
        frame = store.read(conn, site_id=self.site_id(i))
        if len(frame) == 0:
            return {}
        return {str(k): v for k, v in frame.iloc[0].items()}

    def raw_frame(
        self, conn: psycopg.Connection[Any], rows: Sequence[int] | NDArray
    ) -> pd.DataFrame:
        """The raw columns of the sites at ``rows``, in that order (from memory, or for a
        served snapshot from the database in one COPY)."""
        if self.raw is not None:
            return self.raw.iloc[np.asarray(rows, dtype=np.int64)].reset_index(drop=True)
        ids = self.site_ids(rows)
        frame = store.read(conn, site_ids=ids).set_index("site_id", drop=False)
        return frame.reindex(ids).reset_index(drop=True)

    def matching(self, column: Coded, value: str | Sequence[str]) -> NDArray:
        """Boolean mask of the sites whose ``column`` (kind, gemeente, vacancy) equals
        ``value`` (or one of several values)."""
        categories = list(column.categories)
        wanted = [value] if isinstance(value, str) else list(value)
        codes = [categories.index(v) for v in wanted if v in categories]
        if len(codes) == 1:  # the usual case: one comparison of integer codes
            one: NDArray = column.codes == codes[0]
            return one
        mask: NDArray = np.isin(column.codes, codes)
        return mask

    def evaluation(self, profile: Profile) -> Evaluation:
        """The profile's evaluation of every site, computed once per profile (and catalogue)."""
        key = (profile.name, *catalogue())
        found = self._cache.get(key)
        if found is None:
            with self._evaluating:
                found = self._cache.get(key)
                if found is None:
                    if self.raw is None:
                        raise LookupError(
                            f"the snapshot holds no evaluation of profile '{profile.name}'"
                        )
                    found = self._cache[key] = evaluate(self.raw, profile)
        return found
