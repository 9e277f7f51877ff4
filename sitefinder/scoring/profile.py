"""Profiles: per target group, the weights and thresholds that differ from the criteria's defaults.

A profile is a data file, ``sitefinder/scoring/profiles/<name>.toml``. Its ``[criteria.<name>]``
tables name only what the profile changes; everything else is the default declared with the
criterion (``sitefinder/scoring/criteria/``). A changed table (zoning classes) is merged key by
key; numbers, lists and booleans replace the default. Unknown criteria, unknown keys and values
of the wrong kind are refused with a message that says which.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from sitefinder.core.errors import InvalidParameterError
from sitefinder.scoring.base import Params
from sitefinder.scoring.criteria import catalogue
from sitefinder.scoring.declaration import Criterion

PROFILE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
PROFILE_KEYS = {
    "name",
    "title_nl",
    "title_en",
    "description_nl",
    "description_en",
    "detour_factor",
    "criteria",
}
DEFAULT_DETOUR_FACTOR = 1.3  # walking distance per straight-line metre, a typical urban ratio


def merged(defaults: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``defaults`` with ``changes``: tables merge key by key, everything else replaces."""
    out = dict(defaults)
    for key, change in changes.items():
        if isinstance(change, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **change}
        else:
            out[key] = change
    return out


@dataclass(frozen=True)
class Profile:
    name: str
    title_nl: str
    title_en: str
    description_nl: str
    description_en: str
    detour_factor: float
    changes: dict[str, dict[str, Any]]  # per criterion: only what differs from its defaults
    _params: dict[str, tuple[Criterion, Params]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def params(self, criterion: str) -> Params:
        """The criterion's parameters in this profile (its defaults with the changes)."""
        declared = catalogue()[criterion]
        known = self._params.get(criterion)
        if known is None or known[0] is not declared:  # merged once per declaration
            values = merged(dict(declared.defaults), self.changes.get(criterion, {}))
            known = (declared, Params(values, self.detour_factor))
            self._params[criterion] = known
        return known[1]

    @property
    def criteria(self) -> dict[str, dict[str, Any]]:
        """Every criterion's full parameters in this profile."""
        return {name: dict(self.params(name).values) for name in catalogue()}

    @property
    def weights(self) -> dict[str, float]:
        return {name: self.params(name).weight for name in catalogue()}

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": {"nl": self.title_nl, "en": self.title_en},
            "description": {"nl": self.description_nl, "en": self.description_en},
            "weights": self.weights,
        }


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "text"


def _check_value(where: str, default: Any, value: Any) -> None:
    if _kind(value) != _kind(default):
        raise InvalidParameterError(f"{where} must be {_kind(default)}")
    if isinstance(default, dict):
        for key, item in value.items():
            if key in default and _kind(item) != _kind(default[key]):
                raise InvalidParameterError(f"{where}.{key} must be {_kind(default[key])}")


def _check_breakpoints(where: str, pairs: Any) -> None:
    try:
        xs = [float(x) for x, _ in pairs]
        ys = [float(y) for _, y in pairs]
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{where} must be [raw, value] pairs of numbers") from None
    if len(xs) < 2 or xs != sorted(xs):
        raise InvalidParameterError(f"{where} needs two or more breakpoints, raw ascending")
    if not all(0.0 <= y <= 1.0 for y in ys):
        raise InvalidParameterError(f"{where} values must be 0-1")


def _only_known(what: str, found: Iterable[str], known: list[str]) -> None:
    """Refuse any name of ``found`` not in ``known``: '<what> [names]. Known: a, b'."""
    strange = sorted(set(found) - set(known))
    if strange:
        raise InvalidParameterError(f"{what} {strange}. Known: {', '.join(known)}")


def parse_profile(name: str, data: dict[str, Any]) -> Profile:
    """A profile from its TOML data, checked against the criterion catalogue."""
    _only_known(f"profile {name}: unknown keys", data, sorted(PROFILE_KEYS))
    for key in ("name", "title_nl", "title_en"):
        if not isinstance(data.get(key), str):
            raise InvalidParameterError(f"profile {name}: {key} (text) is required")
    known = catalogue()
    changes = data.get("criteria", {})
    if not isinstance(changes, dict):
        raise InvalidParameterError(f"profile {name}: criteria must be tables [criteria.<name>]")
    _only_known(f"profile {name}: unknown criteria", changes, list(known))
    for crit, spec in changes.items():
        defaults = known[crit].defaults
        if not isinstance(spec, dict):
            raise InvalidParameterError(f"profile {name}: criteria.{crit} must be a table")
        _only_known(f"profile {name}: criteria.{crit} has unknown keys", spec, list(defaults))
        for key, value in spec.items():
            _check_value(f"profile {name}: {crit}.{key}", defaults[key], value)
        for key, value in merged(dict(defaults), spec).items():
            if key.endswith("breakpoints"):
                _check_breakpoints(f"profile {name}: {crit}.{key}", value)
        weight = float(spec.get("weight", defaults["weight"]))
        if not np.isfinite(weight) or weight < 0:
            raise InvalidParameterError(f"profile {name}: {crit}.weight must not be negative")
    detour = data.get("detour_factor", DEFAULT_DETOUR_FACTOR)
    if _kind(detour) != "a number" or not 1.0 <= float(detour) <= 3.0:
        raise InvalidParameterError(f"profile {name}: detour_factor must be a number 1-3")
    return Profile(
        name=data["name"],
        title_nl=data["title_nl"],
        title_en=data["title_en"],
        description_nl=data.get("description_nl", ""),
        description_en=data.get("description_en", ""),
        detour_factor=float(detour),
        changes=changes,
    )


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
    return parse_profile(name, tomllib.loads(path.read_text(encoding="utf-8")))


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
    known = catalogue()
    weights: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, number = part.partition(":")
        name = name.strip()
        if not sep:
            raise InvalidParameterError(f"weights: '{part}' should look like transit:0.5")
        if name not in known:
            raise InvalidParameterError(
                f"weights: unknown criterion '{name}'. Known: {', '.join(known)}"
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
    return {name: weights.get(name, 0.0) for name in known}
