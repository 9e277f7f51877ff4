"""The flag workflow: the statuses a province gives a site and the transitions between them.

::

    niet beoordeeld ─> kansrijk ─> in onderzoek ─> geschikt ─> in transformatie ─> omgezet
          │   ^           │  ^          │    ^          │              │
          │   └───────────┤  └──────────┤    └──────────┤              └─> geschikt (stalled)
          └─> ongeschikt <┴─────────────┘               └─> ongeschikt
                   └─> in onderzoek / kansrijk / niet beoordeeld (reconsidered)

Every status may also be set to itself (to change the note, the tags or the confidential
switch). ``omgezet`` (converted) is final. A site without a flag is ``niet_beoordeeld``; so is,
for whoever may not see it, a site whose flag is confidential (see ``scope``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sitefinder.core.errors import InvalidParameterError, TransitionError


@dataclass(frozen=True)
class Status:
    code: str
    title_nl: str
    title_en: str
    colour: str  # CSS colour of the status on the map and in lists

    def public(self) -> dict[str, object]:
        return {
            "code": self.code,
            "title": {"nl": self.title_nl, "en": self.title_en},
            "colour": self.colour,
            "next": list(TRANSITIONS[self.code]),
        }


DEFAULT = "niet_beoordeeld"
STATUSES = (
    Status("niet_beoordeeld", "Niet beoordeeld", "Not assessed", "#9ca3af"),
    Status("kansrijk", "Kansrijk", "Promising", "#2563eb"),
    Status("in_onderzoek", "In onderzoek", "Under study", "#7c3aed"),
    Status("geschikt", "Geschikt", "Suitable", "#16a34a"),
    Status("ongeschikt", "Ongeschikt", "Unsuitable", "#dc2626"),
    Status("in_transformatie", "In transformatie", "Being converted", "#ea580c"),
    Status("omgezet", "Omgezet", "Converted", "#0f766e"),
)
BY_CODE = {s.code: s for s in STATUSES}

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "niet_beoordeeld": ("kansrijk", "ongeschikt"),
    "kansrijk": ("in_onderzoek", "ongeschikt", "niet_beoordeeld"),
    "in_onderzoek": ("geschikt", "ongeschikt", "kansrijk"),
    "geschikt": ("in_transformatie", "in_onderzoek", "ongeschikt"),
    "ongeschikt": ("in_onderzoek", "kansrijk", "niet_beoordeeld"),
    "in_transformatie": ("omgezet", "geschikt"),
    "omgezet": (),
}


def check_status(code: str) -> str:
    if code not in BY_CODE:
        raise InvalidParameterError(
            f"status must be one of {', '.join(BY_CODE)}, got '{code[:40]}'"
        )
    return code


def allowed(current: str, new: str) -> bool:
    return new == current or new in TRANSITIONS[current]


def check_transition(current: str, new: str) -> None:
    if not allowed(current, new):
        nexts = ", ".join(TRANSITIONS[current]) or "none: it is final"
        raise TransitionError(f"status {current} cannot become {new}; next statuses: {nexts}")
