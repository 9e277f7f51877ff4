"""Which files a run reads: the bundled demo files, a file, or a download from a service.

:func:`resolve_inputs` decides, from what the user gave:

* nothing: the pipeline's bundled demo files (``Pipeline.demo_files`` under
  ``settings.data_dir``);
* ``--from PATH``: that file;
* ``--from URL``: a download (see :func:`spec_for_url`: an OGC API collection, one file, or
  a mirror of the service the pipeline declares);
* ``--online``: the service the pipeline declares (``Pipeline.online``), its URL passed
  through ``settings.online_mirrors``.

A download is made by the :class:`etl.declarations.Fetcher` the online source names, into
``settings.cache_dir`` (per URL and UTC day; ``refresh`` downloads again), and then read like
any file. The result is an :class:`etl.declarations.Inputs`, which tells the run record where
the data came from (the URL and the cached file, the online provenance with the download day as
``data_as_of``, and the number of features the service returned).
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from pathlib import Path

from etl.areas import Area
from etl.declarations import Inputs, OnlineSource, Pipeline
from etl.download import DOWNLOAD
from etl.http import mirrored
from etl.ogcapi import OGC_API
from sitefinder.core.errors import InvalidParameterError
from sitefinder.core.settings import Settings

FILE_SUFFIXES = frozenset(
    {".geojson", ".json", ".gpkg", ".zip", ".csv", ".gml", ".xml", ".shp", ".fgb", ".parquet"}
)


def is_url(source: str | Path) -> bool:
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def spec_for_url(pipeline: Pipeline, url: str) -> OnlineSource:
    """How to read ``--from URL``: an OGC API collection, one file, or the declared service.

    * ``…/collections/{c}[/items][?query]``: OGC API collection ``c`` (the query is kept,
      except ``f`` and ``limit``, which the client sets);
    * a URL whose last path segment has a file extension (``.zip``, ``.geojson`` …), or any
      URL for a pipeline that declares no service or a plain file: one file to download;
    * any other URL: another endpoint (a mirror, a test server) of the service the pipeline
      declares, read as the declared one (an OGC API landing page at the declared
      collection, an Overpass interpreter, …).
    """
    parts = urllib.parse.urlsplit(url)
    declared = pipeline.online
    info = declared.source if declared else None
    if "/collections/" in parts.path:
        base, _, rest = parts.path.partition("/collections/")
        collection = urllib.parse.unquote(rest.split("/", 1)[0])
        base_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, base, "", ""))
        params = tuple(
            (k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k not in ("f", "limit")
        )
        return OnlineSource(OGC_API, base_url, collection, source=info, params=params)
    suffix = Path(parts.path).suffix.lower()
    if suffix in FILE_SUFFIXES or declared is None or declared.fetcher is DOWNLOAD:
        fmt = suffix if suffix in FILE_SUFFIXES else (declared.format if declared else ".bin")
        return OnlineSource(DOWNLOAD, url, format=fmt, source=info)
    return dataclasses.replace(declared, base_url=url.rstrip("/"))


def download(
    pipeline: Pipeline,
    spec: OnlineSource,
    area: Area | None,
    settings: Settings,
    *,
    progress: bool = True,
    refresh: bool = False,
) -> Inputs:
    """Fetch ``spec`` with its fetcher; the cached file with the online provenance."""
    fetched = spec.fetcher.fetch(pipeline, spec, area, settings, progress=progress, refresh=refresh)
    path, url = fetched.path, fetched.url
    info = dataclasses.replace(spec.source or pipeline.source, data_as_of=path.parent.name, url=url)
    return Inputs([path], uri=f"{url} (cache: {path})", source=info, n_features=fetched.n_features)


def resolve_inputs(
    pipeline: Pipeline,
    source: str | Path | None,
    area: Area | None,
    settings: Settings,
    *,
    online: bool = False,
    progress: bool = True,
    refresh: bool = False,
) -> Inputs:
    """The files ``pipeline`` reads, downloading them first when they are online.

    * no ``source`` and not ``online``: the bundled demo files (``pipeline.demo_files``);
    * ``source`` a path: that file;
    * ``source`` an http(s) URL, or ``online``: downloaded (OGC API collections page by page,
      with the area's WGS84 bounding box as ``bbox``) into ``settings.cache_dir`` and read
      from there. ``online`` reads the service the pipeline declares (``Pipeline.online``),
      with ``settings.online_mirrors`` applied to its URL. ``refresh`` downloads again even
      when today's copy is in the cache.

    Raises :class:`InvalidParameterError` (both ``source`` and ``online``; ``online`` for a
    pipeline without an online source) or :class:`DownloadError`.
    """
    if source is not None and online:
        raise InvalidParameterError("give --from or --online, not both")
    if source is None and not online:
        return Inputs(pipeline.default_paths(settings.data_dir))
    if source is not None and not is_url(source):
        return Inputs([Path(source)])
    if source is None:
        declared = pipeline.online
        if declared is None:
            raise InvalidParameterError(
                f"{pipeline.layer}: no online source is declared for this layer yet;"
                " load it from a file or URL with --from"
            )
        spec = dataclasses.replace(declared, base_url=mirrored(declared.base_url, settings))
    else:
        spec = spec_for_url(pipeline, str(source))
    return download(pipeline, spec, area, settings, progress=progress, refresh=refresh)
