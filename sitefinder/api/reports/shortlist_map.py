"""The shortlist as one self-contained HTML file (folium): the sites with their scores and
popups, to mail to a council member, that works offline.

folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs by default; this map
needs none but Leaflet (circle markers and polygons, no icon fonts), so the map's default
links are dropped and Leaflet's JS and CSS (``web/node_modules/leaflet/dist``, the version
pinned in ``web/package-lock.json``) are inlined into the file. The basemap is an optional
layer that loads only when the reader is online; without it the sites, their outlines, the
popups and the legend still show.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template

from layers import site_kinds
from sitefinder.api.reports.report import WORDS, ReportSite
from sitefinder.core.settings import Settings
from sitefinder.scoring import criteria

COLOURS = ((0.75, "#1a9641"), (0.5, "#a6d96a"), (0.25, "#fdae61"), (0.0, "#d7191c"))
NO_SCORE = "#999999"


class StringPopup(MacroElement):
    """A popup bound as an HTML string: folium's own Popup builds its content with jQuery,
    which this file does not carry."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {maxWidth: 320});"
        "{% endmacro %}"
    )

    def __init__(self, html: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "StringPopup"
        self.html = html


def _colour(score: float | None) -> str:
    if score is None:
        return NO_SCORE
    return next(c for limit, c in COLOURS if score >= limit)


def _leaflet(settings: Settings) -> tuple[str, str]:
    dist = settings.web_dir / "node_modules" / "leaflet" / "dist"
    js = (dist / "leaflet.js").read_text(encoding="utf-8")
    css = (dist / "leaflet.css").read_text(encoding="utf-8")
    for image in sorted((dist / "images").glob("*.png")):  # the layer control's icons
        data = base64.b64encode(image.read_bytes()).decode()
        css = css.replace(f"url(images/{image.name})", f"url(data:image/png;base64,{data})")
    return js.replace("</script", "<\\/script"), css


def _number(value: float | None, digits: int, lang: str) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "nl" else text


def _popup(props: dict[str, Any], lang: str, n: int) -> str:
    """The popup's HTML: every value escaped."""
    w = WORDS[lang]
    kind = site_kinds().get(props.get("kind") or "")
    titles = {
        c.name: (c.title_nl if lang == "nl" else c.title_en)
        for c in criteria.catalogue().values()
        if hasattr(c, "title_nl")
    }
    best = sorted(
        (b for b in props.get("breakdown", []) if not b["missing"] and b["contribution"] > 0),
        key=lambda b: -b["contribution"],
    )[:4]
    rows = "".join(
        f"<li>{escape(titles.get(b['criterion'], b['criterion']))}:"
        f" +{_number(b['contribution'], 2, lang)}</li>"
        for b in best
    )
    places = props.get("places")
    parts = [
        f"<strong>{n}. {escape(props.get('name') or props['id'])}</strong><br>",
        escape(kind.title_nl if kind and lang == "nl" else kind.title_en if kind else ""),
        f" · {escape(props.get('gemeentenaam') or '')}<br>",
        f"{w['score']}: <b class='score'>{_number(props.get('score'), 2, lang)}</b>",
        f" ({w['range'].lower()} {_number(props.get('score_low'), 2, lang)}"
        f"–{_number(props.get('score_high'), 2, lang)})<br>",
    ]
    if props.get("rank"):
        parts.append(f"{w['rank']}: {props['rank']}<br>")
    if places is not None:
        parts.append(f"{w['places']}: {_number(places, 0, lang)}<br>")
    if props.get("excluded"):
        parts.append(f"<em>{w['excluded']}</em><br>")
    if rows:
        parts.append(f"{w['contribution']}:<ul>{rows}</ul>")
    parts.append(f"<small>{escape(props['id'])}</small>")
    return "".join(parts)


def render(sites: Sequence[ReportSite], *, lang: str, profile: str, settings: Settings) -> str:
    """The HTML file of the shortlist map (Leaflet inlined; no request needed to show it)."""
    w = WORDS[lang]
    js, css = _leaflet(settings)
    fmap = folium.Map(location=[52.1, 5.3], zoom_start=8, tiles=None, control_scale=True)
    fmap.default_js = []  # no CDN: Leaflet is inlined below, the rest is not needed
    fmap.default_css = []
    root: Any = fmap.get_root()  # a branca Figure (its header and html are Elements)
    root.header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css", index=0)
    root.header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet_js", index=1)
    root.header.add_child(
        folium.Element(
            "<style>.sf-legend{position:absolute;z-index:1000;top:10px;left:50px;"
            "background:#fff;padding:6px 10px;border-radius:4px;font:13px sans-serif;"
            "box-shadow:0 1px 4px rgba(0,0,0,.3)}.sf-legend i{display:inline-block;width:10px;"
            "height:10px;border-radius:50%;margin:0 4px 0 8px}</style>"
        ),
        name="sf_style",
    )
    if settings.basemap_url:
        folium.TileLayer(
            settings.basemap_url,
            attr=settings.basemap_attribution,
            name="Achtergrondkaart (online)" if lang == "nl" else "Basemap (online)",
            max_zoom=19,
        ).add_to(fmap)
    group = folium.FeatureGroup(name=w["shortlist"]).add_to(fmap)
    points: list[tuple[float, float]] = []
    for n, site in enumerate(sites, start=1):
        props = site.feature["properties"]
        geometry = site.feature["geometry"]
        colour = _colour(props.get("score"))
        if geometry and geometry["type"] in ("Polygon", "MultiPolygon"):
            folium.GeoJson(
                {"type": "Feature", "geometry": geometry, "properties": {}},
                style_function=lambda _f, c=colour: {"color": c, "weight": 2, "fillOpacity": 0.3},
            ).add_to(group)
        lat, lon = _point(geometry)
        points.append((lat, lon))
        folium.CircleMarker(
            location=[lat, lon],
            radius=9,
            color="#1b3a5c",
            weight=2,
            fill=True,
            fill_color=colour,
            fill_opacity=0.9,
            tooltip=f"{n}. {props.get('name') or props['id']}",
            class_name="sf-site",
        ).add_to(group).add_child(StringPopup(_popup(props, lang, n)))
    if points:
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        pad = 0.005
        fmap.fit_bounds([[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]])
    folium.LayerControl(collapsed=True).add_to(fmap)
    legend = "".join(
        f"<i style='background:{c}'></i>≥ {_number(limit, 2, lang)}" for limit, c in COLOURS
    )
    root.html.add_child(
        folium.Element(
            f"<div class='sf-legend'><b>{w['shortlist']}</b> ({len(sites)}) · {w['profile']}:"
            f" {escape(profile)} · {datetime.now(UTC):%Y-%m-%d}<br>{w['score']}:{legend}</div>"
        )
    )
    html: str = root.render()
    return html


def _point(geometry: dict[str, Any] | None) -> tuple[float, float]:
    """A representative (lat, lon) of a WGS84 GeoJSON geometry: its first point, or the
    centre of its coordinates' extent."""
    if not geometry:
        return 52.1, 5.3
    coords: list[list[float]] = []

    def walk(value: Any) -> None:
        if value and isinstance(value[0], int | float):
            coords.append(value)
        else:
            for part in value:
                walk(part)

    walk(geometry.get("coordinates") or [])
    if not coords:
        return 52.1, 5.3
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
