"""Layer declaration: Buildings (BGT)."""

from layers import Layer

LAYER = Layer(
    name="bgt_panden",
    title_nl="Panden (BGT)",
    title_en="Buildings (BGT)",
    kind="reference",
    table="area",
    geometry_type="MultiPolygon",
    source="etl.bgt_panden",
    coverage="hull",
    style={"color": "#7f7f7f", "weight": 1, "fillOpacity": 0.3},
    pickable=True,
    description_nl="BGT-panden Otterlo; bepalen of een perceel bebouwd is.",
    description_en="BGT buildings, Otterlo; tell whether a parcel is built on.",
)
