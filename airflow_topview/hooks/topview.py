"""TopviewHook: the ``topview`` connection and every TopView API call; TopviewAsyncHook for triggers."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import tempfile
import time
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, suppress
from typing import IO, TYPE_CHECKING, Any, TypeVar

import aiohttp
import requests
from airflow.providers.http.hooks.http import HttpHook, _process_extra_options_from_connection
from airflow.sdk import BaseHook

from airflow_topview import api, transfer
from airflow_topview.exceptions import TopviewAPIError, TopviewConnectionError, TopviewError
from airflow_topview.models import (
    CreditDetail,
    ImageToVideoRequest,
    ImageToVideoTask,
    SubmitResult,
    UploadCredential,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from airflow.sdk import Connection, ObjectStoragePath

    #: What an upload source may be: a local path, an http(s) URL, or an object-storage path.
    UploadSource = str | os.PathLike[str] | ObjectStoragePath

T = TypeVar("T")

# requests' (connect, read) timeouts: connecting is quick or broken; TopView answers within seconds.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)

# Bytes read or written at a time when streaming files (uploads, source fetches, video downloads).
TRANSFER_CHUNK_SIZE = 1 << 20
# How long TopView may take to confirm an upload, and how often to ask (it lags; clients ask ~1/s).
DEFAULT_UPLOAD_CHECK_TIMEOUT = 60.0
DEFAULT_UPLOAD_CHECK_INTERVAL = 1.0


class TopviewHook(HttpHook):
    """Talk to TopView's API with the credentials of a ``topview`` connection.

    Connection fields: ``login`` = Topview UID, ``password`` = API key, ``host`` = API base URL (empty means
    ``https://api.topview.ai``; a host without a scheme gets https). Connection extras are not sent as
    headers; only the request options ``timeout``, ``proxies``, ``verify`` and ``cert`` are read from them.

    Transient failures (HTTP 429/5xx, connection errors, timeouts, envelope codes 4007/5000/5001/5003/
    5004/5005) are retried inside each call with exponential backoff and jitter, honouring ``Retry-After``;
    permanent ones raise :class:`~airflow_topview.exceptions.TopviewAPIError` at once.

    :param topview_conn_id: the ``topview`` connection to use.
    :param retry_limit: attempts per call, the first included (1 = no retry).
    :param retry_delay: base of the exponential backoff, in seconds.
    :param retry_max_delay: longest single wait between attempts, in seconds.
    :param busy_timeout: how long to keep retrying while TopView answers 4007 (the account's concurrency
        limit is reached: a slot frees when one of its running tasks finishes), in seconds.
    :param timeout: per-request timeout in seconds: one number, or (connect, read).
    """

    conn_name_attr = "topview_conn_id"
    default_conn_name = "topview_default"
    conn_type = "topview"
    hook_name = "TopView"
    default_host = api.DEFAULT_BASE_URL

    def __init__(
        self,
        topview_conn_id: str = default_conn_name,
        *,
        retry_limit: int = 5,
        retry_delay: float = 1.0,
        retry_max_delay: float = 30.0,
        busy_timeout: float = 600.0,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(method="GET", http_conn_id=topview_conn_id)
        self.topview_conn_id = topview_conn_id
        self.retry_policy = api.RetryPolicy(retry_limit, retry_delay, retry_max_delay, busy_timeout)
        self.timeout = timeout
        self._session: requests.Session | None = None

    # --- connection handling (HttpHook overrides) ---------------------------------------------

    def _set_base_url(self, connection: Any) -> None:
        self.base_url = api.normalize_base_url(connection.host, connection.port)
        self._base_url_initialized = True

    def _configure_session_from_auth(self, session: requests.Session, connection: Any) -> requests.Session:
        """TopView authenticates with two headers (UID and bearer key), not basic auth."""
        session.headers.update(api.auth_headers(*self._credentials(connection)))
        return session

    def _configure_session_from_extra(
        self, session: requests.Session, connection: Any, extra_options: dict[str, Any]
    ) -> requests.Session:
        """Take request options from extras, and drop the rest instead of sending them as headers."""
        unknown, self.merged_extra = _process_extra_options_from_connection(connection, extra_options)
        if unknown:
            self.log.warning(
                "Ignoring unknown extras of connection %s: %s", self.topview_conn_id, sorted(unknown)
            )
        return self._apply_request_options(session)

    def _apply_request_options(self, session: requests.Session) -> requests.Session:
        session.proxies = self.merged_extra.get("proxies", self.merged_extra.get("proxy", {}))
        session.verify = self.merged_extra.get("verify", self.merged_extra.get("verify_ssl", True))
        session.cert = self.merged_extra.get("cert")
        return session

    def _storage_session(self) -> requests.Session:
        """A session for signed storage URLs: the connection's proxies/verify/cert, but no TopView headers."""
        self.get_conn()  # reads the connection's request options into merged_extra
        return self._apply_request_options(requests.Session())

    def get_conn(
        self, headers: dict[Any, Any] | None = None, extra_options: dict[str, Any] | None = None
    ) -> requests.Session:
        """A requests session carrying the auth headers, built once and reused for every call."""
        if self._session is not None and not headers and not extra_options:
            return self._session
        session = super().get_conn(headers=headers, extra_options=extra_options)
        if not headers and not extra_options:
            self._session = session
        return session

    def _credentials(self, connection: Connection) -> tuple[str, str]:
        uid, api_key = connection.login, connection.password
        if not uid or not api_key:
            missing = " and ".join(
                name
                for name, value in (("login (Topview UID)", uid), ("password (API key)", api_key))
                if not value
            )
            raise TopviewError(f"Connection {self.topview_conn_id!r} has no {missing}.")
        from airflow.sdk.log import mask_secret

        mask_secret(api_key)
        return uid, api_key

    def close(self) -> None:
        """Release the pooled HTTP connections."""
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- transport ------------------------------------------------------------------------------

    def _request_timeout(self) -> float | tuple[float, float]:
        configured = self.merged_extra.get("timeout")
        return float(configured) if configured is not None else self.timeout

    def call(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        retry_unanswered: bool = True,
    ) -> Any:
        """Call an API endpoint and return the envelope's ``result``, retrying transient failures.

        ``retry_unanswered=False`` is for calls that must not run twice (paid submits): when a request was
        sent but no readable answer came back, raise :class:`TopviewSubmitUncertainError` instead of
        repeating it.
        """
        session = self.get_conn()
        url = self.url_from_endpoint(endpoint)
        started = time.monotonic()
        for attempt in itertools.count(1):
            error: TopviewError
            try:
                response = session.request(
                    method, url, params=params, json=json, timeout=self._request_timeout()
                )
                return api.read_envelope(response.status_code, response.headers, response.text, endpoint)
            except TopviewConnectionError as exc:  # an answer came, but unreadable: it may have been accepted
                if not retry_unanswered:
                    raise api.uncertain_submit(method, endpoint, exc) from None
                error = exc
            except TopviewError as exc:
                error = exc
            except requests.RequestException as exc:
                if not retry_unanswered and not _never_sent(exc):
                    raise api.uncertain_submit(method, endpoint, exc) from None
                error = TopviewConnectionError(f"{method} {endpoint} failed: {type(exc).__name__}: {exc}")
            delay = self.retry_policy.delay_before_retry(attempt, error, time.monotonic() - started)
            if delay is None:
                raise error
            self.log.warning(api.describe_retry(method, endpoint, error, attempt, self.retry_policy, delay))
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- API calls ------------------------------------------------------------------------------

    def submit_image_to_video(self, request: ImageToVideoRequest) -> SubmitResult:
        """Submit an Image-to-Video V2 task (this spends credits). Returns the new task id."""
        result = self.call("POST", api.SUBMIT_IMAGE_TO_VIDEO, json=request.to_body(), retry_unanswered=False)
        return SubmitResult.model_validate(result)

    def get_image_to_video_task(
        self, topview_task_id: str, *, cloudfront_url: bool = True
    ) -> ImageToVideoTask:
        """Query a task's status and, once finished, its videos (signed URLs that expire)."""
        params = {"taskId": topview_task_id, "needCloudFrontUrl": str(cloudfront_url).lower()}
        return ImageToVideoTask.model_validate(self.call("GET", api.QUERY_IMAGE_TO_VIDEO, params=params))

    def get_credit(self) -> CreditDetail:
        """The account's remaining credits."""
        return CreditDetail.model_validate(self.call("GET", api.CREDIT_DETAIL))

    def test_connection(self) -> tuple[bool, str]:
        """Read the credit balance: cheap, read-only, and proves the UID and key are accepted."""
        hook = TopviewHook(self.topview_conn_id, retry_limit=1, timeout=self.timeout)
        try:
            credit = hook.get_credit()
        except TopviewAPIError as exc:
            hint = " Check the Topview UID (login) and API key (password)." if exc.code == "401" else ""
            return False, f"{exc}.{hint}"
        except TopviewError as exc:
            return False, str(exc)
        finally:
            hook.close()
        return True, f"Connected to TopView; remaining credits: {credit.remain_credit}"

    # --- files: uploads (credential -> presigned PUT -> check) and video downloads ---------------
    #
    # The storage side (presigned upload URLs, signed video URLs, upload sources given as URLs) is
    # reached with a plain requests session: TopView's auth headers would break S3's signature and
    # must not leak to third parties. Bodies are streamed in chunks, so memory stays flat for any size.

    def get_upload_credential(self, file_format: str) -> UploadCredential:
        """Ask TopView for a new file id and the presigned URL to PUT its bytes to."""
        if not file_format or not str(file_format).strip():
            raise ValueError(f"file_format is required, one of: {', '.join(transfer.UPLOAD_FORMATS)}")
        fmt = transfer.upload_format("", file_format)
        return UploadCredential.model_validate(
            self.call("GET", api.UPLOAD_CREDENTIAL, params={"format": fmt})
        )

    def put_upload(
        self, upload_url: str, open_body: Callable[[], IO[bytes]], size: int, *, what: str = "upload"
    ) -> None:
        """PUT ``size`` bytes to a presigned upload URL, streaming, without TopView's auth headers.

        ``open_body`` opens the bytes from the start; it is called again for each retry of a transient
        failure (HTTP 429/5xx, connection errors, timeouts). Other HTTP errors raise TopviewAPIError at once.
        The body is sent with a Content-Length (presigned S3 PUTs refuse chunked bodies).
        """
        where = _without_query(upload_url)

        def attempt() -> None:
            with self._storage_session() as session, open_body() as body:
                response = session.put(upload_url, data=_SizedBody(body, size), timeout=self.timeout)
            if response.status_code >= 300:
                raise _storage_error("PUT", where, response)

        self._transfer_with_retries("PUT", where, attempt)
        self.log.info("Uploaded %s (%d bytes) to %s", what, size, where)

    def check_upload(self, file_id: str) -> bool:
        """Whether TopView has the file in place (``GET /v1/upload/check``); it lags behind the PUT."""
        result = self.call("GET", api.UPLOAD_CHECK, params={"fileId": file_id})
        return result is True or str(result).lower() == "true"

    def wait_for_upload(
        self,
        file_id: str,
        *,
        timeout: float = DEFAULT_UPLOAD_CHECK_TIMEOUT,
        poll_interval: float = DEFAULT_UPLOAD_CHECK_INTERVAL,
    ) -> int:
        """Ask :meth:`check_upload` every ``poll_interval`` s until it is true; returns the checks made.

        Raises TopviewError when TopView has not confirmed the file after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        for checks in itertools.count(1):
            if self.check_upload(file_id):
                return checks
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TopviewError(
                    f"TopView did not confirm the upload of file {file_id} within {timeout:g} s "
                    f"({checks} checks); it may still arrive: allow a longer check timeout"
                )
            self.log.info("TopView has not confirmed file %s yet (check %d); asking again", file_id, checks)
            time.sleep(min(poll_interval, remaining))
        raise AssertionError("unreachable")  # pragma: no cover

    def upload_file(
        self,
        source: UploadSource,
        *,
        file_format: str | None = None,
        check_timeout: float = DEFAULT_UPLOAD_CHECK_TIMEOUT,
        check_interval: float = DEFAULT_UPLOAD_CHECK_INTERVAL,
    ) -> str:
        """Upload a file to TopView and return its file id once TopView confirms it.

        ``source`` is a local path, an http(s) URL (downloaded in chunks to a temporary file first, without
        TopView's headers), or an object-storage path (``ObjectStoragePath`` or its URL: ``file://``,
        ``s3://conn_id@bucket/key`` with the matching Airflow provider, ...). The format comes from
        ``file_format`` or the extension and is checked before any request (ValueError when TopView does not
        take it). A missing source raises FileNotFoundError, also before any request to TopView.
        """
        text = str(source)
        fmt = transfer.upload_format(text, file_format)
        shown = _without_query(text)
        with self._readable_source(source) as (path, size):
            credential = self.get_upload_credential(fmt)
            self.log.info(
                "Uploading %s (%s, %d bytes) as TopView file %s", shown, fmt, size, credential.file_id
            )
            self.put_upload(credential.upload_url, lambda: _open_storage(path, "rb"), size, what=shown)
        checks = self.wait_for_upload(credential.file_id, timeout=check_timeout, poll_interval=check_interval)
        self.log.info("TopView confirmed file %s after %d check(s)", credential.file_id, checks)
        return credential.file_id

    @contextmanager
    def _readable_source(self, source: UploadSource) -> Iterator[tuple[ObjectStoragePath, int]]:
        """The source as a path that can be reopened (a URL is fetched to a temp file first), and its size."""
        from airflow.sdk import ObjectStoragePath

        if isinstance(source, str) and transfer.is_http_url(source):
            with tempfile.TemporaryDirectory(prefix="topview-upload-") as folder:
                local = os.path.join(folder, "source")
                size = self._fetch_to_file(source.strip(), local)
                yield ObjectStoragePath(local), size
            return
        path = source if isinstance(source, ObjectStoragePath) else ObjectStoragePath(os.fspath(source))
        view = _fsspec_view(path)
        if not view.is_file():
            raise FileNotFoundError(
                f"upload source {_without_query(str(source))!r} does not exist or is not a file"
            )
        yield path, int(view.stat().st_size)

    def _fetch_to_file(self, url: str, local_path: str) -> int:
        """Download ``url`` to ``local_path`` in chunks (no TopView headers); transient errors are retried."""
        where = _without_query(url)

        def attempt() -> int:
            size = 0
            with (
                self._storage_session() as session,
                session.get(url, stream=True, timeout=self.timeout) as response,
            ):
                if response.status_code in (404, 410):
                    raise FileNotFoundError(f"upload source {where} answered HTTP {response.status_code}")
                if response.status_code >= 300:
                    raise _storage_error("GET", where, response)
                with open(local_path, "wb") as out:
                    for chunk in response.iter_content(TRANSFER_CHUNK_SIZE):
                        out.write(chunk)
                        size += len(chunk)
            return size

        size = self._transfer_with_retries("GET", where, attempt)
        self.log.info("Fetched upload source %s (%d bytes)", where, size)
        return size

    def download_video(self, url: str, target: ObjectStoragePath | str) -> int:
        """Stream one video from its signed URL to ``target`` (no TopView headers); returns bytes written.

        Transient failures are retried (the file is rewritten from the start); HTTP errors such as 403 (the
        signed URL expired) raise TopviewAPIError with ``http_status`` set, and no partial file is left.
        """
        from airflow.sdk import ObjectStoragePath

        path = target if isinstance(target, ObjectStoragePath) else ObjectStoragePath(target)
        where = _without_query(url)

        def attempt() -> int:
            size = 0
            with (
                self._storage_session() as session,
                session.get(url, stream=True, timeout=self.timeout) as response,
            ):
                if response.status_code >= 300:
                    raise _storage_error("GET", where, response)
                try:
                    with _open_storage(path, "wb") as out:
                        for chunk in response.iter_content(TRANSFER_CHUNK_SIZE):
                            out.write(chunk)
                            size += len(chunk)
                except BaseException:
                    _remove_quietly(path)
                    raise
            return size

        return self._transfer_with_retries("GET", where, attempt)

    def download_videos(
        self,
        task: ImageToVideoTask,
        destination: ObjectStoragePath | str,
        *,
        filename_template: str = transfer.DEFAULT_FILENAME_TEMPLATE,
        refresh_expired_urls: bool = True,
    ) -> list[str]:
        """Download every successful video of a finished task into ``destination``; returns the paths written.

        Files are named by ``filename_template`` (default ``{topview_task_id}_{index}.mp4``, ``index`` being
        the video's position in the task). Failed videos are skipped with a warning. Signed URLs expire: on
        a 403 the task is queried once for fresh URLs and the download is tried again.
        """
        from airflow.sdk import ObjectStoragePath

        folder = destination if isinstance(destination, ObjectStoragePath) else ObjectStoragePath(destination)
        names = {
            index: transfer.video_filename(
                filename_template,
                topview_task_id=task.task_id,
                index=index,
                width=video.width,
                height=video.height,
            )
            for index, video in enumerate(task.videos)
            if video.succeeded
        }
        if len(set(names.values())) < len(names):
            raise ValueError(
                f"filename_template {filename_template!r} gives the same name to several videos of TopView "
                f"task {task.task_id}: add {{index}}"
            )
        for index, video in enumerate(task.videos):
            if not video.succeeded:
                self.log.warning(
                    "Skipping video %d of TopView task %s: it failed (%s)",
                    index,
                    task.task_id,
                    video.error_msg or video.status or "no file",
                )
        if names:
            folder.mkdir(parents=True, exist_ok=True)
        written: list[str] = []
        refreshed = False
        for index, name in names.items():
            target = folder / name
            if "/" in name:
                target.parent.mkdir(parents=True, exist_ok=True)
            try:
                size = self.download_video(str(task.videos[index].file_path), target)
            except TopviewAPIError as exc:
                if exc.http_status != 403 or refreshed or not refresh_expired_urls:
                    raise
                self.log.warning(
                    "The URL of video %d of TopView task %s was refused (%s); it has probably expired: "
                    "querying the task for fresh URLs",
                    index,
                    task.task_id,
                    exc.message,
                )
                task = self.get_image_to_video_task(task.task_id)
                refreshed = True
                fresh = task.videos[index] if index < len(task.videos) else None
                if fresh is None or not fresh.succeeded:
                    raise TopviewError(
                        f"TopView task {task.task_id} no longer lists video {index} after a refresh"
                    ) from None
                size = self.download_video(str(fresh.file_path), target)
            self.log.info(
                "Wrote video %d of TopView task %s to %s (%d bytes)", index, task.task_id, target, size
            )
            written.append(str(target))
        return written

    def _transfer_with_retries(self, method: str, where: str, attempt: Callable[[], T]) -> T:
        """Run one storage-side request, retrying transient failures like :meth:`call` does."""
        for number in itertools.count(1):
            error: TopviewError
            try:
                return attempt()
            except TopviewError as exc:
                error = exc
            except requests.RequestException as exc:
                detail = _without_query(str(exc))
                error = TopviewConnectionError(f"{method} {where} failed: {type(exc).__name__}: {detail}")
            delay = self.retry_policy.delay_before_retry(number, error)
            if delay is None:
                raise error
            self.log.warning(api.describe_retry(method, where, error, number, self.retry_policy, delay))
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


class TopviewAsyncHook(BaseHook):
    """The async twin of :class:`TopviewHook`, for triggers: read-only calls over aiohttp.

    The connection is read with the async API, and all hooks in one event loop (one triggerer) share a
    pooled HTTP session, so hundreds of waiting tasks do not open hundreds of connection pools.
    """

    conn_name_attr = "topview_conn_id"
    default_conn_name = "topview_default"
    conn_type = "topview"
    hook_name = "TopView"

    def __init__(
        self,
        topview_conn_id: str = default_conn_name,
        *,
        retry_limit: int = 5,
        retry_delay: float = 1.0,
        retry_max_delay: float = 30.0,
        busy_timeout: float = 600.0,
        timeout: float = 60.0,
    ) -> None:
        super().__init__()
        self.topview_conn_id = topview_conn_id
        self.retry_policy = api.RetryPolicy(retry_limit, retry_delay, retry_max_delay, busy_timeout)
        self.timeout = timeout
        self._target: tuple[str, dict[str, str]] | None = None

    async def _base_url_and_headers(self) -> tuple[str, dict[str, str]]:
        if self._target is None:
            from airflow.providers.common.compat.connection import get_async_connection

            connection = await get_async_connection(self.topview_conn_id, hook=self)
            uid, api_key = _credentials(connection, self.topview_conn_id)
            self._target = (
                api.normalize_base_url(connection.host, connection.port),
                api.auth_headers(uid, api_key),
            )
        return self._target

    def session(self) -> AbstractAsyncContextManager[aiohttp.ClientSession]:
        """Hold the event loop's shared HTTP session (a trigger holds it for its whole run)."""
        return SHARED_SESSIONS.lease()

    async def call(self, method: str, endpoint: str, *, params: dict[str, Any] | None = None) -> Any:
        """Call an API endpoint and return the envelope's ``result``, retrying transient failures."""
        base_url, headers = await self._base_url_and_headers()
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with self.session() as session:
            started = time.monotonic()
            for attempt in itertools.count(1):
                error: TopviewError
                try:
                    async with session.request(
                        method, base_url + endpoint, params=params, headers=headers, timeout=timeout
                    ) as response:
                        text = await response.text()
                        return api.read_envelope(response.status, response.headers, text, endpoint)
                except TopviewError as exc:
                    error = exc
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = TopviewConnectionError(f"{method} {endpoint} failed: {type(exc).__name__}: {exc}")
                delay = self.retry_policy.delay_before_retry(attempt, error, time.monotonic() - started)
                if delay is None:
                    raise error
                self.log.warning(
                    api.describe_retry(method, endpoint, error, attempt, self.retry_policy, delay)
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_image_to_video_task(
        self, topview_task_id: str, *, cloudfront_url: bool = True
    ) -> ImageToVideoTask:
        """Query a task's status and, once finished, its videos."""
        params = {"taskId": topview_task_id, "needCloudFrontUrl": str(cloudfront_url).lower()}
        return ImageToVideoTask.model_validate(
            await self.call("GET", api.QUERY_IMAGE_TO_VIDEO, params=params)
        )


class _SharedSessions:
    """One aiohttp session per event loop, shared by every lease holder and closed with the last one."""

    def __init__(self) -> None:
        self._sessions: dict[asyncio.AbstractEventLoop, tuple[aiohttp.ClientSession, int]] = {}

    @asynccontextmanager
    async def lease(self) -> AsyncIterator[aiohttp.ClientSession]:
        loop = asyncio.get_running_loop()
        session, holders = self._sessions.get(loop, (None, 0))
        if session is None or session.closed:
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100, limit_per_host=50))
        self._sessions[loop] = (session, holders + 1)
        try:
            yield session
        finally:
            session, holders = self._sessions[loop]
            if holders <= 1:
                del self._sessions[loop]
                await session.close()
            else:
                self._sessions[loop] = (session, holders - 1)


SHARED_SESSIONS = _SharedSessions()


def _credentials(connection: Connection, conn_id: str) -> tuple[str, str]:
    """(Topview UID, API key) from a connection, or an error naming what is missing (never the value)."""
    uid, api_key = connection.login, connection.password
    if not uid or not api_key:
        missing = " and ".join(
            name
            for name, value in (("login (Topview UID)", uid), ("password (API key)", api_key))
            if not value
        )
        raise TopviewError(f"Connection {conn_id!r} has no {missing}.")
    return uid, api_key


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether the request failed before any byte reached the server, so repeating it cannot duplicate it."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        text = f"{reason or exc}"
        return "NewConnectionError" in text or "Connection refused" in text or "Failed to resolve" in text
    return False


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


def _fsspec_view(path: ObjectStoragePath) -> Any:
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


def _open_storage(path: ObjectStoragePath, mode: str) -> IO[bytes]:
    return _fsspec_view(path).open(mode)  # type: ignore[no-any-return]


def _remove_quietly(path: ObjectStoragePath) -> None:
    with suppress(Exception):  # best effort: the error that got us here matters more
        _fsspec_view(path).unlink(missing_ok=True)


_QUERY = re.compile(r"\?[^\s'\")]*")


def _without_query(text: str) -> str:
    """Drop query strings (presigned signatures) from a URL or an error message that quotes one."""
    return _QUERY.sub("", text)


def _storage_error(method: str, where: str, response: requests.Response) -> TopviewAPIError:
    """An HTTP error from the storage side (S3-like, XML bodies): code ``HTTP <status>``."""
    body = " ".join(response.text.split())[:300] if response.text else "no body"
    return TopviewAPIError(
        f"HTTP {response.status_code}",
        body,
        http_status=response.status_code,
        retry_after=api.parse_retry_after(response.headers),
        endpoint=f"{method} {where}",
    )
