"""Layer declaration: Natura 2000."""

from layers import Layer

LAYER = Layer(
    name="natura2000",
    title_nl="Natura 2000",
    title_en="Natura 2000",
    kind="constraint",
    table="area",
    geometry_type="MultiPolygon",
    source="etl.rvo_natura2000",
    coverage="national",
    style={"color": "#1a9850", "weight": 1, "fillColor": "#1a9850", "fillOpacity": 0.25},
    simplify_m=25.0,
    description_nl="Beschermde natuurgebieden; een locatie erin valt af.",
    description_en="Protected nature areas; a site inside one is excluded.",
)
