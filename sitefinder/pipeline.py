"""The main job: load every layer of the demo region through the ETL, then score every site."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from etl import get_pipeline, run_order
from etl.archives import ArchiveLimits
from etl.areas import AreaSpec, resolve_area
from etl.declarations import Inputs, RunResult
from etl.inputs import resolve_inputs
from etl.loading import default_progress, no_progress, run_pipeline
from sitefinder.core import db
from sitefinder.core.errors import InvalidParameterError
from sitefinder.core.settings import Settings
from sitefinder.scoring import ScoreSummary, score_all
from sitefinder.scoring.snapshot import database_dir


@dataclass
class LoadReport:
    runs: list[RunResult] = field(default_factory=list)
    score: ScoreSummary | None = None


def load_layers(
    settings: Settings,
    layers: list[str] | None = None,
    *,
    source: Path | str | list[str] | None = None,
    online: bool = False,
    area: AreaSpec | None = None,
    force: bool = False,
    refresh: bool = False,
    replace: bool = False,
    progress: bool = True,
    accept_loss: bool = False,
    score: bool = False,
    on_result: Callable[[RunResult], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    on_score: Callable[[ScoreSummary], None] | None = None,
) -> list[RunResult]:
    """Run the pipelines of ``layers`` (all, in dependency order, when None).

    ``accept_loss`` lets a load through the loss guard (:mod:`etl.loading`). With ``score``,
    the criteria are brought up to date after the loads that changed something (only what
    changed; ``on_score`` gets the summary), so that the scores follow the data without a
    separate ``sitefinder score`` (the API serves the last scored state until then).

    ``source`` (a path, several paths, or an http(s) URL, for a single layer), ``online``
    (each layer's declared online service) and ``refresh``: see
    :func:`etl.inputs.resolve_inputs`.
    ``area`` is resolved once, before any layer loads, and limits every load to the features
    that intersect it (which then replace the layer's whole content; in a layer of partitions,
    the partitions that intersect it). ``replace``: a layer of partitions (zoning) replaces
    all its partitions, not only those in the input. When all layers are
    loaded (``layers`` None), boundary layers (gemeenten, provincies) are loaded whole, since
    areas are looked up in them, and so are table layers (no geometry to cut), and layers
    without an online service are read from their bundled files (``on_note`` is told). A
    table layer named on its own with an area is refused.
    """
    results = []
    with db.connection(settings) as conn:
        resolved = resolve_area(conn, area) if area is not None else None
        for name in run_order(layers):
            pipeline = get_pipeline(name, settings)
            layer_area = resolved
            kind = pipeline.layer_decl.kind
            if resolved is not None and kind == "table" and layers is not None:
                raise InvalidParameterError(
                    f"{name}: a table without geometry cannot be limited to an area"
                )
            if layers is None and kind in ("boundary", "table"):
                layer_area = None
            layer_online = online
            if online and layers is None and pipeline.online is None:
                layer_online = False
                if on_note:
                    on_note(f"  {name:<14} geen online bron / no online source: bundled files")
            if source is None and not layer_online and not pipeline.demo_files:
                if layers is not None:
                    raise InvalidParameterError(
                        f"{name}: no bundled file for this layer; load it with --from FILE"
                    )
                result = RunResult(
                    layer=name, status="skipped", message="no bundled file; load with --from"
                )
                results.append(result)
                if on_result:
                    on_result(result)
                continue
            if isinstance(source, list):  # several files for one layer
                inputs = Inputs([Path(item) for item in source])
            else:
                try:
                    inputs = resolve_inputs(
                        pipeline,
                        source,
                        layer_area,
                        settings,
                        online=layer_online,
                        progress=progress,
                        refresh=refresh,
                    )
                except InvalidParameterError as exc:
                    # 'all --online': a service that cannot be asked here (zoning without an
                    # API key, BGT without an area) falls back to the bundled files.
                    if not (layer_online and layers is None):
                        raise
                    if on_note:
                        on_note(
                            f"  {name:<14} online niet mogelijk / not possible ({exc}):"
                            " bundled files"
                        )
                    inputs = resolve_inputs(pipeline, None, layer_area, settings)
            result = run_pipeline(
                conn,
                pipeline,
                inputs,
                force=force,
                progress=default_progress if progress else no_progress,
                area=layer_area,
                replace=replace,
                accept_loss=accept_loss,
                limits=ArchiveLimits(
                    settings.etl_max_unzipped_mb << 20, settings.etl_max_zip_ratio
                ),
            )
            results.append(result)
            if on_result:
                on_result(result)
        if score and any(r.status == "ok" for r in results):
            summary = score_all(conn, settings.default_profile, snapshot_dir=database_dir(settings))
            if on_score:
                on_score(summary)
    return results


def load_and_score(settings: Settings, *, progress: bool = True, force: bool = False) -> LoadReport:
    db.init_database(settings)
    report = LoadReport(runs=load_layers(settings, force=force, progress=progress))
    with db.connection(settings) as conn:
        report.score = score_all(
            conn, settings.default_profile, snapshot_dir=database_dir(settings)
        )
    return report
