"""Layer declaration: Connexxion bus stops (2011, stops only)."""

from layers import Layer

LAYER = Layer(
    name="stops_connexxion",
    title_nl="Bushaltes Connexxion (2011)",
    title_en="Connexxion bus stops (2011)",
    kind="criterion",
    table="poi",
    geometry_type="Point",
    source="etl.connexxion_stops",
    # Connexxion's concessions are scattered; a hull would claim towns of other operators
    coverage="union",
    coverage_buffer_m=1500.0,
    categories=("bus",),
    style={"color": "#d1e5f0", "radius": 2},
    description_nl=(
        "Alle bushaltes van Connexxion in december 2011, zonder dienstregeling. Haltes van"
        " andere vervoerders zitten er niet in."
    ),
    description_en=(
        "Every Connexxion bus stop in December 2011, without timetable. Stops of other"
        " operators are not included."
    ),
)
