"""CSV exports: one helper that writes rows as a CSV download (UTF-8 with BOM, comma).

Cells are written as text; one that a spreadsheet would run as a formula (starting with
``= + - @``, a tab or a carriage return) gets a leading apostrophe, so an exported note cannot
become a formula. Lists are joined with ``;``; times are ISO 8601 (UTC).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from fastapi.responses import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(cell(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_response(rows: Iterable[dict[str, Any]], columns: Sequence[str], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    return Response(
        content="\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
