"""Layer declaration: Offices."""

from layers import Layer

LAYER = Layer(
    name="offices",
    title_nl="Kantoren",
    title_en="Offices",
    kind="site",
    table="site",
    geometry_type="Point",
    source="etl.bag_offices",
    site_kind="kantoor",
    style={"shape": "square"},
    visible=True,
    description_nl="Verblijfsobjecten met kantoorfunctie (BAG). Leegstand staat niet in de BAG.",
    description_en="BAG units with office use. The BAG holds no vacancy.",
)
