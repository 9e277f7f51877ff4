"""Criterion ``schools``: walking distance to the nearest primary school (layer ``schools``).

The DUO school locations placed on their BAG address; the layer covers only the gemeenten whose
every school could be placed, so elsewhere the criterion is missing, not "no school nearby".
The statushouders profile weighs it: families with children need a school within walking
distance.
"""

from sitefinder.scoring.patterns import walking_to_nearest_of

CRITERION = walking_to_nearest_of(
    name="schools",
    category="primary_school",
    prefix="school",
    title_nl="Basisschool",
    title_en="Primary school",
    what="primary school",
    weight=0.0,
    breakpoints=[[500.0, 1.0], [1000.0, 0.7], [2000.0, 0.0]],
    order=45,
)
