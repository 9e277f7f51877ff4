"""Criterion ``daily_needs``: walking distance to the nearest supermarket (``supermarkets``)."""

from sitefinder.scoring.patterns import walking_to_nearest

CRITERION = walking_to_nearest(
    name="daily_needs",
    layer="supermarkets",
    prefix="supermarket",
    title_nl="Supermarkt",
    title_en="Supermarket",
    what="supermarket",
    weight=0.15,
    breakpoints=[[500.0, 1.0], [1000.0, 0.7], [2500.0, 0.0]],
    order=40,
)
