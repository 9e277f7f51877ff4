"""The scoring engine: raw criteria -> values 0-1 -> weighted score, with explanations.

Everything is vectorised over all sites with numpy: a profile's value matrix is computed once
(n sites x criteria) and cached; re-ranking with other weights is one matrix-vector product and a
partial sort. The same ``evaluate`` scores an ad-hoc geometry (an array of one site).
"""

from __future__ import annotations

import gc
import io
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from sitefinder.scoring import CRITERIA, NDArray, Profile, piecewise
from sitefinder.scoring.compute import RAW_COLUMNS, id_list

NAMES = list(CRITERIA)
COL = {name: i for i, name in enumerate(NAMES)}
STABILITY_DRAWS = 200
STABILITY_SPREAD = 0.20  # each weight is multiplied by a uniform factor in [0.8, 1.2]
STABILITY_POOL = 2000  # the sites that can plausibly reach the top k (by base score)


@dataclass
class Evaluation:
    """Values (n x criteria; NaN = missing), exclusion flags and reasons for a profile."""

    values: NDArray
    present: NDArray  # bool, n x criteria
    excluded: NDArray  # bool, n
    reason: NDArray  # object, n: the first excluding criterion or None

    def __post_init__(self) -> None:
        # Kept once per profile (float32: half the memory traffic; scores need no more
        # precision) so that a re-rank is two matrix-vector products.
        self.filled: NDArray = np.where(self.present, self.values, 0.0).astype(np.float32)
        self.present_f: NDArray = self.present.astype(np.float32)

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
    """Value functions of ``profile`` on the raw criteria (columns as in ``site_raw``)."""
    n = len(raw)
    values = np.full((n, len(NAMES)), np.nan)
    det = profile.detour_factor

    def col(name: str) -> NDArray:
        return raw[name].to_numpy(dtype=float, na_value=np.nan)

    def cov(name: str) -> NDArray:
        return raw[f"cov_{name}"].to_numpy(dtype=bool)

    # transit: the better of the nearest local stop and the nearest station, each valued on its
    # walking distance and multiplied by its service level (1 when the feed has no timetable)
    sxs, sys_ = profile.breakpoints("transit", "service_breakpoints")

    def service(dph: NDArray) -> NDArray:
        return np.where(np.isnan(dph), 1.0, piecewise(dph, sxs, sys_))

    local = piecewise(
        col("stop_local_m") * det, *profile.breakpoints("transit", "local_breakpoints")
    )
    rail = piecewise(col("stop_rail_m") * det, *profile.breakpoints("transit", "rail_breakpoints"))
    local = local * service(col("stop_local_dph"))
    rail = rail * service(col("stop_rail_dph"))
    transit = np.fmax(local, rail)  # fmax: a missing mode does not hide the other
    values[:, COL["transit"]] = np.where(cov("stops"), np.nan_to_num(transit, nan=0.0), np.nan)

    care_cov = cov("care")
    care = piecewise(col("care_m") * det, *profile.breakpoints("care_distance"))
    values[:, COL["care_distance"]] = np.where(care_cov, np.nan_to_num(care, nan=0.0), np.nan)
    count = piecewise(col("care_n"), *profile.breakpoints("care_count"))
    values[:, COL["care_count"]] = np.where(care_cov, count, np.nan)

    shop = piecewise(col("supermarket_m") * det, *profile.breakpoints("daily_needs"))
    values[:, COL["daily_needs"]] = np.where(
        cov("supermarkets"), np.nan_to_num(shop, nan=0.0), np.nan
    )

    zoning = profile.criteria["zoning"]
    classes = raw["zoning_class"]
    table = pd.Series(zoning["classes"], dtype=float)
    zoned = classes.map(table).fillna(float(zoning["default"])).to_numpy(dtype=float)
    has_class = classes.notna().to_numpy()
    values[:, COL["zoning"]] = np.where(cov("zoning") & has_class, zoned, np.nan)
    zoning_excluded = classes.isin(list(zoning.get("exclude_classes", []))).to_numpy()

    size = piecewise(col("places"), *profile.breakpoints("size"))
    values[:, COL["size"]] = size  # NaN where the number of places is unknown

    inside = col("natura2000_m") == 0  # NaN: farther than 1 km
    values[:, COL["natura2000"]] = np.where(cov("natura2000"), np.where(inside, 0.0, 1.0), np.nan)
    n2k_excluded = inside & bool(profile.criteria["natura2000"].get("exclude", True))

    hits = raw["constraint_ids"].map(lambda ids: bool(id_list(ids))).to_numpy(dtype=bool)
    values[:, COL["constraints"]] = np.where(hits, 0.0, 1.0)
    constraint_excluded = hits & bool(profile.criteria["constraints"].get("exclude", True))

    reason = np.full(n, None, dtype=object)
    for name, mask in (
        ("constraints", constraint_excluded),
        ("zoning", zoning_excluded),
        ("natura2000", n2k_excluded),
    ):
        reason[mask] = name
    excluded = n2k_excluded | zoning_excluded | constraint_excluded
    return Evaluation(values=values, present=~np.isnan(values), excluded=excluded, reason=reason)


def weight_vector(weights: dict[str, float]) -> NDArray:
    return np.array([float(weights.get(name, 0.0)) for name in NAMES])


def breakdown(evaluation: Evaluation, i: int, weights: NDArray) -> list[dict[str, Any]]:
    """Per criterion of site ``i``: value, weight, effective weight and contribution.

    Effective weights are renormalised over the criteria with data, so the contributions of a
    site that is not excluded add up to its score.
    """
    present = evaluation.present[i]
    den = float(weights[present].sum())
    out = []
    for name, j in COL.items():
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
                "excluded": evaluation.reason[i] == name,
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
    _cache: dict[str, Evaluation]

    @classmethod
    def load(cls, conn: psycopg.Connection[Any], version: int) -> SiteTable:
        """All sites with their raw criteria, read with one COPY (fast at a million sites)."""
        raw_columns = sql.SQL(", ").join(
            sql.SQL("r.{}").format(sql.Identifier(c)) for c in RAW_COLUMNS if c != "gemeentecode"
        )
        query = sql.SQL(
            "COPY (SELECT s.id, s.kind, COALESCE(r.gemeentecode, s.gemeentecode) AS gemeentecode,"
            " ST_X(p) AS lon, ST_Y(p) AS lat, {raw}"
            " FROM site s JOIN site_raw r ON r.site_id = s.id"
            " CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(s.geom), 4326) AS p) q"
            " ORDER BY s.id) TO STDOUT WITH (FORMAT csv, HEADER)"
        ).format(raw=raw_columns)
        buffer = io.BytesIO()
        with conn.cursor().copy(query) as copy:
            for chunk in copy:
                buffer.write(chunk)
        buffer.seek(0)
        text_columns = {"id", "kind", "gemeentecode", "zoning_class", "constraint_ids"}
        text_columns |= {c for c in RAW_COLUMNS if c.endswith("_id")}
        frame = pd.read_csv(
            buffer,
            dtype=dict.fromkeys(text_columns, "object"),
            keep_default_na=False,
            na_values=[""],
            true_values=["t"],
            false_values=["f"],
        )
        frame = frame.astype(dict.fromkeys(text_columns, object)).where(frame.notna(), None)
        frame = frame.rename(columns={"id": "site_id"}) if "site_id" not in frame else frame
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
        if profile.name not in self._cache:
            self._cache[profile.name] = evaluate(self.raw, profile)
        return self._cache[profile.name]


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
