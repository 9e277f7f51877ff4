"""Layer declaration: Offices."""

from layers import Layer, SiteKind

LAYER = Layer(
    name="offices",
    title_nl="Kantoren",
    title_en="Offices",
    kind="site",
    table="site",
    geometry_type="Point",
    source="etl.bag_offices",
    site_kind=SiteKind(
        code="kantoor",
        title_nl="Kantoor",
        title_en="Office",
        plural_nl="Kantoren",
        plural_en="Offices",
        shape="square",
        colour="#4a3b8f",
        min_places=1,  # one unit: 25 m² of floor area
        m2_per_place=25.0,  # of floor area (etl.bag_offices; an owner's or an offer's floor area)
    ),
    visible=True,
    description_nl="Verblijfsobjecten met kantoorfunctie (BAG). Leegstand staat niet in de BAG.",
    description_en="BAG units with office use. The BAG holds no vacancy.",
)
