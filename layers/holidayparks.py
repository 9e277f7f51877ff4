"""Layer declaration: Holiday parks."""

from layers import Layer

LAYER = Layer(
    name="holidayparks",
    title_nl="Vakantieparken",
    title_en="Holiday parks",
    kind="site",
    table="site",
    geometry_type="Point",
    source="etl.holidayparks",
    site_kind="vakantiepark",
    style={"shape": "triangle"},
    visible=True,
    description_nl="Campings en vakantieparken (OpenStreetMap en parkenlijst).",
    description_en="Campsites and holiday parks (OpenStreetMap and a park list).",
)
