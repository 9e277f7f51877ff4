"""A criterion is one declaration: one declared here, outside the package, joins the catalogue
through ``criteria.registered`` and is computed, stored, valued, weighted (``weights=``) and
explained with facts, through the API too, with no other file changed. Also: ``site_raw``
follows the catalogue, and a database migrated before that upgrades without error.

Coordinates are EPSG:28992 metres around Amsterdam (121000, 487000), on real PostGIS.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest
from alembic import command
from alembic.config import Config
from conftest import Drops
from fastapi.testclient import TestClient

from sitefinder.api import create_app
from sitefinder.core import db
from sitefinder.core.errors import InvalidParameterError
from sitefinder.core.settings import Settings
from sitefinder.scoring import load_profile, parse_weights, score_all
from sitefinder.scoring.base import (
    Columns,
    Facts,
    LayerUse,
    Names,
    Params,
    Raw,
    RawColumn,
    Row,
    Valued,
    nearest_fact,
    number,
    walking_value,
)
from sitefinder.scoring.criteria import catalogue, groups, raw_columns, register, registered
from sitefinder.scoring.declaration import Criterion
from sitefinder.scoring.engine import SiteTable, evaluate, weight_vector
from sitefinder.scoring.explain import explain, feature_names
from sitefinder.scoring.profile import parse_profile
from sitefinder.scoring.spatial import LayerIndex, Layers, Sites, nearest_columns
from sitefinder.scoring.store import table_columns

# ---------------------------------------------------------------------------------------------
# the example criterion: walking distance to the nearest hospital (care of category hospital)


def _hospitals(layers: Layers) -> LayerIndex | None:
    care = layers.get("care")
    if care is None:
        return None
    return layers.memo("hospitals", lambda: care.subset(care.categories == "hospital"))


def _compute(layers: Layers, sites: Sites) -> Columns:
    return nearest_columns("hospital", _hospitals(layers), sites)


def _value(raw: Raw, params: Params) -> Valued:
    return Valued(walking_value(raw.floats("hospital_m"), params))


def _reading(row: Row, params: Params) -> float | None:
    metres = number(row.get("hospital_m"))
    return None if metres is None else metres * params.detour_factor


def _facts(row: Row, params: Params, names: Names) -> Facts:
    nearest = nearest_fact(
        names, row.get("hospital_id"), row.get("hospital_m"), detour_factor=params.detour_factor
    )
    return {"nearest": nearest}


HOSPITAL = Criterion(
    name="hospital_distance",
    title_nl="Ziekenhuis",
    title_en="Hospital",
    unit="m",
    columns=(
        RawColumn("hospital_id", "id", None, "the nearest hospital"),
        RawColumn("hospital_m", "float", "m", "straight-line distance to it"),
    ),
    reads=(LayerUse("care"),),
    coverage="care",
    compute=_compute,
    defaults={"weight": 0.0, "breakpoints": [[1000.0, 1.0], [5000.0, 0.0]]},
    value=_value,
    reading=_reading,
    facts=_facts,
    fact_keys=("nearest",),
)

# ---------------------------------------------------------------------------------------------


def _point(x: float, y: float) -> str:
    return f"SRID=28992;POINT({x} {y})"


def _run(conn: psycopg.Connection[Any], layer: str) -> None:
    """Record a successful ETL run of ``layer`` (what ``sitefinder score`` compares)."""
    conn.execute(
        "INSERT INTO etl_run (layer, source, uri, publisher, licence, status, started_at)"
        " VALUES (%s, 't', 't', 't', 't', 'ok', now())",
        (layer,),
    )


@pytest.fixture
def town(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """Two offices, a hospital 400 m from the first, a GP next to the second."""
    for table in ("site_raw", "site", "poi", "area", "layer_coverage", "etl_run"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("DELETE FROM scoring_state")
    conn.execute(
        "INSERT INTO site (id, layer, name, source, source_ref, geom, kind, props) VALUES"
        " ('offices:near', 'offices', 'Dichtbij', 't', 'near', %s, 'kantoor', '{\"places\": 20}'),"
        " ('offices:far', 'offices', 'Verder', 't', 'far', %s, 'kantoor', '{\"places\": 20}')",
        (_point(121000, 487000), _point(124000, 487000)),
    )
    conn.execute(
        "INSERT INTO poi (id, layer, name, source, source_ref, geom, category) VALUES"
        " ('care:h', 'care', 'Ziekenhuis Oost', 't', 'h', %s, 'hospital'),"
        " ('care:gp', 'care', 'Huisarts', 't', 'gp', %s, 'general_practice')",
        (_point(121400, 487000), _point(124010, 487000)),
    )
    conn.execute("INSERT INTO layer_coverage VALUES ('care', true, NULL)")
    for layer in ("offices", "care"):
        _run(conn, layer)
    return conn


def test_a_criterion_declared_elsewhere_is_computed_stored_valued_and_explained(
    town: psycopg.Connection[Any], settings: Settings
) -> None:
    first = score_all(town)
    assert first.groups == list(groups())
    assert "hospital_m" not in table_columns(town)

    with registered(HOSPITAL):
        assert list(catalogue())[-1] == "hospital_distance"
        assert {"hospital_id", "hospital_m"} <= {c.name for c in raw_columns()}

        # computed and stored: the scoring step adds its columns and computes only its group
        again = score_all(town)
        assert again.groups == ["care"]
        stored = {
            row["site_id"]: row
            for row in town.execute("SELECT site_id, hospital_id, hospital_m FROM site_raw")
        }
        assert stored["offices:near"]["hospital_id"] == "care:h"
        assert stored["offices:near"]["hospital_m"] == pytest.approx(400.0)
        assert stored["offices:far"]["hospital_m"] == pytest.approx(2600.0)  # not the GP
        assert score_all(town).groups == []  # and then it is up to date

        # valued with its declared defaults: walking 400 x 1.3 = 520 m -> 1;
        # 2600 x 1.3 = 3380 m -> 1 - (3380 - 1000) / 4000
        table = SiteTable.load(town, version=0)
        standaard = load_profile("standaard")
        evaluation = table.evaluation(standaard)
        column = evaluation.values[:, evaluation.col["hospital_distance"]]
        near, far = table.index["offices:near"], table.index["offices:far"]
        assert column[near] == pytest.approx(1.0)
        assert column[far] == pytest.approx(1 - 2380 / 4000)

        # weighted: the profiles give it its default weight 0; own weights rank by it alone
        assert standaard.weights["hospital_distance"] == 0.0
        weights = parse_weights("hospital_distance:1")
        scores = evaluation.scores(weight_vector(weights))
        assert scores[near] == pytest.approx(1.0) and scores[far] == pytest.approx(0.405)

        # explained with facts
        raw = table.raw.iloc[far].to_dict()
        explained = explain(
            standaard, weight_vector(weights), evaluation, far, raw, feature_names(town, raw)
        )
        item = explained["breakdown"][evaluation.col["hospital_distance"]]
        assert item["facts"] == {
            "nearest": {
                "id": "care:h",
                "name": "Ziekenhuis Oost",
                "category": "hospital",
                "walk_m": 3380,
                "distance_m": 2600,
            }
        }
        assert item["raw"] == pytest.approx(3380.0) and item["unit"] == "m"
        assert item["effective_weight"] == 1.0 and not item["missing"]

        # a profile may change its parameters like any other criterion's
        changes = {"hospital_distance": {"weight": 0.5}}
        own = parse_profile(
            "eigen", {"name": "eigen", "title_nl": "E", "title_en": "O", "criteria": changes}
        )
        assert own.weights["hospital_distance"] == 0.5

        # and the API serves it: listed with its facts, ranked by weights=, explained
        with TestClient(create_app(settings)) as client:
            listed = client.get("/api/profiles").json()["criteria"]
            assert {"name": "hospital_distance", "title": {"nl": "Ziekenhuis", "en": "Hospital"},
                    "unit": "m", "constraint": False, "facts": ["nearest"]} in listed  # fmt: skip
            ranked = client.get("/api/sites?weights=hospital_distance:1").json()
            assert [f["id"] for f in ranked["features"]] == ["offices:near", "offices:far"]
            assert ranked["features"][1]["properties"]["score"] == pytest.approx(0.405)
            detail = client.get("/api/sites/offices:far?weights=hospital_distance:1").json()
            by = {b["criterion"]: b for b in detail["properties"]["breakdown"]}
            assert by["hospital_distance"]["facts"] == item["facts"]
            assert by["hospital_distance"]["contribution"] == pytest.approx(0.405)

    # gone from the catalogue: its column stays behind, nullable, and blocks nothing
    assert "hospital_distance" not in catalogue()
    with pytest.raises(InvalidParameterError, match="unknown criterion 'hospital_distance'"):
        parse_weights("hospital_distance:1")
    assert score_all(town, full=True).sites == 2
    assert "hospital_m" in table_columns(town)


def test_a_declaration_that_computes_the_wrong_columns_is_refused(
    town: psycopg.Connection[Any],
) -> None:
    def wrong(layers: Layers, sites: Sites) -> Columns:
        return {"hospital_m": np.zeros(len(sites))}  # hospital_id is missing

    broken = replace(HOSPITAL, name="broken", compute=wrong)
    with registered(broken), pytest.raises(ValueError, match="hospital_id"):
        score_all(town, full=True)
    with (
        pytest.raises(ValueError, match="already in the catalogue"),
        registered(HOSPITAL, HOSPITAL),
    ):
        pass
    elsewhere = replace(HOSPITAL, reads=(LayerUse("hospitals"),), coverage=None, group="")
    with pytest.raises(ValueError, match=r"reads unknown layers \['hospitals'\]"):
        register(elsewhere)
    assert "hospital_distance" not in catalogue()


def test_raw_columns_not_computed_yet_read_as_missing() -> None:
    # a table read before a criterion's columns were computed lacks them: no data, no error
    evaluation = evaluate(
        pd.DataFrame({"care_m": [100.0], "cov_care": [True]}), load_profile("standaard")
    )
    assert evaluation.present[0, evaluation.col["care_distance"]]
    assert not evaluation.present[0, evaluation.col["transit"]]
    assert not evaluation.excluded[0]


# ---------------------------------------------------------------------------------------------
# migrations: a database from before the catalogue owned site_raw upgrades without error


def _alembic(settings: Settings) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", settings.sqlalchemy_url.replace("%", "%%"))
    return cfg


@pytest.fixture
def old_database(settings: Settings, drops: Drops) -> Iterator[Settings]:
    """A database at revision 0005 (before site_raw followed the catalogue), with a row."""
    old = settings.model_copy(
        update={"database_url": settings.database_url.rsplit("/", 1)[0] + "/" + _old_name(settings)}
    )
    db.ensure_database(old)
    try:
        command.upgrade(_alembic(old), "0005")
        yield old
    finally:
        drops.drop(old)  # in the background (conftest.Drops)


def _old_name(settings: Settings) -> str:
    return settings.database_url.rsplit("/", 1)[1].partition("?")[0] + "_old"


def test_a_database_at_0005_upgrades_and_scores(old_database: Settings) -> None:
    with db.connection(old_database) as conn:
        conn.execute(
            "INSERT INTO site (id, layer, name, source, source_ref, geom, kind, props) VALUES"
            " ('offices:1', 'offices', 'K', 't', '1', %s, 'kantoor', '{\"places\": 20}')",
            (_point(121000, 487000),),
        )
        conn.execute(
            "INSERT INTO site_raw (site_id, care_m, care_n, places, cov_stops, cov_care,"
            " cov_supermarkets, cov_zoning, cov_natura2000, computed_at)"
            " VALUES ('offices:1', 500, 1, 20, false, true, false, false, true, now())"
        )
        conn.execute(
            "INSERT INTO scoring_state (id, version, computed_at, care_radius_m, layers)"
            " VALUES (1, 3, now(), 1000, '{}')"
        )
    command.upgrade(_alembic(old_database), "head")
    with db.connection(old_database) as conn:
        nullable = {
            row["column_name"]: row["is_nullable"]
            for row in conn.execute(
                "SELECT column_name, is_nullable FROM information_schema.columns"
                " WHERE table_name = 'site_raw'"
            )
        }
        assert nullable["cov_care"] == "YES" and nullable["care_m"] == "YES"
        kept = conn.execute("SELECT care_m, cov_care FROM site_raw").fetchone()
        assert kept == {"care_m": 500.0, "cov_care": True}
        state = conn.execute("SELECT * FROM scoring_state").fetchone()
        assert state is not None and "care_radius_m" not in state and state["version"] == 3
        summary = score_all(conn, full=True)
        assert summary.sites == 1 and summary.groups == list(groups())
        assert {c.name for c in raw_columns()} <= table_columns(conn)
    # and back down, and up again
    command.downgrade(_alembic(old_database), "0005")
    command.upgrade(_alembic(old_database), "head")
