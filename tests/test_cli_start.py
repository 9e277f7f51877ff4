"""Starting stays fast (issue 14; the times themselves are measured by ``make bench``, not
asserted here): ``sitefinder --help`` imports no heavy library until a command needs it, and
the API (``import sitefinder.api`` and ``create_app()``, what a fresh ``sitefinder serve``
does before its first answer) imports none of the libraries only some endpoints need."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

from fastapi.routing import APIRoute

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


LAZY_PROBE = """
import sitefinder.api
app = sitefinder.api.create_app()
print(json.dumps(sorted(n for n in sys.modules if n.startswith("sitefinder.api.routers."))))
"""


def test_api_starts_with_the_routes_of_the_first_answer_only() -> None:
    """``create_app`` builds only the areas without a path pattern (``sitefinder.api.AREAS``:
    the site list); the others' routers (and their models) are imported when first asked for
    (``sitefinder.api.areas``)."""
    import sitefinder.api

    done = subprocess.run(
        [sys.executable, "-c", "import json, sys" + LAZY_PROBE],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    eager = {f"sitefinder.api.routers.{a.module}" for a in sitefinder.api.AREAS if a.paths is None}
    assert loaded == eager, sorted(loaded ^ eager)
    assert "sitefinder.api.routers.sites" in eager


def _sample_path(template: str) -> str:
    """A path the route ``template`` matches (``{name}``: one segment, ``{name:path}``: two)."""
    return re.sub(r"\{[^}:]+(:path)?\}", lambda m: "a/b" if m.group(1) else "a", template)


def test_every_route_of_a_lazy_area_matches_its_pattern() -> None:
    """A lazy area is built when a path its pattern matches is asked for: every route of it
    must match (else the route would answer 404 until something else built the area)."""
    import sitefinder.api

    for area in sitefinder.api.AREAS:
        routes = [r for r in area.router().routes if isinstance(r, APIRoute)]
        assert routes, area.module
        if area.paths is None:
            continue
        pattern = re.compile(area.paths)
        for route in routes:
            path = _sample_path(route.path)
            assert route.path_regex.fullmatch(path), (route.path, path)
            assert pattern.match(path), (area.module, route.path)
            assert pattern.match(path + "/"), (area.module, route.path)  # redirect_slashes


def test_a_lazy_area_answers_and_names_its_routes_without_the_guard() -> None:
    """The stand-in of an area not built yet builds it when asked to match one of its paths
    or to name one of its routes (here without the guard, which builds it before the request
    otherwise): the app answers as if every area had been built at the start, and the area
    takes its stand-in's place in the order."""
    from fastapi.testclient import TestClient

    import sitefinder.api
    from sitefinder.api.areas import Pending

    app = sitefinder.api.create_app()
    areas: Any = app.state.areas
    routes = app.router.routes
    stand_in = next(r for r in routes if isinstance(r, Pending) and r.area.module == "score")
    place = routes.index(stand_in)
    assert areas.pending("/api/profiles") == [stand_in.area]

    async def not_ready(path: str) -> None:  # the guard leaves the areas as they are
        return None

    areas.ready = not_ready
    answer = TestClient(app).get("/api/profiles")  # no lifespan: no database needed
    assert answer.status_code == 200 and answer.json()["profiles"], answer.text
    assert not areas.pending("/api/profiles") and areas.pending("/ogc/collections")
    assert stand_in not in routes and routes[place] is stand_in.routes[0]
    assert app.url_path_for("alert_feed", token="abc") == "/api/feeds/abc"
    assert not any(isinstance(r, Pending) for r in routes[: routes.index(place_of(app))])


def place_of(app: Any) -> Any:
    """The first route after the areas' (the page's own files)."""
    return next(r for r in app.router.routes if getattr(r, "path", "") == "/vendor/leaflet")
