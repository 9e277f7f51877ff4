"""Fair share per region (issue 12; the method is in docs/fairshare.md).

A **region** is a set of gemeenten: a centrumgemeente region (maatschappelijke opvang and
beschermd wonen), a GGD or a Wmo region (table ``gemeente_region``, 2017-2019 division, joined
on the gemeente code) or a province (the gemeenten layer's ``provinciecode``). Members are the
gemeenten of the loaded gemeenten layer (CBS 2023) the region names; a gemeente merged since
the division is not a member (the view says how many of the region's codes were not found).

Per member: its **fair share** of the region's **need** by a **key** (``KEYS``: population by
default, households, or an equal share), ``need * key_i / sum(key)``, also rounded to whole
places by the largest remainder so the rounded shares add up to the need; against its
**capacity** for the target group (the profile):

* ``sites``: the places (``site_raw.places``, what the score used) of the candidate sites in
  the gemeente that are not excluded and score at least ``min_score`` for the profile;
* ``flagged``: the places of the holiday parks with a visible province flag of a status in
  ``statuses`` (default ``CAPACITY_STATUSES``); visible through the scope filter only, so a
  confidential flag never counts for a viewer outside its scope;
* ``offers``: places offered by owners (issue 11) that the viewer may see (status offered,
  through ``ScopeFilter.offers``); unknown (None) for a viewer who sees no offers at all;

``capacity`` is the places of the union of the sites of ``sites`` and ``flagged`` (a flagged
park that also scores high counts once), plus the offers. ``balance = capacity - fair share``.

The need: a number the user typed in (``need``), else the region's row in ``region_need``
(a coordinator's), else the sum of its members' rows keyed by gemeentecode (a CSV); else
none, and the view shows the shares alone (``need`` None).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from fastapi.responses import Response
from psycopg import sql

from sitefinder.accounts.scope import ScopeFilter
from sitefinder.api import exports, flagview
from sitefinder.core.errors import InvalidParameterError, UnknownRegionError
from sitefinder.scoring import Profile
from sitefinder.scoring.engine import SiteTable, weight_vector

Conn = psycopg.Connection[Any]
KINDS = ("centrumgemeente", "ggd", "wmo", "provincie")
# key -> the gemeenten layer's property (CBS Wijk- en Buurtkaart 2023); None: equal shares
KEYS: dict[str, str | None] = {
    "population": "aantalInwoners",
    "households": "aantalHuishoudens",
    "equal": None,
}
CAPACITY_STATUSES = ("kansrijk", "in_onderzoek", "geschikt", "in_transformatie", "omgezet")
MAX_NEED = 10_000_000

# the gemeenten with their region of each kind (2017-2019 division) and province
MEMBERS_SQL = """
SELECT g.code, g.name, g.props ->> 'aantalInwoners' AS population,
       g.props ->> 'aantalHuishoudens' AS households,
       'PV' || lpad(g.props ->> 'provinciecode', 2, '0') AS provincie,
       x.centrumgemeente_code AS centrumgemeente, x.centrumgemeente AS centrumgemeente_name,
       x.ggd_region AS ggd, x.wmo_region AS wmo
FROM area g
LEFT JOIN gemeente_region x ON x.layer = 'regions' AND x.code = g.code
WHERE g.layer = 'gemeenten' AND g.code <> 'GM0998'
ORDER BY g.name
"""


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidParameterError(f"kind must be one of {', '.join(KINDS)}, got '{kind[:40]}'")
    return kind


def check_key(key: str) -> str:
    if key not in KEYS:
        raise InvalidParameterError(f"key must be one of {', '.join(KEYS)}, got '{key[:40]}'")
    return key


def _gemeenten(conn: Conn) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(MEMBERS_SQL).fetchall()]


def _province_names(conn: Conn) -> dict[str, str]:
    rows = conn.execute("SELECT code, name FROM area WHERE layer = 'provincies'").fetchall()
    return {r["code"]: r["name"] for r in rows}


def regions(conn: Conn, kind: str) -> list[dict[str, Any]]:
    """The regions of ``kind`` with their number of members, by name."""
    check_kind(kind)
    names = _province_names(conn) if kind == "provincie" else {}
    found: dict[str, dict[str, Any]] = {}
    for g in _gemeenten(conn):
        code = g[kind]
        if not code:
            continue
        name = names.get(code, code)
        if kind == "centrumgemeente":
            name = g["centrumgemeente_name"] or code
        entry = found.setdefault(code, {"code": code, "name": name, "members": 0})
        entry["members"] += 1
    return sorted(found.values(), key=lambda r: r["name"])


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def largest_remainder(total: int, weights: list[float]) -> list[int]:
    """``total`` whole places split in proportion to ``weights`` (Hamilton's method): each
    gets the floor of its exact share, the remainder goes to the largest fractions (ties: in
    the given order)."""
    s = sum(weights)
    if total <= 0 or s <= 0:
        return [0] * len(weights)
    exact = [total * w / s for w in weights]
    floors = [math.floor(e) for e in exact]
    left = total - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def stored_need(
    conn: Conn, kind: str, code: str, profile: str, members: list[str]
) -> dict[str, Any]:
    """The region's need from ``region_need``: its own row, else the sum of its members'
    gemeente rows (a CSV); ``{"need": None}`` when neither."""
    row = conn.execute(
        "SELECT need, source, updated_at FROM region_need WHERE region_kind = %s"
        " AND region_code = %s AND profile = %s",
        (kind, code, profile),
    ).fetchone()
    if row is not None:
        return {"need": int(row["need"]), "source": row["source"], "updated_at": row["updated_at"]}
    total = conn.execute(
        "SELECT sum(need) AS n, count(*) AS k, string_agg(DISTINCT source, ', ') AS source,"
        " max(updated_at) AS updated_at FROM region_need WHERE region_kind = 'gemeente'"
        " AND profile = %s AND region_code = ANY(%s)",
        (profile, members),
    ).fetchone()
    if total is None or not total["k"]:
        return {"need": None, "source": None, "updated_at": None}
    return {"need": int(total["n"]), "source": total["source"], "updated_at": total["updated_at"]}


def offers_by_gemeente(
    accounts: Conn | None, scope: ScopeFilter | None, members: list[str]
) -> dict[str, float] | None:
    """Places offered by owners (issue 11) per member gemeente, as far as the viewer may see
    offers: only offers with the status ``offered`` (never a saved or withdrawn one), read
    through the one scope filter (``scope.offers``; the offers table is the writer's, so
    ``accounts`` is its connection). None for a viewer who sees no offers at all (the public,
    an owner): the column then reads as unknown, never as zero. An offer's places count for
    every target group (an owner offers places, not a profile)."""
    if accounts is None or scope is None:
        return None
    viewer = scope.viewer
    if not (viewer.covers_country or viewer.provinces or viewer.gemeenten):
        return None
    query = sql.SQL(
        "SELECT o.gemeentecode AS code, sum(o.places)::float AS places FROM {offers} o"
        " WHERE o.status = 'offered' AND o.places IS NOT NULL"
        " AND o.gemeentecode = ANY(%(members)s) GROUP BY o.gemeentecode"
    ).format(offers=scope.offers)
    rows = accounts.execute(query, scope.bind({"members": members})).fetchall()
    return {str(r["code"]): float(r["places"]) for r in rows}


@dataclass(frozen=True)
class FairShareQuery:
    kind: str
    region: str
    profile: Profile
    weights: dict[str, float]
    min_score: float = 0.5
    key: str = "population"
    need: int | None = None  # typed in: replaces the stored need
    statuses: tuple[str, ...] = CAPACITY_STATUSES


def _capacity(
    conn: Conn,
    table: SiteTable,
    q: FairShareQuery,
    members: list[str],
    shown: flagview.Visible,
) -> dict[str, dict[str, float]]:
    """Per member gemeente: places and count of the sites above the score, of the visibly
    flagged parks, and of their union (vectorised masks over all sites)."""
    evaluation = table.evaluation(q.profile)
    scores = evaluation.score_all(weight_vector(q.weights))
    in_region = table.matching(table.gemeente, members)
    places = np.zeros(len(table), dtype=float)
    region = np.flatnonzero(in_region)  # the places of the region's sites only
    places[region] = np.nan_to_num(
        table.raw_frame(conn, region)["places"].to_numpy(dtype=float), nan=0.0
    )
    above = (
        in_region & ~evaluation.excluded & (np.nan_to_num(scores.point, nan=-1.0) >= q.min_score)
    )
    at = [table.position(i) for i, f in shown.items() if f["status"] in q.statuses]
    flagged = np.zeros(len(table), dtype=bool)
    flagged[[i for i in at if i is not None]] = True
    flagged &= in_region
    gemeente = table.gemeente.values()
    out: dict[str, dict[str, float]] = {
        code: {"sites": 0.0, "n_sites": 0, "flagged": 0.0, "n_flagged": 0, "union": 0.0}
        for code in members
    }
    for name, mask in (("sites", above), ("flagged", flagged), ("union", above | flagged)):
        idx = np.flatnonzero(mask)
        if not len(idx):
            continue
        codes, inverse = np.unique(gemeente[idx].astype(str), return_inverse=True)
        sums = np.bincount(inverse, weights=places[idx])
        counts = np.bincount(inverse)
        for code, total, count in zip(codes, sums, counts, strict=True):
            out[str(code)][name] = float(total)
            if name != "union":
                out[str(code)][f"n_{name}"] = int(count)
    return out


def fair_share(
    conn: Conn,
    table: SiteTable,
    q: FairShareQuery,
    shown: flagview.Visible,
    *,
    accounts: Conn | None = None,
    scope: ScopeFilter | None = None,
) -> dict[str, Any]:
    """The region's table: one row per member gemeente (see the module docstring)."""
    check_kind(q.kind)
    check_key(q.key)
    members = [g for g in _gemeenten(conn) if g[q.kind] == q.region]
    if not members:
        raise UnknownRegionError(f"no gemeente lies in the {q.kind} region '{q.region[:60]}'")
    codes = [g["code"] for g in members]
    prop = KEYS[q.key]
    keys = [1.0 if prop is None else (_number(g[_column(prop)]) or 0.0) for g in members]
    key_sum = sum(keys)
    if key_sum <= 0:
        raise InvalidParameterError(f"the key '{q.key}' is unknown for every gemeente here")
    stored = stored_need(conn, q.kind, q.region, q.profile.name, codes)
    need = q.need if q.need is not None else stored["need"]
    source = "typed" if q.need is not None else stored["source"]
    rounded = largest_remainder(need, keys) if need is not None else [None] * len(members)
    capacity = _capacity(conn, table, q, codes, shown)
    offers = offers_by_gemeente(accounts, scope, codes)
    rows = []
    for g, k, whole in zip(members, keys, rounded, strict=True):
        c = capacity[g["code"]]
        share = k / key_sum
        exact = None if need is None else need * share
        total = c["union"] + (offers or {}).get(g["code"], 0.0)
        rows.append(
            {
                "gemeentecode": g["code"],
                "gemeente": g["name"],
                "key_value": k,
                "share": share,
                "fair_share": exact,
                "fair_share_rounded": whole,
                "capacity_sites": c["sites"],
                "n_sites": int(c["n_sites"]),
                "capacity_flagged": c["flagged"],
                "n_flagged": int(c["n_flagged"]),
                "capacity_offers": None if offers is None else offers.get(g["code"], 0.0),
                "capacity": total,
                "balance": None if exact is None else total - exact,
            }
        )
    name = q.region
    for r in regions(conn, q.kind):
        if r["code"] == q.region:
            name = r["name"]
    return {
        "kind": q.kind,
        "region": q.region,
        "name": name,
        "profile": q.profile.name,
        "key": q.key,
        "key_property": prop,
        "min_score": q.min_score,
        "statuses": list(q.statuses),
        "need": need,
        "need_source": source,
        "need_updated_at": stored["updated_at"] if q.need is None else None,
        "stored_need": stored["need"],
        "offers_available": offers is not None,
        "gemeenten": rows,
        "totals": {
            "key_value": key_sum,
            "capacity_sites": sum(r["capacity_sites"] for r in rows),
            "capacity_flagged": sum(r["capacity_flagged"] for r in rows),
            "capacity": sum(r["capacity"] for r in rows),
        },
    }


def _column(prop: str) -> str:
    return {"aantalInwoners": "population", "aantalHuishoudens": "households"}[prop]


CSV_COLUMNS = (
    "gemeentecode",
    "gemeente",
    "key_value",
    "share",
    "fair_share",
    "fair_share_rounded",
    "capacity_sites",
    "n_sites",
    "capacity_flagged",
    "n_flagged",
    "capacity_offers",
    "capacity",
    "balance",
)


def csv_response(view: dict[str, Any], filename: str) -> Response:
    """The table as CSV (UTF-8 with BOM, comma, decimal point): numbers as numbers (a negative
    balance is no formula), texts through ``exports.cell`` (which defuses formulas)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in view["gemeenten"]:
        writer.writerow(
            [
                ""
                if v is None
                else round(v, 4)
                if isinstance(v, float)
                else v
                if isinstance(v, int)
                else exports.cell(v)
                for v in (row[c] for c in CSV_COLUMNS)
            ]
        )
    return Response(
        content="\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def set_need(
    conn: Conn, kind: str, code: str, profile: str, need: int, source: str, user: int | None
) -> None:
    conn.execute(
        "INSERT INTO region_need (region_kind, region_code, profile, need, source, updated_by,"
        " updated_at) VALUES (%s, %s, %s, %s, %s, %s, now())"
        " ON CONFLICT (region_kind, region_code, profile) DO UPDATE SET need = EXCLUDED.need,"
        " source = EXCLUDED.source, updated_by = EXCLUDED.updated_by, updated_at = now()",
        (kind, code, profile, need, source, user),
    )


def read_need_csv(path: Path) -> list[tuple[str, int]]:
    """Rows ``gemeentecode;need`` (or ``,``; a header naming both; codes like GM0228 or 0228),
    e.g. a statushouder target per gemeente. A bad row stops the load with its line number."""
    text = path.read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=";,\t")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    fields = {f.strip().lower(): f for f in reader.fieldnames or []}
    if "gemeentecode" not in fields or "need" not in fields:
        raise InvalidParameterError(f"{path.name}: the header must name gemeentecode and need")
    out = []
    for n, row in enumerate(reader, start=2):
        code = (row[fields["gemeentecode"]] or "").strip().upper()
        code = code if code.startswith("GM") else "GM" + code.zfill(4)
        value = (row[fields["need"]] or "").strip()
        if not (len(code) == 6 and code[2:].isdigit()) or not value.isdigit():
            raise InvalidParameterError(
                f"{path.name} line {n}: need a gemeentecode and a whole number"
            )
        if int(value) > MAX_NEED:
            raise InvalidParameterError(f"{path.name} line {n}: need at most {MAX_NEED}")
        out.append((code, int(value)))
    return out


def load_need_csv(conn: Conn, path: Path, profile: str) -> int:
    """Store the CSV's rows as gemeente needs of ``profile`` (one transaction); their count."""
    rows = read_need_csv(path)
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO region_need (region_kind, region_code, profile, need, source)"
            " VALUES ('gemeente', %s, %s, %s, %s) ON CONFLICT (region_kind, region_code, profile)"
            " DO UPDATE SET need = EXCLUDED.need, source = EXCLUDED.source, updated_by = NULL,"
            " updated_at = now()",
            [(code, profile, need, f"csv:{path.name}") for code, need in rows],
        )
    return len(rows)


def member_provinces(conn: Conn, kind: str, code: str) -> set[str]:
    """The provinces the region's member gemeenten lie in (empty: no such region)."""
    check_kind(kind)
    return {g["provincie"] for g in _gemeenten(conn) if g[kind] == code and g["provincie"]}
