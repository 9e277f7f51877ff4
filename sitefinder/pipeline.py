"""The main job: load every layer of the demo region through the ETL, then score every site."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from etl import get_pipeline, run_order
from etl.framework import RunResult, default_progress, no_progress, run_pipeline
from sitefinder import db
from sitefinder.scoring import ScoreSummary, score_all
from sitefinder.settings import Settings


@dataclass
class LoadReport:
    runs: list[RunResult] = field(default_factory=list)
    score: ScoreSummary | None = None


def load_layers(
    settings: Settings,
    layers: list[str] | None = None,
    *,
    source: Path | None = None,
    force: bool = False,
    progress: bool = True,
    on_result: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Run the pipelines of ``layers`` (all, in dependency order, when None)."""
    results = []
    with db.connection(settings) as conn:
        for name in run_order(layers):
            pipeline = get_pipeline(name)
            paths = [source] if source else pipeline.default_paths(settings.data_dir)
            result = run_pipeline(
                conn,
                pipeline,
                paths,
                force=force,
                progress=default_progress if progress else no_progress,
            )
            results.append(result)
            if on_result:
                on_result(result)
    return results


def load_and_score(settings: Settings, *, progress: bool = True, force: bool = False) -> LoadReport:
    db.init_database(settings)
    report = LoadReport(runs=load_layers(settings, force=force, progress=progress))
    with db.connection(settings) as conn:
        report.score = score_all(conn, settings.default_profile)
    return report
