"""Scoring: the criterion catalogue, profiles (data files) and the value functions.

Raw criteria are computed for all sites at once by ``compute`` (vectorised spatial queries) and
stored in ``site_raw``; ``engine`` turns them into 0-1 values, weights them for a profile or a
user's own weights, explains every score and measures rank stability. docs/scoring.md has the
method and the reasoning behind the defaults.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from sitefinder.core.errors import InvalidParameterError


@dataclass(frozen=True)
class Criterion:
    name: str
    title_nl: str
    title_en: str
    unit: str  # of the raw value
    layer: str  # the layer it is computed from
    constraint: bool = False  # only excludes (or penalises); no weight of its own by default


CRITERIA: dict[str, Criterion] = {
    c.name: c
    for c in (
        Criterion("transit", "Openbaar vervoer", "Public transport", "m", "stops"),
        Criterion("care_distance", "Zorg dichtbij", "Care nearby", "m", "care"),
        Criterion("care_count", "Zorg binnen 1 km", "Care within 1 km", "count", "care"),
        Criterion("daily_needs", "Supermarkt", "Supermarket", "m", "supermarkets"),
        Criterion("zoning", "Bestemming", "Zoning", "class", "zoning"),
        Criterion("size", "Omvang (plaatsen)", "Size (places)", "places", "site"),
        Criterion("natura2000", "Natura 2000", "Natura 2000", "m", "natura2000", True),
        Criterion("constraints", "Overige beperkingen", "Other constraints", "areas", "", True),
    )
}


@dataclass(frozen=True)
class Profile:
    name: str
    title_nl: str
    title_en: str
    description_nl: str
    description_en: str
    detour_factor: float
    criteria: dict[str, dict[str, Any]]

    @property
    def weights(self) -> dict[str, float]:
        return {name: float(self.criteria[name].get("weight", 0.0)) for name in CRITERIA}

    def breakpoints(self, criterion: str, key: str = "breakpoints") -> tuple[NDArray, NDArray]:
        pairs = self.criteria[criterion][key]
        xs = np.array([float(x) for x, _ in pairs])
        ys = np.array([float(y) for _, y in pairs])
        return xs, ys

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": {"nl": self.title_nl, "en": self.title_en},
            "description": {"nl": self.description_nl, "en": self.description_en},
            "weights": self.weights,
        }


NDArray = np.ndarray[Any, Any]


def piecewise(x: NDArray | float, xs: NDArray, ys: NDArray) -> NDArray:
    """Piecewise-linear value function, constant outside the breakpoints; NaN stays NaN."""
    arr = np.asarray(x, dtype=float)
    out: NDArray = np.interp(arr, xs, ys) + arr * 0.0  # + x * 0 keeps NaN as NaN
    return out


def _check_profile(name: str, data: dict[str, Any]) -> None:
    criteria = data.get("criteria", {})
    unknown = set(criteria) - set(CRITERIA)
    if unknown:
        raise InvalidParameterError(f"profile {name}: unknown criteria {sorted(unknown)}")
    missing = set(CRITERIA) - set(criteria)
    if missing:
        raise InvalidParameterError(f"profile {name}: criteria missing {sorted(missing)}")
    for crit, spec in criteria.items():
        for key, pairs in spec.items():
            if not key.endswith("breakpoints"):
                continue
            xs = [float(x) for x, _ in pairs]
            ys = [float(y) for _, y in pairs]
            if len(xs) < 2 or xs != sorted(xs):
                raise InvalidParameterError(
                    f"profile {name}: {crit}.{key} needs two or more breakpoints, raw ascending"
                )
            if not all(0.0 <= y <= 1.0 for y in ys):
                raise InvalidParameterError(f"profile {name}: {crit}.{key} values must be 0-1")
        if float(spec.get("weight", 0.0)) < 0:
            raise InvalidParameterError(f"profile {name}: {crit}.weight must not be negative")


PROFILE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


@cache
def load_profile(name: str) -> Profile:
    """A profile from ``sitefinder/scoring/profiles/<name>.toml``."""
    if not PROFILE_NAME.match(name):
        raise InvalidParameterError(
            f"Unknown profile '{name}'. Known: {', '.join(profile_names())}"
        )
    path = resources.files(__package__) / "profiles" / f"{name}.toml"
    if not path.is_file():
        raise InvalidParameterError(
            f"Unknown profile '{name}'. Known: {', '.join(profile_names())}"
        )
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    _check_profile(name, data)
    return Profile(
        name=data["name"],
        title_nl=data["title_nl"],
        title_en=data["title_en"],
        description_nl=data.get("description_nl", ""),
        description_en=data.get("description_en", ""),
        detour_factor=float(data.get("detour_factor", 1.3)),
        criteria=data["criteria"],
    )


def profile_names() -> list[str]:
    folder = resources.files(__package__) / "profiles"
    names = sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )
    # the default first
    return sorted(names, key=lambda n: (n != "standaard", n))


def parse_weights(text: str) -> dict[str, float]:
    """``transit:0.5,care_distance:0.3`` -> weights; unknown names or bad numbers raise.

    Criteria not named keep weight 0 (a custom profile is exactly the user's weights).
    """
    weights: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, number = part.partition(":")
        name = name.strip()
        if not sep:
            raise InvalidParameterError(f"weights: '{part}' should look like transit:0.5")
        if name not in CRITERIA:
            raise InvalidParameterError(
                f"weights: unknown criterion '{name}'. Known: {', '.join(CRITERIA)}"
            )
        try:
            value = float(number)
        except ValueError:
            raise InvalidParameterError(f"weights: '{number}' is not a number") from None
        if not np.isfinite(value) or value < 0 or value > 100:
            raise InvalidParameterError(f"weights: {name} must be between 0 and 100")
        weights[name] = value
    if not weights or sum(weights.values()) <= 0:
        raise InvalidParameterError("weights: give at least one positive weight")
    return {name: weights.get(name, 0.0) for name in CRITERIA}


@dataclass
class ScoreSummary:
    sites: int
    scored: int
    excluded: int
    no_data: int
    missing: dict[str, int]  # sites outside each criterion layer's coverage
    seconds: dict[str, float]
    groups: list[str]  # the criterion groups recomputed ([] when nothing had changed)


def score_all(conn: Any, profile_name: str = "standaard", *, full: bool = False) -> ScoreSummary:
    """Bring the raw criteria (``site_raw``) up to date and summarise ``profile_name``.

    Only the criteria whose layers were reloaded since the last run are recomputed, unless
    sites or boundaries changed or ``full`` is given.
    """
    from sitefinder.scoring.compute import compute_all
    from sitefinder.scoring.engine import SiteTable, weight_vector

    summary = compute_all(conn, full=full)
    profile = load_profile(profile_name)
    table = SiteTable.load(conn, version=-1)
    evaluation = table.evaluation(profile)
    scores = evaluation.scores(weight_vector(profile.weights))
    return ScoreSummary(
        sites=summary.sites,
        scored=int((~np.isnan(scores)).sum()),
        excluded=int(evaluation.excluded.sum()),
        no_data=int((np.isnan(scores) & ~evaluation.excluded).sum()),
        missing=summary.missing,
        seconds=summary.seconds,
        groups=summary.groups,
    )
