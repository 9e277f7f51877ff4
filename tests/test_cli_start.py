"""Starting stays fast (issue 14; the times themselves are measured by ``make bench``, not
asserted here): ``sitefinder --help`` imports no heavy library until a command needs it, and
the API (``import sitefinder.api`` and ``create_app()``, what a fresh ``sitefinder serve``
does before its first answer) imports none of the libraries only some endpoints need."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "pandas", "shapely", "psycopg", "pydantic", "fastapi", "uvicorn", "etl")
# what only some endpoints (exports, reports, maps, sign-on, upload, ad-hoc scoring) or the
# scoring run need; the API imports each where it is used
API_HEAVY = (
    "pandas",
    "geopandas",
    "pyogrio",
    "pyproj",
    "pyarrow",
    "scipy",
    "weasyprint",
    "openpyxl",
    "xlsxwriter",
    "folium",
    "branca",
    "jinja2",
    "dask",
    "distributed",
    "authlib",
    "joserfc",
    "matplotlib",
)

CLI_PROBE = """
from click.testing import CliRunner
from sitefinder.cli import main
for args in (["--help"], ["etl", "--help"], ["user", "--help"], ["score", "--help"]):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
"""

API_PROBE = """
import sitefinder.api
sitefinder.api.create_app()
"""

REPORT = """
import json, sys
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def loaded_packages(probe: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after running ``probe``."""
    done = subprocess.run(
        [sys.executable, "-c", probe + REPORT],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_help_imports_no_heavy_library() -> None:
    loaded = loaded_packages(CLI_PROBE)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_api_starts_without_the_libraries_of_single_endpoints() -> None:
    loaded = loaded_packages(API_PROBE)
    assert "fastapi" in loaded  # the probe did build the app
    assert not loaded & set(API_HEAVY), sorted(loaded & set(API_HEAVY))
