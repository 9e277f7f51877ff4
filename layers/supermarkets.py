"""Layer declaration: Supermarkets."""

from layers import Layer

LAYER = Layer(
    name="supermarkets",
    title_nl="Supermarkten",
    title_en="Supermarkets",
    kind="criterion",
    table="poi",
    geometry_type="Point",
    source="etl.osm_supermarkets",
    coverage="national",
    style={"color": "#f4a582", "radius": 3},
    description_nl="Supermarkten uit OpenStreetMap.",
    description_en="Supermarkets from OpenStreetMap.",
)
