"""``sitefinder score``: bring the raw criteria up to date and summarise a profile's scores.

The top of the scoring package: it calls ``compute`` (raw columns into ``site_raw``) and then
``engine`` (values and scores), which know nothing of each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sitefinder.scoring import snapshot
from sitefinder.scoring.compute import compute_all
from sitefinder.scoring.engine import SiteTable, weight_vector
from sitefinder.scoring.profile import load_profile


@dataclass
class ScoreSummary:
    sites: int
    scored: int
    excluded: int
    no_data: int
    missing: dict[str, int]  # sites outside each coverage layer's coverage
    seconds: dict[str, float]
    groups: list[str]  # the criterion groups recomputed ([] when nothing had changed)


def score_all(
    conn: Any,
    profile_name: str = "standaard",
    *,
    full: bool = False,
    snapshot_dir: Path | None = None,
    dask: str | None = None,
    workers: int = 2,
) -> ScoreSummary:
    """Bring the raw criteria (``site_raw``) up to date and summarise ``profile_name``.

    Only the criteria whose layers were reloaded since the last run are recomputed, unless
    sites changed or ``full`` is given. ``dask`` (a scheduler address, or ``local`` for a
    local cluster of ``workers`` processes): a recomputation of every criterion runs
    partitioned by gemeente on it (``partitioned``; the same results). With ``snapshot_dir``
    (``snapshot.database_dir``), the scored table is written there for the API to map into
    memory (``snapshot``), unless a current one is there already.
    """
    if dask is None:
        summary = compute_all(conn, full=full)
    else:
        from sitefinder.scoring import partitioned  # Dask's side: pandas, shapely per partition

        client = partitioned.connect(dask, workers)
        try:
            summary = compute_all(conn, full=full, every=partitioned.on(client))
        finally:
            partitioned.disconnect(client)
    profile = load_profile(profile_name)
    key = snapshot.table_key(conn)
    table = SiteTable.load(conn, version=key.version)
    evaluation = table.evaluation(profile)
    if snapshot_dir is not None and snapshot.current(snapshot_dir, key) is None:
        snapshot.write(snapshot_dir, table, key)
    scores = evaluation.scores(weight_vector(profile.weights))
    return ScoreSummary(
        sites=summary.sites,
        scored=int((~np.isnan(scores)).sum()),
        excluded=int(evaluation.excluded.sum()),
        no_data=int((np.isnan(scores) & ~evaluation.excluded).sum()),
        missing=summary.missing,
        seconds=summary.seconds,
        groups=summary.groups,
    )
