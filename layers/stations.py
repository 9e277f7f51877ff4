"""Layer declaration: Railway stations (the national list, with their service class)."""

from layers import Layer

LAYER = Layer(
    name="stations",
    title_nl="Treinstations",
    title_en="Railway stations",
    kind="criterion",
    table="poi",
    geometry_type="Point",
    source="etl.rdt_stations",
    coverage="national",
    categories=("rail",),
    style={"color": "#053061", "radius": 5},
    description_nl=(
        "Alle 400 treinstations van Nederland met hun type (megastation, intercity-, sneltrein-"
        " of stoptreinstation; Rijden de Treinen, januari 2020)."
    ),
    description_en=(
        "All 400 Dutch railway stations with their type (mega, intercity, fast-train or"
        " stopping-train station; Rijden de Treinen, January 2020)."
    ),
)
