"""TopviewHook: the ``topview`` connection and every TopView API call; TopviewAsyncHook for triggers."""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

import requests
import urllib3
from airflow.sdk import BaseHook
from pydantic import ValidationError

from airflow_topview import api, transfer
from airflow_topview.exceptions import TopviewAPIError, TopviewConnectionError, TopviewError
from airflow_topview.hooks.storage import StorageClient, fsspec_view, open_storage, without_query
from airflow_topview.models import (
    CreditDetail,
    ImageToVideoRequest,
    ImageToVideoTask,
    SubmitResult,
    UploadCredential,
    task_from_answer,
)
from airflow_topview.redaction import NO_SECRETS, Redactor
from airflow_topview.retries import CallAttempts, RetryPolicy, uncertain_submit

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from airflow.sdk import ObjectStoragePath

    #: What an upload source may be: a local path, an http(s) URL, or an object-storage path.
    UploadSource = str | os.PathLike[str] | ObjectStoragePath

DEFAULT_TIMEOUT = api.DEFAULT_TIMEOUT
DEFAULT_CALL_TIMEOUT = api.DEFAULT_CALL_TIMEOUT
DEFAULT_STALL_TIMEOUT = 60.0

# Bytes read at a time from an API answer (small JSON): the deadline is checked between reads.
_ANSWER_READ_SIZE = 64 * 1024
# How long TopView may take to confirm an upload, and how often to ask (it lags; clients ask ~1/s).
DEFAULT_UPLOAD_CHECK_TIMEOUT = 60.0
DEFAULT_UPLOAD_CHECK_INTERVAL = 1.0


class TopviewHook(BaseHook):
    """Talk to TopView's API with the credentials of a ``topview`` connection.

    Connection fields: ``login`` = Topview UID, ``password`` = API key (both stripped of surrounding
    whitespace), ``host`` = API base URL (empty means ``https://api.topview.ai``; a host without a scheme
    gets https). Connection extras are not sent as headers; only the request options ``timeout``,
    ``proxies``, ``verify`` and ``cert`` are read from them.

    Transient failures (HTTP 429/5xx, connection errors, timeouts, envelope codes 4007/5000/5001/5003/
    5004/5005) are retried inside each call with exponential backoff and jitter, honouring ``Retry-After``,
    until the call's deadline; permanent ones raise :class:`~airflow_topview.exceptions.TopviewAPIError`
    at once. The paid submit is the exception: see :meth:`submit_image_to_video`. Text that came back from
    the server or from the HTTP library is redacted of the API key before it reaches any error or result.

    :param topview_conn_id: the ``topview`` connection to use.
    :param retry_limit: attempts per call, the first included (1 = no retry).
    :param retry_delay: base of the exponential backoff, in seconds.
    :param retry_max_delay: longest single wait between attempts, in seconds.
    :param busy_timeout: how long to keep retrying while TopView answers 4007 (the account's concurrency
        limit is reached: a slot frees when one of its running tasks finishes), in seconds.
    :param timeout: seconds one attempt may take, from connecting to the last byte of the answer (a
        server that answers byte by byte cannot stretch it): one number, or (connect, answer).
    :param call_timeout: seconds one API call may take, all its retries included (4007 busy waits are
        bounded by ``busy_timeout`` instead).
    :param stall_timeout: a file transfer (upload, URL source, download) that receives or sends fewer than
        64 KiB in this many seconds is abandoned as stalled, and retried.
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
        timeout: float | tuple[float, float] | None = None,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    ) -> None:
        super().__init__()
        self.topview_conn_id = topview_conn_id
        self.retry_policy = RetryPolicy(retry_limit, retry_delay, retry_max_delay, busy_timeout)
        self.timeout = timeout
        self.call_timeout = call_timeout
        self.stall_timeout = stall_timeout
        self.base_url = api.DEFAULT_BASE_URL
        self.options = api.RequestOptions()
        self._session: requests.Session | None = None
        self._redactor: Redactor = NO_SECRETS

    # --- connection handling ------------------------------------------------------------------

    def get_conn(self) -> requests.Session:
        """A requests session with TopView's two auth headers and the connection's request options.

        Built once per hook and reused for every call (one connection pool).
        """
        if self._session is not None:
            return self._session
        from airflow.sdk.exceptions import AirflowNotFoundException
        from airflow.sdk.log import mask_secret

        try:
            connection = self.get_connection(self.topview_conn_id)
        except AirflowNotFoundException:
            raise api.missing_connection(self.topview_conn_id) from None
        uid, api_key = api.credentials(connection.login, connection.password, self.topview_conn_id)
        mask_secret(api_key)
        self._redactor = Redactor(api_key, connection.password)
        self.base_url = api.normalize_base_url(connection.host, connection.port)
        self.options = api.request_options(connection.extra_dejson)
        if self.options.ignored:
            self.log.warning(
                "Ignoring extras of connection %s that are not request options: %s",
                self.topview_conn_id,
                list(self.options.ignored),
            )
        session = self._apply_request_options(requests.Session())
        session.headers.update(api.auth_headers(uid, api_key))
        self._session = session
        return session

    def _apply_request_options(self, session: requests.Session) -> requests.Session:
        session.proxies = dict(self.options.proxies)
        session.verify = self.options.verify
        session.cert = self.options.cert
        return session

    def _storage_session(self) -> requests.Session:
        """A session for signed storage URLs: the connection's proxies/verify/cert, but no TopView headers."""
        self.get_conn()  # reads the connection's request options
        return self._apply_request_options(requests.Session())

    @property
    def storage(self) -> StorageClient:
        """The client for signed storage URLs (uploads, URL sources, video downloads)."""
        self.get_conn()  # the connection's request options apply to storage requests too
        return StorageClient(
            self._storage_session,
            self.retry_policy,
            self._request_timeout(),
            self.log,
            stall_timeout=self.stall_timeout,
        )

    def close(self) -> None:
        """Release the pooled HTTP connections."""
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- transport ------------------------------------------------------------------------------

    def _request_timeout(self) -> float | tuple[float, float]:
        """The hook's ``timeout`` when given, else the connection's ``timeout`` extra, else the default."""
        return self.timeout or self.options.timeout or DEFAULT_TIMEOUT

    def call(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        paid: bool = False,
    ) -> Any:
        """Call an API endpoint and return the envelope's (redacted) ``result``, retrying transient failures.

        ``paid=True`` is for calls that must not run twice (the submit): it is repeated only after an
        answer that proves nothing was created; any other failure after sending raises
        :class:`~airflow_topview.exceptions.TopviewSubmitUncertainError`.
        """
        session = self.get_conn()
        url = self.base_url + endpoint
        connect, total = api.split_timeout(self._request_timeout())
        attempts = CallAttempts(
            self.retry_policy, total, self.call_timeout, f"{method} {endpoint}", paid=paid
        )
        while True:
            budget = attempts.begin()
            try:
                return self._send(
                    session, method, url, endpoint, params, json, (min(connect, budget), budget)
                )
            except TopviewError as exc:
                error = exc
            delay = attempts.delay_after(error)
            self.log.warning(attempts.describe(error, delay))
            time.sleep(delay)

    def _send(
        self,
        session: requests.Session,
        method: str,
        url: str,
        endpoint: str,
        params: dict[str, Any] | None,
        json: dict[str, Any] | None,
        timeout: tuple[float, float],
    ) -> Any:
        """One attempt, read to the end within ``timeout[1]`` s (a dripping answer cannot stretch it)."""
        deadline = time.monotonic() + timeout[1]
        try:
            with session.request(
                method, url, params=params, json=json, timeout=timeout, stream=True
            ) as response:
                chunks = []
                while chunk := response.raw.read1(_ANSWER_READ_SIZE, decode_content=True):
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise TopviewConnectionError(
                            f"{method} {endpoint}: no complete answer within {timeout[1]:g} s"
                        )
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            detail = self._redactor.text(f"{type(exc).__name__}: {exc}")
            raise TopviewConnectionError(
                f"{method} {endpoint} failed: {detail}", sent=not _never_sent(exc)
            ) from None
        text = api.decode_text(b"".join(chunks), response.encoding)
        return api.read_envelope(
            response.status_code,
            response.headers,
            text,
            endpoint,
            self._redactor,
            refused_hint=api.auth_hint(self.topview_conn_id),
        )

    # --- API calls ------------------------------------------------------------------------------

    def submit_image_to_video(self, request: ImageToVideoRequest) -> SubmitResult:
        """Submit an Image-to-Video V2 task (this spends credits). Returns the new task id.

        Repeated only after an answer that proves TopView created nothing (4007, 5003, HTTP 429, a
        connection refused before sending); after any other failure, or an answer without a readable
        task id, raises TopviewSubmitUncertainError: the task may exist, and a second submit would pay again.
        """
        result = self.call("POST", api.SUBMIT_IMAGE_TO_VIDEO, json=request.to_body(), paid=True)
        try:
            return SubmitResult.model_validate(result)
        except ValidationError:
            shown = api.short(repr(result))
            raise uncertain_submit(
                f"POST {api.SUBMIT_IMAGE_TO_VIDEO}",
                TopviewConnectionError(f"HTTP 200 whose result has no readable task id: {shown}"),
            ) from None

    def get_image_to_video_task(
        self, topview_task_id: str, *, cloudfront_url: bool = True
    ) -> ImageToVideoTask:
        """Query a task's status and, once finished, its videos (signed URLs that expire)."""
        params = api.query_params(topview_task_id, cloudfront_url)
        return task_from_answer(self.call("GET", api.QUERY_IMAGE_TO_VIDEO, params=params))

    def check_notice_url(self, notice_url: str) -> None:
        """Ask TopView to validate a callback URL before a submit names it; a refusal raises TopviewAPIError.

        TopView's docs do not say whether ``noticeUrl`` is read from the query string or a JSON body, so it
        is sent in both.
        """
        body = {"noticeUrl": notice_url}
        result = self.call("POST", api.NOTICE_URL_CHECK, params=body, json=body)
        if result is False or (isinstance(result, str) and result.strip().lower() == "false"):
            raise TopviewAPIError(
                "4000", f"TopView refused the callback URL {notice_url!r}", endpoint=api.NOTICE_URL_CHECK
            )

    def get_credit(self) -> CreditDetail:
        """The account's remaining credits."""
        return CreditDetail.model_validate(self.call("GET", api.CREDIT_DETAIL))

    def test_connection(self) -> tuple[bool, str]:
        """Read the credit balance: cheap, read-only, and proves the UID and key are accepted."""
        hook = TopviewHook(self.topview_conn_id, retry_limit=1, timeout=self.timeout)
        try:
            credit = hook.get_credit()
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
        The body is sent with a Content-Length (presigned S3 PUTs refuse chunked bodies), in 64 KiB pieces
        each of which must leave within ``stall_timeout`` (and the connect timeout), else it is retried.
        """
        self.storage.put(upload_url, open_body, size)
        self.log.info("Uploaded %s (%d bytes) to %s", what, size, without_query(upload_url))

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
        TopView's headers, under the same stall rule as downloads), or an object-storage path
        (``ObjectStoragePath`` or its URL: ``file://``, ``s3://conn_id@bucket/key`` with the matching
        Airflow provider, ...). The format comes from ``file_format`` or the extension and is checked before
        any request (ValueError when TopView does not take it). A missing source raises FileNotFoundError,
        also before any request to TopView.
        """
        text = str(source)
        fmt = transfer.upload_format(text, file_format)
        shown = without_query(text)
        with self._readable_source(source) as (path, size):
            credential = self.get_upload_credential(fmt)
            self.log.info(
                "Uploading %s (%s, %d bytes) as TopView file %s", shown, fmt, size, credential.file_id
            )
            self.put_upload(credential.upload_url, lambda: open_storage(path, "rb"), size, what=shown)
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
        view = fsspec_view(path)
        if not view.is_file():
            raise FileNotFoundError(
                f"upload source {without_query(str(source))!r} does not exist or is not a file"
            )
        yield path, int(view.stat().st_size)

    def _fetch_to_file(self, url: str, local_path: str) -> int:
        """Download ``url`` to ``local_path`` in chunks (no TopView headers); transient errors are retried."""
        size = self.storage.fetch_to_file(url, local_path)
        self.log.info("Fetched upload source %s (%d bytes)", without_query(url), size)
        return size

    def download_video(self, url: str, target: ObjectStoragePath | str) -> int:
        """Stream one video from its signed URL to ``target`` (no TopView headers); returns bytes written.

        The body goes to a temporary ``.<name>.<random>.part`` beside ``target``, renamed to ``target`` only
        when complete (its length checked against Content-Length): ``target`` never holds a partial file,
        and a file already there is replaced only by a complete one. Cut or stalled bodies (fewer than 64 KiB
        in ``stall_timeout`` seconds) are retried from the start; HTTP errors such as 403 (the signed URL
        expired) raise TopviewAPIError with ``http_status`` set. A failure removes only its own temporary
        file. Inside an operator's execute, ``on_kill`` cancels it (TransferCancelledError).
        """
        from airflow.sdk import ObjectStoragePath

        path = target if isinstance(target, ObjectStoragePath) else ObjectStoragePath(target)
        return self.storage.download(url, path)

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
        a 403 the task is queried once for fresh URLs and the download is tried again. Each file appears
        only once complete (see :meth:`download_video`).
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


def _never_sent(exc: BaseException) -> bool:
    """Whether the request failed before any byte reached the server, so repeating it cannot duplicate it."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        text = f"{reason or exc}"
        return "NewConnectionError" in text or "Connection refused" in text or "Failed to resolve" in text
    return False
