"""One mechanism: the owners' offers (with their personal data), demands, matches and their
audit trail are read only through the scope filter (``sitefinder.accounts.scope``); other
modules write them (after checking the writer) and read only what a write needs (a row lock,
the ids of the parties to notify).

And the matrix of combinations (``matching.combine``): an offer outside a viewer's scope is
never a member of a combination the viewer sees, nor counted among its candidates."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from accounts_helpers import Account, act_as
from fastapi.testclient import TestClient
from match_helpers import PLOT, api_fixtures, demand_body, offer, write

from sitefinder.core.settings import PROJECT_ROOT

TABLES = re.compile(r"\b(owner_property|demand|match|match_audit)\b")
READ = re.compile(r"\bSELECT\b[\s\S]*\bFROM\s+(owner_property|demand|match|match_audit)\b")
JOINED = re.compile(r"\bJOIN\s+(owner_property|demand|match|match_audit)\b")
SCOPE_MODULE = Path("sitefinder/accounts/scope.py")
# What a write may read of the tables itself, and where.
ALLOWED = {
    Path("sitefinder/accounts/offers.py"): ("FOR UPDATE",),  # the owner's row, locked
    Path("sitefinder/accounts/matching.py"): (
        "FOR UPDATE",  # the match being changed, locked
        "SELECT o.owner_id AS id",  # the parties of a match, to notify (ids only)
    ),
}


def _joined(path: Path) -> Iterator[str]:
    """Each string constant, and adjacent constants joined (implicit concatenation is one
    constant already; a ``+`` between constants is joined here)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            parts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)]
            yield " ".join(p for p in parts if isinstance(p, str))


def test_only_the_scope_filter_reads_the_matchmaking_tables() -> None:
    offenders = []
    for folder in ("sitefinder", "etl", "layers"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT)
            if "migrations" in relative.parts or relative == SCOPE_MODULE:
                continue
            for text in _joined(path):
                if not TABLES.search(text) or not (READ.search(text) or JOINED.search(text)):
                    continue
                if any(mark in text for mark in ALLOWED.get(relative, ())):
                    continue
                offenders.append((str(relative), " ".join(text.split())[:90]))
    assert not offenders, offenders


def test_the_check_finds_a_direct_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('Q = "SELECT contact_email FROM owner_property WHERE id = %s"\n')
    found = [t for t in _joined(sample) if READ.search(t)]
    assert found


# A plot in Veenendaal (GM0345, Utrecht PV26), 7 km west of the Ede plot of match_helpers.
VEENENDAAL = {
    "type": "Polygon",
    "coordinates": [[[x - 0.1095, y - 0.013] for x, y in PLOT["coordinates"][0]]],
}
VEEN_CONTACT = {"contact_name": "Veen Geheimnaam-5d2a", "contact_email": "veen.5d2a@prive.example"}
# viewer -> whether they see the demand, and the offers the combination's members may be
COMBINATION_SCOPE = {
    "coordinator": ("ede", "veenendaal"),  # NL: both provinces
    "coordinator_region": ("ede",),  # PV25 only
    "provincie": ("ede",),
    "gemeente": ("ede",),
    "coordinator_other": None,  # PV27: not the demand either
    "provincie_other": None,
}


app, client, accounts = api_fixtures("matchscope-")


def test_a_combination_holds_only_offers_in_the_viewers_scope(
    client: TestClient, accounts: dict[str, Account]
) -> None:
    token = act_as(client, accounts, "eigenaar")
    made = {
        "ede": offer(client, token, name="Ede 20", places=20),
        "veenendaal": offer(
            client, token, name="Veenendaal 15", places=15, geometry=VEENENDAAL, **VEEN_CONTACT
        ),
    }
    assert made["veenendaal"]["provinciecode"] == "PV26"
    token = act_as(client, accounts, "gemeente")
    around = {  # a circle over both plots
        "area_kind": "radius",
        "center": {"type": "Point", "coordinates": [5.61, 52.034]},
        "radius_m": 8000,
    }
    demand: dict[str, Any] = write(
        client, "POST", "/api/demands", token, demand_body(places=30, **around)
    )
    for viewer, sees in COMBINATION_SCOPE.items():
        act_as(client, accounts, viewer)
        response = client.get(f"/api/demands/{demand['id']}/matches")
        if sees is None:
            assert response.status_code == 404, viewer
            continue
        assert response.status_code == 200, (viewer, response.text)
        found = response.json()
        members = {m["property_id"] for c in found["combinations"] for m in c["members"]}
        expected = {made[name]["id"] for name in sees}
        assert members == (expected if len(expected) > 1 else set()), viewer
        assert found["combination_search"]["candidates"] == len(sees), viewer
        if "veenendaal" not in sees:  # not by name, nor the owner's contact
            assert "Veenendaal 15" not in response.text, viewer
            assert not any(c in response.text for c in VEEN_CONTACT.values()), viewer
