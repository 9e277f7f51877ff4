"""Layer declaration: HTM tram stops with their timetable (Den Haag, Delft)."""

from layers import Layer

LAYER = Layer(
    name="stops_htm",
    title_nl="Tramhaltes HTM (met dienstregeling)",
    title_en="HTM tram stops (with timetable)",
    kind="criterion",
    table="poi",
    geometry_type="Point",
    source="etl.htm_tram",
    coverage="hull",
    coverage_buffer_m=1500.0,
    # the tram network only: HTM's buses are not in the feed
    categories=("tram",),
    style={"color": "#4393c3", "radius": 3},
    description_nl=(
        "Tramhaltes van HTM (lijnen 1, 9, 11, 12, 16, 17) met vertrekken per uur op donderdag"
        " 1 maart 2018 (NDOV). De bussen van HTM zitten er niet in."
    ),
    description_en=(
        "HTM tram stops (lines 1, 9, 11, 12, 16, 17) with departures per hour on Thursday"
        " 1 March 2018 (NDOV). HTM's buses are not included."
    ),
)
