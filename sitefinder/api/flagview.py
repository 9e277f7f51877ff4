"""Flags in the site list and detail: the status filter and each site's visible flag.

Both read the viewer's visible flags once (``flags.visible_flags``, through the scope filter):
a site without a visible flag is ``niet_beoordeeld``, also when it has a flag the viewer may
not see, so filtering on a status never singles out a confidential one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Query

from sitefinder.accounts import flags, workflow
from sitefinder.accounts.scope import ScopeFilter
from sitefinder.api.deps import list_pattern, parse_list
from sitefinder.api.queries import SiteQuery


def status_param(
    status: Annotated[
        str | None,
        Query(
            description="flag status, or several: kansrijk,in_onderzoek (GET /api/flags/statuses)",
            max_length=200,
            json_schema_extra={"pattern": list_pattern(workflow.BY_CODE)},
        ),
    ] = None,
) -> list[str] | None:
    return list(parse_list("status", status, list(workflow.BY_CODE))) or None


StatusFilter = Annotated[list[str] | None, Depends(status_param)]
Visible = dict[str, dict[str, Any]]


def visible(conn: Any, scope: ScopeFilter) -> Visible:
    return flags.visible_flags(conn, scope)


def restrict(q: SiteQuery, shown: Visible, statuses: list[str] | None) -> SiteQuery:
    """The query limited to the sites whose visible status is one of ``statuses``."""
    if not statuses:
        return q
    if workflow.DEFAULT in statuses:
        others = frozenset(i for i, f in shown.items() if f["status"] not in statuses)
        return replace(q, without_ids=q.without_ids | others)
    chosen = frozenset(i for i, f in shown.items() if f["status"] in statuses)
    return replace(q, only_ids=chosen if q.only_ids is None else q.only_ids & chosen)


def add_flag(properties: dict[str, Any], shown: Visible) -> None:
    """Set ``properties['flag']`` when the site has a flag the viewer may see."""
    found = shown.get(str(properties.get("id")))
    if found is not None:
        properties["flag"] = found
