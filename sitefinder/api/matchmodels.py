"""The pydantic models of the matchmaking routes: properties and offers, demands, matches,
saved searches, notifications, address search and reading an uploaded file.

Kept beside ``models.py`` and ``accountmodels.py`` so that matchmaking stays in its own module.
Request geometries are the strict, bounded GeoJSON of ``sitefinder.api.geojson`` (WGS84).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from sitefinder.api.accountmodels import IsoDate, RequestModel
from sitefinder.api.geojson import GeometryIn, PointIn, PolygonIn
from sitefinder.api.models import ApiModel
from sitefinder.scoring import profile_names

Text = Field(default="", max_length=2000)
GEMEENTE = r"^GM[0-9]{4}$"


def _profile() -> Any:
    names: list[Any] = list(profile_names())
    return Field(max_length=40, json_schema_extra={"enum": names})


Short = Field(default="", max_length=200)


# --- properties and offers ---


class PropertyBody(RequestModel):
    """An owner's property: where (GeoJSON, WGS84), what they know, and how to reach them."""

    geometry: GeometryIn
    name: str = Short
    places: int | None = Field(default=None, ge=0, le=100_000, strict=True)
    floor_area_m2: float | None = Field(
        default=None, ge=0, le=10_000_000, allow_inf_nan=False, strict=True
    )
    available_from: IsoDate | None = None
    available_to: IsoDate | None = None
    conditions: str = Text
    consent_contact: bool = Field(default=False, strict=True)
    contact_name: str = Short
    contact_email: str = Short
    contact_phone: str = Field(default="", max_length=40)


class Property(ApiModel):
    id: int
    name: str
    status: Literal["saved", "offered", "withdrawn"]
    own: bool = Field(description="the viewer is its owner")
    area_m2: float | None
    places: int | None
    floor_area_m2: float | None
    available_from: date | None
    available_to: date | None
    conditions: str
    consent_contact: bool
    contact_name: str = Field(description="personal data: blank unless you may see it")
    contact_email: str
    contact_phone: str
    gemeentecode: str | None
    provinciecode: str | None
    gemeentenaam: str | None
    created_at: datetime
    updated_at: datetime
    offered_at: datetime | None
    geometry: dict[str, Any] = Field(description="GeoJSON geometry, WGS84")


class Properties(ApiModel):
    properties: list[Property]


class Created(ApiModel):
    id: int


# --- demands and matches ---


class DemandBody(RequestModel):
    """What a gemeente asks for. ``area_kind``: its ``territory``, a ``radius`` (``radius_m``
    around ``center``) or a drawn ``polygon``."""

    title: str = Short
    gemeentecode: str | None = Field(default=None, pattern=GEMEENTE, description="default: yours")
    profile: str = _profile()
    places: int = Field(ge=1, le=100_000, strict=True)
    period_from: IsoDate
    period_to: IsoDate | None = None
    area_kind: Literal["territory", "radius", "polygon"] = "territory"
    center: PointIn | None = None
    radius_m: float | None = Field(default=None, gt=0, le=50_000, allow_inf_nan=False, strict=True)
    polygon: PolygonIn | None = None
    max_care_m: float | None = Field(
        default=None, gt=0, le=50_000, allow_inf_nan=False, strict=True
    )
    min_score: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False, strict=True)


class Demand(ApiModel):
    id: int
    gemeentecode: str
    provinciecode: str | None
    gemeentenaam: str | None
    title: str
    profile: str
    places: int
    period_from: date
    period_to: date | None
    area_kind: str
    radius_m: float | None
    max_care_m: float | None
    min_score: float | None
    status: str
    created_at: datetime
    area: dict[str, Any] = Field(description="GeoJSON (Multi)Polygon, WGS84")


class Demands(ApiModel):
    demands: list[Demand]


class MatchReason(ApiModel):
    """A fact that makes a candidate match: ``code`` (in_area, places, period, care, score)
    with its numbers."""

    model_config = ConfigDict(extra="allow")
    code: str


class Candidate(ApiModel):
    source: Literal["offer", "site"]
    id: str = Field(description="offer:<id> or site:<site id>")
    property_id: int | None
    site_id: str | None
    name: str | None
    kind: str | None = None
    places: int | None
    lon: float | None = None
    lat: float | None = None
    score: float | None
    score_low: float | None
    score_high: float | None
    completeness: float
    why: list[MatchReason]
    unknown: list[str] = Field(description="what the data does not say: places, period, care")
    offer: dict[str, Any] | None = None


class Combination(ApiModel):
    """Offers that together have the places a demand needs, when no single offer has them
    (the rule: ``docs/scoring.md``, section 10)."""

    id: str = Field(description="combination:<property id>+<property id>...")
    property_ids: list[int]
    places: int = Field(description="the members' places added up")
    score: float | None = Field(description="the members' scores weighted by their places")
    score_low: float | None
    score_high: float | None
    completeness: float
    why: list[MatchReason] = Field(description="places_sum: places, needed, offers")
    unknown: list[str] = Field(description="what the data does not say of any member")
    members: list[Candidate] = Field(description="each offer with why it matches but places")


class CombinationSearch(ApiModel):
    candidates: int = Field(description="offers that match in everything but places")
    considered: int = Field(description="the best of them that combinations were sought among")
    truncated: bool = Field(description="whether candidates were left out of the search")


class Matches(ApiModel):
    demand: Demand | None = None
    criteria: dict[str, Any]
    offers: list[Candidate]
    sites: list[Candidate]
    combinations: list[Combination] = Field(
        description="offers whose places add up, only when no single offer has enough"
    )
    combination_search: CombinationSearch


class ProposeBody(RequestModel):
    demand_id: int = Field(ge=1, le=2**53, strict=True)
    property_id: int | None = Field(default=None, ge=1, le=2**53, strict=True)
    site_id: str | None = Field(default=None, min_length=1, max_length=200)
    property_ids: list[Annotated[int, Field(ge=1, le=2**53, strict=True)]] | None = Field(
        default=None,
        min_length=2,
        max_length=4,
        description="a combination of offers whose places add up to the demand's need",
    )
    note: str = Field(default="", max_length=4000)


class MatchStatusBody(RequestModel):
    status: Literal["voorgesteld", "in_gesprek", "akkoord", "afgewezen"]
    note: str = Field(default="", max_length=4000)


class Proposal(ApiModel):
    id: int
    demand_id: int
    property_id: int | None
    site_id: str | None
    gemeentecode: str
    provinciecode: str | None
    gemeentenaam: str | None
    status: str
    combination_id: int | None = Field(
        default=None, description="shared by the offers proposed together as a combination"
    )
    note: str
    created_at: datetime
    updated_at: datetime
    demand_title: str | None
    demand_places: int | None
    period_from: date | None
    period_to: date | None
    profile: str | None
    name: str | None
    own: bool
    offer_status: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    offer_places: int | None
    next: list[str] = Field(description="the statuses you may move it to")


class Proposals(ApiModel):
    matches: list[Proposal]


class MatchAuditEntry(ApiModel):
    id: int
    at: datetime
    match_id: int
    actor: str
    from_status: str | None
    to_status: str
    note: str


class MatchAudit(ApiModel):
    entries: list[MatchAuditEntry]


# --- saved searches and notifications ---


class SearchBody(RequestModel):
    """A saved search: the criteria of a demand (area: a gemeente's territory, a radius or a
    polygon), a minimum score, and whether to send e-mail."""

    name: str = Short
    profile: str = _profile()
    places: int | None = Field(default=None, ge=1, le=100_000, strict=True)
    period_from: IsoDate | None = None
    period_to: IsoDate | None = None
    gemeentecode: str | None = Field(default=None, pattern=GEMEENTE)
    center: PointIn | None = None
    radius_m: float | None = Field(default=None, gt=0, le=50_000, allow_inf_nan=False, strict=True)
    polygon: PolygonIn | None = None
    max_care_m: float | None = Field(
        default=None, gt=0, le=50_000, allow_inf_nan=False, strict=True
    )
    min_score: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False, strict=True)
    kinds: list[str] = Field(default_factory=list, max_length=10)
    email: bool = Field(default=True, strict=True)


class SavedSearch(ApiModel):
    id: int
    name: str
    criteria: dict[str, Any]
    email: bool
    created_at: datetime
    area: dict[str, Any] | None


class SavedSearches(ApiModel):
    searches: list[SavedSearch]


class SearchCreated(ApiModel):
    id: int
    feed_url: str = Field(description="the Atom feed's secret address: shown only now")


class Notification(ApiModel):
    id: int
    kind: str
    item: str
    title: str
    body: str
    search_id: int | None
    match_id: int | None
    created_at: datetime
    read_at: datetime | None


class Inbox(ApiModel):
    unread: int
    notifications: list[Notification]


class ReadBody(RequestModel):
    ids: list[Annotated[int, Field(ge=1, le=2**53, strict=True)]] | None = Field(
        default=None, max_length=1000
    )


# --- finding a property ---


class Address(ApiModel):
    label: str
    postcode: str | None
    huisnummer: int | None
    suffix: str | None
    lon: float
    lat: float
    source: str = Field(description="the BAG file or PDOK Locatieserver")


class Addresses(ApiModel):
    addresses: list[Address]


class ReadGeometry(ApiModel):
    geometry: dict[str, Any] = Field(description="GeoJSON geometry, WGS84, 6 decimals")
    features: int = Field(description="features read from the file")
    crs: str = Field(description="the file's coordinate reference system")
    area_m2: float | None
