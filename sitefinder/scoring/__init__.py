"""Scoring: the criterion catalogue, profiles (data files), raw criteria, values and scores.

A criterion is one declaration, one module in ``criteria/`` (its raw columns, how they are
computed for all sites at once, the layer whose coverage decides "missing", its value function
with default parameters and its explanation as facts); ``criteria.catalogue()`` collects them.
``compute`` computes the raw columns of every site into ``site_raw`` (``store``); ``engine``
turns them into 0-1 values, weights them for a profile (``profile``) or a user's own weights
and measures rank stability; ``explain`` gives a site's breakdown as facts; ``run`` is
``sitefinder score``. docs/scoring.md has the method and the reasoning behind the defaults.

Modules import downwards only (checked by lint-imports): run > explain > engine | compute >
store | profile > criteria > patterns > declaration > spatial > base. This package module only
re-exports the interface other packages use.
"""

from __future__ import annotations

from sitefinder.scoring.base import NDArray, piecewise
from sitefinder.scoring.profile import Profile, load_profile, parse_weights, profile_names
from sitefinder.scoring.run import ScoreSummary, score_all

__all__ = [
    "NDArray",
    "Profile",
    "ScoreSummary",
    "load_profile",
    "parse_weights",
    "piecewise",
    "profile_names",
    "score_all",
]
