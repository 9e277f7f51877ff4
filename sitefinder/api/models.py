"""The API's types: parsed request values and the pydantic models of every request and response.

Every route returns one of these models, so the OpenAPI document (/docs) shows what clients get.
Geometry is GeoJSON in WGS84 (EPSG:4326, lon/lat degrees) as geojson-pydantic models; the
database stores EPSG:28992. Distances are metres, areas square metres.

Response models forbid keys they do not declare: a value a query adds without declaring it here
fails loudly (in the tests) instead of reaching clients undocumented. Fields that are optional
(``= None``) are left out of a response when the query did not set them (routes serialise with
``exclude_unset``): a criterion's facts carry only the keys it emits, not the whole vocabulary
as ``null``. Explanations are facts (numbers, names, codes); the page words them per language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from geojson_pydantic import Feature, FeatureCollection, MultiPolygon, Point, Polygon
from geojson_pydantic.geometries import Geometry
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from layers import Coverage, Kind, Shape, site_kinds
from sitefinder.api.geojson import GeometryIn, geometry_message

# --- parsed request values (returned by the dependencies in deps.py) ---


@dataclass(frozen=True)
class BBox:
    """A WGS84 (EPSG:4326) bounding box in degrees: west, south, east, north."""

    west: float
    south: float
    east: float
    north: float


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


# --- shared pieces ---


class ApiModel(BaseModel):
    """Base of the response models: undeclared keys are an error, not silently sent or dropped."""

    model_config = ConfigDict(extra="forbid")


class LocalText(ApiModel):
    """A text in Dutch (first) and English."""

    nl: str
    en: str


Bounds = Annotated[
    list[float],
    Field(min_length=4, max_length=4, description="west, south, east, north (WGS84 degrees)"),
]
Weights = Annotated[
    dict[str, float],
    Field(description="weight per criterion (GET /api/profiles -> criteria), as given"),
]


class FieldError(ApiModel):
    field: str = Field(description="where: query.limit, body.geometry, path.site_id, ...")
    message: str


class ErrorBody(ApiModel):
    """The body of every error response (4xx and 5xx)."""

    detail: str = Field(description="one-line message, fit to show to the user")
    errors: list[FieldError] | None = Field(
        default=None, description="for invalid requests: one entry per invalid field"
    )


# --- meta: health and config ---


class LayerHealth(ApiModel):
    count: int = Field(description="features loaded")
    data_as_of: str | None = Field(description="date of the source data (publisher's)")
    retrieved_at: str | None = Field(description="end of the last successful load (UTC)")
    quarantined: int | None = Field(description="records of the last load put aside")


class Health(ApiModel):
    status: Literal["ok", "empty"] = Field(description="empty: no layer loaded yet")
    database: bool
    layers: dict[str, LayerHealth]
    scored_sites: int = Field(description="sites with raw criteria (site_raw)")


class Basemap(ApiModel):
    url: str = Field(description="XYZ tile URL template (EPSG:3857)")
    attribution: str


class AppConfig(ApiModel):
    basemap: Basemap
    default_profile: str
    bounds: Bounds | None = Field(description="extent of all sites; null when none loaded")
    attribution: str


# --- layers ---


class SiteKindInfo(ApiModel):
    """A kind of candidate site (``layers.SiteKind``): the page's legend, filter and markers."""

    code: str = Field(description="what the kind filter takes and site.kind holds")
    title: LocalText
    plural: LocalText
    shape: Shape
    colour: str = Field(description="CSS colour of the symbol's outline")
    min_places: int | None = Field(
        default=None, description="fewest places a candidate of this kind needs (else excluded)"
    )


class LayerRun(ApiModel):
    """What is loaded of a layer: its last successful ETL run."""

    source: str | None
    publisher: str | None
    licence: str | None
    data_as_of: str | None
    retrieved_at: str | None
    n_loaded: int | None
    n_quarantined: int | None
    count: int = Field(description="features in the database now")


class LayerInfo(ApiModel):
    name: str
    title: LocalText
    description: LocalText
    kind: Kind
    geometry_type: str
    source: str = Field(description="the etl module that loads it")
    coverage: Coverage
    categories: list[str] = Field(
        description="feature categories the layer holds completely inside its coverage"
    )
    site_kind: SiteKindInfo | None = Field(description="for site layers: the kind they load")
    style: dict[str, Any] = Field(description="Leaflet path options for the map")
    visible: bool = Field(description="shown when the map opens")
    pickable: bool = Field(
        description="an owner can click one of its features to take it as their site"
        " (GET /api/layers/{name}/at)"
    )
    loaded: LayerRun | None = Field(description="null: never loaded")


class LayerCatalogue(ApiModel):
    layers: list[LayerInfo]


class LayerFeatureProperties(ApiModel):
    id: str
    name: str | None
    code: str | None = Field(description="areas: the official code (CBS, IMRO plan, ...)")
    category: str | None


class LayerFeature(Feature[Geometry, LayerFeatureProperties]):
    id: str  # our ids are always text


class LayerFeatures(FeatureCollection[LayerFeature]):
    layer: str
    total: int = Field(description="features matching (in the bbox), also beyond the limit")
    truncated: bool = Field(description="true: more features match than were returned")


class LayerFeaturesAt(LayerFeatures):
    """The features of a layer at a point, the nearest first, then the smallest; none there:
    an empty ``features`` (``total`` 0)."""

    lon: float = Field(description="the point asked for, WGS84 degrees")
    lat: float
    radius_m: float = Field(description="metres (EPSG:28992) around the point searched")


# --- explanation facts (FACTS.md): numbers, names and codes the page words per language ---


class NearestFeature(ApiModel):
    """The nearest feature of a kind (stop, care, shop, area). Metres are rounded."""

    id: str | None = None
    name: str | None = None
    category: str | None = Field(default=None, description="code, e.g. tram, supermarket")
    walk_m: float | None = Field(
        default=None, description="straight line x the profile's detour factor (metres)"
    )
    distance_m: float | None = Field(default=None, description="metres")
    departures_per_hour: float | None = Field(
        default=None, description="stops only; null: timetable unknown"
    )
    station_type: str | None = Field(
        default=None, description="stations: class in the national list, e.g. intercitystation"
    )
    source: str | None = Field(default=None, description="stops: the source key of the stop")
    as_of: str | None = Field(default=None, description="stops: that source's data date")


class AreaRef(ApiModel):
    id: str
    name: str | None = None
    category: str | None = None
    factor: float | None = Field(
        default=None, description="zoning overlays: the factor it puts on the zoning value"
    )


class ZoningFact(ApiModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    zoning_class: str | None = Field(alias="class", description="e.g. wonen")
    name: str | None = None
    plan: str | None = Field(default=None, description="IMRO plan id of the deciding plan")
    plan_name: str | None = None
    plan_status: str | None = Field(default=None, description="e.g. vastgesteld, ontwerp")
    plan_date: str | None = Field(default=None, description="its planstatus date, YYYY-MM-DD")
    plan_type: str | None = Field(default=None, description="e.g. bestemmingsplan")
    overlay_factor: float | None = Field(
        default=None, description="the smallest factor of the overlays counted (1: none)"
    )


class Facts(ApiModel):
    """What a criterion found, in the fact vocabulary shared by all criteria (all optional)."""

    nearest: NearestFeature | None = None
    count: int | None = Field(default=None, description="features within radius_m")
    radius_m: float | None = None
    layer: str | None = Field(default=None, description="count: the layer counted, e.g. care")
    zoning: ZoningFact | None = None
    places: float | None = Field(default=None, description="null: unknown")
    min_places: int | None = Field(default=None, description="fewer places: too small")
    inside: bool | None = Field(default=None, description="polygon constraints")
    area: AreaRef | None = Field(default=None, description="the area the site lies in")
    search_radius_m: float | None = None
    areas: list[AreaRef] | None = Field(
        default=None, description="constraint hits; the overlays counted by zoning"
    )


class BreakdownItem(ApiModel):
    """One criterion of a site's score, in catalogue order."""

    criterion: str = Field(description="criterion name (GET /api/profiles -> criteria)")
    unit: str = Field(description="unit of raw")
    raw: int | float | str | None = Field(description="the raw value the value function read")
    value: float | None = Field(description="0-1; null when missing")
    weight: float
    effective_weight: float = Field(description="renormalised over the criteria with data")
    contribution: float
    missing: bool = Field(description="no data here (outside the layer's coverage)")
    excluded: bool = Field(description="this criterion excluded the site")
    facts: Facts | None = Field(description="null when missing")


class Reason(ApiModel):
    """Why a site is excluded: the criterion that excluded it (its title: GET /api/profiles)."""

    criterion: str


class NearestPlaces(ApiModel):
    """The ``nearest`` facts of transit, care distance and daily needs (null: none/no data)."""

    stop: NearestFeature | None
    care: NearestFeature | None
    supermarket: NearestFeature | None


class Explained(ApiModel):
    """A scored place's explanation: the breakdown, exclusion reasons and nearest places."""

    breakdown: list[BreakdownItem]
    reasons: list[Reason]
    nearest: NearestPlaces


# --- sites ---

RankBy = Annotated[
    Literal["conservative", "score"],
    Field(
        description="conservative: solid scores first, by their lowest possible score (docs/"
        "scoring.md section 3); score: by the point score"
    ),
]


class SiteColumns(ApiModel):
    id: str
    name: str | None
    kind: str = Field(description="site kind code (GET /api/layers -> site_kind)")
    layer: str
    gemeentecode: str | None = Field(description="CBS code, e.g. GM0363")
    gemeentenaam: str | None
    area_m2: float | None
    floor_area_m2: float | None = Field(description="offices: usable floor area (BAG)")
    places: float | None = Field(description="the places the score used; null: unknown")
    places_source: Literal["estimate", "capacity", "given"] | None = Field(
        default=None,
        description="estimate: from floor or plot area; capacity: the park's own number;"
        " given: by whoever asked for the score",
    )
    vacancy: Literal["leeg", "in gebruik", "onbekend"] | None = Field(
        default=None, description="offices: vacant, in use or unknown; null for other kinds"
    )
    vacant_since: str | None = Field(default=None, description="offices: ISO date, if vacant")


class LocationCheck(ApiModel):
    """Something about a site a person should look at before relying on it."""

    code: Literal["outside_gemeente"] = Field(
        description="outside_gemeente: the site lies just outside every municipality (in the"
        " water by the shore, or across a generalised border); gemeente is the nearest"
    )
    gemeentecode: str | None = None
    gemeentenaam: str | None = None
    distance_m: float | None = Field(default=None, description="to that gemeente (metres)")


class Score(ApiModel):
    score: float | None = Field(
        description="point score 0-1 over the criteria with data; null when none has data"
    )
    score_low: float | None = Field(
        default=None, description="lowest possible score: each missing criterion at value 0"
    )
    score_high: float | None = Field(
        default=None, description="highest possible score: each missing criterion at value 1"
    )
    rank: int | None = Field(description="1 = best, among the sites that pass the filters")
    excluded: bool
    missing: list[str] = Field(description="criteria with weight but no data here")
    completeness: float = Field(description="share of the weight that has data (0-1)")
    solid: bool | None = Field(
        default=None, description="completeness at least solid_completeness (0.6)"
    )
    checks: list[LocationCheck] | None = Field(
        default=None, description="what a person should look at (the page's '!')"
    )


class Stability(ApiModel):
    k: int
    in_top_k: float = Field(
        description="share of draws in the top k: weights +-20 % and each missing criterion"
        " of every site drawn in [0, 1]"
    )


class FlagSummary(ApiModel):
    """A site's province flag as the viewer may see it (sitefinder.accounts.scope); no flag
    (or one the viewer may not see): the key is left out and the site is niet_beoordeeld."""

    status: str = Field(description="workflow status (GET /api/flags/statuses)")
    confidential: bool
    tags: list[str]


class SiteSummary(Score, SiteColumns):
    reasons: list[Reason]
    stability: Stability
    flag: FlagSummary | None = None


class SiteFeature(Feature[Point, SiteSummary]):
    """A site in a list: its point on surface."""

    id: str


class SiteCollection(FeatureCollection[SiteFeature]):
    """Ranked sites, best first."""

    total: int = Field(description="sites passing the filters (all pages)")
    limit: int
    offset: int
    profile: str
    weights: Weights
    rank_by: RankBy | None = None
    min_completeness: float | None = Field(default=None, description="the filter applied")
    solid_completeness: float | None = Field(
        default=None, description="the completeness from which a score is solid"
    )


class SourceRecord(ApiModel):
    """One source record of a site, with the layer's publisher, licence and dates."""

    model_config = ConfigDict(extra="allow")  # the record's own keys (file, how, ...) vary

    layer: str
    publisher: str | None
    licence: str | None
    data_as_of: str | None
    retrieved_at: str | None
    source: str | None = None
    source_ref: str | None = None


class SiteDetail(Explained, Score, SiteColumns):
    flag: FlagSummary | None = None
    rank_by: RankBy | None = None
    props: dict[str, Any] | None = Field(description="the source's own attributes")
    sources: list[SourceRecord]
    source: str | None
    source_ref: str | None
    profile: str
    weights: Weights


class SiteDetailFeature(Feature[Geometry, SiteDetail]):
    """A site with its full geometry and explained score."""

    id: str


class RegionRef(ApiModel):
    code: str | None = Field(description="CBS code of the centrumgemeente, e.g. GM0202")
    name: str


class GemeenteRegions(ApiModel):
    """The regions a gemeente belongs to (Regioatlas, 2017-2019 division)."""

    centrumgemeente: RegionRef | None = Field(
        description="centrumgemeente for maatschappelijke opvang and beschermd wonen"
    )
    ggd: str | None = Field(description="GGD region")
    wmo: str | None = Field(description="Wmo region")


class Gemeente(ApiModel):
    code: str = Field(description="CBS code, e.g. GM0363")
    name: str
    n_sites: int
    bbox: Bounds
    regions: GemeenteRegions | None = Field(
        default=None, description="null: the regions layer has no row for this gemeente"
    )


class Gemeenten(ApiModel):
    gemeenten: list[Gemeente]


# --- scoring: profiles and ad-hoc geometries ---


class ProfileInfo(ApiModel):
    name: str
    title: LocalText
    description: LocalText
    weights: Weights


class CriterionInfo(ApiModel):
    name: str
    title: LocalText
    unit: str = Field(description="unit of the raw value")
    constraint: bool = Field(description="only excludes; no weight of its own by default")
    facts: list[str] | None = Field(default=None, description="the fact keys it emits")


class Profiles(ApiModel):
    default: str
    profiles: list[ProfileInfo]
    criteria: list[CriterionInfo]


SiteGeometry = Annotated[Point | Polygon | MultiPolygon, Field(discriminator="type")]


class AdHocSite(BaseModel):
    """A geometry to score that is not in the database (e.g. an owner's plot): strict GeoJSON,
    bounded (``sitefinder.api.geojson``); no other members."""

    model_config = ConfigDict(extra="forbid")

    geometry: GeometryIn
    name: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, json_schema_extra={"enum": list(site_kinds())})
    places: float | None = Field(
        default=None,
        ge=0,
        le=100000,
        allow_inf_nan=False,
        strict=True,  # a JSON number: not "12", not false
        description="estimated places",
    )
    floor_area_m2: float | None = Field(
        default=None,
        ge=0,
        le=10_000_000,
        allow_inf_nan=False,
        strict=True,
        description="usable floor area (m²); when places is not given: 25 m² per place",
    )

    @field_validator("geometry", mode="wrap")
    @classmethod
    def _one_message(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # one clear line instead of an error per member of the union
        try:
            return handler(value)
        except ValidationError as exc:
            raise ValueError(geometry_message(exc.errors())) from None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str | None) -> str | None:
        if value is not None and value not in site_kinds():
            raise ValueError(f"kind must be one of {', '.join(site_kinds())}")
        return value


class AdHocProperties(Explained):
    name: str | None
    kind: str | None
    area_m2: float | None = Field(description="null for a point")
    floor_area_m2: float | None = None
    places: float | None = Field(description="the places the score used; null: unknown")
    places_source: Literal["estimate", "given"] | None = Field(
        default=None, description="given: as sent; estimate: from the floor area sent"
    )
    score: float | None = Field(description="point score over the criteria with data")
    score_low: float | None = Field(default=None, description="each missing criterion at 0")
    score_high: float | None = Field(default=None, description="each missing criterion at 1")
    completeness: float | None = Field(default=None, description="share of the weight with data")
    solid: bool | None = None
    excluded: bool
    profile: str
    weights: Weights
    missing: list[str]
    fill_in: list[Literal["places", "floor_area_m2"]] | None = Field(
        default=None,
        description="what the owner can send to narrow the range (the size is unknown)",
    )


class AdHocFeature(Feature[SiteGeometry, AdHocProperties]):
    """The scored geometry as the API read it (repaired where invalid, WGS84, 6 decimals):
    never the request's own text."""


# --- vector tiles (routers/tiles.py) ---


class VectorLayer(ApiModel):
    """One layer inside the tiles of a tile set (TileJSON 3.0.0 ``vector_layers``)."""

    id: str
    description: str = ""
    minzoom: int
    maxzoom: int
    fields: dict[str, str]  # attribute name -> "String", "Number" or "Boolean"


class TileJSON(ApiModel):
    """A tile set as TileJSON 3.0.0 (MapLibre, QGIS, Leaflet plugins read it): the tile URL
    template (XYZ, Web Mercator EPSG:3857, Mapbox Vector Tiles), zooms, WGS84 bounds and the
    attributes each layer of the tiles carries."""

    tilejson: Literal["3.0.0"] = "3.0.0"
    name: str
    description: str
    version: str
    attribution: str
    scheme: Literal["xyz"] = "xyz"
    tiles: list[str]
    minzoom: int
    maxzoom: int
    bounds: list[float]
    center: list[float]
    vector_layers: list[VectorLayer]
    # sites: the criteria whose values the tiles carry (those that weigh in a score; catalogue
    # order) and the profile's
    # weights, so that a client computes the score as the engine does (weighted mean over the
    # criteria with data; excluded sites have none)
    profile: str | None = None
    criteria: list[str] | None = None
    weights: dict[str, float] | None = None
