"""Layer declaration: Primary schools (DUO), placed on their BAG address."""

from layers import Layer

LAYER = Layer(
    name="schools",
    title_nl="Basisscholen",
    title_en="Primary schools",
    kind="criterion",
    table="poi",
    geometry_type="Point",
    source="etl.duo_schools",
    # only the gemeenten whose every school could be placed: a gap is not "no school"
    coverage="gemeenten",
    categories=("primary_school",),
    style={"color": "#1a9850", "radius": 3},
    description_nl=(
        "Vestigingen van basisscholen (DUO), op hun adres geplaatst met de BAG of de PDOK"
        " Locatieserver. Alleen gemeenten waarvan elke school geplaatst is, tellen mee."
    ),
    description_en=(
        "Primary-school locations (DUO), placed on their address with the BAG or the PDOK"
        " Locatieserver. Only gemeenten whose every school was placed count."
    ),
)
