"""Criterion ``care_gp``: walking distance to the nearest GP (huisarts, category ``gp``).

Read from every layer that holds GPs completely: OSM care extracts (``care_osm``). There is no
national GP list in the project's data, so the criterion is missing outside such an extract,
never "no GP nearby". The zelfredzaam profile weighs it: a self-reliant person's first care is
their GP.
"""

from sitefinder.scoring.patterns import walking_to_nearest_of

CRITERION = walking_to_nearest_of(
    name="care_gp",
    category="gp",
    prefix="gp",
    title_nl="Huisarts",
    title_en="GP",
    what="GP",
    weight=0.0,
    breakpoints=[[500.0, 1.0], [1000.0, 0.7], [2500.0, 0.0]],
    order=32,
)
