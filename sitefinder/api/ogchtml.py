"""The HTML encoding of the OGC API - Features (``f=html``): plain pages, no script, no style.

Every value is escaped (``html.escape``); the page has no inline script or style, so the
app's Content Security Policy holds as it is. Links go to the HTML form of their target where
it has one.
"""

from __future__ import annotations

import html
import json
from typing import Any

from sitefinder.api.ogcmodels import HTML

E = html.escape


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{E(title)} - Woonplek Sitefinder OGC API</title></head>"
        f"<body><h1>{E(title)}</h1>\n{body}\n</body></html>\n"
    )


def _links(links: list[dict[str, Any]]) -> str:
    """The links of a document as a list; a JSON link's HTML twin is shown instead of it when
    the document has both."""
    items = []
    for link in links:
        kind = link.get("type") or ""
        label = link.get("title") or link["rel"]
        items.append(
            f'<li><a href="{E(link["href"])}" rel="{E(link["rel"])}">{E(label)}</a>'
            f" <small>({E(link['rel'])}{', ' + E(kind) if kind else ''})</small></li>"
        )
    return "<ul>" + "".join(items) + "</ul>"


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return E(json.dumps(value, ensure_ascii=False))
    return E(str(value))


def _table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{E(k)}</th><td>{_value(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def landing(document: dict[str, Any]) -> str:
    body = f"<p>{E(document['description'])}</p>" + _links(document["links"])
    return _page(document["title"], body)


def conformance(document: dict[str, Any]) -> str:
    items = "".join(f"<li>{E(c)}</li>" for c in document["conformsTo"])
    return _page("Conformance", f"<ul>{items}</ul>")


def _collection_body(c: dict[str, Any]) -> str:
    items = next(
        (link["href"] for link in c["links"] if link["rel"] == "items" and link["type"] == HTML),
        "",
    )
    return (
        f'<h2><a href="{E(items)}">{E(c["id"])}</a>: {E(c["title"])}</h2>'
        f"<p>{E(c['description'])}</p>"
        + _table(
            [
                ("extent (CRS84)", c["extent"]["spatial"]["bbox"][0]),
                ("crs", ", ".join(c["crs"])),
                ("storageCrs", c["storageCrs"]),
            ]
        )
    )


def collections(document: dict[str, Any]) -> str:
    body = _links(document["links"]) + "".join(_collection_body(c) for c in document["collections"])
    return _page("Collections", body)


def collection(document: dict[str, Any]) -> str:
    return _page(document["id"], _collection_body(document) + _links(document["links"]))


def _feature_rows(feature: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("id", feature["id"]),
        *feature["properties"].items(),
        ("geometry", feature["geometry"]),
    ]


def items(collection_id: str, page: dict[str, Any], crs: str, item_href: dict[str, str]) -> str:
    """A page of features: one table per feature (its id links to the feature's own page)."""
    head = (
        f"<p>{page['numberReturned']} of {page['numberMatched']} features; coordinates in"
        f" {E(crs)}</p>"
    )
    blocks = []
    for feature in page["features"]:
        href = item_href[feature["id"]]
        blocks.append(
            f'<h2><a href="{E(href)}">{E(feature["id"])}</a></h2>'
            + _table(_feature_rows(feature)[1:])
        )
    pager = [link for link in page["links"] if link["rel"] in ("prev", "next")]
    others = [link for link in page["links"] if link not in pager]
    return _page(
        f"{collection_id}: features",
        head + (_links(pager) if pager else "") + "".join(blocks) + _links(others),
    )


def item(feature: dict[str, Any]) -> str:
    return _page(str(feature["id"]), _table(_feature_rows(feature)) + _links(feature["links"]))
