"""The ``sitefinder etl`` commands through click's CliRunner, on a real PostGIS.

A file that is not what it claims fails with a one-line message and exit code 2 and changes
nothing; ``etl status`` lists every layer; the area options exclude each other, and a bad
area, ``--from`` with ``--online`` or ``all``, and ``--online`` for a layer without an online
source are usage errors (exit code 2) before anything is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakeservices import demo_path, run_cli

from sitefinder.core import db
from sitefinder.core.settings import Settings


@pytest.fixture(scope="module")
def loaded(settings: Settings) -> Settings:
    """The module's database with the demo gemeenten loaded through the CLI."""
    result = run_cli(settings, "etl", "run", "gemeenten")
    assert result.exit_code == 0, result.output
    assert "342 geladen / loaded" in result.output
    return settings


def state(settings: Settings) -> dict[str, Any]:
    """What a failed run must not change: the gemeenten rows and the last good run."""
    with db.connection(settings) as conn, conn.transaction():
        data = conn.execute(
            "SELECT count(*) AS n, md5(string_agg(id || props::text || ST_AsEWKB(geom)::text,"
            " ',' ORDER BY id)) AS digest FROM area WHERE layer = 'gemeenten'"
        ).fetchone()
        run = conn.execute(
            "SELECT max(id) AS id FROM etl_run WHERE layer = 'gemeenten' AND status = 'ok'"
        ).fetchone()
    assert data is not None and run is not None
    return {"n": data["n"], "digest": data["digest"], "last_ok": run["id"]}


def error_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fout / error: ")
    return str(lines[0])


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("garbage.geojson", b"this is not GeoJSON at all", "cannot read"),
        (
            "truncated.geojson",
            demo_path("boundaries", "gemeenten_2023_cbs.geojson").read_bytes()[:50_000],
            "cannot read",
        ),
        ("empty.geojson", b"", "input file is empty"),
        (
            "provincies.geojson",
            demo_path("boundaries", "provincies_2023_derived.geojson").read_bytes(),
            "gemeentecode, gemeentenaam not in the input",
        ),
    ],
)
def test_a_bad_file_fails_in_one_line_and_changes_nothing(
    loaded: Settings, tmp_path: Path, name: str, content: bytes, fragment: str
) -> None:
    before = state(loaded)
    bad = tmp_path / name
    bad.write_bytes(content)
    result = run_cli(loaded, "etl", "run", "gemeenten", "--from", str(bad))
    assert result.exit_code == 2
    line = error_line(result)
    assert fragment in line
    assert state(loaded) == before


def test_a_missing_file(loaded: Settings, tmp_path: Path) -> None:
    before = state(loaded)
    result = run_cli(loaded, "etl", "run", "gemeenten", "--from", str(tmp_path / "nope.gpkg"))
    assert result.exit_code == 2
    assert "input file not found" in error_line(result)
    assert state(loaded) == before


def test_status_lists_every_layer(loaded: Settings) -> None:
    from layers import catalogue

    result = run_cli(loaded, "etl", "status")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["layer", "loaded", "quar."]
    by_layer = {line.split()[0]: line for line in lines[1:]}
    assert set(by_layer) == set(catalogue())
    gemeenten = by_layer["gemeenten"].split()
    assert gemeenten[1:3] == ["342", "0"]
    assert "CBS / Kadaster" in by_layer["gemeenten"] and "(2023-01-01)" in by_layer["gemeenten"]
    assert "(not loaded)" in by_layer["natura2000"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--gemeente", "GM0363", "--provincie", "PV27"], "--gemeente and --provincie"),
        (["--gemeente", "GM0363", "--bbox", "120000,480000,125000,490000"], "give one area"),
        (["--provincie", "PV27", "--bbox", "4.8,52.3,4.9,52.4"], "give one area"),
        (["--bbox", "1,2,3"], "four numbers"),
        (["--bbox", "125000,480000,120000,490000"], "minx must be < maxx"),
        (["--bbox", "0,0,10,10"], "not in the Netherlands"),
        (["--from", "x.geojson", "--online"], "--from or --online"),
    ],
)
def test_usage_errors(settings: Settings, args: list[str], fragment: str) -> None:
    result = run_cli(settings, "etl", "run", "stops", *args)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr and fragment in result.stderr


def test_from_needs_a_single_layer(settings: Settings) -> None:
    result = run_cli(settings, "etl", "run", "all", "--from", "x.geojson")
    assert result.exit_code == 2 and "single LAYER" in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["stops", "--provincie", "PV27"], "needs the boundary layer 'provincies'"),
        (["stops", "--provincie", "PV99"], "from PV20 (Groningen) to PV31 (Limburg)"),
        (["stops", "--gemeente", "GM9999"], "no such gemeente in the loaded 'gemeenten'"),
        (["care", "--online"], "no online source is declared"),
        (["nosuchlayer"], "Unknown layer 'nosuchlayer'"),
    ],
)
def test_errors_before_loading(loaded: Settings, args: list[str], fragment: str) -> None:
    with db.connection(loaded) as conn, conn.transaction():
        runs = conn.execute("SELECT count(*) AS n FROM etl_run").fetchone()
    result = run_cli(loaded, "etl", "run", *args)
    assert result.exit_code == 2
    assert fragment in error_line(result)
    with db.connection(loaded) as conn, conn.transaction():
        assert conn.execute("SELECT count(*) AS n FROM etl_run").fetchone() == runs


def test_from_several_files_for_one_layer(settings: Settings) -> None:
    """Offices from a BAG sample plus a vacancy register, given as two --from files."""
    bag = demo_path("bag", "amsterdam_bagadresplus_nlextract.csv")
    register = demo_path("offices", "leegstandsregister_amsterdam_voorbeeld.csv")
    result = run_cli(settings, "etl", "run", "offices", "--from", str(bag), "--from", str(register))
    assert result.exit_code == 0, result.output
    with db.connection(settings) as conn:
        vacant = conn.execute(
            "SELECT count(*) AS n FROM site WHERE layer = 'offices'"
            " AND props ->> 'leegstand' = 'leeg'"
        ).fetchone()
    assert vacant is not None and vacant["n"] > 0
    bad = run_cli(
        settings, "etl", "run", "offices", "--from", str(bag), "--from", "http://127.0.0.1:9/x.csv"
    )
    assert bad.exit_code == 2 and "files, not URLs" in bad.output
