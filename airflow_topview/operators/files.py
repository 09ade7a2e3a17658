"""UploadFileOperator and DownloadVideosOperator: move files to TopView and generated videos back.

The scheduler imports this module each time it parses a DAG file, so it imports nothing heavy: the hook,
HTTP clients, pydantic models and ObjectStoragePath are imported inside ``execute``. The hook does the
transfers; these operators check their input, wire the hook and turn errors into task outcomes.
"""

from __future__ import annotations

import ast
import json
import os
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_topview import file_rules, lineage
from airflow_topview.exceptions import RequestValidationError, TopviewTaskFailedError
from airflow_topview.operators import upstream
from airflow_topview.operators.labels import set_label, with_default_label
from airflow_topview.operators.transfers import CancellableTransfers, hook_failing_permanently
from airflow_topview.task_outcome import decides_outcome

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.providers.common.compat.sdk import Context
    from airflow.sdk.definitions.mappedoperator import OperatorPartial

    from airflow_topview.client.request import ImageToVideoTask


#: Key in the upload task's ``task_state_store``: SHA-256 of uploaded bytes -> TopView file id.
UPLOADS_KEY = "topview_uploads"


class UploadFileOperator(CancellableTransfers):
    """Upload one file to TopView and push its TopView file id (str) as ``return_value``.

    On Airflow 3.3+ the task remembers what it uploaded (``task_state_store``): a retry or a clear with
    the same bytes gets the earlier file id back while TopView still has the file, so a cleared pipeline
    sends its submit the same request, which then reuses the task it already paid for.

    ``source`` is a local path, an http(s) URL, or an object-storage path (an ``ObjectStoragePath`` or its
    URL, e.g. ``file:///data/cat.png`` or ``s3://aws_default@bucket/cat.png`` with the Amazon provider).
    The file is streamed, never read into memory whole; URLs are fetched without TopView's credentials.
    Transfers that stall (``hook_params={"stall_timeout": ...}``) are retried; ``on_kill`` cancels them.
    The format comes from the extension or ``file_format`` and is checked against the formats TopView
    accepts (png jpg jpeg bmp webp mp4 mov avi mp3 wav m4a) before any request: a bad format or a missing
    file fails the task without retries.

    Mapping gives a list of ids, ready for ``reference_image_file_ids``::

        refs = UploadFileOperator.partial(task_id="upload").expand(source=["a.png", "b.jpg"])
        SubmitImageToVideoOperator(task_id="submit", reference_image_file_ids=refs.output, ...)

    :param source: what to upload (templated).
    :param file_format: the format when the extension is missing or misleading, e.g. ``"png"`` (templated).
    :param topview_conn_id: the ``topview`` connection.
    :param upload_check_timeout: seconds to wait for TopView to confirm the upload (it lags behind the PUT).
    :param upload_check_interval: seconds between confirmation checks.
    :param hook_params: extra keyword arguments for :class:`TopviewHook` (``retry_limit``, ``retry_delay``,
        ``timeout``, ...); transient errors of every request, the upload PUT included, are retried.
    """

    template_fields: Sequence[str] = ("source", "file_format")

    @classmethod
    def partial(cls, **kwargs: Any) -> OperatorPartial:  # type: ignore[override]
        """Airflow's ``partial``; each mapped upload is labelled by its file name unless told otherwise."""
        return super().partial(**with_default_label(kwargs))

    ui_color = "#dcefff"

    def __init__(
        self,
        *,
        source: Any,
        file_format: str | None = None,
        topview_conn_id: str = "topview_default",
        upload_check_timeout: float = 60.0,
        upload_check_interval: float = 1.0,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.file_format = file_format
        self.topview_conn_id = topview_conn_id
        self.upload_check_timeout = upload_check_timeout
        self.upload_check_interval = upload_check_interval
        self.hook_params = hook_params or {}

    @decides_outcome
    def execute(self, context: Context) -> str:
        from airflow_topview.hooks.settings import TopviewHookSettings
        from airflow_topview.settings import check_seconds

        source = self.source.strip() if isinstance(self.source, str) else self.source
        if source is None or (isinstance(source, str) and not source):
            raise RequestValidationError(
                "source: nothing to upload (empty); give a path, URL or storage path"
            )
        file_rules.check_source(str(source))
        # The file's name, never a presigned URL's query string.
        set_label(context, str(source).split("?")[0].replace("\\", "/").rstrip("/").rsplit("/", 1)[-1])
        fmt = file_rules.upload_format(str(source), self.file_format)
        check_seconds("upload_check_timeout", self.upload_check_timeout)
        check_seconds("upload_check_interval", self.upload_check_interval)
        TopviewHookSettings.of(self.hook_params)
        from airflow_topview.submit.journal import task_state_store

        store = task_state_store(context)
        earlier = store.get(UPLOADS_KEY) if store is not None else None
        uploads = {str(k): str(v) for k, v in earlier.items()} if isinstance(earlier, dict) else {}
        with self._cancellable(), hook_failing_permanently(self.topview_conn_id, self.hook_params) as hook:
            file_id = hook.upload_file(
                source,
                file_format=fmt,
                check_timeout=self.upload_check_timeout,
                check_interval=self.upload_check_interval,
                uploads=uploads if store is not None else None,
            )
            api = lineage.api_namespace(hook.base_url)
        if store is not None:  # a clear or retry with the same bytes gets this file id back
            store.set(UPLOADS_KEY, dict(list(uploads.items())[-20:]))
        self.log.info("TopView file id: %s", file_id)
        self.record_lineage([lineage.location(source)], [lineage.uploaded_file(api, file_id)])
        return file_id


class DownloadVideosOperator(CancellableTransfers):
    """Download the videos of a finished TopView task; ``return_value`` is the list of paths written (str).

    Give either ``task_result`` (the finished task as TopView returns it: the ``ImageToVideoSensor``'s
    ``return_value`` or ``SubmitImageToVideoOperator``'s ``result`` XCom) or ``topview_task_id`` (the task
    is then queried). Each successful video is streamed to ``destination``, a local folder or an
    object-storage prefix (``ObjectStoragePath`` or its URL), as ``{topview_task_id}_{index}.mp4``
    (``filename_template``). Failed videos of a partly successful task are skipped with a warning. Video
    URLs are signed and expire: when one is refused (HTTP 403) the task is queried once for fresh URLs.
    Downloads carry no TopView credentials.

    A file appears under its final name only when complete: each video is written to a temporary
    ``.<name>.<random>.part`` beside it and renamed once its length matches Content-Length, replacing a
    file of the same name only then. A body cut short or stalled (less than 64 KiB in ``stall_timeout``
    seconds, a hook parameter) is retried from the start; a failed download removes only its own
    temporary file, so an earlier file of that name survives. ``on_kill`` (SIGTERM) cancels the download
    in progress within moments; the try fails and Airflow's retries apply.

    With ``outlets=[Asset(...)]`` each successful try emits an asset event whose ``extra`` says what was
    made: ``topview_task_id``, ``model`` and ``prompt`` (from the upstream submit that sent the request,
    else None), ``cost_credit`` and ``paths`` (the list written), so a DAG scheduled on the asset knows
    what arrived.

    :param destination: folder or storage prefix to write to (templated).
    :param task_result: the finished task, a dict with ``taskId`` and ``videos`` (templated; an ``XComArg``
        such as a sensor's ``wait.output`` passes the dict itself, of any task type; a rendered JSON or
        Python literal is read too), or a TopView task id such as ``submit.output`` (then queried).
    :param topview_task_id: the TopView task id, when ``task_result`` is not given (templated).
    :param topview_task_type: ``image2video``, ``text2video`` or ``omni_reference``: where the task is
        queried (and fresh URLs asked for). Unset: the type of the submits upstream (Image-to-Video when
        none is upstream).
    :param filename_template: file name of each video; placeholders ``{topview_task_id}``, ``{index}``,
        ``{width}``, ``{height}`` (templated, so Jinja such as ``{{ run_id }}_{index}.mp4`` works too).
    :param topview_conn_id: the ``topview`` connection.
    :param hook_params: extra keyword arguments for :class:`TopviewHook`.
    """

    template_fields: Sequence[str] = (
        "destination",
        "task_result",
        "topview_task_id",
        "topview_task_type",
        "filename_template",
    )

    @classmethod
    def partial(cls, **kwargs: Any) -> OperatorPartial:  # type: ignore[override]
        """Airflow's ``partial``; each mapped download is labelled by its TopView task id."""
        return super().partial(**with_default_label(kwargs))

    template_fields_renderers: ClassVar[dict[str, str]] = {"task_result": "json"}
    ui_color = "#dcefff"

    def __init__(
        self,
        *,
        destination: Any,
        task_result: Any = None,
        topview_task_id: str | None = None,
        topview_task_type: str | None = None,
        filename_template: str = file_rules.DEFAULT_FILENAME_TEMPLATE,
        topview_conn_id: str = "topview_default",
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.destination = destination
        self.task_result = task_result
        self.topview_task_id = topview_task_id
        self.topview_task_type = topview_task_type
        self.filename_template = filename_template
        self.topview_conn_id = topview_conn_id
        self.hook_params = hook_params or {}

    @decides_outcome
    def execute(self, context: Context) -> list[str]:
        from airflow_topview.hooks.settings import TopviewHookSettings

        destination = self._checked_destination()
        file_rules.check_filename_template(self.filename_template)
        TopviewHookSettings.of(self.hook_params)
        task_type = upstream.task_type_to_read(self, self.topview_task_type)
        given = _given(self.task_result)
        if given == _given(self.topview_task_id):
            raise RequestValidationError("give task_result or topview_task_id (one of them)")
        task_id = _task_id_given_as_result(self.task_result) if given else self._checked_task_id()
        with self._cancellable(), hook_failing_permanently(self.topview_conn_id, self.hook_params) as hook:
            if task_id is None:
                task = _task_from_result(self.task_result)
            else:
                task = hook.get_task(task_type, task_id)
            set_label(context, task.task_id)
            if task.state != "success":
                raise RequestValidationError(
                    f"TopView task {task.task_id} is {task.status!r}, not finished successfully: "
                    "nothing to download (wait for it with ImageToVideoSensor first)"
                )
            if not any(video.succeeded for video in task.videos):
                raise TopviewTaskFailedError(
                    f"TopView task {task.task_id} has no successful video to download"
                )
            written = hook.download_videos(
                task, destination, filename_template=self.filename_template, task_type=task_type
            )
            api = lineage.api_namespace(hook.base_url)
        self.log.info(
            "Downloaded %d video(s) of TopView task %s to %s", len(written), task.task_id, destination
        )
        self.record_lineage(
            [lineage.generation_task(api, task.task_id, task_type.key)], map(lineage.location, written)
        )
        upstream.announce(self, context, task, written)
        return written

    def _checked_destination(self) -> Any:
        destination = self.destination
        if isinstance(destination, str):
            destination = destination.strip()
        if destination is None or destination == "":
            raise RequestValidationError("destination: give a folder or object-storage prefix to write to")
        local = destination[len("file://") :] if str(destination).startswith("file://") else destination
        if (
            isinstance(local, str)
            and "://" not in local
            and os.path.exists(local)
            and not os.path.isdir(local)
        ):
            raise RequestValidationError(f"destination: must be a folder, got the file {destination!r}")
        return destination

    def _checked_task_id(self) -> str:
        from airflow_topview.waiting import require_task_id

        return require_task_id(self.topview_task_id)


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _task_id_given_as_result(value: Any) -> str | None:
    """A TopView task id passed as ``task_result`` (``submit.output`` is the id): it is then queried."""
    from airflow_topview.waiting import require_task_id

    if isinstance(value, str) and value.strip() and value.strip()[0] not in "{[":
        return require_task_id(value, "task_result")
    return None


def _task_from_result(value: Any) -> ImageToVideoTask:
    """The finished task from ``task_result``: a dict, or its JSON / Python-literal rendering."""
    from pydantic import ValidationError

    from airflow_topview.client.responses import ImageToVideoTask, problems

    if isinstance(value, str):
        text = value.strip()
        try:
            value = json.loads(text)
        except ValueError:
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise RequestValidationError(
                    "task_result must be a TopView task (a dict with taskId and videos), "
                    f"got the text {text[:200]!r}"
                ) from None
    if not isinstance(value, dict):
        raise RequestValidationError(
            f"task_result must be a TopView task (a dict with taskId and videos), got {type(value).__name__}"
        )
    try:
        return ImageToVideoTask.model_validate(value)
    except ValidationError as exc:
        raise RequestValidationError(f"task_result is not a TopView task: {problems(exc)}") from None
