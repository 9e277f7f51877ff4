"""Bounded decompression: a zip is refused before anything reads it when it would inflate too far.

:func:`check_archive` reads only the zip's directory (and that of zips inside it, one level):
every member may inflate to at most ``max_bytes`` (all members together too) and, when it is
larger than :data:`RATIO_FROM_BYTES`, to at most ``max_ratio`` times its compressed size. Real
inputs stay far below the defaults (``SITEFINDER_ETL_MAX_UNZIPPED_MB``,
``SITEFINDER_ETL_MAX_ZIP_RATIO``): the bundled BGT zip inflates 34 times at most, GTFS feeds
15 times; a zip bomb (1 MB of zeros or of tiny XML elements inflating to 1 GiB) about a
thousand times. Python's ``zipfile`` stops a member at the size its directory declares, so a
directory that lies gives a CRC error, not more data.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from sitefinder.core.errors import SourceFileError

RATIO_FROM_BYTES = 1 << 20  # smaller members cannot exhaust anything, whatever their ratio


@dataclass(frozen=True)
class ArchiveLimits:
    max_bytes: int  # inflated size of a member, and of all members together
    max_ratio: int  # inflated / compressed size of a member


def _refuse(what: str, label: str, why: str) -> SourceFileError:
    return SourceFileError(
        f"{what}: {label}: {why}; refused (a zip bomb?). Raise SITEFINDER_ETL_MAX_UNZIPPED_MB"
        " / SITEFINDER_ETL_MAX_ZIP_RATIO if the file is genuine"
    )


def _check_members(
    archive: zipfile.ZipFile, what: str, label: str, limits: ArchiveLimits, nested: bool
) -> int:
    total = 0
    for info in archive.infolist():
        name = f"{label}:{info.filename}"
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > limits.max_bytes:
            raise _refuse(what, name, f"inflates to {size:,} bytes (at most {limits.max_bytes:,})")
        if size > RATIO_FROM_BYTES and size / packed > limits.max_ratio:
            raise _refuse(
                what,
                name,
                f"inflates {size / packed:,.0f} times ({packed:,} to {size:,} bytes; at most"
                f" {limits.max_ratio} times)",
            )
        total += size
        if nested and info.filename.lower().endswith(".zip"):
            total += _check_inner(archive, info, what, name, limits)
        if total > limits.max_bytes:
            raise _refuse(what, label, f"inflates to more than {limits.max_bytes:,} bytes in all")
    return total


def _check_inner(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, what: str, name: str, limits: ArchiveLimits
) -> int:
    """The inflated size of a zip inside the zip; 0 for a member that is no zip (its reader
    will say what is wrong with it)."""
    with archive.open(info) as handle:
        try:
            inner = zipfile.ZipFile(handle)
        except zipfile.BadZipFile:
            return 0
        with inner:
            return _check_members(inner, what, name, limits, nested=False)


def check_archive(path: Path, what: str, limits: ArchiveLimits) -> None:
    """Raise :class:`SourceFileError` (one line) when the zip at ``path`` would inflate beyond
    ``limits``, or is corrupt; nothing for a file that is not a zip."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            _check_members(archive, what, path.name, limits, nested=True)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise SourceFileError(f"{what}: cannot read {path.name}: corrupt zip ({exc})") from exc
