"""Layer declaration: Public-transport stops."""

from layers import Layer

LAYER = Layer(
    name="stops",
    title_nl="Haltes openbaar vervoer",
    title_en="Public-transport stops",
    kind="criterion",
    table="poi",
    geometry_type="Point",
    source="etl.ov_stops",
    coverage="hull",
    coverage_buffer_m=1500.0,
    # GVB and NS in and around Amsterdam (2022): every mode, but not the other operators there
    categories=("bus", "tram", "metro", "ferry", "rail"),
    style={"color": "#2166ac", "radius": 3},
    description_nl="Haltes van GVB en NS (Amsterdam).",
    description_en="GVB and NS stops (Amsterdam).",
)
