"""Layer declaration: Unbuilt plots."""

from layers import Layer

LAYER = Layer(
    name="plots",
    title_nl="Onbebouwde percelen",
    title_en="Unbuilt plots",
    kind="site",
    table="site",
    geometry_type="Polygon",
    source="etl.brk_plots",
    site_kind="kavel",
    style={"shape": "polygon"},
    visible=True,
    description_nl="Kadastrale percelen (BRK) zonder pand uit BAG of BGT.",
    description_en="Cadastral parcels (BRK) without a BAG or BGT building.",
)
