"""``sitefinder --help`` stays fast: the CLI imports no heavy library until a command needs it
(issue 14; the time itself is measured by ``make bench``, not asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "pandas", "shapely", "psycopg", "pydantic", "fastapi", "uvicorn", "etl")

PROBE = """
import json, sys
from click.testing import CliRunner
from sitefinder.cli import main
for args in (["--help"], ["etl", "--help"], ["user", "--help"], ["score", "--help"]):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_help_imports_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
