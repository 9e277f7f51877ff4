"""Layer declaration: Zoning plans (IMRO), the union of many plans (partitioned by plan)."""

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
    partitioned_by="plan",
    style={"color": "#984ea3", "weight": 1, "fillOpacity": 0.2},
    description_nl=(
        "Bestemmingen van alle geladen plannen (enkelbestemming met bestemmingshoofdgroep,"
        " besluitvlakken van beheersverordeningen) en hun dubbelbestemmingen en"
        " gebiedsaanduidingen."
    ),
    description_en=(
        "The zoning of every plan loaded (Enkelbestemming with its main group, the"
        " besluitvlakken of beheersverordeningen) and their overlays (Dubbelbestemming,"
        " Gebiedsaanduiding)."
    ),
)
