"""One mechanism: the owners' offers (with their personal data), demands, matches and their
audit trail are read only through the scope filter (``sitefinder.accounts.scope``); other
modules write them (after checking the writer) and read only what a write needs (a row lock,
the ids of the parties to notify)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

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
