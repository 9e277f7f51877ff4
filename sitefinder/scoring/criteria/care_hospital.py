"""Criterion ``care_hospital``: walking distance to the nearest hospital (category ``hospital``).

Read from every layer that holds hospitals completely: the national RIVM list (``care``) and
OSM extracts (``care_osm``); outpatient clinics do not count. Hospitals are far apart, so the
thresholds are wide. Weight 0 by default: ``care_distance`` already reads the hospital list.
"""

from sitefinder.scoring.patterns import walking_to_nearest_of

CRITERION = walking_to_nearest_of(
    name="care_hospital",
    category="hospital",
    prefix="hosp",
    title_nl="Ziekenhuis",
    title_en="Hospital",
    what="hospital",
    weight=0.0,
    breakpoints=[[2000.0, 1.0], [5000.0, 0.6], [15000.0, 0.0]],
    order=31,
)
