"""Layer declaration: Municipal boundaries."""

from layers import Layer

LAYER = Layer(
    name="gemeenten",
    title_nl="Gemeentegrenzen",
    title_en="Municipal boundaries",
    kind="boundary",
    table="area",
    geometry_type="MultiPolygon",
    source="etl.cbs_gemeenten",
    coverage="national",
    style={"color": "#555555", "weight": 1, "fill": False},
    simplify_m=50.0,
    visible=True,
    description_nl="CBS Wijk- en Buurtkaart 2023: alle 342 gemeenten.",
    description_en="CBS district and neighbourhood map 2023: all 342 municipalities.",
)
