"""The pydantic models of the accounts, users and flags routes (requests and responses).

Kept beside ``models.py`` (whose ``ApiModel`` and ``LocalText`` they use) so the write side
stays in its own module. Passwords come in as ``SecretStr`` (never in a repr, log or answer)
and are never part of any response model.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr

from layers import site_kinds
from sitefinder.accounts import workflow
from sitefinder.accounts.passwords import MAX_LENGTH
from sitefinder.api.geojson import MultiPolygonIn, PolygonIn
from sitefinder.api.models import ApiModel, LocalText

Email = Annotated[str, Field(min_length=3, max_length=254, examples=["naam@provincie.nl"])]
Password = Annotated[SecretStr, Field(min_length=1, max_length=MAX_LENGTH)]
SiteId = Annotated[str, Field(min_length=1, max_length=200)]


def _date_text(value: object) -> object:
    """A request's date is text (``YYYY-MM-DD``), as its schema says: never a number."""
    if isinstance(value, str | date):
        return value
    raise ValueError("must be a date as text, YYYY-MM-DD")


# A date in a strict request body: text parsed as a date (the body's strictness would refuse
# the text, since FastAPI validates the parsed JSON), anything else refused.
IsoDate = Annotated[date, Field(strict=False), BeforeValidator(_date_text)]


class RequestModel(BaseModel):
    """A request body: no unknown members, and no coercion (``0`` is no boolean, ``"5"`` no
    number), so that what the schema says is exactly what is accepted."""

    model_config = ConfigDict(extra="forbid", strict=True)


# --- auth ---


class LoginBody(RequestModel):
    email: Email
    password: Password


class PasswordBody(RequestModel):
    current: Password
    new: Password


class GrantInfo(ApiModel):
    role: str = Field(description="eigenaar, gemeente, provincie, coordinator or beheerder")
    scope: str = Field(description="gemeentecode, provinciecode, NL, or empty")


class UserInfo(ApiModel):
    id: int
    email: str
    name: str
    roles: list[GrantInfo]


class SsoInfo(ApiModel):
    enabled: bool
    title: str
    login_url: str | None


class Me(ApiModel):
    """The logged-in user (null: not logged in) and the CSRF token the page's writes carry."""

    user: UserInfo | None
    csrf_token: str = Field(description="send as header X-CSRF-Token on every write")
    sso: SsoInfo


class Done(ApiModel):
    ok: bool


# --- users (beheerder) ---


class _NoScopeGrant(RequestModel):
    role: Literal["eigenaar", "beheerder"]
    scope: Literal[""] = ""


class _GemeenteGrant(RequestModel):
    role: Literal["gemeente"]
    scope: str = Field(pattern=r"^[Gg][Mm][0-9]{4}$", description="gemeentecode, e.g. GM0228")


class _ProvincieGrant(RequestModel):
    role: Literal["provincie"]
    scope: str = Field(pattern=r"^[Pp][Vv][0-9]{2}$", description="provinciecode, e.g. PV25")


class _CoordinatorGrant(RequestModel):
    role: Literal["coordinator"]
    scope: str = Field(pattern=r"^(?:[Nn][Ll]|[Pp][Vv][0-9]{2})$", description="NL or PV25")


# A role and the scope it takes (roles.parse_grant checks the same): one schema per role, so
# that the contract says which scopes each accepts.
GrantBody = Annotated[
    _NoScopeGrant | _GemeenteGrant | _ProvincieGrant | _CoordinatorGrant,
    Field(discriminator="role"),
]


class UserRow(ApiModel):
    id: int
    email: str
    name: str
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None
    has_password: bool
    sso: bool
    roles: list[GrantInfo]


class Users(ApiModel):
    users: list[UserRow]


# --- flags ---


class StatusInfo(ApiModel):
    code: str
    title: LocalText
    colour: str
    next: list[str] = Field(description="the statuses it may become (besides itself)")


class Statuses(ApiModel):
    default: str
    statuses: list[StatusInfo]


KindName = Annotated[str, Field(max_length=40, json_schema_extra={"enum": ["", *site_kinds()]})]
FlagStatus = Annotated[
    str, Field(max_length=40, json_schema_extra={"enum": list(workflow.BY_CODE)})
]


class FlagBody(RequestModel):
    status: FlagStatus
    note: str = Field(default="", max_length=4000)
    tags: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=20)
    confidential: bool = False


class _BulkChange(RequestModel):
    status: FlagStatus
    note: str | None = Field(default=None, max_length=4000)
    tags: list[Annotated[str, Field(max_length=40)]] | None = Field(default=None, max_length=20)
    confidential: bool | None = None


class BulkByIds(_BulkChange):
    """The change for the sites listed (e.g. the filtered list; all must lie in your
    provinces); ``note``, ``tags``, ``confidential`` left out keep each site's own."""

    site_ids: list[SiteId] = Field(max_length=5000)


class BulkByArea(_BulkChange):
    """The change for the sites in a drawn area (WGS84) that lie in your provinces, of
    ``kind`` when given; ``note``, ``tags``, ``confidential`` left out keep each site's own."""

    area: PolygonIn | MultiPolygonIn
    kind: KindName | None = Field(default=None, description="only this kind; empty: every kind")


BulkBody = BulkByIds | BulkByArea  # a selection by ids or by area, never both


class Flag(ApiModel):
    site_id: str
    provinciecode: str | None
    gemeentecode: str | None
    status: str
    note: str
    tags: list[str]
    confidential: bool
    updated_at: datetime


class NumberFact(ApiModel):
    value: float | None = Field(description="null: unknown")
    source: str | None = Field(description="the source attribute it was read from")


class ZoningFacts(ApiModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    known: bool = Field(description="false: no zoning data here")
    zoning_class: str | None = Field(alias="class")
    recreatie: bool | None


class NaturaFacts(ApiModel):
    known: bool
    inside: bool | None
    distance_m: float | None = Field(description="metres; null: farther than the search radius")


class ParkFacts(ApiModel):
    """What the data says for conversion; null values are unknown."""

    area_m2: float | None
    pitches: NumberFact
    chalets: NumberFact
    zoning: ZoningFacts
    natura2000: NaturaFacts
    village_core_m: float | None = Field(description="unknown: no layer of village cores")
    nearest_supermarket_m: float | None


class SiteFlag(ApiModel):
    """A site's flag panel: the flag the viewer may see, what it may do, the park facts."""

    site_id: str
    provinciecode: str | None
    gemeentecode: str | None
    status: str = Field(description="niet_beoordeeld when there is no (visible) flag")
    flag: Flag | None
    can_edit: bool
    next: list[str] = Field(description="statuses the viewer may set now (empty: may not edit)")
    facts: ParkFacts


class BulkResult(ApiModel):
    selected: int
    changed: int
    skipped: list[dict[str, Any]] = Field(description="site_id, status, reason")
    outside_scope: int = Field(description="area only: sites left out, outside your provinces")


class FlaggedSite(ApiModel):
    site_id: str
    name: str | None
    kind: str
    provinciecode: str | None
    gemeentecode: str | None
    gemeentenaam: str | None
    status: str
    note: str
    tags: list[str]
    confidential: bool
    updated_at: datetime


class FlaggedSites(ApiModel):
    total: int
    sites: list[FlaggedSite]


class ProvinceSite(ApiModel):
    site_id: str
    name: str | None
    kind: str
    gemeentecode: str | None
    provinciecode: str | None
    gemeentenaam: str | None
    status: str
    tags: list[str] | None
    confidential: bool | None
    updated_at: datetime | None


class ProvinceView(ApiModel):
    provinciecode: str
    name: str
    kind: str | None
    total: int
    counts: dict[str, int] = Field(description="sites per status (every status, 0 included)")
    sites: list[ProvinceSite]


class AuditEntry(ApiModel):
    id: int
    at: datetime
    site_id: str
    name: str | None
    provinciecode: str | None
    gemeentecode: str | None
    actor: str
    via: str = Field(description="site or bulk")
    from_status: str | None
    to_status: str
    from_confidential: bool | None
    to_confidential: bool
    from_tags: list[str] | None
    to_tags: list[str]
    from_note: str | None
    note: str
    confidential: bool


class AuditTrail(ApiModel):
    entries: list[AuditEntry]
