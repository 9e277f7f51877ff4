"""The combination search of the matches (``matching.combine``) against the number of offers
that could be members: it considers the best ``MAX_COMBINATION_POOL`` only, so its time stays
flat however many offers a demand's area holds (docs/scoring.md, section 10).

    .venv/bin/python bench/combinations_bench.py [--repeat 50]

Synthetic candidates (no database): places 1-29, scores at random; a demand of 60 places, so
the search goes to its largest size. Prints the median time per call for each pool size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np
import shapely

from sitefinder.accounts import matching


def _parts(n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    low = rng.uniform(0.2, 0.8, n)
    return [
        {
            "property_id": i + 1,
            "places": int(rng.integers(1, 30)),
            "score": round(float(low[i] + 0.1), 4),
            "score_low": round(float(low[i]), 4),
            "score_high": round(float(low[i] + 0.2), 4),
            "completeness": 0.9,
            "why": [{"code": "in_area"}],
            "unknown": [],
        }
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    criteria = matching.Criteria(profile="standaard", area=shapely.box(0, 0, 1, 1), places=60)
    rng = np.random.default_rng(11)
    results = {}
    for n in (3, 12, 100, 1_000, 10_000):
        parts = _parts(n, rng)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            found = matching.combine(criteria, [], parts)
            times.append(time.perf_counter() - start)
        results[n] = {
            "median_ms": round(statistics.median(times) * 1000, 3),
            "combinations": len(found["combinations"]),
            "considered": found["combination_search"]["considered"],
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
