"""Criterion ``care_distance``: walking distance to the nearest care facility (layer ``care``)."""

from sitefinder.scoring.patterns import walking_to_nearest

CRITERION = walking_to_nearest(
    name="care_distance",
    layer="care",
    prefix="care",
    title_nl="Zorg dichtbij",
    title_en="Care nearby",
    what="care facility",
    weight=0.15,
    breakpoints=[[1000.0, 1.0], [3000.0, 0.5], [10000.0, 0.0]],
    order=20,
)
