"""The printable site report (A4, HTML with print CSS; PDF through WeasyPrint), for one site
or a shortlist, in Dutch or English.

What one report holds, all from what the API already knows (``queries.get_site``: the score,
its range, the explained breakdown from ``sitefinder.scoring.explain``; ``etl_run`` for the
data's dates): a location map (``locationmap``: SVG in RD New, no tiles), the score and range
with the breakdown chart (``charts``), the nearest facilities, the zoning plan, the
constraints and exclusions, the site's own facts, the data sources with their dates and a
disclaimer. A province flag appears only when the viewer may see it (the caller passes the
flags ``flagview.visible`` found through the scope filter).

The HTML served by the API links its stylesheet (the app's CSP allows no inline styles); the
PDF gets the same stylesheet from the package, and the page size from ``@page``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from markupsafe import Markup

from etl.runs import latest_runs
from layers import catalogue as layer_catalogue
from layers import site_kinds
from sitefinder.api.reports import STYLESHEET, STYLESHEET_URL
from sitefinder.api.reports.charts import breakdown_svg, score_range_svg
from sitefinder.api.reports.locationmap import location_svg
from sitefinder.scoring import criteria

if TYPE_CHECKING:  # imported in _environment: the API starts without it
    import jinja2

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
CSS_FILE = STYLESHEET
CSS_URL = STYLESHEET_URL
MAX_SHORTLIST = 25  # sites in one shortlist report or map
MAX_PDF_SHORTLIST = 10  # sites in one PDF (2 pages and 1.5-2 s of WeasyPrint each)
LANGS = ("nl", "en")

WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "decimal": ",",
        "report": "Locatierapport",
        "shortlist": "Shortlist",
        "shortlist_intro": "Locaties in deze shortlist, in de volgorde waarin ze gekozen zijn.",
        "generated": "Gemaakt op",
        "profile": "Profiel",
        "own_weights": "eigen weging",
        "site_id": "Kenmerk",
        "gemeente": "Gemeente",
        "kind": "Soort",
        "map": "Ligging",
        "map_caption": "Kaart in RD (EPSG:28992); rood: de locatie, oranje: andere locaties,"
        " grijs: panden, paars: bestemmingsplan, groen: Natura 2000, nummers: dichtstbijzijnde"
        " voorzieningen. Geen achtergrondkaart.",
        "score": "Score",
        "range": "Bandbreedte",
        "range_note": "Met de ontbrekende gegevens kan de score tussen {low} en {high} liggen.",
        "rank": "Plaats in de rangorde",
        "completeness": "Bekend deel van de weging",
        "excluded": "Uitgesloten",
        "excluded_by": "Uitgesloten door: {list}",
        "not_excluded": "Niet uitgesloten",
        "breakdown": "Opbouw van de score",
        "chart": "Opbouw van de score per criterium",
        "value": "Waarde",
        "contribution": "Bijdrage",
        "weight": "gewicht",
        "unknown": "onbekend",
        "excludes": "sluit uit",
        "nearest": "Dichtstbijzijnde voorzieningen",
        "criterion": "Criterium",
        "name": "Naam",
        "category": "Soort",
        "walk": "Loopafstand",
        "straight": "Hemelsbreed",
        "none_found": "Niets gevonden binnen het zoekgebied of buiten de dekking van de gegevens.",
        "zoning": "Bestemmingsplan",
        "zoning_unknown": "Onbekend: de locatie valt buiten de geladen plannen.",
        "zoning_class": "Bestemming",
        "plan": "Plan",
        "plan_status": "Planstatus",
        "plan_date": "Plandatum",
        "overlays": "Dubbelbestemmingen en aanduidingen",
        "constraints": "Beperkingen",
        "natura2000": "Natura 2000",
        "inside": "ligt erin",
        "outside": "ligt erbuiten",
        "distance": "afstand",
        "constraint_areas": "Beperkende gebieden",
        "no_constraints": "Geen beperkende gebieden gevonden.",
        "checks": "Te controleren",
        "facts": "Gegevens van de locatie",
        "places": "Plaatsen",
        "places_estimate": "schatting",
        "floor_area": "Vloeroppervlak",
        "area": "Oppervlak",
        "vacancy": "Leegstand",
        "vacant_since": "leeg sinds",
        "flag": "Status (provincie)",
        "sources": "Bronnen en peildata",
        "layer": "Kaartlaag",
        "publisher": "Uitgever",
        "licence": "Licentie",
        "as_of": "Peildatum",
        "retrieved": "Geladen",
        "site_sources": "Bronnen van deze locatie",
        "disclaimer_title": "Voorbehoud",
        "disclaimer": "Dit rapport is automatisch samengesteld uit open data met de op de"
        " datum hierboven geldende gegevens en weging. De score is een hulpmiddel om locaties te"
        " vergelijken, geen besluit of vergunning: bestemming, eigendom, bodem, geluid,"
        " veiligheid en de feitelijke situatie moeten ter plaatse en bij de bevoegde instanties"
        " worden gecontroleerd. Ontbrekende gegevens staan als onbekend vermeld en kunnen de"
        " score nog veranderen (zie de bandbreedte).",
        "yes": "ja",
        "no": "nee",
        "m": "m",
        "page": "Pagina",
    },
    "en": {
        "decimal": ".",
        "report": "Site report",
        "shortlist": "Shortlist",
        "shortlist_intro": "Sites in this shortlist, in the order they were chosen.",
        "generated": "Generated on",
        "profile": "Profile",
        "own_weights": "own weights",
        "site_id": "Reference",
        "gemeente": "Municipality",
        "kind": "Kind",
        "map": "Location",
        "map_caption": "Map in RD (EPSG:28992); red: the site, orange: other sites, grey:"
        " buildings, purple: zoning plan, green: Natura 2000, numbers: nearest facilities."
        " No basemap.",
        "score": "Score",
        "range": "Range",
        "range_note": "With the missing data the score may lie between {low} and {high}.",
        "rank": "Rank",
        "completeness": "Share of the weight known",
        "excluded": "Excluded",
        "excluded_by": "Excluded by: {list}",
        "not_excluded": "Not excluded",
        "breakdown": "Score breakdown",
        "chart": "Score breakdown per criterion",
        "value": "Value",
        "contribution": "Contribution",
        "weight": "weight",
        "unknown": "unknown",
        "excludes": "excludes",
        "nearest": "Nearest facilities",
        "criterion": "Criterion",
        "name": "Name",
        "category": "Kind",
        "walk": "Walking distance",
        "straight": "Straight line",
        "none_found": "Nothing found within the search radius or outside the data's coverage.",
        "zoning": "Zoning plan",
        "zoning_unknown": "Unknown: the site lies outside the loaded plans.",
        "zoning_class": "Zoning",
        "plan": "Plan",
        "plan_status": "Plan status",
        "plan_date": "Plan date",
        "overlays": "Overlays",
        "constraints": "Constraints",
        "natura2000": "Natura 2000",
        "inside": "inside",
        "outside": "outside",
        "distance": "distance",
        "constraint_areas": "Constraining areas",
        "no_constraints": "No constraining areas found.",
        "checks": "To check",
        "facts": "About the site",
        "places": "Places",
        "places_estimate": "estimate",
        "floor_area": "Floor area",
        "area": "Area",
        "vacancy": "Vacancy",
        "vacant_since": "vacant since",
        "flag": "Status (province)",
        "sources": "Data sources and dates",
        "layer": "Layer",
        "publisher": "Publisher",
        "licence": "Licence",
        "as_of": "Data as of",
        "retrieved": "Loaded",
        "site_sources": "Sources of this site",
        "disclaimer_title": "Disclaimer",
        "disclaimer": "This report was compiled automatically from open data, with the data"
        " and weights in force on the date above. The score helps to compare sites; it is no"
        " decision or permit: zoning, ownership, soil, noise, safety and the actual situation"
        " must be checked on site and with the competent authorities. Missing data is shown as"
        " unknown and may still change the score (see the range).",
        "yes": "yes",
        "no": "no",
        "m": "m",
        "page": "Page",
    },
}


@dataclass(frozen=True)
class ReportSite:
    """One site's part of a report: the detail feature and its visible flag (or None)."""

    feature: dict[str, Any]
    flag: dict[str, Any] | None = None


def _number(value: Any, digits: int, lang: str) -> str:
    if value is None:
        return "–"
    text = f"{float(value):,.{digits}f}"
    if lang == "nl":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


def _metres(value: Any, lang: str) -> str:
    return "–" if value is None else f"{_number(value, 0, lang)} m"


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _nearest_rows(
    breakdown: Sequence[dict[str, Any]], titles: dict[str, str]
) -> list[dict[str, Any]]:
    """Every criterion's nearest facility (its ``nearest`` fact), numbered for the map."""
    rows: list[dict[str, Any]] = []
    for item in breakdown:
        nearest = (item.get("facts") or {}).get("nearest")
        if not isinstance(nearest, dict) or (not nearest.get("name") and not nearest.get("id")):
            continue
        rows.append(
            {
                "n": len(rows) + 1,
                "criterion": titles.get(item["criterion"], item["criterion"]),
                **nearest,
            }
        )
    return rows


def _facts(breakdown: Sequence[dict[str, Any]], name: str) -> dict[str, Any]:
    for item in breakdown:
        if item["criterion"] == name:
            return item.get("facts") or {}
    return {}


def site_context(
    conn: psycopg.Connection[Any], site: ReportSite, lang: str, runs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """What the template shows of one site (texts escaped by the template; SVG built here)."""
    words = WORDS[lang]
    props = site.feature["properties"]
    titles = {
        c.name: (c.title_nl if lang == "nl" else c.title_en)
        for c in criteria.catalogue().values()
        if hasattr(c, "title_nl")
    }
    kinds = site_kinds()
    kind = kinds.get(props.get("kind") or "")
    breakdown = props.get("breakdown", [])
    nearest = _nearest_rows(breakdown, titles)
    near_ids = {row["id"]: row["n"] for row in nearest if row.get("id")}
    name = props.get("name") or props["id"]
    zoning = _facts(breakdown, "zoning")
    natura = _facts(breakdown, "natura2000")
    constraint_areas = _facts(breakdown, "constraints").get("areas") or []
    used_layers = sorted({props["layer"], "gemeenten", *_criterion_layers()} & set(runs))
    layers = layer_catalogue()
    return {
        "id": props["id"],
        "name": name,
        "kind": (kind.title_nl if lang == "nl" else kind.title_en) if kind else props.get("kind"),
        "gemeente": props.get("gemeentenaam") or props.get("gemeentecode") or "–",
        "map": Markup(  # noqa: S704 - built by locationmap with every text escaped
            location_svg(conn, props["id"], near_ids, title=f"{words['map']}: {name}")
        ),
        "score": _number(props.get("score"), 2, lang),
        "score_low": _number(props.get("score_low"), 2, lang),
        "score_high": _number(props.get("score_high"), 2, lang),
        "range_chart": Markup(  # noqa: S704 - numbers and an escaped label only
            score_range_svg(
                props.get("score"),
                props.get("score_low"),
                props.get("score_high"),
                words["range"],
                words["decimal"],
            )
        ),
        "rank": props.get("rank"),
        "completeness": f"{round(100 * float(props.get('completeness') or 0))}%",
        "excluded": bool(props.get("excluded")),
        "reasons": [titles.get(r["criterion"], r["criterion"]) for r in props.get("reasons", [])],
        "chart": Markup(  # noqa: S704 - built by charts with every text escaped
            breakdown_svg(breakdown, titles, words)
        ),
        "nearest": [
            {
                **row,
                "walk": _metres(row.get("walk_m"), lang),
                "straight": _metres(row.get("distance_m"), lang),
            }
            for row in nearest
        ],
        "zoning": zoning.get("zoning"),
        "zoning_areas": zoning.get("areas") or [],
        "natura": natura,
        "natura_distance": _metres((natura.get("nearest") or {}).get("distance_m"), lang)
        if isinstance(natura.get("nearest"), dict)
        else None,
        "constraint_areas": constraint_areas,
        "checks": props.get("checks") or [],
        "places": _number(props.get("places"), 0, lang)
        if props.get("places") is not None
        else None,
        "places_estimate": props.get("places_source") == "estimate",
        "floor_area": _metres(props.get("floor_area_m2"), lang).replace(" m", " m²")
        if props.get("floor_area_m2")
        else None,
        "area": _metres(props.get("area_m2"), lang).replace(" m", " m²")
        if props.get("area_m2")
        else None,
        "vacancy": props.get("vacancy"),
        "vacant_since": props.get("vacant_since"),
        "flag": site.flag,
        "site_sources": props.get("sources") or [],
        "sources": [
            {
                "layer": (layers[n].title_nl if lang == "nl" else layers[n].title_en)
                if n in layers
                else n,
                **runs[n],
            }
            for n in used_layers
        ],
    }


def _criterion_layers() -> list[str]:
    """The layers the criteria read (their data dates belong in every report)."""
    found: list[str] = []
    for declaration in criteria.catalogue().values():
        found += [read.layer for read in getattr(declaration, "reads", ())]
    return found


def render_html(
    conn: psycopg.Connection[Any],
    sites: Sequence[ReportSite],
    *,
    lang: str,
    profile: str,
    own_weights: bool,
    shortlist: bool,
    css_href: str | None = CSS_URL,
) -> str:
    """The report as one HTML document; ``css_href`` None inlines the stylesheet (for the
    PDF, which has no CSP and no server to ask)."""
    runs = latest_runs(conn)
    words = WORDS[lang]
    contexts = [site_context(conn, site, lang, runs) for site in sites]
    template = _environment().get_template("report.html")
    return template.render(
        lang=lang,
        w=words,
        sites=contexts,
        shortlist=shortlist,
        profile=profile,
        own_weights=own_weights,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        css_href=css_href,
        css=Markup(CSS_FILE.read_text(encoding="utf-8")) if css_href is None else "",  # noqa: S704
    )


def render_pdf(html: str) -> bytes:
    """The HTML (with its stylesheet inlined) as PDF, by WeasyPrint; no network access: the
    report has no external resources (fonts are the system's, the maps are inline SVG)."""
    import weasyprint  # imported here: loading Pango takes a moment, only reports need it

    def no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ValueError(f"the report loads no external resources ({url[:60]})")

    document = weasyprint.HTML(string=html, url_fetcher=no_fetch)
    pdf: bytes = document.write_pdf()
    return pdf
