"""The storage side of TopView: presigned upload PUTs, upload sources given as URLs, video downloads.

Signed storage URLs (S3 or CloudFront) authenticate through their query string: TopView's auth headers
would break the signature and must not leak to third parties, so this client never sends them. Bodies
are streamed in chunks, so memory stays flat for any size. The connection's ``proxies``, ``verify`` and
``cert`` extras still apply (the hook hands over a session factory that sets them).
"""

from __future__ import annotations

import itertools
import re
import time
from contextlib import suppress
from typing import IO, TYPE_CHECKING, Any, TypeVar

import requests

from airflow_topview.api import parse_retry_after
from airflow_topview.exceptions import TopviewAPIError, TopviewConnectionError, TopviewError
from airflow_topview.retries import RetryPolicy, describe_retry

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from airflow.sdk import ObjectStoragePath
    from airflow.sdk.types import Logger

T = TypeVar("T")

# Bytes read or written at a time when streaming files (uploads, source fetches, video downloads).
TRANSFER_CHUNK_SIZE = 1 << 20


class StorageClient:
    """Moves bytes to and from signed storage URLs, retrying transient failures like API calls are.

    :param new_session: builds a requests session with the connection's request options and no auth headers.
    :param retry_policy: the hook's retry policy (attempts and backoff).
    :param timeout: requests' timeout per read: one number, or (connect, read).
    :param log: where retries and transfers are logged.
    :param stall_timeout: seconds without progress after which a transfer is abandoned (and retried).
    """

    def __init__(
        self,
        new_session: Callable[[], requests.Session],
        retry_policy: RetryPolicy,
        timeout: float | tuple[float, float],
        log: Logger,
        *,
        stall_timeout: float = 60.0,
    ) -> None:
        self._new_session = new_session
        self.stall_timeout = stall_timeout
        self.retry_policy = retry_policy
        self.timeout = timeout
        self.log = log

    def put(self, upload_url: str, open_body: Callable[[], IO[bytes]], size: int) -> None:
        """PUT ``size`` bytes to a presigned URL, streaming; ``open_body`` is called again for each retry."""
        where = without_query(upload_url)

        def attempt() -> None:
            with self._new_session() as session, open_body() as body:
                response = session.put(upload_url, data=_SizedBody(body, size), timeout=self.timeout)
            if response.status_code >= 300:
                raise storage_error("PUT", where, response)

        self.with_retries("PUT", where, attempt)

    def fetch_to_file(self, url: str, local_path: str) -> int:
        """Download ``url`` to ``local_path`` in chunks; returns the bytes written."""
        where = without_query(url)

        def attempt() -> int:
            size = 0
            with (
                self._new_session() as session,
                session.get(url, stream=True, timeout=self.timeout) as response,
            ):
                if response.status_code in (404, 410):
                    raise FileNotFoundError(f"upload source {where} answered HTTP {response.status_code}")
                if response.status_code >= 300:
                    raise storage_error("GET", where, response)
                with open(local_path, "wb") as out:
                    for chunk in response.iter_content(TRANSFER_CHUNK_SIZE):
                        out.write(chunk)
                        size += len(chunk)
            return size

        return self.with_retries("GET", where, attempt)

    def download(self, url: str, target: ObjectStoragePath) -> int:
        """Stream one file from a signed URL to ``target``; returns the bytes written.

        Transient failures are retried (the file is rewritten from the start); HTTP errors such as 403 (the
        signed URL expired) raise TopviewAPIError with ``http_status`` set, and no partial file is left.
        """
        where = without_query(url)

        def attempt() -> int:
            size = 0
            with (
                self._new_session() as session,
                session.get(url, stream=True, timeout=self.timeout) as response,
            ):
                if response.status_code >= 300:
                    raise storage_error("GET", where, response)
                try:
                    with open_storage(target, "wb") as out:
                        for chunk in response.iter_content(TRANSFER_CHUNK_SIZE):
                            out.write(chunk)
                            size += len(chunk)
                except BaseException:
                    _remove_quietly(target)
                    raise
            return size

        return self.with_retries("GET", where, attempt)

    def with_retries(self, method: str, where: str, attempt: Callable[[], T]) -> T:
        """Run one storage-side request, retrying transient failures by the hook's retry policy."""
        for number in itertools.count(1):
            error: TopviewError
            try:
                return attempt()
            except TopviewError as exc:
                error = exc
            except requests.RequestException as exc:
                detail = without_query(str(exc))
                error = TopviewConnectionError(f"{method} {where} failed: {type(exc).__name__}: {detail}")
            delay = self.retry_policy.delay_before_retry(number, error)
            if delay is None:
                raise error
            self.log.warning(describe_retry(method, where, error, number, self.retry_policy, delay))
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


class _SizedBody:
    """A request body that streams from a file object in chunks and tells its length up front.

    requests sends a Content-Length for it (presigned S3 PUTs refuse chunked bodies) and urllib3 sends it
    chunk by chunk from ``__iter__``, so the file is never held in memory. It has deliberately no
    ``read()``: urllib3 would then treat it as a file and send 16 KiB blocks, a third slower than curl.
    """

    def __init__(self, file: IO[bytes], size: int) -> None:
        self._file = file
        self._size = size

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._file.read(TRANSFER_CHUNK_SIZE):
            yield chunk


def fsspec_view(path: ObjectStoragePath) -> Any:
    """The path to do I/O with: itself, or for schemes only fsspec knows (``memory://``) fsspec's own path.

    ObjectStoragePath opens files through Airflow's filesystem registry, which has ``file`` built in and
    gets ``s3``, ``gs``, ... from providers; fsspec itself knows a few more, used when no conn_id is set.
    """
    try:
        path.fs  # noqa: B018 (resolving the filesystem is the check)
    except ValueError:
        if path.conn_id is None:
            return path.__wrapped__
        raise
    return path


def open_storage(path: ObjectStoragePath, mode: str) -> IO[bytes]:
    return fsspec_view(path).open(mode)  # type: ignore[no-any-return]


def _remove_quietly(path: ObjectStoragePath) -> None:
    with suppress(Exception):  # best effort: the error that got us here matters more
        fsspec_view(path).unlink(missing_ok=True)


_QUERY = re.compile(r"\?[^\s'\")]*")


def without_query(text: str) -> str:
    """Drop query strings (presigned signatures) from a URL or an error message that quotes one."""
    return _QUERY.sub("", text)


def storage_error(method: str, where: str, response: requests.Response) -> TopviewAPIError:
    """An HTTP error from the storage side (S3-like, XML bodies): code ``HTTP <status>``."""
    body = " ".join(response.text.split())[:300] if response.text else "no body"
    return TopviewAPIError(
        f"HTTP {response.status_code}",
        body,
        http_status=response.status_code,
        retry_after=parse_retry_after(response.headers),
        endpoint=f"{method} {where}",
    )
