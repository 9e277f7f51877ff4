"""GML readers compared: etl/gml.py (lxml) against GDAL's GML driver, per source.

Run: ``.venv/bin/python bench/gml_readers.py`` (about a minute); ``--repeat N`` runs each
reader N times (default 7; the median and the fastest are reported), ``--scale K`` also reads
each sample with its features repeated K times (default 10; 0 to skip), ``--imro DIR`` the
IMRO plans to read (default: ``/work/shared/data/nl/zoning`` when it exists, else the bundled
``data/demo/zoning``).

For every GML source the pipelines read (BGT panden, BRK DKK v4/v5, TOP10NL FunctioneelGebied,
IMRO bestemmingsplannen) it measures:

* ``gml.py``: the pipeline's own reader (geometry through :class:`etl.gml.Geometries`,
  attributes through lxml), as the pipeline calls it;
* ``gdal``: pyogrio/GDAL's GML driver as it opens the file by itself (``WRITE_GFS=NO``);
* ``gdal+gfs``: GDAL told the feature class, its geometry element and its fields by a GFS
  template (``GFS_TEMPLATE``), the fastest way GDAL reads GML (no schema pre-scan);

and checks each GDAL reading against gml.py's: the number of records, the geometry types,
and per record the area of the symmetric difference relative to the area and the Hausdorff
distance (EPSG:28992, metres). Arcs (IMRO) differ by how they are stroked: GDAL in steps of 4
degrees, gml.py to a chord tolerance of 0.01 m. Writes ``bench/results/gml_readers.json``.
Times are milliseconds (``_ms``); nothing is written to a database.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from etl import imro_zoning  # noqa: E402
from etl.bgt_panden import read_bgt_panden  # noqa: E402
from etl.brk_plots import read_dkk_gml  # noqa: E402
from etl.imro_zoning import read_plan  # noqa: E402
from etl.top10nl import read_functioneel_gebied  # noqa: E402

DEMO = ROOT / "data" / "demo"
SHARED_IMRO = Path("/work/shared/data/nl/zoning")
BGT_ZIP = DEMO / "bgt" / "bgt_otterlo_2020-08-05.zip"
DKK = [
    DEMO / "cadastre" / "raw" / "dkk_v4_perceel_amsterdam.gml",
    DEMO / "cadastre" / "raw" / "dkk_v5_kadastralekaart_perceel_otterlo.gml",
]
TOP10NL = DEMO / "holidayparks" / "top10nl_functioneelgebied_ede_voorbeeld.gml"
RESULTS = ROOT / "bench" / "results" / "gml_readers.json"


def _field(name: str, path: str) -> str:
    return (
        f"<PropertyDefn><Name>{name}</Name><ElementPath>{path}</ElementPath>"
        "<Type>String</Type></PropertyDefn>"
    )


def _gfs(classes: list[tuple[str, str | None, list[tuple[str, str]]]]) -> str:
    """A GFS template: (feature class, geometry element path or None, [(field, path)])."""
    out = ["<GMLFeatureClassList>"]
    for name, geometry, fields in classes:
        out.append(f"<GMLFeatureClass><Name>{name}</Name><ElementPath>{name}</ElementPath>")
        if geometry:
            out.append(
                f"<GeomPropertyDefn><Name>geometry</Name><ElementPath>{geometry}</ElementPath>"
                "<Type>MultiPolygon</Type></GeomPropertyDefn><SRSName>EPSG:28992</SRSName>"
            )
        out.extend(_field(f, p) for f, p in fields)
        out.append("</GMLFeatureClass>")
    out.append("</GMLFeatureClassList>")
    return "".join(out)


BGT_GFS = _gfs(
    [
        (
            "BuildingPart",
            "geometrie2dGrondvlak",
            [
                ("source_ref", "identificatie|NEN3610ID|lokaalID"),
                ("eindRegistratie", "eindRegistratie"),
                ("bgt_status", "bgt-status"),
                ("bag_id", "identificatieBAGPND"),
            ],
        )
    ]
)
DKK_GFS = _gfs(
    [
        (
            "Perceel",
            "begrenzingPerceel",
            [
                ("identificatie", "identificatie"),
                ("lokaalID", "identificatie|lokaalID"),
                ("sectie", "kadastraleAanduiding|TypeKadastraleAanduiding|sectie"),
                ("perceelnummer", "kadastraleAanduiding|TypeKadastraleAanduiding|perceelnummer"),
                ("kadastrale_grootte_m2", "kadastraleGrootte|TypeOppervlak|waarde"),
            ],
        )
    ]
)
IMRO_GFS = _gfs(
    [
        (
            "Bestemmingsplangebied",
            None,
            [
                ("identificatie", "identificatie"),
                ("lokaalID", "identificatie|NEN3610ID|lokaalID"),
                ("naam", "naam"),
                ("typePlan", "typePlan"),
                ("naamOverheid", "naamOverheid"),
                ("planstatus2012", "planstatusInfo|PlanstatusEnDatum|planstatus"),
                ("datum2012", "planstatusInfo|PlanstatusEnDatum|datum"),
                ("planstatus2008", "planstatusInfo|PlanstatusEnDatum_BP|planstatus"),
                ("datum2008", "planstatusInfo|PlanstatusEnDatum_BP|datum"),
            ],
        ),
        (
            "Enkelbestemming",
            "geometrie",
            [
                ("identificatie", "identificatie"),
                ("namespace", "identificatie|NEN3610ID|namespace"),
                ("lokaalID", "identificatie|NEN3610ID|lokaalID"),
                ("versie", "identificatie|NEN3610ID|versie"),
                ("naam", "naam"),
                ("bestemmingshoofdgroep", "bestemmingshoofdgroep"),
                ("artikelnummer", "artikelnummer"),
            ],
        ),
    ]
)


@dataclass
class Timing:
    median_ms: float
    best_ms: float


def timed_all(variants: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[Any, Timing]]:
    """Each reader's result and its median and best wall time over ``repeat`` rounds; the
    readers take turns within a round, so that a busy machine slows them alike. A reader
    that raises is reported with its error (``result`` the message)."""
    results: dict[str, Any] = {}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for name, read in variants.items():  # warm the file cache and the imports
        try:
            results[name] = read()
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            results[name] = exc
    for _ in range(repeat):
        for name, read in variants.items():
            if isinstance(results[name], Exception):
                continue
            started = time.perf_counter()
            read()
            times[name].append((time.perf_counter() - started) * 1000)
    return {
        name: (
            results[name],
            Timing(round(statistics.median(t), 1), round(min(t), 1)) if t else Timing(0, 0),
        )
        for name, t in times.items()
    }


def compare(ours: np.ndarray, theirs: np.ndarray) -> dict[str, Any]:
    """How far GDAL's geometries are from gml.py's (per record, EPSG:28992 metres)."""
    ours, theirs = np.asarray(ours, dtype=object), np.asarray(theirs, dtype=object)
    out: dict[str, Any] = {
        "records": [len(ours), len(theirs)],
        "missing": [int(shapely.is_missing(ours).sum()), int(shapely.is_missing(theirs).sum())],
        "types": sorted({g.geom_type for g in theirs[~shapely.is_missing(theirs)]}),
    }
    if len(ours) != len(theirs):  # not the same records: nothing to compare one by one
        return out
    both = ~(shapely.is_missing(ours) | shapely.is_missing(theirs))
    polygonal = both & (shapely.area(np.where(both, ours, None)) > 0)
    if polygonal.any():
        a, b = ours[polygonal], theirs[polygonal]
        sym = shapely.area(shapely.symmetric_difference(a, b)) / shapely.area(a)
        out["max_sym_diff_share"] = float(np.max(sym))
        out["max_hausdorff_m"] = round(float(np.max(shapely.hausdorff_distance(a, b))), 4)
        out["vertices"] = [
            int(shapely.get_num_coordinates(a).sum()),
            int(shapely.get_num_coordinates(b).sum()),
        ]
    return out


def scaled(source: Path, member: str, times: int, out: Path) -> Path:
    """``source`` (GML, or the GML member of a zip) with every ``member`` element (its
    local name, e.g. ``cityObjectMember``) repeated ``times`` times: the same real features,
    more of them, for a throughput figure."""
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            name = next(n for n in archive.namelist() if n.endswith("bgt_pand.gml"))
            text = archive.read(name).decode("utf-8")
    else:
        text = source.read_text(encoding="utf-8")
    found = list(re.finditer(rf"<(\w+:)?{member}\b.*?</(\w+:)?{member}>", text, re.DOTALL))
    body = "\n".join(m.group(0) for m in found) + "\n"
    out.write_text(text[: found[0].start()] + body * times + text[found[-1].end() :])
    return out


def well_formed(path: Path) -> None:
    """Parse the whole file with lxml (in C, the fastest check): what a GDAL reading needs
    first to know that the file is whole, since GDAL reads a truncated GML without error."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive, archive.open("bgt_pand.gml") as handle:
            etree.parse(handle, etree.XMLParser(huge_tree=True))
    else:
        etree.parse(str(path), etree.XMLParser(huge_tree=True))


def truncated(
    source: Path, tmp: Path, read_ours: Callable[[Path], Any], gdal: Callable[[Path], Any]
) -> dict[str, str]:
    """What each reader makes of the first half of ``source`` (GML, or the zip's GML)."""
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            data = archive.read("bgt_pand.gml")
    else:
        data = source.read_bytes()
    half = tmp / f"half_{source.stem}.gml"
    half.write_bytes(data[: len(data) // 2])
    out: dict[str, str] = {}
    for name, read in (("gml.py", read_ours), ("gdal+gfs", gdal)):
        try:
            out[name] = f"no error: {len(read(half))} records"
        except Exception as exc:  # what a reader raises is the finding here
            out[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    return out


def entry(runs: dict[str, tuple[Any, Timing]], geometry: Callable[[Any], Any]) -> dict[str, Any]:
    """The report of one input: times, and each GDAL reading compared with gml.py's."""
    ours = geometry(runs["gml.py"][0])
    out: dict[str, Any] = {"records": len(ours)}
    for name, (result, timing) in runs.items():
        if isinstance(result, Exception):
            out[name] = {"error": str(result).splitlines()[0]}
            continue
        out[name] = vars(timing)
        if name.startswith("gdal") and not name.endswith("check"):
            out[name] = out[name] | compare(ours, geometry(result))
    if "gdal+gfs" in runs and "lxml check" in runs:
        check = runs["lxml check"][1]
        out["gdal+gfs and the check_median_ms"] = round(
            runs["gdal+gfs"][1].median_ms + check.median_ms, 1
        )
    return out


def bgt(repeat: int, scale: int, tmp: Path) -> dict[str, Any]:
    gfs = tmp / "bgt.gfs"
    gfs.write_text(BGT_GFS)
    inputs = {"sample": BGT_ZIP}
    if scale:
        inputs[f"x{scale}"] = scaled(BGT_ZIP, "cityObjectMember", scale, tmp / "bgt_pand.gml")
    report: dict[str, Any] = {}
    for label, path in inputs.items():
        vsi = f"/vsizip/{path}/bgt_pand.gml" if path.suffix == ".zip" else str(path)

        def with_gfs(v: str = vsi) -> pd.DataFrame:
            read = pyogrio.read_dataframe(v, GFS_TEMPLATE=str(gfs), WRITE_GFS="NO")
            return read[read["eindRegistratie"].isna() & (read["bgt_status"] == "bestaand")]

        runs = timed_all(
            {
                "gml.py": lambda p=path: read_bgt_panden(p)[1],
                "gdal": lambda v=vsi: pyogrio.read_dataframe(v, WRITE_GFS="NO"),
                "gdal+gfs": with_gfs,
                "lxml check": lambda p=path: well_formed(p),
            },
            repeat,
        )
        report[label] = entry(runs, lambda r: r if isinstance(r, np.ndarray) else r.geometry)
    report["truncated"] = truncated(
        BGT_ZIP,
        tmp,
        lambda p: read_bgt_panden(p)[0],
        lambda p: pyogrio.read_dataframe(p, GFS_TEMPLATE=str(gfs), WRITE_GFS="NO"),
    )
    return report


def dkk(repeat: int, scale: int, tmp: Path) -> dict[str, Any]:
    gfs = tmp / "dkk.gfs"
    gfs.write_text(DKK_GFS)
    inputs = {"sample": DKK}
    if scale:
        members = ("brkkadastralekaartMember", "perceelMember")
        inputs[f"x{scale * 50}"] = [
            scaled(p, m, scale * 50, tmp / f"dkk_{i}.gml")
            for i, (p, m) in enumerate(zip(DKK, members, strict=True))
        ]
    report: dict[str, Any] = {}
    for label, paths in inputs.items():

        def each(read: Callable[[Path], pd.DataFrame], ps: list[Path] = paths) -> pd.DataFrame:
            return pd.concat([read(p) for p in ps], ignore_index=True)

        runs = timed_all(
            {
                "gml.py": lambda: each(read_dkk_gml),
                "gdal": lambda: each(lambda p: pyogrio.read_dataframe(p, WRITE_GFS="NO")),
                "gdal+gfs": lambda: each(
                    lambda p: pyogrio.read_dataframe(p, GFS_TEMPLATE=str(gfs), WRITE_GFS="NO")
                ),
                "lxml check": lambda ps=paths: [well_formed(p) for p in ps],
            },
            repeat,
        )
        report[label] = entry(runs, lambda r: r.geometry.to_numpy())
    report["truncated"] = truncated(
        DKK[1],
        tmp,
        read_dkk_gml,
        lambda p: pyogrio.read_dataframe(p, GFS_TEMPLATE=str(gfs), WRITE_GFS="NO"),
    )
    return report


def top10nl(repeat: int) -> dict[str, Any]:
    runs = timed_all(
        {
            "gml.py": lambda: read_functioneel_gebied(TOP10NL).geometry,
            "gdal": lambda: pyogrio.read_dataframe(TOP10NL, WRITE_GFS="NO").geometry,
        },
        repeat,
    )
    return {"sample": entry(runs, lambda r: np.asarray(r, dtype=object))}


def _imro_gdal(path: Path, **options: str) -> pd.DataFrame:
    """The former GDAL reader of a plan: its Bestemmingsplangebied, then its Enkelbestemming
    objects, in the same rows as :func:`etl.imro_zoning.read_plan` gives (``_zoning_rows``)."""
    plan = pyogrio.read_dataframe(
        path, layer="Bestemmingsplangebied", read_geometry=False, **options
    )
    for version in ("2012", "2008"):  # the GFS template spells out each IMRO version's path
        for name in ("planstatus", "datum"):
            if f"{name}{version}" in plan:
                plan[name] = plan.get(name, plan[f"{name}{version}"]).fillna(
                    plan[f"{name}{version}"]
                )
    # A plan without Enkelbestemming (a paraplu plan) has no such layer: DataLayerError.
    objects = pyogrio.read_dataframe(path, layer="Enkelbestemming", **options)
    objects["objecttype"] = "Enkelbestemming"
    fields = plan.iloc[0].to_dict() if len(plan) else None
    metadata = imro_zoning._plan_metadata(fields, path.stem)
    return imro_zoning._zoning_rows(
        objects,
        imro_zoning._object_ids(objects),
        str(metadata["plan_id"]),
        {k: v for k, v in metadata.items() if v is not None},
        None,
    )


def _plain(props: pd.Series) -> list[dict[str, Any]]:
    """``props`` without ``imro_versie`` (the GDAL reading does not look for it)."""
    return [{k: v for k, v in p.items() if k != "imro_versie"} for p in props]


def imro(repeat: int, scale: int, plans: list[Path], tmp: Path) -> dict[str, Any]:
    gfs = tmp / "imro.gfs"
    gfs.write_text(IMRO_GFS)
    inputs = {path.name: path for path in plans}
    if scale:
        big = DEMO / "zoning" / "NL.IMRO.0664.BPBS02-VG99.gml"
        inputs[f"{big.name} x{scale}"] = scaled(big, "featureMember", scale, tmp / big.name)
    report: dict[str, Any] = {}
    totals = {"gml.py": 0.0, "gdal": 0.0, "gdal+gfs": 0.0}
    for label, path in inputs.items():
        runs = timed_all(
            {
                "gml.py": lambda p=path: read_plan(p),
                "gdal": lambda p=path: _imro_gdal(p, WRITE_GFS="NO"),
                "gdal+gfs": lambda p=path: _imro_gdal(p, GFS_TEMPLATE=str(gfs), WRITE_GFS="NO"),
            },
            repeat,
        )
        report[label] = entry(runs, lambda r: r.geometry.to_numpy())
        ours = runs["gml.py"][0]
        if not isinstance(ours, Exception):  # gml.py reads overlays too; GDAL here only these
            ours = ours[[p["objecttype"] == "Enkelbestemming" for p in ours["props"]]]
        for name in ("gdal", "gdal+gfs"):
            theirs = runs[name][0]
            if not isinstance(theirs, Exception):
                report[label][name]["same_ids_and_props"] = list(ours["source_ref"]) == list(
                    theirs["source_ref"]
                ) and _plain(ours["props"]) == _plain(theirs["props"])
        read_by_all = not any(isinstance(result, Exception) for result, _ in runs.values())
        if label in (p.name for p in plans) and read_by_all:
            for name in totals:
                totals[name] += runs[name][1].median_ms
    report["plans_read_by_all_total_median_ms"] = {k: round(v, 1) for k, v in totals.items()}
    report["truncated"] = truncated(
        DEMO / "zoning" / "NL.IMRO.0664.BPBS02-VG99.gml",
        tmp,
        read_plan,
        lambda p: _imro_gdal(p, GFS_TEMPLATE=str(gfs), WRITE_GFS="NO"),
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--imro", type=Path, default=None)
    args = parser.parse_args()
    imro_dir = args.imro or (SHARED_IMRO if SHARED_IMRO.is_dir() else DEMO / "zoning")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        results = {
            "bgt_panden": bgt(args.repeat, args.scale, tmp),
            "brk_dkk": dkk(args.repeat, args.scale, tmp),
            "top10nl": top10nl(args.repeat),
            "imro": imro(args.repeat, args.scale, sorted(imro_dir.glob("*.gml")), tmp),
        }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
