"""Layer declaration: Unbuilt plots."""

from layers import Layer, SiteKind

LAYER = Layer(
    name="plots",
    title_nl="Onbebouwde percelen",
    title_en="Unbuilt plots",
    kind="site",
    table="site",
    geometry_type="Polygon",
    source="etl.brk_plots",
    site_kind=SiteKind(
        code="kavel",
        title_nl="Onbebouwde kavel",
        title_en="Vacant plot",
        plural_nl="Onbebouwde kavels",
        plural_en="Vacant plots",
        shape="circle",
        colour="#8a5a14",
        min_places=1,  # one place: 50 m² of plot; a strip of a few m² has none
        m2_per_place=50.0,  # of parcel area (etl.brk_plots)
    ),
    visible=True,
    pickable=True,
    description_nl="Kadastrale percelen (BRK) zonder pand uit BAG of BGT.",
    description_en="Cadastral parcels (BRK) without a BAG or BGT building.",
)
