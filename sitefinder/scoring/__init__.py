"""Scoring engine v0: criteria computed set-based in PostGIS, combined by profile weights.

Each criterion is one SQL statement (``sitefinder/scoring/sql/<criterion>.sql``) that writes a
row per site into ``site_criterion``: the raw value with its unit, the 0-1 value from the
profile's value function (``sf_piecewise`` or a class table), whether data is missing here and
whether the site is excluded. ``combine.sql`` then weighs the criteria into ``site_score`` with the
weights renormalised over the criteria that have data. The method is written up in
docs/scoring.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from sitefinder.errors import InvalidParameterError


@dataclass(frozen=True)
class Criterion:
    name: str
    title_nl: str
    title_en: str
    unit: str  # of the raw value
    layer: str  # the layer it is computed from


CRITERIA: dict[str, Criterion] = {
    c.name: c
    for c in (
        Criterion("transit", "Openbaar vervoer", "Public transport", "m", "stops"),
        Criterion("care_distance", "Zorg dichtbij", "Care nearby", "m", "care"),
        Criterion("care_count", "Zorg binnen 1 km", "Care within 1 km", "count", "care"),
        Criterion("zoning", "Bestemming", "Zoning", "class", "zoning"),
        Criterion("natura2000", "Natura 2000", "Natura 2000", "m", "natura2000"),
    )
}


@dataclass(frozen=True)
class Profile:
    name: str
    title_nl: str
    title_en: str
    detour_factor: float
    criteria: dict[str, dict[str, Any]]

    @property
    def weights(self) -> dict[str, float]:
        return {name: float(spec["weight"]) for name, spec in self.criteria.items()}


def _breakpoints(spec: dict[str, Any], key: str = "breakpoints") -> tuple[list[float], list[float]]:
    pairs = spec[key]
    xs = [float(x) for x, _ in pairs]
    ys = [float(y) for _, y in pairs]
    if xs != sorted(xs) or len(xs) < 2:
        raise InvalidParameterError(f"{key}: at least two breakpoints, raw values ascending")
    if not all(0.0 <= y <= 1.0 for y in ys):
        raise InvalidParameterError(f"{key}: values must lie between 0 and 1")
    return xs, ys


def piecewise(x: float, xs: list[float], ys: list[float]) -> float:
    """The value function of ``sf_piecewise`` in Python, for explanations and ad-hoc use."""
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    for i in range(len(xs) - 1):
        if xs[i] <= x <= xs[i + 1]:
            span = xs[i + 1] - xs[i]
            return ys[i] if span == 0 else ys[i] + (ys[i + 1] - ys[i]) * (x - xs[i]) / span
    return ys[-1]


@cache
def load_profile(name: str) -> Profile:
    """A profile from ``sitefinder/scoring/profiles/<name>.toml``."""
    if not name.isidentifier():
        raise InvalidParameterError(f"Unknown profile '{name}'")
    path = resources.files(__package__) / "profiles" / f"{name}.toml"
    if not path.is_file():
        raise InvalidParameterError(f"Unknown profile '{name}'")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data["criteria"]) - set(CRITERIA)
    if unknown:
        raise InvalidParameterError(f"Profile {name}: unknown criteria {sorted(unknown)}")
    return Profile(
        name=data["name"],
        title_nl=data["title_nl"],
        title_en=data["title_en"],
        detour_factor=float(data.get("detour_factor", 1.3)),
        criteria=data["criteria"],
    )


def _sql(name: str) -> str:
    return (resources.files(__package__) / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def criterion_params(profile: Profile) -> dict[str, dict[str, Any]]:
    """The bound parameters of each criterion's statement, from the profile."""
    c = profile.criteria
    local_xs, local_ys = _breakpoints(c["transit"], "local_breakpoints")
    rail_xs, rail_ys = _breakpoints(c["transit"], "rail_breakpoints")
    care_xs, care_ys = _breakpoints(c["care_distance"])
    count_xs, count_ys = _breakpoints(c["care_count"])
    return {
        "transit": {
            "detour": profile.detour_factor,
            "local_xs": local_xs,
            "local_ys": local_ys,
            "rail_xs": rail_xs,
            "rail_ys": rail_ys,
        },
        "care_distance": {"detour": profile.detour_factor, "xs": care_xs, "ys": care_ys},
        "care_count": {
            "radius": float(c["care_count"]["radius_m"]),
            "xs": count_xs,
            "ys": count_ys,
        },
        "zoning": {
            "classes": Jsonb(c["zoning"]["classes"]),
            "default": float(c["zoning"]["default"]),
            "exclude": list(c["zoning"].get("exclude_classes", [])),
        },
        "natura2000": {"exclude": bool(c["natura2000"].get("exclude", True))},
    }


@dataclass
class ScoreSummary:
    sites: int
    scored: int
    excluded: int
    no_data: int
    missing: dict[str, int]


def score_all(conn: psycopg.Connection[Any], profile_name: str = "standaard") -> ScoreSummary:
    """Recompute every criterion for every site and the profile's scores, in one transaction."""
    profile = load_profile(profile_name)
    params = criterion_params(profile)
    with conn.transaction():
        conn.execute(_sql("site_gemeente"))
        conn.execute("DELETE FROM site_criterion")
        for name in CRITERIA:
            conn.execute(_sql(name), params[name])
        conn.execute("DELETE FROM site_score WHERE profile = %s", (profile.name,))
        conn.execute(_sql("combine"), {"weights": Jsonb(profile.weights), "profile": profile.name})
    row = conn.execute(
        "SELECT (SELECT count(*) FROM site) AS sites,"
        " count(*) FILTER (WHERE score IS NOT NULL) AS scored,"
        " count(*) FILTER (WHERE excluded) AS excluded,"
        " count(*) FILTER (WHERE score IS NULL AND NOT excluded) AS no_data"
        " FROM site_score WHERE profile = %s",
        (profile.name,),
    ).fetchone()
    missing = conn.execute(
        "SELECT criterion, count(*) FILTER (WHERE missing) AS n FROM site_criterion"
        " GROUP BY criterion ORDER BY criterion"
    ).fetchall()
    assert row is not None
    return ScoreSummary(
        sites=row["sites"],
        scored=row["scored"],
        excluded=row["excluded"],
        no_data=row["no_data"],
        missing={m["criterion"]: m["n"] for m in missing},
    )
