"""Criterion ``care_social``: walking distance to the nearest shelter or social facility.

Category ``social_facility`` (maatschappelijke opvang, night and day shelters, outreach, group
homes), read from every layer that holds it completely: OSM care extracts (``care_osm``).
Missing outside an extract. The begeleid wonen profile weighs it.
"""

from sitefinder.scoring.patterns import walking_to_nearest_of

CRITERION = walking_to_nearest_of(
    name="care_social",
    category="social_facility",
    prefix="social",
    title_nl="Opvang en sociale voorziening",
    title_en="Shelter and social care",
    what="shelter or social facility",
    weight=0.0,
    breakpoints=[[1000.0, 1.0], [3000.0, 0.5], [8000.0, 0.0]],
    order=34,
)
