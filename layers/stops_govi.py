"""Layer declaration: GOVI stops of the Stadsregio Amsterdam (2011, stops only)."""

from layers import Layer

LAYER = Layer(
    name="stops_govi",
    title_nl="Haltes Stadsregio Amsterdam (GOVI 2011)",
    title_en="Stadsregio Amsterdam stops (GOVI 2011)",
    kind="criterion",
    table="poi",
    geometry_type="Point",
    source="etl.govi_stops",
    coverage="hull",
    coverage_buffer_m=1500.0,
    # the GOVI list holds every stop of the region; rail stations are not in it
    categories=("bus", "tram", "metro", "ferry"),
    style={"color": "#67a9cf", "radius": 2},
    description_nl=(
        "Haltes van bus, tram en metro in de Stadsregio Amsterdam uit de GOVI-lijst van 2011,"
        " zonder vervoerwijze en zonder dienstregeling."
    ),
    description_en=(
        "Bus, tram and metro stops of the Stadsregio Amsterdam from the 2011 GOVI list,"
        " without mode and without timetable."
    ),
)
