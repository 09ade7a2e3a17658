"""The hook's file methods: upload (credential -> presigned PUT -> check) and video downloads.

A part of :class:`~airflow_topview.hooks.topview.TopviewHook` (its public methods), kept here so each
module has one job: these orchestrate API calls (through the hook's ``call``) and byte transfers
(through its :class:`~airflow_topview.hooks.storage.StorageClient`, which never sends TopView's auth
headers to storage URLs).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
import time
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from airflow_topview import file_rules
from airflow_topview.client import protocol
from airflow_topview.client.redaction import without_query
from airflow_topview.client.responses import UploadCredential
from airflow_topview.client.task_types import IMAGE_TO_VIDEO
from airflow_topview.exceptions import TopviewAPIError, TopviewError
from airflow_topview.hooks.storage import fsspec_view, open_storage

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from airflow.providers.common.compat.sdk import ObjectStoragePath
    from airflow.sdk.types import Logger

    from airflow_topview.client.responses import ImageToVideoTask, Video
    from airflow_topview.client.task_types import TaskType
    from airflow_topview.hooks.storage import StorageClient

    #: What an upload source may be: a local path, an http(s) URL, or an object-storage path.
    UploadSource = str | os.PathLike[str] | ObjectStoragePath

# How long TopView may take to confirm an upload, and how often to ask (it lags; clients ask ~1/s).
DEFAULT_UPLOAD_CHECK_TIMEOUT = 60.0
DEFAULT_UPLOAD_CHECK_INTERVAL = 1.0


class FileTransfers:
    """Uploads and downloads for a hook that has ``call``, ``storage`` and ``get_task``."""

    log: Logger
    base_url: str

    if TYPE_CHECKING:

        def call(self, method: str, endpoint: str, *, params: dict[str, Any] | None = None) -> Any: ...

        @property
        def storage(self) -> StorageClient: ...

        def get_task(
            self, task_type: TaskType, topview_task_id: str, *, cloudfront_url: bool = True
        ) -> ImageToVideoTask: ...

    def get_upload_credential(self, file_format: str) -> UploadCredential:
        """Ask TopView for a new file id and the presigned URL to PUT its bytes to."""
        if not file_format or not str(file_format).strip():
            raise ValueError(f"file_format is required, one of: {', '.join(file_rules.UPLOAD_FORMATS)}")
        fmt = file_rules.upload_format("", file_format)
        return UploadCredential.model_validate(
            self.call("GET", protocol.UPLOAD_CREDENTIAL, params={"format": fmt})
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
        result = self.call("GET", protocol.UPLOAD_CHECK, params={"fileId": file_id})
        return result is True or str(result).lower() == "true"

    def _still_there(self, file_id: str) -> bool:
        """Whether TopView still has an earlier upload (an unknown or expired id is answered 4004)."""
        try:
            return self.check_upload(file_id)
        except TopviewAPIError as exc:
            if exc.code != "4004":
                raise
            return False

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
        uploads: dict[str, str] | None = None,
    ) -> str:
        """Upload a file to TopView and return its file id once TopView confirms it.

        ``uploads``: earlier uploads of the same task (SHA-256 of the bytes -> file id), read and updated:
        the same bytes again reuse the earlier file id while TopView still has the file, so a cleared
        pipeline submits the same request (and reuses its paid task) instead of a new file id.

        ``source`` is a local path, an http(s) URL (downloaded in chunks to a temporary file first, without
        TopView's headers, under the same stall rule as downloads), or an object-storage path
        (``ObjectStoragePath`` or its URL: ``file://``, ``s3://conn_id@bucket/key`` with the matching
        Airflow provider, ...). The format comes from ``file_format`` or the extension and is checked before
        any request (ValueError when TopView does not take it). A missing source raises FileNotFoundError,
        also before any request to TopView.
        """
        text = str(source)
        file_rules.check_source(text)
        fmt = file_rules.upload_format(text, file_format)
        shown = without_query(text)
        with self._readable_source(source) as (path, size):
            digest = _sha256(path) if uploads is not None else ""
            if uploads is not None and (earlier := uploads.get(digest)) and self._still_there(earlier):
                self.log.info(
                    "Reusing TopView file %s: %s has the same bytes as this task's earlier upload",
                    earlier,
                    shown,
                )
                return earlier
            credential = self.get_upload_credential(fmt)
            self.log.info(
                "Uploading %s (%s, %d bytes) as TopView file %s", shown, fmt, size, credential.file_id
            )
            self.put_upload(credential.upload_url, lambda: open_storage(path, "rb"), size, what=shown)
        checks = self.wait_for_upload(credential.file_id, timeout=check_timeout, poll_interval=check_interval)
        self.log.info("TopView confirmed file %s after %d check(s)", credential.file_id, checks)
        if uploads is not None:
            uploads[digest] = credential.file_id
        return credential.file_id

    @contextmanager
    def _readable_source(self, source: UploadSource) -> Iterator[tuple[ObjectStoragePath, int]]:
        """The source as a path that can be reopened (a URL is fetched to a temp file first), and its size."""
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        if isinstance(source, str) and file_rules.is_http_url(source):
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
        size = int(view.stat().st_size)
        if size == 0:
            raise ValueError(
                f"upload source {without_query(str(source))!r} is empty (0 bytes): nothing to upload"
            )
        yield path, size

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
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        from airflow_topview.hooks.targets import check_video_url

        storage = self.storage  # reads the connection: its host decides which video hosts are allowed
        check_video_url(url, self.base_url)
        path = target if isinstance(target, ObjectStoragePath) else ObjectStoragePath(target)
        return storage.download(url, path)

    def download_videos(
        self,
        task: ImageToVideoTask,
        destination: ObjectStoragePath | str,
        *,
        filename_template: str = file_rules.DEFAULT_FILENAME_TEMPLATE,
        refresh_expired_urls: bool = True,
        task_type: TaskType = IMAGE_TO_VIDEO,
    ) -> list[str]:
        """Download every successful video of a finished task into ``destination``; returns the paths written.

        Files are named by ``filename_template`` (default ``{topview_task_id}_{index}.mp4``, ``index`` being
        the video's position in the task). Failed videos are skipped with a warning. Signed URLs expire: on
        a 403 the task is queried once (at ``task_type``'s endpoint) for fresh URLs and the download is tried
        again. Each file appears
        only once complete (see :meth:`download_video`).
        """
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        folder = destination if isinstance(destination, ObjectStoragePath) else ObjectStoragePath(destination)
        names = {
            index: file_rules.video_filename(
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
            fsspec_view(folder).mkdir(parents=True, exist_ok=True)
        written: list[str] = []
        given, fresh_task = task, None
        for index, name in names.items():
            target = folder / name
            if "/" in name:
                fsspec_view(target.parent).mkdir(parents=True, exist_ok=True)
            video = given.videos[index]
            if fresh_task is not None:  # URLs were refreshed: the rest come from the fresh answer
                video = _fresh(fresh_task, video, index, given_count=len(given.videos))
            try:
                size = self.download_video(str(video.file_path), target)
            except TopviewAPIError as exc:
                if exc.http_status != 403 or fresh_task is not None or not refresh_expired_urls:
                    raise
                self.log.warning(
                    "The URL of video %d of TopView task %s was refused (%s); it has probably expired: "
                    "querying the task for fresh URLs",
                    index,
                    task.task_id,
                    exc.message,
                )
                fresh_task = self.get_task(task_type, task.task_id)
                video = _fresh(fresh_task, video, index, given_count=len(given.videos))
                size = self.download_video(str(video.file_path), target)
            self.log.info(
                "Wrote video %d of TopView task %s to %s (%d bytes)", index, task.task_id, target, size
            )
            written.append(str(target))
        return written


def _fresh(task: ImageToVideoTask, video: Video, index: int, *, given_count: int) -> Video:
    """The refreshed answer's entry for a video, found by identity (a subset's positions mean nothing)."""
    fresh = task.same_video(video, index, complete=given_count == len(task.videos))
    if fresh is None or not fresh.succeeded:
        where = without_query(str(video.file_path))
        raise TopviewError(f"TopView task {task.task_id} no longer lists video {where} after a refresh")
    return fresh


def _sha256(path: ObjectStoragePath) -> str:
    """The SHA-256 of a file's bytes, read in pieces."""
    digest = hashlib.sha256()
    with open_storage(path, "rb") as source:
        while piece := source.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()
