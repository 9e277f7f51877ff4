"""Layer declaration: Care: hospitals."""

from layers import Layer

LAYER = Layer(
    name="care",
    title_nl="Zorg: ziekenhuizen",
    title_en="Care: hospitals",
    kind="criterion",
    table="poi",
    geometry_type="Point",
    source="etl.rivm_hospitals",
    coverage="national",
    # the national hospital list; the GPs, pharmacies ... copied from care_osm are not complete
    categories=("hospital", "outpatient_clinic"),
    style={"color": "#d6604d", "radius": 5},
    description_nl="Ziekenhuizen en poliklinieken (RIVM/VZinfo 2016).",
    description_en="Hospitals and outpatient clinics (RIVM/VZinfo 2016).",
)
