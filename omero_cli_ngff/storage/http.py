"""Plain HTTP, as any client of a published copy would use it: bounded retries with
backoff for 5xx / dropped connections, short time-outs, and failures sorted into the
`FetchError` kinds (see errors.py).

Every fetch of a URL that came from outside (an annotation, a redirect) goes through
`request_with_retries`, which is bounded: http(s) URLs only (no credentials in them),
redirects followed only to the same host (at most a few; a refused one says where it
pointed), connect and read time-outs and a deadline for the whole answer, and a cap on
the body's size (a few MiB for Zarr metadata, more for OME-XML): a hostile server can
neither send the tool elsewhere nor fill its memory."""

from __future__ import annotations

import json
import random
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:       # imported with the first request: ~40 ms of every command's start
    import requests

from ..model.urls import same_host, url_problem
from .errors import (
    FetchCorrupt,
    FetchDropped,
    FetchError,
    FetchForbidden,
    FetchHttpError,
    FetchNotFound,
    FetchRefused,
    FetchServerError,
    FetchTimeout,
    FetchTooLarge,
    FetchUnparseable,
    FetchUnreachable,
)

__all__ = ["HttpPolicy", "request_with_retries", "fetch_metadata", "probe_metadata",
           "MetadataProbe", "metadata_file", "raise_for_status", "MAX_BODY_BYTES",
           "METADATA_MAX_BYTES", "OME_XML_MAX_BYTES", "MAX_REDIRECTS"]

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
MIB = 1024 * 1024
METADATA_MAX_BYTES = 4 * MIB        # zarr.json / .zattrs / .zarray of an image
OME_XML_MAX_BYTES = 64 * MIB        # OME/METADATA.ome.xml (plates list every well)
MAX_BODY_BYTES = 16 * MIB           # anything else fetched whole
CHUNK_BYTES = 16 * 1024             # read at a time (a compressed answer grows <1000x)


@dataclass(frozen=True)
class HttpPolicy:
    """Retries and time-outs of one HTTP exchange. The worst case is bounded:
    ``attempts`` tries, sleeping ``backoff * 2**n`` (capped) between them; read
    time-outs are not retried (we already waited)."""

    attempts: int = 3
    backoff: float = 0.25
    max_backoff: float = 2.0
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0     # the whole answer, however slowly it trickles

    def sleep_before(self, attempt: int) -> float:
        """Seconds to wait before try number ``attempt`` (1-based; 0 for the first)."""
        if attempt <= 1:
            return 0.0
        base = min(self.backoff * 2.0 ** (attempt - 2), self.max_backoff)
        return base * (0.75 + 0.5 * random.random())

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


DEFAULT_POLICY = HttpPolicy()


def _is_unreachable(exc: BaseException) -> bool:
    """Connection refused / DNS failure / no route: the host is not there."""
    import urllib3.exceptions

    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (urllib3.exceptions.NewConnectionError,
                                urllib3.exceptions.NameResolutionError,
                                ConnectionRefusedError)):
            return True
        if isinstance(current, urllib3.exceptions.MaxRetryError) \
                and current.reason is not None:
            current = current.reason
            continue
        current = current.__cause__ or current.__context__ or (
            current.args[0] if current.args and isinstance(current.args[0], BaseException)
            else None)
    return False


def request_with_retries(method: str, url: str, *, session: requests.Session | None = None,
                         policy: HttpPolicy = DEFAULT_POLICY,
                         sleep: Callable[[float], None] = time.sleep,
                         max_bytes: int = MAX_BODY_BYTES,
                         **kwargs: Any) -> requests.Response:
    """One HTTP exchange with bounded retries. Returns the last response (any status:
    retryable statuses are retried first) with its body read (at most `max_bytes`);
    raises FetchRefused (not http(s), a redirect elsewhere), FetchTooLarge,
    FetchUnreachable, FetchTimeout or FetchDropped when no acceptable answer came."""
    problem = url_problem(url)
    if problem is not None:
        raise FetchRefused(url, f"not fetched: the URL {problem}")
    import requests

    http: Any = session or requests
    kwargs.setdefault("timeout", policy.timeout)
    last_exc: FetchError | None = None
    response = None
    for attempt in range(1, max(1, policy.attempts) + 1):
        wait = policy.sleep_before(attempt)
        if wait:
            sleep(wait)
        try:
            response = _exchange(http, method, url, policy, max_bytes, kwargs)
        except requests.exceptions.ConnectTimeout:
            last_exc = FetchUnreachable(url, "connection timed out (host unreachable)")
            continue
        except requests.exceptions.ReadTimeout:
            raise FetchTimeout(url, f"no answer within {policy.read_timeout:g} s") from None
        except (requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:
            last_exc = FetchDropped(url, f"connection dropped mid-answer ({type(exc).__name__})")
            continue
        except requests.exceptions.ConnectionError as exc:
            last_exc = _connection_failure(url, exc, policy)
            if isinstance(last_exc, FetchTimeout):
                raise last_exc from None
            continue
        except requests.exceptions.RequestException as exc:
            raise FetchHttpError(url, f"request failed: {type(exc).__name__}") from None
        if response.status_code in RETRY_STATUSES and attempt < policy.attempts:
            last_exc = None
            continue
        return response
    if response is not None and last_exc is None:
        return response
    assert last_exc is not None
    if policy.attempts > 1:
        last_exc.args = (f"{last_exc.args[0]} (after {policy.attempts} attempts)",)
    raise last_exc


def _connection_failure(url: str, exc: requests.exceptions.ConnectionError,
                        policy: HttpPolicy) -> FetchError:
    import urllib3.exceptions

    if exc.args and isinstance(exc.args[0], urllib3.exceptions.ReadTimeoutError):
        return FetchTimeout(url, f"the answer stalled for {policy.read_timeout:g} s")
    if _is_unreachable(exc):
        return FetchUnreachable(url, "host unreachable (connection refused or name not "
                                     "resolved)")
    return FetchDropped(url, "connection dropped before an answer")


def _exchange(http: Any, method: str, url: str, policy: HttpPolicy, max_bytes: int,
              kwargs: dict[str, Any]) -> requests.Response:
    """One request, following redirects only to the same host, its body read."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        response: requests.Response = http.request(method, current, allow_redirects=False,
                                                   stream=True, **kwargs)
        location = response.headers.get("Location")
        if response.status_code not in REDIRECT_STATUSES or not location:
            _read_body(response, url, policy, max_bytes)
            return response
        response.close()
        target = urllib.parse.urljoin(current, location)
        if not same_host(current, target):
            raise FetchRefused(url, "redirected to another place "
                               f"({_where(target)}): not followed")
        current = target
        if response.status_code == 303:
            method = "GET"
    raise FetchRefused(url, f"more than {MAX_REDIRECTS} redirects: not followed")


def _where(url: str) -> str:
    """Where a refused redirect pointed, in a few characters (its scheme and host)."""
    try:
        parts = urllib.parse.urlsplit(url)
        return f"{parts.scheme or '?'}://{parts.hostname or '?'}"[:80]
    except ValueError:
        return "a malformed URL"


def _read_body(response: requests.Response, url: str, policy: HttpPolicy,
               max_bytes: int) -> None:
    """Read the body into `response.content`, refusing more than `max_bytes` (announced
    or received) and answers that take longer than the policy's deadline."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        response.close()
        raise FetchTooLarge(url, f"the answer is {int(length)} bytes, more than the "
                            f"{max_bytes} read for it: not read")
    deadline = time.monotonic() + policy.total_timeout
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            response.close()
            raise FetchTooLarge(url, f"the answer is more than the {max_bytes} bytes "
                                "read for it: not read further")
        if time.monotonic() > deadline:
            response.close()
            raise FetchTimeout(url, f"the answer took more than {policy.total_timeout:g} s")
        chunks.append(chunk)
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]


def raise_for_status(url: str, response: requests.Response) -> None:
    """Turn a non-2xx response into the matching FetchError."""
    status = response.status_code
    if status < 400:
        return
    if status in (404, 410):
        raise FetchNotFound(url, f"HTTP {status}: not found", status)
    if status in (401, 403):
        raise FetchForbidden(url, f"HTTP {status}: access denied (not public?)", status)
    if status >= 500 or status in (408, 429):
        raise FetchServerError(url, f"HTTP {status}: server error, kept failing", status)
    raise FetchHttpError(url, f"HTTP {status}", status)


def metadata_file(ngff_version: str) -> str:
    """The group metadata document of an NGFF version: zarr.json (0.5+), .zattrs (0.4)."""
    try:
        version = tuple(int(part) for part in str(ngff_version).split("."))
    except ValueError:
        raise ValueError(f"unsupported NGFF version {ngff_version!r}") from None
    if (0, 1) <= version < (0, 5):
        return ".zattrs"
    if version >= (0, 5):
        return "zarr.json"
    raise ValueError(f"unsupported NGFF version {ngff_version!r}")


def _group_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _check_multiscales(url: str, ngff_version: str, doc: dict[str, Any]) -> None:
    if metadata_file(ngff_version) == "zarr.json":
        if "zarr_format" not in doc:
            raise FetchUnparseable(url, "answered JSON that is no Zarr metadata")
        if doc.get("zarr_format") != 3 or doc.get("node_type") != "group":
            raise FetchCorrupt(url, "not a Zarr v3 group")
        attrs = (doc.get("attributes") or {}).get("ome") or {}
    else:
        attrs = doc
    ms = attrs.get("multiscales")
    if not isinstance(ms, list) or not ms or not isinstance(ms[0], dict) \
            or not ms[0].get("datasets"):
        raise FetchCorrupt(url, "no multiscales metadata: not an image group")


def _json_document(url: str, response: requests.Response) -> dict[str, Any]:
    """The answer parsed as a JSON object; an HTML page or anything else that is not one
    proves nothing (a proxy's or CDN's error page): FetchUnparseable."""
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        raise FetchUnparseable(url, f"answered HTTP {response.status_code} with an HTML "
                                    "page, not metadata")
    try:
        doc = json.loads(response.content)
    except ValueError:
        raise FetchUnparseable(url, "answered something that is not JSON") from None
    if not isinstance(doc, dict):
        raise FetchUnparseable(url, "answered JSON that is not an object")
    return {str(k): v for k, v in doc.items()}


def fetch_metadata(url_of_group: str, ngff_version: str = "0.5", *,
                   session: requests.Session | None = None,
                   policy: HttpPolicy = DEFAULT_POLICY,
                   validate: bool = True) -> dict[str, Any]:
    """GET the group metadata of an image (``zarr.json`` for 0.5, ``.zattrs`` for 0.4)
    under ``url_of_group`` and return it parsed. Raises a FetchError subclass:
    FetchNotFound / FetchCorrupt (definite), FetchUnparseable, FetchForbidden,
    FetchServerError, FetchTimeout, FetchUnreachable, FetchDropped, FetchHttpError
    (not definite)."""
    url = _group_url(url_of_group) + metadata_file(ngff_version)
    response = request_with_retries("GET", url, session=session, policy=policy,
                                    max_bytes=METADATA_MAX_BYTES)
    raise_for_status(url, response)
    doc = _json_document(url, response)
    if validate:
        _check_multiscales(url, ngff_version, doc)
    return doc


@dataclass
class MetadataProbe:
    """The non-raising form of fetch_metadata, for reports."""

    url: str
    ok: bool
    kind: str = "ok"                # or a FetchError kind
    definite: bool = False          # True: proves the copy missing/broken
    status: int | None = None
    message: str = ""
    metadata: dict[str, Any] | None = None


def probe_metadata(url_of_group: str, ngff_version: str = "0.5",
                   **kwargs: Any) -> MetadataProbe:
    try:
        doc = fetch_metadata(url_of_group, ngff_version, **kwargs)
    except FetchError as exc:
        return MetadataProbe(url_of_group, False, exc.kind, exc.definite, exc.status, str(exc))
    return MetadataProbe(url_of_group, True, status=200, metadata=doc)
