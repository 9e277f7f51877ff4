"""The report's charts as plain SVG strings (every text escaped): the score with its range on
a 0-1 axis, and the breakdown per criterion (value, weight and contribution)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

FONT = 'font-family="DejaVu Sans, sans-serif"'
BAR = "#1b3a5c"
VALUE = "#9ecae1"
MISSING = "#d9d9d9"


def _pct(value: float) -> str:
    return f"{round(value * 100):d}%"


def score_range_svg(
    score: float | None, low: float | None, high: float | None, label: str, decimal: str = ","
) -> str:
    """A 0-1 axis with the range [low, high] as a band and the point score as a mark."""
    width, x0, span = 530, 15, 500
    parts = [
        f'<rect x="{x0}" y="18" width="{span}" height="10" fill="#eeeeee" stroke="#999999"'
        ' stroke-width="0.5"/>'
    ]
    for tick in range(0, 11, 2):
        x = x0 + span * tick / 10
        parts.append(
            f'<text x="{x:.0f}" y="45" font-size="11" text-anchor="middle" {FONT}>'
            f"{tick / 10:.1f}".replace(".", decimal)
            + "</text>"
        )
    if low is not None and high is not None:
        parts.append(
            f'<rect x="{x0 + span * low:.1f}" y="18" width="{max(span * (high - low), 1):.1f}"'
            f' height="10" fill="{VALUE}" data-part="range"/>'
        )
    if score is not None:
        x = x0 + span * score
        parts.append(
            f'<path d="M {x:.1f} 12 L {x:.1f} 34" stroke="{BAR}" stroke-width="3"'
            ' data-part="score"/>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="score-range" role="img"'
        f' viewBox="0 0 {width} 50" width="100%"><title>{escape(label)}</title>'
        + "".join(parts)
        + "</svg>"
    )


def breakdown_svg(
    items: Sequence[dict[str, Any]], titles: dict[str, str], words: dict[str, str]
) -> str:
    """One row per criterion that weighs or excludes: the value (0-1, light), the contribution
    to the score (dark, its share of the bar = value x effective weight), or 'unknown'."""
    rows = [b for b in items if b["weight"] > 0 or b["excluded"]]
    label_w, bar_x, bar_w, row_h = 190, 200, 240, 22
    height = row_h * len(rows) + 30
    parts = [
        f'<rect x="{bar_x}" y="4" width="10" height="9" fill="{VALUE}"/>',
        f'<text x="{bar_x + 14}" y="12" font-size="9" {FONT}>{escape(words["value"])}</text>',
        f'<rect x="{bar_x + 90}" y="6" width="10" height="5" fill="{BAR}"/>',
        f'<text x="{bar_x + 104}" y="12" font-size="9" {FONT}>'
        f"{escape(words['contribution'])}</text>",
    ]
    for n, b in enumerate(rows):
        y = 24 + n * row_h
        title = titles.get(b["criterion"], b["criterion"])
        if len(title) > 32:
            title = title[:31] + "…"
        parts.append(
            f'<text x="{label_w}" y="{y + 12}" font-size="10" text-anchor="end" {FONT}>'
            f"{escape(title)}</text>"
        )
        parts.append(
            f'<rect x="{bar_x}" y="{y + 2}" width="{bar_w}" height="14" fill="#f4f4f4"'
            ' stroke="#cccccc" stroke-width="0.5"/>'
        )
        if b["missing"]:
            parts.append(
                f'<rect x="{bar_x}" y="{y + 2}" width="{bar_w}" height="14" fill="{MISSING}"'
                f' data-criterion="{escape(b["criterion"])}" data-missing="true"/>'
                f'<text x="{bar_x + 6}" y="{y + 13}" font-size="9" {FONT}>'
                f"{escape(words['unknown'])}</text>"
            )
            note = f"{escape(words['weight'])} {_pct(b['weight'] / _total(rows))}"
        else:
            value = float(b["value"] or 0.0)
            parts.append(
                f'<rect x="{bar_x}" y="{y + 2}" width="{bar_w * value:.1f}" height="14"'
                f' fill="{VALUE}"/><rect x="{bar_x}" y="{y + 6}"'
                f' width="{bar_w * float(b["contribution"]):.1f}" height="6" fill="{BAR}"'
                f' data-criterion="{escape(b["criterion"])}"/>'
            )
            note = (
                f"{value:.2f}".replace(".", words["decimal"])
                + f" · {escape(words['weight'])} {_pct(float(b['effective_weight']))}"
                + f" · +{float(b['contribution']):.3f}".replace(".", words["decimal"])
            )
            if b["excluded"]:
                note += f" · {escape(words['excludes'])}"
        parts.append(
            f'<text x="{bar_x + bar_w + 8}" y="{y + 13}" font-size="9" {FONT}>{note}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="breakdown-chart" role="img"'
        f' viewBox="0 0 640 {height}" width="100%"><title>{escape(words["chart"])}</title>'
        + "".join(parts)
        + "</svg>"
    )


def _total(rows: Sequence[dict[str, Any]]) -> float:
    return sum(float(b["weight"]) for b in rows) or 1.0
