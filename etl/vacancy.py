"""Vacancy: a municipality's leegstandsregister matched to BAG office units, plus CBS-era figures.

**Leegstandsregister** (a municipality's register of vacant buildings under the Leegstandwet;
there is no national format). Accepted as CSV (separator ``;``, ``,`` or tab, sniffed;
UTF-8, a BOM is fine) or XLSX (first sheet, first row the header; read through GDAL's XLSX
driver, every cell as text). Column names are matched case- and punctuation-insensitively
(``BAG-id``, ``bag_id``, ``Vloeroppervlak (m2)`` …); what is recognised:

* the BAG verblijfsobject id: ``bag_id``, ``bag_verblijfsobject_id``, ``verblijfsobject_id``,
  ``vbo_id``, ``bagid`` (digits only; a number that lost its leading zero in a spreadsheet,
  ``363010000618813``, is padded to 16 digits);
* the address: ``postcode`` (spaces and case ignored), ``huisnummer``, ``huisletter``,
  ``toevoeging`` / ``huisnummertoevoeging``; ``straat``/``straatnaam``, ``plaats``/``woonplaats``;
* ``vloeroppervlak_m2`` (also ``vloeroppervlakte_m2``, ``oppervlakte_m2``, ``bvo_m2``): the
  register's floor area in m²;
* ``leeg_sinds`` (also ``leegstaand_sinds``, ``leegstand_sinds``, ``datum_leegstand``): the
  date vacancy began (``YYYY-MM-DD``, ``DD-MM-YYYY``, ``YYYY/MM/DD`` or ``DD/MM/YYYY``);
* ``registernummer`` (also ``dossiernummer``, ``kenmerk``): the register's own reference.

A file is a register when it has a ``leeg_sinds`` column and either a BAG id column or
``postcode`` + ``huisnummer`` (:func:`is_register`).

**Matching** (:func:`match_register`, vectorised merges): first on the BAG id against the
office units' ids; a row that does not match that way is matched on its address, the key
``postcode`` + ``huisnummer`` + huisletter and toevoeging run together (``120`` + ``H``,
``120H`` and ``120-h`` are one key), against every address the BAG sources carry for the
office units (bagadresplus: main and side addresses; LV-BAG: hoofd- and nevenadressen from
NUM files; GeoPackage/OGC API: the main address). A row without letter or toevoeging whose
postcode + huisnummer belong to exactly one office unit matches that unit. Rows that match no
office unit (no such unit, not an office, not an existing status, or an ambiguous address)
are quarantined with the reason ``vacancy record matches no BAG office unit``.

**Municipal figures** (:func:`read_municipal_figures`): the per-gemeente office vacancy of
2013-2014 (``GM_CODE``, ``GM_NAAM``, ``leegstand_m2``, ``potentie_m2``; the bundled
``kantoren_leegstand_transformatiepotentie_per_gemeente_2015.csv``: PBL 2013 / NVM "Kantoren in
cijfers 2014" as republished by Deloitte's "State of the State" 2015). Licence unclear, so
used only as context (``props.leegstand_gemeente_m2``), never as a unit's vacancy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import pandas as pd

from etl.readers import read_table, read_vector, text
from sitefinder.core.errors import SourceFileError

SOURCE = "leegstandsregister"
UNMATCHED_REASON = "vacancy record matches no BAG office unit"
MUNICIPAL_SOURCE = (
    "PBL 2013 / NVM Kantoren in cijfers 2014 via Deloitte State of the State 2015"
    " (licence unclear: context only)"
)
ALIASES: dict[str, tuple[str, ...]] = {
    "register_ref": ("registernummer", "dossiernummer", "kenmerk", "nummer", "nr"),
    "bag_id": (
        "bag_id",
        "bagid",
        "bag_verblijfsobject_id",
        "bag_vbo_id",
        "verblijfsobject_id",
        "verblijfsobjectid",
        "vbo_id",
    ),
    "postcode": ("postcode",),
    "huisnummer": ("huisnummer", "huisnr"),
    "huisletter": ("huisletter",),
    "toevoeging": ("toevoeging", "huisnummertoevoeging", "huisnummer_toevoeging"),
    "straat": ("straat", "straatnaam", "openbareruimtenaam", "openbare_ruimte"),
    "plaats": ("plaats", "woonplaats"),
    "m2": (
        "vloeroppervlak_m2",
        "vloeroppervlakte_m2",
        "oppervlakte_m2",
        "bvo_m2",
        "vloeroppervlak",
        "vloeroppervlakte",
    ),
    "leeg_sinds": (
        "leeg_sinds",
        "leegstaand_sinds",
        "leegstand_sinds",
        "datum_leegstand",
        "leeg_vanaf",
        "begindatum_leegstand",
    ),
}
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%Y/%m/%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")
REGISTER_COLUMNS = (
    "register_ref",
    "bag_id",
    "postcode",
    "huisnummer",
    "key",
    "straat",
    "plaats",
    "m2",
    "leeg_sinds",
    "file",
    "row",
    "record",
)


def normalise_header(name: str) -> str:
    """``'Vloeroppervlak (m2)'`` → ``'vloeroppervlak_m2'``."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _pick(columns: Iterable[str], key: str) -> str | None:
    names = {normalise_header(c): c for c in columns}
    for alias in ALIASES[key]:
        if alias in names:
            return names[alias]
    return None


def is_register(columns: Iterable[str]) -> bool:
    """Whether these columns are a leegstandsregister's (see the module docstring)."""
    columns = list(columns)
    has_id = _pick(columns, "bag_id") is not None
    has_address = _pick(columns, "postcode") is not None and _pick(columns, "huisnummer")
    return _pick(columns, "leeg_sinds") is not None and bool(has_id or has_address)


def is_municipal_figures(columns: Iterable[str]) -> bool:
    names = {normalise_header(c) for c in columns}
    return {"gm_code", "leegstand_m2"} <= names


def normalise_bag_id(series: pd.Series) -> pd.Series:
    """16-digit BAG ids (text); a spreadsheet number without its leading zero is padded."""
    digits = text(series).str.replace(r"\.0$", "", regex=True).str.replace(r"\D", "", regex=True)
    ok = digits.str.len().between(13, 16).fillna(False)
    return digits.str.zfill(16).where(ok)


def address_key(
    postcode: pd.Series, huisnummer: pd.Series, letter: pd.Series, toevoeging: pd.Series
) -> pd.Series:
    """``'1011AB|120|H'``: postcode without spaces, number, letter+toevoeging alphanumerics."""
    pc = text(postcode).str.upper().str.replace(r"\s+", "", regex=True)
    number = pd.to_numeric(text(huisnummer), errors="coerce").astype("Int64").astype("string")
    suffix = (text(letter).fillna("") + text(toevoeging).fillna("")).str.upper()
    suffix = suffix.str.replace(r"[^0-9A-Z]", "", regex=True)
    key = pc + "|" + number + "|" + suffix
    return key.where(pc.str.fullmatch(r"\d{4}[A-Z]{2}").fillna(False) & number.notna())


def parse_dates(series: pd.Series) -> pd.Series:
    """ISO date strings (``YYYY-MM-DD``) from the register's date notations; else missing."""
    cleaned = text(series)
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(cleaned.where(out.isna()), format=fmt, errors="coerce")
        out = out.fillna(parsed)
    return cast(pd.Series, out.dt.strftime("%Y-%m-%d").astype("string"))


def _read_table(path: Path, nrows: int | None = None) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xls", ".ods"):
        frame = read_vector(
            path,
            what="offices",
            label=path.name,
            read_geometry=False,
            max_features=nrows,
            HEADERS="FORCE",
            FIELD_TYPES="STRING",
        )
        return pd.DataFrame(frame).astype("string")
    return read_table(path, layer="offices", nrows=nrows)


def table_columns(path: Path) -> list[str]:
    """The header of a CSV/XLSX file (to tell which kind of table it is)."""
    return [str(c) for c in _read_table(path, nrows=5).columns]


def read_register(path: Path) -> pd.DataFrame:
    """The register's rows, normalised (:data:`REGISTER_COLUMNS`), one per input row."""
    raw = _read_table(path)
    if not is_register(raw.columns):
        raise SourceFileError(
            f"offices: {path.name} is not a leegstandsregister (it needs a leeg_sinds column and"
            " a BAG id or postcode + huisnummer)"
        )

    def column(key: str) -> pd.Series:
        name = _pick(raw.columns, key)
        return raw[name] if name is not None else pd.Series(pd.NA, index=raw.index, dtype="string")

    out = pd.DataFrame(
        {
            "register_ref": text(column("register_ref")),
            "bag_id": normalise_bag_id(column("bag_id")),
            "postcode": text(column("postcode")).str.upper().str.replace(r"\s+", "", regex=True),
            "huisnummer": text(column("huisnummer")),
            "key": address_key(
                column("postcode"), column("huisnummer"), column("huisletter"), column("toevoeging")
            ),
            "straat": text(column("straat")),
            "plaats": text(column("plaats")),
            "m2": pd.to_numeric(text(column("m2")).str.replace(",", "."), errors="coerce"),
            "leeg_sinds": parse_dates(column("leeg_sinds")),
            "file": path.name,
            "row": range(1, len(raw) + 1),
        },
        index=raw.index,
    )
    plain = raw.astype(object).where(raw.notna(), None)
    records = [
        {**{str(k): v for k, v in rec.items() if v not in (None, "")}, "file": path.name}
        for rec in plain.to_dict("records")
    ]
    out["record"] = pd.Series(records, index=out.index, dtype=object)
    return out.reindex(columns=list(REGISTER_COLUMNS))


def register_ref(rows: pd.DataFrame) -> pd.Series:
    """``leegstandsregister:<registernummer>``, or ``…:<file>#<row>`` without one."""
    own = rows["register_ref"].astype("string")
    fallback = rows["file"].astype("string") + "#" + rows["row"].astype("string")
    return SOURCE + ":" + own.fillna(fallback)


def match_register(
    register: pd.DataFrame, office_ids: pd.Series, addresses: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Register rows matched to office units (with ``vbo_id`` and ``match``), and the rest.

    ``addresses`` has ``vbo_id`` and ``key`` (:func:`address_key`) for the office units'
    addresses (main and side).
    """
    register = register.reset_index(drop=True)
    offices = set(office_ids.dropna())
    by_id = register["bag_id"].isin(offices).fillna(False)
    matched = [register.loc[by_id].assign(vbo_id=register.loc[by_id, "bag_id"], match="bag id")]

    rest = register.loc[~by_id]
    known = addresses.dropna(subset=["key"]).drop_duplicates(["vbo_id", "key"])
    unique_keys = known.drop_duplicates("key", keep=False)  # one unit per full address
    exact = rest.reset_index().merge(unique_keys, on="key", how="inner").set_index("index")
    matched.append(exact.assign(match="adres"))

    # No letter/toevoeging in the register: postcode + huisnummer of exactly one office unit.
    rest = rest.drop(index=exact.index)
    bare = rest["key"].str.endswith("|").fillna(False)
    known_base = known.assign(base=known["key"].str.rsplit("|", n=1).str[0] + "|")
    one_unit = known_base.groupby("base")["vbo_id"].nunique()
    single = known_base[known_base["base"].isin(one_unit[one_unit == 1].index)]
    single = single.drop_duplicates("base")[["base", "vbo_id"]]
    loose = (
        rest.loc[bare]
        .reset_index()
        .merge(single, left_on="key", right_on="base", how="inner")
        .set_index("index")
        .drop(columns="base")
    )
    matched.append(loose.assign(match="adres (postcode + huisnummer)"))
    unmatched = rest.drop(index=loose.index)
    hits = pd.concat(matched)
    return hits, unmatched


def vacancy_by_office(hits: pd.DataFrame) -> pd.DataFrame:
    """Per matched office (index ``vbo_id``): ``leeg_sinds`` (earliest), ``m2`` and entries."""
    hits = hits.assign(source_ref=register_ref(hits)).sort_values(
        ["vbo_id", "leeg_sinds"], na_position="last", kind="stable"
    )
    fields = hits[["source_ref", "file", "match", "leeg_sinds", "m2"]].rename(
        columns={"m2": "vloeroppervlak_m2"}
    )
    fields = fields.astype(object).where(fields.notna(), None)
    entries = pd.Series(
        cast(list[dict[str, Any]], fields.assign(source=SOURCE).to_dict("records")),
        index=hits.index,
    )
    grouped = hits.assign(entry=entries).groupby("vbo_id", sort=False)
    return pd.DataFrame(
        {
            "leeg_sinds": grouped["leeg_sinds"].first(),
            "m2": grouped["m2"].first(),
            "entries": grouped["entry"].agg(list),
        }
    )


def read_municipal_figures(path: Path) -> pd.DataFrame:
    """``gemeentecode`` (GM…), ``gemeentenaam``, ``leegstand_m2``, ``potentie_m2`` per row."""
    raw = _read_table(path)
    names = {normalise_header(c): c for c in raw.columns}
    if not is_municipal_figures(raw.columns):
        raise SourceFileError(f"offices: {path.name} lacks the columns GM_CODE and leegstand_m2")

    def column(name: str) -> pd.Series:
        return raw[names[name]] if name in names else pd.Series(pd.NA, index=raw.index)

    frame = pd.DataFrame(
        {
            "gemeentecode": text(column("gm_code")).str.upper(),
            "gemeentenaam": text(column("gm_naam")),
            "leegstand_m2": pd.to_numeric(column("leegstand_m2"), errors="coerce"),
            "potentie_m2": pd.to_numeric(column("potentie_m2"), errors="coerce"),
        }
    )
    return frame.dropna(subset=["gemeentecode"]).drop_duplicates("gemeentecode")


def table_kind(columns: Sequence[str]) -> str:
    """``register``, ``municipal`` or ``other`` for a table's columns."""
    if is_register(columns):
        return "register"
    if is_municipal_figures(columns):
        return "municipal"
    return "other"
