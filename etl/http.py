"""Downloads for the online sources: retried, resumable, atomic, and cached per URL and UTC day.

:func:`fetch` is the one way the ETL reads from the network. It uses only the standard library
(``urllib.request``): the project declares no HTTP client among its runtime dependencies, and
streaming, ``Range`` requests and timeouts are all that is needed.

* Cache: ``<settings.cache_dir>/http/<YYYY-MM-DD>/<key><suffix>``, where the day is the UTC date
  of the download and the key a hash of the URL with its query parameters (sorted). The same
  URL with the same parameters on the same UTC day is fetched once; ``refresh=True`` fetches
  it again. A sidecar ``<key><suffix>.meta.json`` records the URL, the time (UTC) and the size.
* Atomic: bytes go to ``<file>.part``, renamed to the final name only when complete (the size
  agrees with ``Content-Length`` / ``Content-Range``), so a cached file is always whole.
* Retries: connection errors, timeouts, a connection dropped mid-body, HTTP 429 and 5xx are
  retried up to ``settings.http_attempts`` attempts in all, waiting ``http_backoff_s * 2**n``
  seconds, or the server's ``Retry-After`` (seconds or an HTTP date); no wait is longer than
  ``http_max_delay_s``. Any other 4xx fails at once with a one-line :class:`DownloadError`.
* Mirrors: every URL goes through ``settings.online_mirrors`` (prefix -> replacement) first.
* Resume: a retry after a partial body asks for the rest with ``Range: bytes=<n>-``; a server
  that answers ``206`` with that start is appended to, any other answer restarts from zero.
* POST: ``fetch(url, data=b"...", headers={...})`` sends ``data`` as the body of a POST (the
  Overpass API, the ruimtelijkeplannen search). The body and the request headers are part of the
  cache key, except secret ones (``x-api-key``, ``Authorization``), which never reach the cache
  or its sidecar; a POST answer is never resumed (a retry starts from zero).
* :func:`request`: one request, retried like ``fetch`` but never cached, the body kept in memory
  (a small JSON answer: the status of a PDOK download request).
* Allowed hosts: when ``settings.http_allowed_hosts`` is not empty, any other host (after the
  mirrors are applied) is refused with a :class:`DownloadError` before a connection is made.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from sitefinder.core.errors import DownloadError
from sitefinder.core.settings import Settings

USER_AGENT = "woonplek-sitefinder/0.1 (open data ETL; +https://github.com/)"
CHUNK_BYTES = 1 << 16
RETRY_STATUSES = frozenset({408, 425, 429})  # and every 5xx
SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie"})
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}(\.[A-Za-z0-9]{1,4})?$")

Params = Mapping[str, str | int | float] | None
Headers = Mapping[str, str] | None


def utc_day(now: datetime | None = None) -> str:
    """The UTC date (``YYYY-MM-DD``) a download made now is filed under."""
    return (now or datetime.now(UTC)).strftime("%Y-%m-%d")


def full_url(url: str, params: Params = None) -> str:
    """``url`` with ``params`` appended to its query (parameters sorted by name)."""
    if not params:
        return url
    query = urllib.parse.urlencode(sorted((k, str(v)) for k, v in params.items()), safe=",:/")
    return url + ("&" if urllib.parse.urlsplit(url).query else "?") + query


def mirrored(url: str, settings: Settings) -> str:
    """``url`` with the first matching prefix of ``settings.online_mirrors`` replaced."""
    for prefix, replacement in settings.online_mirrors.items():
        if url.startswith(prefix) and not url.startswith(replacement):
            return replacement + url[len(prefix) :]
    return url


def request_key(url: str, data: bytes | None = None, headers: Headers = None) -> str:
    """What a cached response is keyed on: the URL (with its query), and for a POST or a
    request with extra headers also the method, the non-secret headers and the body's hash."""
    if data is None and not headers:
        return url
    shown = sorted(
        (k.lower(), v) for k, v in (headers or {}).items() if k.lower() not in SECRET_HEADERS
    )
    body = hashlib.sha256(data).hexdigest() if data is not None else ""
    method = "GET" if data is None else "POST"
    return "\n".join([method, url, json.dumps(shown), body])


def cache_path(
    url: str,
    params: Params,
    settings: Settings,
    *,
    suffix: str | None = None,
    day: str = "",
    data: bytes | None = None,
    headers: Headers = None,
) -> Path:
    """Where ``fetch`` keeps the response to ``url`` with ``params`` (and POST body ``data`` and
    request ``headers``) on UTC ``day`` (today)."""
    target = full_url(url, params)
    key = hashlib.sha256(request_key(target, data, headers).encode()).hexdigest()[:24]
    if suffix is None:
        found = _SUFFIX.search(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        suffix = found.group(0).lower() if found else ".bin"
    return settings.cache_dir / "http" / (day or utc_day()) / f"{key}{suffix}"


def fetch(
    url: str,
    *,
    settings: Settings,
    params: Params = None,
    progress: bool = True,
    refresh: bool = False,
    suffix: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    data: bytes | None = None,
    headers: Headers = None,
) -> Path:
    """Download ``url`` (with query ``params``) into the day's cache and return the file.

    ``suffix`` names the cached file's extension (``.json``; default: the URL's own, else
    ``.bin``) so that GDAL can tell the format. ``progress`` shows a tqdm bar on stderr (sized
    from ``Content-Length`` when the server gives it; hidden when stderr is not a terminal).
    ``data`` makes the request a POST with that body; ``headers`` are added to the request
    (both are part of the cache key, secret headers excepted). Raises :class:`DownloadError`
    with a one-line message when the download cannot be done.
    """
    url = _checked(url, settings)
    target = full_url(url, params)
    path = cache_path(url, params, settings, suffix=suffix, data=data, headers=headers)
    if path.exists() and not refresh:
        return path
    _allowed(target, settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    if refresh or data is not None:
        part.unlink(missing_ok=True)
    size = _download(
        target, part, settings, progress=progress, sleep=sleep, data=data, headers=headers
    )
    part.replace(path)
    meta: dict[str, Any] = {
        "url": target,
        "retrieved_at": datetime.now(UTC).isoformat(),
        "bytes": size,
    }
    if data is not None:
        meta["method"] = "POST"
        meta["body"] = data[:4000].decode("utf-8", "replace")
    path.with_name(path.name + ".meta.json").write_text(json.dumps(meta, indent=1))
    return path


@dataclass(frozen=True)
class Response:
    """The answer to :func:`request`: status, headers and the whole body (bytes)."""

    url: str
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        """The body as JSON; a :class:`DownloadError` when it is not."""
        try:
            return json.loads(self.body)
        except ValueError:  # JSONDecodeError, UnicodeDecodeError
            raise DownloadError(f"{self.url}: the response is not JSON") from None


def request(
    url: str,
    *,
    settings: Settings,
    data: bytes | None = None,
    headers: Headers = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Response:
    """One GET (or, with ``data``, POST) of ``url``, retried like :func:`fetch`, never cached.

    For small answers that must be asked afresh each time (the status of a download request).
    Any 2xx is returned; other statuses are retried or fail as in :func:`fetch`.
    """
    url = _checked(url, settings)
    _allowed(url, settings)
    opener = _opener(url)
    last = ""
    for attempt in range(1, settings.http_attempts + 1):
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        method = "GET" if data is None else "POST"
        req = urllib.request.Request(url, data=data, headers=sent, method=method)  # noqa: S310
        wait = settings.http_backoff_s * 2 ** (attempt - 1)
        try:
            with opener.open(req, timeout=settings.http_timeout_s) as answer:
                return Response(url, answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as exc:
            exc.close()
            last, wait = _http_failure(exc, url, wait)
        except (OSError, http.client.HTTPException) as exc:
            last = _one_line(exc)
        if attempt < settings.http_attempts:
            sleep(min(wait, settings.http_max_delay_s))
    raise _gave_up(url, last, settings)


def _gave_up(url: str, last: str, settings: Settings) -> DownloadError:
    """The error once every attempt at ``url`` failed, the last one with ``last``."""
    return DownloadError(
        f"cannot download {url}: {last} (gave up after {settings.http_attempts} attempts)"
    )


def _checked(url: str, settings: Settings) -> str:
    """``url`` with the mirrors applied; a :class:`DownloadError` for anything but http(s)."""
    url = mirrored(url, settings)  # also for the next links of paged services
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise DownloadError(f"not an http(s) URL: {url}")
    return url


def _allowed(url: str, settings: Settings) -> None:
    """Refuse a host outside ``settings.http_allowed_hosts`` (when that list is not empty)."""
    allowed = settings.http_allowed_hosts
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if allowed and host not in {h.lower() for h in allowed}:
        raise DownloadError(
            f"cannot download {url}: the host {host} is not in SITEFINDER_HTTP_ALLOWED_HOSTS"
            f" ({', '.join(allowed)}); add it, or a mirror with SITEFINDER_ONLINE_MIRRORS"
        )


def forget(path: Path) -> None:
    """Drop a cached download (and its sidecar): for a response found to be unusable."""
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".meta.json").unlink(missing_ok=True)


def read_json(path: Path, url: str) -> Any:
    """A cached download as JSON; one that is not JSON is forgotten and a DownloadError."""
    try:
        return json.loads(path.read_bytes())
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        forget(path)
        raise DownloadError(f"{url}: the response is not JSON") from None


# --------------------------------------------------------------------------------------------


class _Incomplete(Exception):
    """The body ended before the announced length (a dropped connection)."""


def _opener(url: str) -> urllib.request.OpenerDirector:
    """The default opener (environment proxies honoured), but never a proxy for loopback."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def _retry_after(headers: Message | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _content_range(headers: Message) -> tuple[int, int | None] | None:
    """(first byte, total size or None) from ``Content-Range: bytes a-b/total``."""
    found = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", headers.get("Content-Range", ""))
    if not found:
        return None
    total = None if found.group(3) == "*" else int(found.group(3))
    return int(found.group(1)), total


def _int_header(headers: Message, name: str) -> int | None:
    value = headers.get(name)
    return int(value) if value is not None and value.strip().isdigit() else None


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", None) or exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class HttpStatusError(DownloadError):
    """A request refused with a status that is not retried (a 4xx); ``status`` is that code."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _http_failure(exc: urllib.error.HTTPError, url: str, wait: float) -> tuple[str, float]:
    """(message, seconds to wait) for a status worth retrying; an HttpStatusError otherwise."""
    last = f"HTTP {exc.code} {exc.reason}".strip()
    if exc.code in RETRY_STATUSES or exc.code >= 500:
        after = _retry_after(exc.headers)
        return last, wait if after is None else after
    raise HttpStatusError(f"cannot download {url}: {last}", exc.code) from None


def _download(
    url: str,
    part: Path,
    settings: Settings,
    *,
    progress: bool,
    sleep: Callable[[float], None],
    data: bytes | None = None,
    headers: Headers = None,
) -> int:
    """Fill ``part`` with the whole body of ``url`` (POSTing ``data``); return its size."""
    opener = _opener(url)
    name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1] or url
    last = ""
    for attempt in range(1, settings.http_attempts + 1):
        if data is not None:  # a POST answer is made anew each time: never resumed
            part.unlink(missing_ok=True)
        offset = part.stat().st_size if part.exists() else 0
        sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {})}
        if offset:
            sent["Range"] = f"bytes={offset}-"
        wait = settings.http_backoff_s * 2 ** (attempt - 1)
        method = "GET" if data is None else "POST"
        request = urllib.request.Request(  # noqa: S310 - http(s) only
            url, data=data, headers=sent, method=method
        )
        try:
            with opener.open(request, timeout=settings.http_timeout_s) as response:
                return _receive(response, part, offset, name=name, progress=progress)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416 and offset:  # our partial file no longer fits: start again
                last = f"HTTP {exc.code} {exc.reason}".strip()
                part.unlink(missing_ok=True)
                wait = 0.0
            else:
                last, wait = _http_failure(exc, url, wait)
        except _Incomplete as exc:
            last = str(exc)
        except (OSError, http.client.HTTPException) as exc:
            # Refused, reset, timed out, or the server closed the connection mid-response.
            last = _one_line(exc)
        if attempt < settings.http_attempts:
            sleep(min(wait, settings.http_max_delay_s))
    raise _gave_up(url, last, settings)


def _receive(response: Any, part: Path, offset: int, *, name: str, progress: bool) -> int:
    """Write one response's body to ``part`` (appending when it resumes at ``offset``)."""
    headers: Message = response.headers
    length = _int_header(headers, "Content-Length")
    if response.status == 206:
        ranged = _content_range(headers)
        if not offset or ranged is None or ranged[0] != offset:
            part.unlink(missing_ok=True)  # not the part we asked for: start again
            raise _Incomplete(f"unexpected partial content ({headers.get('Content-Range')})")
        mode = "ab"
        total = ranged[1] if ranged[1] is not None else (offset + length if length else None)
    else:  # a full body: the server ignored (or we sent no) Range
        mode, offset = "wb", 0
        total = length
    received = offset
    bar = tqdm(
        total=total,
        initial=offset,
        desc=name[:40],
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        leave=False,
        disable=None if progress else True,
    )
    try:
        with part.open(mode) as out:
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    finally:
        bar.close()
    if total is not None and received < total:
        raise _Incomplete(f"connection closed after {received} of {total} bytes")
    if total is not None and received > total:
        part.unlink(missing_ok=True)
        raise _Incomplete(f"received {received} bytes, more than the {total} announced")
    return received
