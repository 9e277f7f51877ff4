"""Layer declaration: Ferry landings across the Netherlands (frequency-based GTFS)."""

from layers import Layer

LAYER = Layer(
    name="stops_ferries",
    title_nl="Veerpontaanlegplaatsen",
    title_en="Ferry landings",
    kind="criterion",
    table="poi",
    geometry_type="Point",
    source="etl.ferries",
    # the landings are scattered over the country: the feed tells about ferries near them only
    coverage="union",
    coverage_buffer_m=1500.0,
    categories=("ferry",),
    style={"color": "#92c5de", "radius": 3},
    description_nl=(
        "Aanlegplaatsen van kleine veerponten in heel Nederland (2018-2020). De vertrekken per"
        " uur komen uit gegenereerde uurfrequenties, niet uit een gemeten dienstregeling."
    ),
    description_en=(
        "Landings of small ferries across the Netherlands (2018-2020). Departures per hour come"
        " from generated hourly frequencies, not a measured timetable."
    ),
)
