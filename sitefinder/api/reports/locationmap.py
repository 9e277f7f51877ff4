"""The report's location map: an SVG of the site, the parcels and buildings around it and the
nearby features, drawn from PostGIS in RD New (EPSG:28992, metres), so it needs no tiles and
renders offline (in the browser, in print and in WeasyPrint's PDF).

One window per site: a square around the site's bounding box with at least ``MIN_HALF_M``
metres on each side of its centre. One SQL statement reads everything that intersects the
window (areas clipped to it with ``ST_ClipByBox2D``, as SVG path data by ``ST_AsSVG``, whose
y axis points down: ``-y``), bounded by ``MAX_FEATURES``. Styles come from the layer
catalogue (``layers``); the nearest facilities of the report are numbered on the map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import psycopg

from layers import catalogue

MIN_HALF_M = 300.0  # metres from the centre to the window's edge, at least
MARGIN = 1.3  # the window is this much wider than the site
MAX_FEATURES = 4000
# reference areas drawn under everything (in this order); big boundaries only as outlines
AREA_LAYERS = ("zoning", "natura2000", "constraints", "bgt_panden", "bag_panden", "gemeenten")
OUTLINE_ONLY = ("gemeenten",)
SITE_COLOUR = "#d7191c"


@dataclass(frozen=True)
class Window:
    """The map's square in RD metres."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def size(self) -> float:
        return self.x1 - self.x0

    def params(self) -> dict[str, float]:
        return {"x0": self.x0, "y0": self.y0, "x1": self.x1, "y1": self.y1}


def window_of(conn: psycopg.Connection[Any], site_id: str) -> Window | None:
    row = conn.execute(
        "SELECT ST_XMin(b) AS x0, ST_YMin(b) AS y0, ST_XMax(b) AS x1, ST_YMax(b) AS y1"
        " FROM (SELECT Box2D(geom) AS b FROM site WHERE id = %s) s",
        (site_id,),
    ).fetchone()
    if row is None or row["x0"] is None:
        return None
    cx, cy = (row["x0"] + row["x1"]) / 2, (row["y0"] + row["y1"]) / 2
    half = max(MIN_HALF_M, MARGIN * max(row["x1"] - row["x0"], row["y1"] - row["y0"]) / 2)
    return Window(cx - half, cy - half, cx + half, cy + half)


FEATURES_SQL = """
WITH box AS (SELECT ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 28992) AS g),
found AS (
  SELECT 0 AS tier, array_position(%(areas)s::text[], a.layer) AS o, a.id, a.layer,
         a.category, a.name, ST_AsSVG(ST_ClipByBox2D(a.geom, box.g), 0, 1) AS d,
         NULL::float8 AS x, NULL::float8 AS y
  FROM area a, box WHERE a.layer = ANY(%(areas)s) AND a.geom && box.g
  UNION ALL
  SELECT CASE WHEN s.id = %(site)s THEN 3 ELSE 1 END, 0, s.id, s.layer, s.kind, s.name,
         CASE WHEN ST_Dimension(s.geom) > 0
              THEN ST_AsSVG(ST_ClipByBox2D(s.geom, box.g), 0, 1) END,
         ST_X(ST_PointOnSurface(s.geom)), ST_Y(ST_PointOnSurface(s.geom))
  FROM site s, box WHERE s.geom && box.g
  UNION ALL
  SELECT 2, 0, p.id, p.layer, p.category, p.name, NULL, ST_X(p.geom), ST_Y(p.geom)
  FROM poi p, box WHERE p.geom && box.g
)
SELECT * FROM found ORDER BY tier, o, id LIMIT %(limit)s
"""


def _features(conn: psycopg.Connection[Any], site_id: str, window: Window) -> list[dict[str, Any]]:
    params = {**window.params(), "areas": list(AREA_LAYERS), "site": site_id}
    rows = conn.execute(FEATURES_SQL, {**params, "limit": MAX_FEATURES}).fetchall()
    site = [r for r in rows if r["id"] == site_id]
    if not site:  # cut off by the limit: the site itself is always drawn
        site = conn.execute(
            FEATURES_SQL.replace("ORDER BY tier", "WHERE id = %(site)s ORDER BY tier"),
            {**params, "limit": 1},
        ).fetchall()
        rows = [*rows, *site]
    return [dict(r) for r in rows]


def _nice_length(size_m: float) -> int:
    """A round scale-bar length, about a fifth of the window (metres)."""
    target = size_m / 5
    for step in (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if step >= target:
            return step
    return 20000


def location_svg(
    conn: psycopg.Connection[Any],
    site_id: str,
    near: dict[str, int],
    *,
    title: str,
    scale_label: str = "m",
) -> str:
    """The SVG (a string; every text escaped) of the site's surroundings; ``near`` numbers the
    nearest facilities (feature id -> number on the map). Empty when the site has no geometry."""
    window = window_of(conn, site_id)
    if window is None:
        return ""
    styles = {name: layer.style for name, layer in catalogue().items()}
    w = window.size
    line = w / 500  # one stroke width in metres at this window
    parts: list[str] = []
    for f in _features(conn, site_id, window):
        style = styles.get(f["layer"], {})
        colour = style.get("color", "#666666")
        own = f["id"] == site_id
        label = quoteattr(f"{f['name'] or f['id']}")
        if f["d"]:
            fill = style.get("fillColor", colour)
            opacity = 0 if f["layer"] in OUTLINE_ONLY else style.get("fillOpacity", 0.2)
            if f["tier"] == 1:  # another candidate site
                fill, opacity, colour = "#fdae61", 0.35, "#e66101"
            if own:
                fill, opacity, colour = SITE_COLOUR, 0.35, SITE_COLOUR
            width = line * (3 if own else 1)
            dash = ""
            if f["layer"] in OUTLINE_ONLY:
                dash = f' stroke-dasharray="{4 * line:.1f} {4 * line:.1f}"'
            parts.append(
                f'<path d="{escape(f["d"])}" fill="{fill}" fill-opacity="{opacity}"'
                f' stroke="{colour}" stroke-width="{width:.2f}"{dash} data-layer="{f["layer"]}"'
                f' fill-rule="evenodd"><title>{escape(f["name"] or f["id"])}</title></path>'
            )
        if f["x"] is not None and (own or not f["d"]):
            x, y = f["x"], -f["y"]
            if own:
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{7 * line:.1f}" fill="{SITE_COLOUR}"'
                    f' stroke="#ffffff" stroke-width="{2 * line:.1f}" data-site="own"'
                    f" aria-label={label}/>"
                )
                continue
            r = 4 * line if f["tier"] == 1 else 2.5 * line
            fill = "#fdae61" if f["tier"] == 1 else colour
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{fill}"'
                f' stroke="#333333" stroke-width="{line / 2:.2f}" data-layer="{f["layer"]}"/>'
            )
            if f["id"] in near:
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{9 * line:.1f}" fill="#ffffff"'
                    f' stroke="#1b3a5c" stroke-width="{1.5 * line:.1f}"/>'
                    f'<text x="{x:.1f}" y="{y + 4 * line:.1f}" font-size="{12 * line:.1f}"'
                    f' text-anchor="middle" fill="#1b3a5c" font-weight="bold"'
                    f' font-family="DejaVu Sans, sans-serif">{near[f["id"]]}</text>'
                )
    bar = _nice_length(w)
    x0, ybar = window.x0 + w * 0.04, -window.y0 - w * 0.05
    scale = (
        f'<rect x="{x0 - 4 * line:.1f}" y="{ybar - 22 * line:.1f}" width="{bar + 40 * line:.1f}"'
        f' height="{30 * line:.1f}" fill="#ffffff" fill-opacity="0.8"/>'
        f'<path d="M {x0:.1f} {ybar:.1f} h {bar} M {x0:.1f} {ybar - 4 * line:.1f} v {4 * line:.1f}'
        f' M {x0 + bar:.1f} {ybar - 4 * line:.1f} v {4 * line:.1f}" stroke="#000000"'
        f' stroke-width="{2 * line:.1f}" fill="none"/>'
        f'<text x="{x0:.1f}" y="{ybar - 8 * line:.1f}" font-size="{12 * line:.1f}"'
        f' font-family="DejaVu Sans, sans-serif">{bar} {escape(scale_label)}</text>'
    )
    xn, yn = window.x1 - w * 0.06, -window.y1 + w * 0.04
    north = (
        f'<path d="M {xn:.1f} {yn:.1f} l {6 * line:.1f} {18 * line:.1f} l {-12 * line:.1f} 0 z"'
        f' fill="#000000"/><text x="{xn:.1f}" y="{yn + 32 * line:.1f}"'
        f' font-size="{12 * line:.1f}" text-anchor="middle"'
        f' font-family="DejaVu Sans, sans-serif">N</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="location-map" role="img"'
        f' viewBox="{window.x0:.1f} {-window.y1:.1f} {w:.1f} {w:.1f}"'
        f' width="100%" height="100%" data-rd-window="{window.x0:.0f},{window.y0:.0f},'
        f'{window.x1:.0f},{window.y1:.0f}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title>"
        f'<rect x="{window.x0:.1f}" y="{-window.y1:.1f}" width="{w:.1f}" height="{w:.1f}"'
        f' fill="#f7f7f2"/>' + "".join(parts) + scale + north + "</svg>"
    )
