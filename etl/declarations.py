"""What a pipeline declares, and what a run hands on: the ETL's own data types.

Every source module in ``etl/`` subclasses :class:`Pipeline`: it names its layer (a
:class:`layers.Layer`), its provenance (:class:`SourceInfo`), its bundled demo files, the
fields a record needs, the layers it reads from the database, and, optionally, the online
service ``--online`` reads (:class:`OnlineSource`). It implements :meth:`Pipeline.read`, which
returns a GeoDataFrame with the target table's columns (:data:`TABLE_COLUMNS`) and a geometry
in any declared CRS; validation (:mod:`etl.validation`) and loading (:mod:`etl.loading`) do
the rest, the same for every source. A pipeline of a layer declared ``partitioned_by`` (zoning:
one partition per plan) gives every record its partition in the column :data:`PARTITION_KEY`.

An online service is one object that implements :class:`Fetcher`, in its own module
(:mod:`etl.ogcapi`, :mod:`etl.download`, :mod:`etl.overpass`, :mod:`etl.ruimtelijkeplannen`,
:mod:`etl.pdok_download`): an :class:`OnlineSource` names it, so adding a service is adding one
module, and the framework calls it without knowing which it is.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol, Self

from psycopg import sql

from etl.areas import Area
from layers import Layer, get_layer
from sitefinder.core.errors import InvalidParameterError
from sitefinder.core.settings import Settings

if TYPE_CHECKING:  # the sources import geopandas; the API, which reads these, needs it not
    import geopandas as gpd

# The partition a record belongs to, in a layer declared ``partitioned_by`` (else NULL): the
# reader fills this column, and a load replaces only the partitions it holds (etl/loading.py).
PARTITION_KEY = "partition_key"
COMMON_COLUMNS = ("id", "layer", "name", "source", "source_ref", "props", "geom", PARTITION_KEY)
JSON_COLUMNS = frozenset({"props", "sources"})  # jsonb columns: dicts, or JSON text already
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "site": (*COMMON_COLUMNS, "kind", "gemeentecode", "area_m2", "floor_area_m2", "sources"),
    "poi": (*COMMON_COLUMNS, "category"),
    "area": (*COMMON_COLUMNS, "code", "category"),
    # a table without geometry (layer kind "table"): the regions of every gemeente
    "gemeente_region": (
        *(c for c in COMMON_COLUMNS if c not in ("geom", PARTITION_KEY)),
        "code",
        "centrumgemeente",
        "centrumgemeente_code",
        "ggd_region",
        "wmo_region",
    ),
}
# A reader may name why a record cannot be used in this column; validation quarantines it so.
QUARANTINE_REASON = "quarantine_reason"
# Every site layer is checked against the municipalities when it loads (``etl.loading``), so
# they load first and a reload of them reloads the sites.
SITE_UPSTREAM = ("gemeenten",)
MAX_QUARANTINE_SHARE = 0.5  # default of Pipeline.max_quarantine_share
Statement = sql.SQL | sql.Composed


@dataclass(frozen=True)
class SourceInfo:
    """Provenance of a source: who publishes it, under which licence, as of when."""

    key: str
    publisher: str
    licence: str
    data_as_of: str
    url: str = ""


@dataclass(frozen=True)
class Fetched:
    """What a :class:`Fetcher` returns: the cached file, under a directory named after the UTC
    day of the download (``.../<YYYY-MM-DD>/<file>``), the request made (for the run's
    provenance) and the number of features, when known."""

    path: Path
    url: str
    n_features: int | None = None


class Fetcher(Protocol):
    """One kind of online service: how a pipeline's data is had from it into the cache.

    ``spec`` is the pipeline's :class:`OnlineSource` (its ``base_url`` with
    ``settings.online_mirrors`` applied). With ``area`` the fetcher asks for that area only
    where the service can (its bounding box or outline); the framework then keeps the
    features that intersect the area itself. A fetcher that cannot ask for the whole country
    calls :func:`require_area`. It may add notes for the run's message to
    ``pipeline.notes``. Every request goes through :mod:`etl.http` (retried, cached per UTC
    day); ``refresh`` fetches again what is cached, ``progress`` shows a bar on stderr.
    Raises :class:`sitefinder.core.errors.DownloadError` or ``InvalidParameterError``.
    """

    def fetch(
        self,
        pipeline: Pipeline,
        spec: OnlineSource,
        area: Area | None,
        settings: Settings,
        *,
        progress: bool,
        refresh: bool,
    ) -> Fetched: ...


@dataclass(frozen=True)
class OnlineSource:
    """Where a pipeline's data can be had online (``sitefinder etl run LAYER --online``).

    ``fetcher`` is the service's :class:`Fetcher`; ``base_url`` its endpoint (an OGC API's
    landing page, a file's URL …); ``collection`` what is read there, in the fetcher's own
    terms (an OGC API collection, OSM tags ``key=v1|v2;key2=*``, IMRO plan objects, BGT
    feature types); ``format`` the extension a downloaded file is cached with, so that GDAL
    can tell what it is; ``params`` extra query parameters (an OGC API filter given in a
    ``--from`` URL).

    ``source`` is the provenance of the online data (key, publisher, licence); a run records the
    download date (UTC) as its ``data_as_of``. Without it the pipeline's ``source`` is used.
    """

    fetcher: Fetcher
    base_url: str
    collection: str = ""
    format: str = ".geojson"
    source: SourceInfo | None = None
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def service(
        cls,
        fetcher: Fetcher,
        base_url: str,
        *,
        key: str,
        publisher: str,
        licence: str,
        collection: str = "",
        format: str = ".geojson",
    ) -> OnlineSource:
        """A service whose data carries its own provenance; ``data_as_of`` is set per run
        (the download date) and the service's address is its ``url``."""
        return cls(
            fetcher=fetcher,
            base_url=base_url,
            collection=collection,
            format=format,
            source=SourceInfo(
                key=key, publisher=publisher, licence=licence, data_as_of="", url=base_url
            ),
        )


def require_area(pipeline: Pipeline, area: Area | None, why: str) -> Area:
    """The area of an online fetch that cannot ask for the whole country (``why`` says so)."""
    if area is None:
        raise InvalidParameterError(
            f"{pipeline.layer}: {why}: give --gemeente, --provincie or --bbox"
        )
    return area


class Inputs(list[Path]):
    """The files a run reads, with where they came from.

    ``uri`` is recorded as the run's ``etl_run.uri`` (for a download: the URL and the cached
    file); ``source``, when set, replaces the pipeline's provenance for the run (an online run:
    the online publisher and licence, ``data_as_of`` the download date). ``n_features`` is the
    number of features a service returned, when known.
    """

    def __init__(
        self,
        paths: Iterable[Path],
        *,
        uri: str | None = None,
        source: SourceInfo | None = None,
        n_features: int | None = None,
    ) -> None:
        super().__init__(paths)
        self.uri = uri or ", ".join(str(p) for p in self)
        self.source = source
        self.n_features = n_features


@dataclass
class RunResult:
    """What one run of a pipeline did (also what ``sitefinder etl run`` prints)."""

    layer: str
    status: str  # ok | unchanged | failed | skipped
    n_read: int = 0
    n_loaded: int = 0
    n_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    n_outside_area: int = 0  # valid features left out because they miss the area
    area: str = ""  # the area's label when the load was limited to one


class Pipeline(ABC):
    """One source, loading one layer. Subclasses set the class variables and ``read``."""

    layer: ClassVar[str]
    source: ClassVar[SourceInfo]
    demo_files: ClassVar[tuple[str, ...]]  # relative to the data directory
    required: ClassVar[tuple[str, ...]] = ()
    depends_on: ClassVar[tuple[str, ...]] = ()
    version: ClassVar[str] = "1"
    online: ClassVar[OnlineSource | None] = None  # the service ``--online`` reads, if any
    # A load that would quarantine more than this share of the records read is refused
    # (etl.loading, the loss guard); a pipeline whose own checks put many records aside by
    # design raises it, saying why.
    max_quarantine_share: ClassVar[float] = MAX_QUARANTINE_SHARE
    # A load that would quarantine every record read is refused too (a wrong input, as a file
    # in another CRS): unless the pipeline says that "none could be placed" is an outcome of
    # its inputs, not of a wrong file (the schools, when no address matches the BAG files).
    refuse_all_quarantined: ClassVar[bool] = True

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """The pipeline with the options ``settings`` holds for it; most take none."""
        return cls()

    @property
    def layer_decl(self) -> Layer:
        return get_layer(self.layer)

    @classmethod
    def upstream(cls) -> tuple[str, ...]:
        """The layers a load reads from the database: ``depends_on``, and for a site layer
        also :data:`SITE_UPSTREAM`. They load first; their checksums are part of a run's."""
        extra = SITE_UPSTREAM if get_layer(cls.layer).kind == "site" else ()
        return tuple(dict.fromkeys((*cls.depends_on, *extra)))

    @abstractmethod
    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        """Read the files into a frame with ``source_ref`` and the target columns.

        The frame must carry a CRS. Values that cannot be parsed are left as NaN/None so that
        validation can quarantine the record with a reason.
        """

    def stage_sql(self) -> Sequence[Statement]:
        """Statements run on the staging table (``stage``) before the swap. Optional."""
        return ()

    def fingerprint(self) -> str:
        """Options that change what ``read`` makes of the same files (a service date, a
        category); part of the run's checksum, so changing them reloads without ``--force``."""
        return ""

    @property
    def notes(self) -> list[str]:
        """What the last ``read`` (or fetch) wants the user to know (the run's message)."""
        if not hasattr(self, "_notes"):
            self._notes: list[str] = []
        return self._notes

    def default_paths(self, data_dir: Path) -> list[Path]:
        return [data_dir / name for name in self.demo_files]
