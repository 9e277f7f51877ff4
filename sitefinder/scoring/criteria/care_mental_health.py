"""Criterion ``care_mental_health``: walking distance to the nearest mental-health care (GGZ).

Category ``mental_health`` (psychiatry, psychologists, mental-health social facilities), read
from every layer that holds it completely: OSM care extracts (``care_osm``). No national GGZ
list exists in the project's data: missing outside an extract. The begeleid wonen profile
weighs it.
"""

from sitefinder.scoring.patterns import walking_to_nearest_of

CRITERION = walking_to_nearest_of(
    name="care_mental_health",
    category="mental_health",
    prefix="ggz",
    title_nl="GGZ",
    title_en="Mental-health care",
    what="mental-health care facility",
    weight=0.0,
    breakpoints=[[1000.0, 1.0], [3000.0, 0.5], [8000.0, 0.0]],
    order=33,
)
