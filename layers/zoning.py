"""Layer declaration: Zoning plans (IMRO)."""

from layers import Layer

LAYER = Layer(
    name="zoning",
    title_nl="Bestemmingsplannen (IMRO)",
    title_en="Zoning plans (IMRO)",
    kind="criterion",
    table="area",
    geometry_type="MultiPolygon",
    source="etl.imro_zoning",
    coverage="union",
    style={"color": "#984ea3", "weight": 1, "fillOpacity": 0.2},
    description_nl="Enkelbestemmingen met bestemmingshoofdgroep.",
    description_en="Land-use designations (Enkelbestemming) with their main group.",
)
