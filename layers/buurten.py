"""Layer declaration: Neighbourhoods (CBS)."""

from layers import Layer

LAYER = Layer(
    name="buurten",
    title_nl="Buurten (CBS)",
    title_en="Neighbourhoods (CBS)",
    kind="boundary",
    table="area",
    geometry_type="MultiPolygon",
    source="etl.cbs_buurten",
    coverage="union",
    style={"color": "#8c6d31", "weight": 1, "fill": False},
    simplify_m=5.0,
    description_nl="CBS Kerncijfers Wijken en Buurten, Amsterdam.",
    description_en="CBS key figures for neighbourhoods, Amsterdam.",
)
