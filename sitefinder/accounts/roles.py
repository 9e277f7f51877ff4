"""Roles with a scope, and the viewer of a request.

A user holds any number of grants ``(role, scope)``:

========== ============================================ =========================================
role       scope                                        may
========== ============================================ =========================================
eigenaar   none                                         their own properties and offers (next)
gemeente   one gemeentecode per grant (``GM0228``)      read non-confidential audit of its sites
provincie  one provinciecode (``PV25``)                 flag sites in the province; see its
                                                        confidential flags and its audit trail
coordinator ``NL`` (the country) or a provinciecode     as provincie, for the region it covers
beheerder  none                                         manage users (grants, disable, enable)
========== ============================================ =========================================

Not logged in is the **public**: scored sites, public layers and non-confidential flags only.
A beheerder sees no confidential flag unless it also holds a provincie or coordinator grant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sitefinder.core.errors import InvalidParameterError

ROLES = ("eigenaar", "gemeente", "provincie", "coordinator", "beheerder")
COUNTRY = "NL"
GEMEENTE_RE = re.compile(r"^GM\d{4}$")
PROVINCIE_RE = re.compile(r"^PV\d{2}$")

ROLE_TITLES = {
    "eigenaar": ("Eigenaar", "Owner"),
    "gemeente": ("Gemeente", "Municipality"),
    "provincie": ("Provincie", "Province"),
    "coordinator": ("Coördinator", "Coordinator"),
    "beheerder": ("Beheerder", "Administrator"),
}


@dataclass(frozen=True, order=True)
class Grant:
    """One role with its scope (empty for eigenaar and beheerder)."""

    role: str
    scope: str = ""

    def public(self) -> dict[str, str]:
        return {"role": self.role, "scope": self.scope}


def parse_grant(role: str, scope: str | None = None) -> Grant:
    """A checked grant: the role is known and the scope fits it (codes upper-cased)."""
    role = role.strip().lower()
    code = (scope or "").strip().upper()
    if role not in ROLES:
        raise InvalidParameterError(f"role must be one of {', '.join(ROLES)}, got '{role[:40]}'")
    if role in ("eigenaar", "beheerder"):
        if code:
            raise InvalidParameterError(f"role {role} takes no scope")
    elif role == "gemeente" and not GEMEENTE_RE.match(code):
        raise InvalidParameterError("role gemeente needs a scope like GM0228 (a gemeentecode)")
    elif role == "provincie" and not PROVINCIE_RE.match(code):
        raise InvalidParameterError("role provincie needs a scope like PV25 (a provinciecode)")
    elif role == "coordinator" and not (code == COUNTRY or PROVINCIE_RE.match(code)):
        raise InvalidParameterError("role coordinator needs the scope NL or a provinciecode (PV25)")
    return Grant(role, code)


@dataclass(frozen=True)
class Viewer:
    """Who makes a request: a user with their grants, or the public (``user_id`` None)."""

    user_id: int | None = None
    email: str | None = None
    name: str = ""
    grants: frozenset[Grant] = field(default_factory=frozenset)

    @property
    def is_public(self) -> bool:
        return self.user_id is None

    def has(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.grants)

    def scopes(self, role: str) -> frozenset[str]:
        return frozenset(g.scope for g in self.grants if g.role == role)

    @property
    def covers_country(self) -> bool:
        """A coordinator of the whole country."""
        return COUNTRY in self.scopes("coordinator")

    @property
    def provinces(self) -> frozenset[str]:
        """The provinces whose flags (confidential ones too) this viewer sees and may set."""
        return self.scopes("provincie") | (self.scopes("coordinator") - {COUNTRY})

    @property
    def gemeenten(self) -> frozenset[str]:
        return self.scopes("gemeente")

    def covers(self, provinciecode: str | None) -> bool:
        """May see every flag of this province and set flags there (None: in no province)."""
        if self.covers_country:
            return True
        return provinciecode is not None and provinciecode in self.provinces

    @property
    def can_flag(self) -> bool:
        return self.covers_country or bool(self.provinces)

    def public(self) -> dict[str, object]:
        return {
            "id": self.user_id,
            "email": self.email,
            "name": self.name,
            "roles": [g.public() for g in sorted(self.grants)],
        }


PUBLIC = Viewer()


def viewer_of(user_id: int, email: str, name: str, grants: Iterable[Grant]) -> Viewer:
    return Viewer(user_id=user_id, email=email, name=name, grants=frozenset(grants))
