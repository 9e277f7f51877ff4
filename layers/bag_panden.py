"""Layer declaration: Buildings (BAG)."""

from layers import Layer

LAYER = Layer(
    name="bag_panden",
    title_nl="Panden (BAG)",
    title_en="Buildings (BAG)",
    kind="reference",
    table="area",
    geometry_type="MultiPolygon",
    source="etl.bag_panden",
    coverage="union",
    style={"color": "#7f7f7f", "weight": 1, "fillOpacity": 0.3},
    pickable=True,
    description_nl="BAG-panden (steekproef Amsterdam); bepalen of een perceel bebouwd is.",
    description_en="BAG buildings (Amsterdam sample); tell whether a parcel is built on.",
)
