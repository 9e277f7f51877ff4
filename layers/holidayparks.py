"""Layer declaration: Holiday parks."""

from layers import Layer, SiteKind

LAYER = Layer(
    name="holidayparks",
    title_nl="Vakantieparken",
    title_en="Holiday parks",
    kind="site",
    table="site",
    geometry_type="Geometry",  # points, or TOP10NL park polygons
    source="etl.holidayparks",
    site_kind=SiteKind(
        code="vakantiepark",
        title_nl="Vakantiepark",
        title_en="Holiday park",
        plural_nl="Vakantieparken",
        plural_en="Holiday parks",
        shape="triangle",
        colour="#1b6f5a",
        min_places=1,  # one pitch or chalet (the park's capacity)
    ),
    visible=True,
    description_nl=(
        "Campings en vakantieparken (OpenStreetMap, parkenlijst, TOP10NL, provinciaal register)."
    ),
    description_en=(
        "Campsites and holiday parks (OpenStreetMap, park list, TOP10NL, province register)."
    ),
)
