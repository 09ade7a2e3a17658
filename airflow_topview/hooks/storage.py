"""The storage side of TopView: presigned upload PUTs, upload sources given as URLs, video downloads.

Signed storage URLs (S3 or CloudFront) authenticate through their query string: TopView's auth headers
would break the signature and must not leak to third parties, so this client never sends them. Bodies
are streamed in small pieces, so memory stays flat for any size and the stall and cancel checks run
often. The connection's ``proxies``, ``verify`` and ``cert`` extras still apply (the hook hands over a
session factory that sets them).
"""

from __future__ import annotations

import math
import secrets
from contextlib import suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import requests
import urllib3

from airflow_topview.client.protocol import decode_text, parse_retry_after, split_timeout
from airflow_topview.client.redaction import without_query, without_signatures
from airflow_topview.client.retries import CallAttempts, RetryPolicy
from airflow_topview.exceptions import (
    TopviewAPIError,
    TopviewConnectionError,
    TopviewError,
)
from airflow_topview.hooks.deadline import exchange_deadline
from airflow_topview.hooks.transfer_control import (
    MIN_PROGRESS,
    TRANSFER_CHUNK_SIZE,
    Progress,
    TransferCancel,
    current_cancel,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from airflow.providers.common.compat.sdk import ObjectStoragePath
    from airflow.sdk.types import Logger

T = TypeVar("T")


class StorageClient:
    """Moves bytes to and from signed storage URLs, retrying transient failures like API calls are.

    Stall rule: a transfer must move at least 64 KiB (MIN_PROGRESS) in every ``stall_timeout`` seconds,
    counted from the answer's headers and again each time another 64 KiB arrived; else it is abandoned as
    a transient error (retried by the policy). A server dripping a few bytes a second cannot keep it alive,
    while a slow but useful link (over 64 KiB per window) is never cut. Reads and upload pieces block for
    ``stall_timeout`` seconds at most, so an attempt ends at most that long after progress stopped.

    :param new_session: builds a requests session with the connection's request options and no auth headers.
    :param retry_policy: the hook's retry policy (attempts and backoff).
    :param timeout: requests' timeout per read: one number, or (connect, read).
    :param log: where retries and transfers are logged.
    :param stall_timeout: the window of the stall rule, in seconds.
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

    def _timeouts(self) -> tuple[float, float]:
        """(connect, read) for requests, neither longer than the stall window (connect also bounds sends)."""
        connect, read = split_timeout(self.timeout)
        return min(connect, self.stall_timeout), min(read, self.stall_timeout)

    def put(self, upload_url: str, open_body: Callable[[], IO[bytes]], size: int) -> None:
        """PUT ``size`` bytes to a presigned URL, streaming; ``open_body`` is called again for each retry."""
        where, cancel = without_query(upload_url), current_cancel()

        def attempt() -> None:
            with self._new_session() as session, open_body() as body:
                data = _SizedBody(body, size, lambda: cancel.check(f"PUT {where}"))
                response = session.put(upload_url, data=data, timeout=self._timeouts())
            if response.status_code >= 300:
                raise storage_error("PUT", where, response)

        self.with_retries("PUT", where, attempt)

    def fetch_to_file(self, url: str, local_path: str) -> int:
        """Download ``url`` to ``local_path`` like :meth:`download`; 404 and 410 raise FileNotFoundError."""
        return self._get(url, Path(local_path), missing="upload source")

    def download(self, url: str, target: ObjectStoragePath) -> int:
        """Stream one file from a signed URL to ``target``; returns the bytes written.

        The body goes to a temporary ``.<name>.<random>.part`` next to ``target``, renamed to ``target``
        only when complete (as long as Content-Length says); an existing file is replaced then, never
        before. A failed attempt removes only its own temporary file. Cuts and stalls are retried (from the
        start); HTTP errors such as 403 (the signed URL expired) raise TopviewAPIError with ``http_status``.
        """
        return self._get(url, fsspec_view(target))

    def _get(self, url: str, final: Any, *, missing: str | None = None) -> int:
        where, cancel = without_query(url), current_cancel()
        what = f"GET {where}"
        if final.is_dir():  # renaming onto it would move the file inside
            raise IsADirectoryError(f"cannot download {where} to {final}: it is a folder")

        def attempt() -> int:
            cancel.check(what)
            with self._new_session() as session:
                response = self._headers(session, url, what)
                return self._save(response, final, what, cancel, missing=missing)

        return self.with_retries("GET", where, attempt)

    def _headers(self, session: requests.Session, url: str, what: str) -> requests.Response:
        """The answer's status and headers, within the stall window (a server may drip them)."""
        late = TopviewConnectionError(
            f"{what}: no answer within the stall window of {self.stall_timeout:g} s"
        )
        with exchange_deadline(self.stall_timeout) as cut:
            try:
                response = session.get(url, stream=True, timeout=self._timeouts())
            except (requests.RequestException, OSError):
                if not cut.is_set():
                    raise
                raise late from None
        if cut.is_set():  # cut mid-headers: what arrived may even parse as an answer
            response.close()
            raise late
        return response

    def _save(
        self,
        response: requests.Response,
        final: Any,
        what: str,
        cancel: TransferCancel,
        *,
        missing: str | None,
    ) -> int:
        """The body into a temporary file beside ``final``, renamed to it once complete."""
        where = what.removeprefix("GET ")
        with response:
            if missing and response.status_code in (404, 410):
                raise FileNotFoundError(f"{missing} {where} answered HTTP {response.status_code}")
            if response.status_code >= 300:
                raise storage_error("GET", where, response)
            part = final.parent / f".{final.name}.{secrets.token_hex(4)}.part"
            try:
                with part.open("wb") as out:
                    size = self._receive(response, out, what, cancel)
                part.rename(final)
            except BaseException:
                with suppress(Exception):  # best effort: the error that got us here matters more
                    part.unlink(missing_ok=True)
                raise
        return size

    def _receive(self, response: requests.Response, out: IO[bytes], what: str, cancel: TransferCancel) -> int:
        """Copy the body to ``out`` read by read, checking cancel and the stall rule in between."""
        raw: urllib3.HTTPResponse = response.raw
        sock = raw.connection.sock if raw.connection else None  # None: the body has been read already
        read_timeout = self._timeouts()[1]
        progress = Progress(self.stall_timeout, what)
        size = 0
        with cancel.reading(sock):
            while True:
                cancel.check(what)
                progress.check()  # a silent server: the read below ends when the stall window does
                if sock is not None:
                    sock.settimeout(max(0.001, min(read_timeout, progress.left())))
                try:
                    chunk = raw.read1(TRANSFER_CHUNK_SIZE, decode_content=True)
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    cancel.check(what)
                    progress.check()
                    detail = without_query(f"{type(exc).__name__}: {exc}")
                    raise TopviewConnectionError(f"{what}: the body broke off: {detail}") from None
                cancel.check(what)
                if not chunk:
                    break
                if size == 0:
                    _check_media(response, chunk, what)
                progress.check(len(chunk))
                out.write(chunk)
                size += len(chunk)
        expected = response.headers.get("Content-Length", "")
        if expected.isdigit() and raw.tell() != int(expected):
            raise TopviewConnectionError(f"{what}: short body, {raw.tell()} of {expected} bytes")
        if size == 0:
            raise TopviewConnectionError(f"{what}: the answer has no body, not a media file")
        return size

    def with_retries(self, method: str, where: str, attempt: Callable[[], T]) -> T:
        """Run one storage-side request, retrying transient failures with the API calls' retry engine.

        No call deadline: a big file takes what it takes; stalls and ``on_kill`` end a transfer instead.
        """
        cancel = current_cancel()
        attempts = CallAttempts(self.retry_policy, math.inf, math.inf, f"{method} {where}")
        while True:
            attempts.begin()
            error: TopviewError
            try:
                return attempt()
            except TopviewError as exc:
                error = exc
            except requests.RequestException as exc:
                cancel.check(f"{method} {where}")
                detail = without_query(str(exc))
                error = TopviewConnectionError(f"{method} {where} failed: {type(exc).__name__}: {detail}")
            delay = attempts.delay_after(error)
            self.log.warning(attempts.describe(error, delay))
            cancel.sleep(delay, f"{method} {where}")


class _SizedBody:
    """A request body that streams from a file object in pieces and tells its length up front.

    requests sends a Content-Length for it (presigned S3 PUTs refuse chunked bodies) and urllib3 sends it
    piece by piece from ``__iter__``, so the file is never held in memory. It has deliberately no
    ``read()``: urllib3 would then send 16 KiB blocks, a third slower than curl. Pieces are MIN_PROGRESS
    bytes, so the send timeout enforces the stall rule; ``check`` (cancel) runs before each.
    """

    def __init__(self, file: IO[bytes], size: int, check: Callable[[], None]) -> None:
        self._file = file
        self._size = size
        self._check = check

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._file.read(TRANSFER_CHUNK_SIZE):
            view = memoryview(chunk)
            for start in range(0, len(view), MIN_PROGRESS):
                self._check()
                yield view[start : start + MIN_PROGRESS]  # type: ignore[misc]


def fsspec_view(path: ObjectStoragePath) -> Any:
    """The path to do I/O with: itself, or for schemes only fsspec knows (``memory://``) fsspec's own path.

    ObjectStoragePath opens files through Airflow's filesystem registry, which has ``file`` built in and
    gets ``s3``, ``gs``, ... from providers; fsspec itself knows a few more, used when no conn_id is set.
    """
    try:
        path.fs  # noqa: B018 (resolving the filesystem is the check)
    except ValueError:
        if _conn_id(path) is not None:
            raise
        wrapped = getattr(path, "__wrapped__", None)  # the fsspec path inside (universal-pathlib >= 0.3)
        if wrapped is not None:
            return wrapped
        from upath import UPath  # universal-pathlib 0.2 (Airflow < 3.2): a plain one from the URL

        return UPath(str(path))
    return path


def _conn_id(path: ObjectStoragePath) -> str | None:
    """The path's connection id: an attribute on universal-pathlib >= 0.3, a storage option before."""
    if hasattr(type(path), "conn_id"):
        return path.conn_id
    return path.storage_options.get("conn_id")  # type: ignore[no-any-return]


def open_storage(path: ObjectStoragePath, mode: str) -> IO[bytes]:
    return fsspec_view(path).open(mode)  # type: ignore[no-any-return]


def storage_error(method: str, where: str, response: requests.Response) -> TopviewAPIError:
    """An HTTP error from the storage side (S3-like, XML bodies): code ``HTTP <status>``.

    At most ``ERROR_BODY_LIMIT`` bytes of the body are read: an error page of any size costs no memory.
    """
    text = _error_text(response)
    body = " ".join(without_signatures(text).split())[:300] if text.strip() else "no body"
    return TopviewAPIError(
        f"HTTP {response.status_code}",
        body,
        http_status=response.status_code,
        retry_after=parse_retry_after(response.headers),
        endpoint=f"{method} {where}",
    )


#: How much of a storage error body is read to explain the error.
ERROR_BODY_LIMIT = 64 * 1024


def _error_text(response: requests.Response) -> str:
    """The start of an error body (streamed or already read), decoded whatever its bytes."""
    try:
        raw = next(response.iter_content(ERROR_BODY_LIMIT), b"")
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
        raw = b""
    return decode_text(raw if isinstance(raw, bytes) else b"", response.encoding)


#: Content types of pages and documents (an error page, a JSON error), never of an image or a video.
_NOT_MEDIA_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/xhtml",
    "application/problem",
)


def _check_media(response: requests.Response, first: bytes, what: str) -> None:
    """Refuse an answer that is a page or a document, not media: it must never replace a video.

    A CDN or proxy can answer 200 with an HTML or JSON page, without a Content-Length to catch it by.
    """
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    looks_like_text = first.lstrip()[:1] in (b"<", b"{", b"[")
    if content_type.startswith(_NOT_MEDIA_TYPES) or looks_like_text:
        shown = content_type or "no content type"
        raise TopviewConnectionError(f"{what}: the answer is a page or document ({shown}), not a media file")
