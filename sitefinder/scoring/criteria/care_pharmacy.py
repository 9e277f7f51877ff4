"""Criterion ``care_pharmacy``: walking distance to the nearest pharmacy (category ``pharmacy``).

Read from every layer that holds pharmacies completely: OSM care extracts (``care_osm``).
Missing outside an extract. No profile weighs it yet.
"""

from sitefinder.scoring.patterns import walking_to_nearest_of

CRITERION = walking_to_nearest_of(
    name="care_pharmacy",
    category="pharmacy",
    prefix="pharmacy",
    title_nl="Apotheek",
    title_en="Pharmacy",
    what="pharmacy",
    weight=0.0,
    breakpoints=[[500.0, 1.0], [1000.0, 0.7], [2500.0, 0.0]],
    order=35,
)
