"""LV-BAG 2.0 XML extracts (Kadaster's "BAG extract"), read through GDAL's LVBAG driver.

Format: the XML of the Landelijke Voorziening BAG (``extract-deelbestand-lvc``, namespaces
``www.kadaster.nl/schemas/lvbag/imbag/objecten/v20200601`` …), one file per object type and
batch, named ``<gemeente or 9999><TYPE><ddmmyyyy>-<nnnnnn>.xml`` (``0221VBO15092020-000001.xml``;
TYPE is VBO, NUM, PND, OPR, WPL, LIG or STA). Kadaster delivers them zipped, often as a zip of
zips (``BAGGEM0221L-15092020.zip`` holding ``0221VBO15092020.zip`` holding the XML).

Accepted here: a plain ``.xml``; a zip of such XML files; a zip of zips of them (one level of
nesting). Zip members are read in place through GDAL's ``/vsizip/`` (nested:
``/vsizip/{/vsizip/{outer.zip}/inner.zip}/member.xml``); nothing is extracted. Which object
type a member holds is told by its name (``…VBO…``) or, failing that, by the layer GDAL's
LVBAG driver reports (``Verblijfsobject``, ``Nummeraanduiding`` …).

The driver gives every *voorkomen* (version) of every object. :func:`read_lvbag` keeps the
current one per object: no ``eindGeldigheid``, no ``tijdstipInactief`` and no
``tijdstipNietBagLV``; of several such, the highest ``voorkomenIdentificatie``. The others are
history and are only counted. Identifiers lose the driver's ``NL.IMBAG.<Type>.`` prefix, so
they are the 16-digit BAG ids (text, leading zero kept). Geometry (VBO: a point) is
EPSG:28992, RD New, metres; ``oppervlakte`` is the gebruiksoppervlakte in m².

Errors (a truncated or garbage file, a corrupt zip, a zip without LV-BAG XML) raise
:class:`SourceFileError` with a one-line message.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pandas as pd

from etl.readers import list_layers, read_vector
from sitefinder.core.errors import SourceFileError

TYPE_LAYERS = {
    "VBO": "Verblijfsobject",
    "NUM": "Nummeraanduiding",
    "PND": "Pand",
    "OPR": "OpenbareRuimte",
    "WPL": "Woonplaats",
    "LIG": "Ligplaats",
    "STA": "Standplaats",
}
MEMBER_NAME = re.compile(r"^\d{4}(VBO|NUM|PND|OPR|WPL|LIG|STA)\d{8}", re.IGNORECASE)
NAMESPACE_HINT = b"www.kadaster.nl/schemas/lvbag"
ID_PREFIX = r"^NL\.IMBAG\.[A-Za-z]+\."
REF_COLUMNS = (
    "identificatie",
    "hoofdadresNummeraanduidingRef",
    "openbareruimteRef",
    "woonplaatsRef",
)
LIST_REF_COLUMNS = ("pandRef", "nevenadresNummeraanduidingRef")
END_COLUMNS = ("eindGeldigheid", "tijdstipInactief", "tijdstipNietBagLV")


def _vsizip(container: str, member: str) -> str:
    return f"/vsizip/{{{container}}}/{member}"


def _member_type(name: str) -> str | None:
    match = MEMBER_NAME.match(PurePosixPath(name).name)
    return match.group(1).upper() if match else None


def lvbag_sources(path: Path) -> list[tuple[str, str | None]]:
    """``(GDAL path, object type or None)`` of every LV-BAG XML in ``path`` (file or zip)."""
    if not zipfile.is_zipfile(path):
        if path.suffix.lower() == ".zip":
            raise SourceFileError(f"offices: {path} is not a zip file (truncated or corrupt?)")
        return [(str(path), _member_type(path.name))]
    out: list[tuple[str, str | None]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                lower = name.lower()
                if lower.endswith(".xml"):
                    out.append((_vsizip(str(path.resolve()), name), _member_type(name)))
                elif lower.endswith(".zip"):
                    with archive.open(name) as inner_handle, zipfile.ZipFile(inner_handle) as inner:
                        inner_path = _vsizip(str(path.resolve()), name)
                        out.extend(
                            (_vsizip(inner_path, n), _member_type(n))
                            for n in inner.namelist()
                            if n.lower().endswith(".xml")
                        )
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SourceFileError(f"offices: cannot read {path}: corrupt zip ({exc})") from exc
    if not out:
        raise SourceFileError(f"offices: {path.name} holds no LV-BAG XML file")
    return out


def is_lvbag(path: Path) -> bool:
    """Whether ``path`` looks like LV-BAG XML (or a zip of it), without parsing it."""
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return False
        return any(
            _member_type(n) is not None or re.search(r"BAG", PurePosixPath(n).name) is not None
            for n in names
        )
    if path.suffix.lower() == ".zip":
        return True  # a damaged zip: let the reader say what is wrong with it
    if path.suffix.lower() != ".xml":
        return False
    with path.open("rb") as handle:
        head = handle.read(4096)
    return NAMESPACE_HINT in head or _member_type(path.name) is not None


def _read(source: str, label: str) -> gpd.GeoDataFrame:
    return read_vector(source, what="offices", label=f"LV-BAG file {label}")


def _layer_of(source: str, label: str) -> str | None:
    layers = list_layers(source, what="offices", label=f"LV-BAG file {label}")
    return layers[0][0] if layers else None


def _strip(value: object) -> object:
    """A ref without its ``NL.IMBAG.<Type>.`` prefix; lists (arrays) element by element."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return re.sub(ID_PREFIX, "", value)
    return [re.sub(ID_PREFIX, "", str(v)) for v in list(value)]  # type: ignore[call-overload]


@dataclass
class LvbagObjects:
    """The current voorkomens of one object type, and how many versions were history."""

    frame: gpd.GeoDataFrame
    n_historic: int


def current(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """The current voorkomen per ``identificatie`` and the number of rows left out."""
    live = pd.Series(True, index=frame.index)
    for column in END_COLUMNS:
        if column in frame:
            live &= frame[column].isna()
    kept = frame.loc[live]
    if "voorkomenIdentificatie" in kept:
        kept = kept.sort_values("voorkomenIdentificatie", kind="stable")
    kept = kept.drop_duplicates("identificatie", keep="last")
    return kept, len(frame) - len(kept)


def read_lvbag(path: Path, object_type: str) -> LvbagObjects:
    """The current objects of ``object_type`` (``VBO``, ``NUM`` …) in an LV-BAG file or zip.

    Members of another object type are skipped. An empty result is not an error here (the
    caller decides); a file that GDAL cannot read as LV-BAG is.
    """
    layer = TYPE_LAYERS[object_type]
    frames: list[gpd.GeoDataFrame] = []
    for source, kind in lvbag_sources(path):
        member = source.rsplit("/", 1)[-1]
        label = path.name if source == str(path) else f"{path.name}:{member}"
        if kind is not None and kind != object_type:
            continue
        if kind is None and _layer_of(source, label) != layer:
            continue
        frames.append(_read(source, label))
    if not frames:
        return LvbagObjects(gpd.GeoDataFrame({"identificatie": []}, geometry=[], crs=None), 0)
    frame = pd.concat(frames, ignore_index=True)
    for column in REF_COLUMNS:
        if column in frame:
            frame[column] = frame[column].astype("string").str.replace(ID_PREFIX, "", regex=True)
    for column in LIST_REF_COLUMNS:
        if column in frame:
            frame[column] = frame[column].map(_strip)
    if "geometry" in frame:
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=frames[0].crs)
    kept, n_historic = current(gpd.GeoDataFrame(frame))
    return LvbagObjects(kept.reset_index(drop=True), n_historic)
