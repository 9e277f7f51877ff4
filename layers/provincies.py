"""Layer declaration: Provincial boundaries."""

from layers import Layer

LAYER = Layer(
    name="provincies",
    title_nl="Provinciegrenzen",
    title_en="Provincial boundaries",
    kind="boundary",
    table="area",
    geometry_type="MultiPolygon",
    source="etl.cbs_provincies",
    coverage="national",
    style={"color": "#333333", "weight": 2, "fill": False, "dashArray": "4 4"},
    simplify_m=100.0,
    description_nl="Provincies 2023, samengesteld uit de CBS-gemeenten.",
    description_en="Provinces 2023, dissolved from the CBS municipalities.",
)
