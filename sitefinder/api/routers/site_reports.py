"""Report routes: a site's printable report (HTML or PDF), the same for a shortlist, and the
shortlist as one self-contained interactive map (the report's stylesheet is served beside
the page, ``reports.mount_stylesheet``).

Included in ``create_app`` before the sites router: ``/sites/{site_id:path}/report`` must be
matched before ``/sites/{site_id:path}`` (site ids may hold a ``/``; that route would take
``/report`` as part of the id).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from sitefinder.api import flagview, queries
from sitefinder.api.deps import Conn, SiteQueryParam
from sitefinder.api.errors import error_responses
from sitefinder.api.reports import report
from sitefinder.api.security import Scope
from sitefinder.core.errors import InvalidParameterError, UnknownSiteError

router = APIRouter(prefix="/api", tags=["reports"])

Lang = Annotated[Literal["nl", "en"], Query(description="language of the report")]
Format = Annotated[Literal["html", "pdf"], Query(description="html (printable, A4) or pdf")]
IDS_PATTERN = r"^[^,\s]{1,200}(,[^,\s]{1,200}){0,24}$"
HTML_DOC = {"text/html": {"schema": {"type": "string"}}}
PDF_DOC = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the report (HTML or PDF)", "content": {**HTML_DOC, **PDF_DOC}},
    **error_responses(404, 422, 500, 503),
}


def parse_ids(ids: str) -> list[str]:
    """Comma-separated site ids, each once, in the order given; at most ``MAX_SHORTLIST``."""
    parts = list(dict.fromkeys(p for p in ids.split(",") if p))
    if not parts:
        raise InvalidParameterError("ids must name at least one site")
    if len(parts) > report.MAX_SHORTLIST:
        raise InvalidParameterError(f"ids may name at most {report.MAX_SHORTLIST} sites")
    if any(len(p) > 200 for p in parts):
        raise InvalidParameterError("a site id has at most 200 characters")
    return parts


IdsParam = Annotated[
    str,
    Query(
        description=f"comma-separated site ids (at most {report.MAX_SHORTLIST}), e.g."
        " offices:0363010000977860,holidayparks:osm:node/2952837963",
        max_length=5200,
        json_schema_extra={"pattern": IDS_PATTERN},
    ),
]


def _report_sites(
    c: Conn, request: Request, ids: list[str], q: queries.SiteQuery, scope: Scope
) -> list[report.ReportSite]:
    table = request.app.state.engine.table(c)
    shown = flagview.visible(c, scope)
    found = []
    for site_id in ids:
        feature = queries.get_site(c, table, site_id, q)
        if feature is None:
            raise UnknownSiteError(f"no site with id '{site_id[:200]}'")
        found.append(report.ReportSite(feature, shown.get(site_id)))
    return found


def _answer(
    c: Conn,
    sites: list[report.ReportSite],
    q: queries.SiteQuery,
    lang: str,
    fmt: str,
    shortlist: bool,
    filename: str,
) -> Response:
    own = q.weights != q.profile.weights
    options: dict[str, Any] = {
        "lang": lang,
        "profile": q.profile.name,
        "own_weights": own,
        "shortlist": shortlist,
    }
    if fmt == "pdf":
        pdf = report.render_pdf(report.render_html(c, sites, css_href=None, **options))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'},
        )
    return HTMLResponse(report.render_html(c, sites, **options))


def _filename(site_id: str) -> str:
    return "rapport-" + re.sub(r"[^A-Za-z0-9_-]+", "-", site_id)[:80]


@router.get("/sites/{site_id:path}/report", response_class=Response, responses=REPORT_RESPONSES)
def site_report(
    c: Conn,
    request: Request,
    site_id: Annotated[str, Path(max_length=200, description="e.g. offices:0363010000977860")],
    q: SiteQueryParam,
    scope: Scope,
    lang: Lang = "nl",
    format: Format = "html",
) -> Response:
    """A printable A4 report of one site (HTML with print CSS, or PDF): location map (SVG in
    RD New, no tiles), score and range with the breakdown, nearest facilities, zoning plan,
    constraints, data sources with their dates and a disclaimer; in the profile or own weights
    asked for. The province flag's status appears only when you may see it."""
    sites = _report_sites(c, request, [site_id], q, scope)
    return _answer(c, sites, q, lang, format, False, _filename(site_id))


@router.get("/shortlist/report", response_class=Response, responses=REPORT_RESPONSES)
def shortlist_report(
    c: Conn,
    request: Request,
    ids: IdsParam,
    q: SiteQueryParam,
    scope: Scope,
    lang: Lang = "nl",
    format: Format = "html",
) -> Response:
    """The report of several sites: a summary page, then one report per site (as PDF at
    most ``MAX_PDF_SHORTLIST`` sites: WeasyPrint lays out about a site a second or two)."""
    chosen = parse_ids(ids)
    if format == "pdf" and len(chosen) > report.MAX_PDF_SHORTLIST:
        raise InvalidParameterError(
            f"a PDF holds at most {report.MAX_PDF_SHORTLIST} sites (HTML: {report.MAX_SHORTLIST})"
        )
    sites = _report_sites(c, request, chosen, q, scope)
    return _answer(c, sites, q, lang, format, True, "shortlist")


@router.get(
    "/shortlist/map",
    response_class=Response,
    responses={
        200: {"description": "one HTML file", "content": HTML_DOC},
        **error_responses(404, 422, 500, 503),
    },
)
def shortlist_map_file(
    c: Conn,
    request: Request,
    ids: IdsParam,
    q: SiteQueryParam,
    scope: Scope,
    lang: Lang = "nl",
) -> Response:
    """The shortlist as one self-contained HTML file (folium; Leaflet inlined): the sites with
    their scores and popups, to mail on; it works offline (a basemap shows when online)."""
    from sitefinder.api.reports import shortlist_map  # folium: imported once a map is asked for

    sites = _report_sites(c, request, parse_ids(ids), q, scope)
    html = shortlist_map.render(
        sites, lang=lang, profile=q.profile.name, settings=request.app.state.settings
    )
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="shortlist-kaart.html"',
            # a download, not a page of this site: its inline scripts run only where it is saved
            "Content-Security-Policy": "sandbox",
        },
    )
