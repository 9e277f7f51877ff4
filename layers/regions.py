"""Layer declaration: the regions of every gemeente (a table, no geometry)."""

from layers import Layer

LAYER = Layer(
    name="regions",
    title_nl="Regio's per gemeente",
    title_en="Regions per municipality",
    kind="table",
    table="gemeente_region",
    geometry_type="None",
    source="etl.regioatlas",
    coverage="national",
    description_nl=(
        "Per gemeente de centrumgemeente voor maatschappelijke opvang en beschermd wonen, de"
        " GGD-regio en de Wmo-regio (Regioatlas, indeling 2017-2019)."
    ),
    description_en=(
        "For every gemeente its centre municipality for shelter and sheltered housing, its GGD"
        " region and its Wmo region (Regioatlas, 2017-2019 division)."
    ),
)
