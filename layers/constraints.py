"""Layer declaration: Constraints (flood, noise, NNN, external safety, other)."""

from layers import Layer

LAYER = Layer(
    name="constraints",
    title_nl="Beperkingen",
    title_en="Constraints",
    kind="constraint",
    table="area",
    geometry_type="MultiPolygon",
    source="etl.constraints",
    coverage="union",
    style={"color": "#b35806", "weight": 1, "fillColor": "#fdb863", "fillOpacity": 0.3},
    simplify_m=5.0,
    description_nl=(
        "Gebieden waar geen woonplek kan (overstroming, geluid, NNN, externe veiligheid …);"
        " een locatie erin valt af. Geen demobestand: laden met"
        " 'sitefinder etl run constraints --from BESTAND'."
    ),
    description_en=(
        "Areas where housing cannot go (flood, noise, NNN, external safety …); a site inside"
        " one is excluded. No demo file: load with 'sitefinder etl run constraints --from FILE'."
    ),
)
