"""Timing of issue 12's documents and the fair-share view on a loaded database (the demo).

    SITEFINDER_DATABASE_URL=postgresql://.../sitefinder .venv/bin/python bench/reports_bench.py

Measures, each ``--repeat`` times (the median and the slowest, seconds), through the app in
process (FastAPI's TestClient, no network): one site report as HTML and as PDF, a shortlist
of the first ``--shortlist`` sites of the list as PDF and as the folium map, and the fair
share of a province and of a centrumgemeente region. Prints one line per measure and the
machine's load average; reads only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from fastapi.testclient import TestClient

from sitefinder.api import create_app
from sitefinder.core.settings import get_settings


def _time(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shortlist", type=int, default=10)
    args = parser.parse_args()
    with TestClient(create_app(get_settings())) as client:
        ids = [f["id"] for f in client.get(f"/api/sites?limit={args.shortlist}").json()["features"]]
        one = ids[0]
        joined = ",".join(ids)

        def ok(url: str) -> Callable[[], object]:
            def call() -> object:
                answer = client.get(url)
                assert answer.status_code == 200, (url, answer.text[:200])
                return answer

            return call

        measures = {
            "site report, HTML": ok(f"/api/sites/{one}/report"),
            "site report, PDF": ok(f"/api/sites/{one}/report?format=pdf"),
            f"shortlist of {len(ids)}, PDF": ok(f"/api/shortlist/report?ids={joined}&format=pdf"),
            f"shortlist of {len(ids)}, folium map": ok(f"/api/shortlist/map?ids={joined}"),
            "fair share, province PV25": ok("/api/fairshare?kind=provincie&region=PV25&need=1000"),
            "fair share, region Ede": ok("/api/fairshare?region=GM0228&need=100"),
        }
        ok(f"/api/sites/{one}/report?format=pdf")()  # warm up: WeasyPrint's fonts, the snapshot
        for name, call in measures.items():
            median, worst = _time(call, args.repeat)
            print(f"{name:<36} median {median:6.2f} s   max {worst:6.2f} s")
    print("load average (1, 5, 15 min):", " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
