"""What a municipality hands on (issue 12): the printable site report (``report``, with its
location map ``locationmap`` and charts ``charts``) and the self-contained shortlist map
(``shortlist_map``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse

STYLESHEET = Path(__file__).parent / "templates" / "report.css"
STYLESHEET_URL = "/api/reports/report.css"


def mount_stylesheet(app: FastAPI) -> None:
    """Serve the report's stylesheet (not an API operation: like the page's own files)."""

    async def stylesheet() -> FileResponse:
        return FileResponse(STYLESHEET, media_type="text/css")

    app.add_api_route(STYLESHEET_URL, stylesheet, methods=["GET", "HEAD"], include_in_schema=False)
