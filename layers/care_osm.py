"""Layer declaration: Care from OpenStreetMap (local extracts)."""

from layers import Layer

LAYER = Layer(
    name="care_osm",
    title_nl="Zorg uit OpenStreetMap (lokaal)",
    title_en="Care from OpenStreetMap (local)",
    kind="reference",
    table="poi",
    geometry_type="Point",
    source="etl.osm_care",
    coverage="hull",
    coverage_buffer_m=250.0,
    # an OSM extract holds every kind of care the mappers drew in it
    categories=("gp", "clinic", "hospital", "pharmacy", "social_facility", "mental_health"),
    style={"color": "#b2182b", "radius": 3},
    description_nl=(
        "Huisartsen, klinieken, apotheken, GGZ en sociale voorzieningen uit een OSM-uitsnede"
        " (demo: TU Delft-campus). Ze tellen mee in de laag Zorg, maar alleen binnen de"
        " uitsnede: elders telt Zorg alleen de landelijke ziekenhuislijst."
    ),
    description_en=(
        "GPs, clinics, pharmacies, mental-health care and social facilities from an OSM extract"
        " (demo: TU Delft campus). They count in the Care layer, but only inside the extract:"
        " elsewhere Care holds just the national hospital list."
    ),
)
