"""SubmitImageToVideoOperator: render, validate and submit one TopView Image-to-Video V2 task.

This module is imported by the scheduler each time it parses a DAG file, so it imports nothing heavy:
the hook, HTTP clients and pydantic models are imported inside ``execute``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import conf

from airflow_topview.client.task_types import IMAGE_TO_VIDEO
from airflow_topview.links import TOPVIEW_APP_URL, TopviewVideoLink, push_link, task_link, video_link
from airflow_topview.operators.submit_base import TopviewSubmitOperatorBase
from airflow_topview.task_outcome import decides_outcome

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.providers.common.compat.sdk import Context

    from airflow_topview.client.request import ImageToVideoRequest

# Operator parameter names of the submit body, in the order TopView documents them.
BODY_PARAMETERS: tuple[str, ...] = (
    "model",
    "first_frame_file_id",
    "end_frame_file_id",
    "reference_image_file_ids",
    "prompt",
    "aspect_ratio",
    "resolution",
    "duration",
    "sound",
    "generating_count",
    "board_id",
    "notice_url",
    "extra_body",
)


class SubmitImageToVideoOperator(TopviewSubmitOperatorBase):
    """Submit a TopView Image-to-Video V2 task and push its TopView task id to XCom.

    Every body parameter is templated and may be an ``XComArg`` (for example
    ``reference_image_file_ids=upload.output`` from a mapped :class:`UploadFileOperator`). Parameters left
    at ``None`` are not sent. The rendered values are validated before any HTTP request; bad input fails
    the task without retries and names the parameter and the rule.

    XCom: ``return_value`` and ``task_id`` hold the TopView task id (str); with ``wait_for_completion=True``
    ``result`` holds the finished task. The submit runs on the worker, never in the trigger, and is
    journaled in ``task_state_store`` before it is sent. A retry or clear first reads the journal: the
    same request's earlier task is reused (running -> wait for it, succeeded -> reuse it, failed -> submit
    anew); a changed request is submitted anew; a submit whose answer never arrived fails the task as
    uncertain (``on_uncertain_submit``). Airflow < 3.3 has no ``task_state_store``: there a retry or clear
    cannot know what an earlier try paid for and fails as uncertain, before any request, unless
    ``on_uncertain_submit="resubmit"`` (docs/airflow-versions.md). A submit is repeated only after an
    answer proving that TopView created nothing (4007, 5003, HTTP 429, connection refused); any other
    failure after sending fails the task without retries, since TopView may have created (and billed) it.

    :param model: TopView model id or display name (``seedance-1.5-pro``, ``Kling V3``, ...).
    :param first_frame_file_id: file id of the first frame (single image and first/last-frame modes).
    :param end_frame_file_id: file id of the last frame; needs ``first_frame_file_id``.
    :param reference_image_file_ids: 2 or more file ids for multi-reference mode, none of them a frame.
    :param prompt: what the video should show.
    :param aspect_ratio: e.g. ``16:9``; only for models that do not take the shape from the image.
    :param resolution: video height class, e.g. 720 or 1080.
    :param duration: seconds of video.
    :param sound: ``"on"`` or ``"off"`` (booleans are accepted).
    :param generating_count: how many videos to generate, 1 to 4.
    :param board_id: TopView board to record the task on.
    :param notice_url: URL TopView POSTs to when the task finishes; checked with TopView before the submit
        (a refusal fails the task before anything is paid); the submit's ``noticeUuid`` goes to XCom
        ``notice_uuid`` (a callback's ``uuid`` equals it).
    :param extra_body: extra JSON fields merged into the submit body, for API fields this release does not
        know yet (a dict, templated); it may not override a known field.
    The connection, waiting, budget and paying-once parameters (``topview_conn_id``,
    ``wait_for_completion``, ``deferrable``, ``poll_interval``, ``timeout``, ``max_credits``, ``run_budget``,
    ``validate_model``, ``models_file``, ``fail_on_partial``, ``hook_params``, ``on_uncertain_submit``,
    ``on_changed_request``, ``durable``) are those of
    :class:`~airflow_topview.operators.submit_base.TopviewSubmitOperatorBase`.
    """

    topview_task_type = IMAGE_TO_VIDEO
    template_fields: Sequence[str] = (*BODY_PARAMETERS, "max_credits", "run_budget")
    template_fields_renderers: ClassVar[dict[str, str]] = {
        "reference_image_file_ids": "json",
        "prompt": "md",
        "extra_body": "json",
    }
    operator_extra_links = (TopviewVideoLink(),)
    ui_color = "#e8dcff"
    # Rendered fields are stored again when the try ends: ``model`` as sent, mapped ids as a list.
    overwrite_rtif_after_execution = True

    def __init__(
        self,
        *,
        model: str = "seedance-1.5-pro",
        first_frame_file_id: str | None = None,
        end_frame_file_id: str | None = None,
        reference_image_file_ids: Any = None,
        prompt: str | None = None,
        aspect_ratio: str | None = None,
        resolution: int | str | None = None,
        duration: int | str | None = None,
        sound: str | bool | None = None,
        generating_count: int | str | None = None,
        board_id: str | None = None,
        notice_url: str | None = None,
        extra_body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.first_frame_file_id = first_frame_file_id
        self.end_frame_file_id = end_frame_file_id
        self.reference_image_file_ids = reference_image_file_ids
        self.prompt = prompt
        self.aspect_ratio = aspect_ratio
        self.resolution = resolution
        self.duration = duration
        self.sound = sound
        self.generating_count = generating_count
        self.board_id = board_id
        self.notice_url = notice_url
        self.extra_body = extra_body

    def build_request(self) -> ImageToVideoRequest:
        """Validate the rendered parameters into a submit body; bad input fails the task, no retry."""
        from airflow_topview.client.request import build_request

        return build_request({name: getattr(self, name) for name in BODY_PARAMETERS})

    def with_submit_name(self, request: ImageToVideoRequest, *, announce: bool = True) -> ImageToVideoRequest:
        """The request as sent (a known model by its submit name); the rendered fields then show it."""
        from airflow_topview.submit.model_checks import submit_spelling

        sent = submit_spelling(request, self.models_file)
        if announce and sent.model != request.model:
            self.log.info("Model %r is sent to TopView as %r", request.model, sent.model)
        # Rendered template fields are written again after the try: show what crossed the wire.
        self.model = sent.model
        self.reference_image_file_ids = sent.reference_image_file_ids
        return sent

    @decides_outcome
    def execute(self, context: Context) -> str:
        from airflow_topview.client.retries import is_busy
        from airflow_topview.exceptions import TopviewAPIError
        from airflow_topview.submit.busy import clear_busy, defer_while_busy
        from airflow_topview.submit.journal import task_state_store
        from airflow_topview.submit.journal_copy import JournalCopy
        from airflow_topview.submit.paid import PaidSubmit
        from airflow_topview.waiting import StatusWatch, poll_once, poll_until_done

        push_link(context.get("ti"), TOPVIEW_APP_URL)
        given = self.build_request()
        self.check_settings()
        estimate = self.check_model_and_budget(given, getattr(context.get("ti"), "map_index", -1))
        request = self.with_submit_name(given)
        hook = self.hook
        try:
            store = task_state_store(context)
            # Busy waits defer only where their state survives the resumes (Airflow 3.3+).
            defer_when_busy = self.deferrable and store is not None
            ti = context["ti"]
            submitter = PaidSubmit(
                hook,
                self.log,
                store=store,
                try_number=getattr(ti, "try_number", 1) or 1,
                on_uncertain_submit=self.on_uncertain_submit,
                wait_when_busy=not defer_when_busy,
                max_tries=getattr(ti, "max_tries", None),
                on_changed_request=self.on_changed_request,
                journal_cleared_on_success=conf.getboolean("state_store", "clear_on_success", fallback=False),
                copy=JournalCopy.of(context),
                durable=self.durable,
                task_type=self.topview_task_type,
            )
            try:
                topview_task_id, finished = submitter.resume_or_submit(request, identity=given)
            except TopviewAPIError as exc:
                if defer_when_busy and is_busy(exc):
                    defer_while_busy(self, store, hook.retry_policy, exc)
                raise
            if defer_when_busy:
                clear_busy(store)
            context["ti"].xcom_push(key="task_id", value=topview_task_id)
            push_link(context["ti"], task_link(topview_task_id))
            if submitter.notice_uuid:
                context["ti"].xcom_push(key="notice_uuid", value=submitter.notice_uuid)
            context["ti"].xcom_push(key="estimated_credits", value=estimate.credits if estimate else None)
            self._record_submit(context, request, topview_task_id, submitter.submitted, estimate)
            if not self.wait_for_completion:
                return topview_task_id
            if finished is None and self.deferrable:
                # A task that is already over (a fast generation) finishes here, without a deferral.
                finished = poll_once(hook, StatusWatch(topview_task_id, self.log, self.topview_task_type))
            if finished is None and self.deferrable:
                self._defer_until_done(topview_task_id, request.model, estimate)
            if finished is None:
                finished = poll_until_done(
                    hook, topview_task_id, self.log, self.poll_interval, self.timeout, self.topview_task_type
                )
        finally:
            hook.close()
        return self.execute_complete(context, finished)

    @decides_outcome
    def execute_complete(self, context: Context, event: Any) -> str:
        """Turn the final event into XCom ``result`` (or a failure); ``return_value`` stays the task id.

        A success usually ends the task in the triggerer instead (:mod:`airflow_topview.deferral`), with
        the same XComs; this runs for failures, for tasks whose success needs a worker, and on the worker.
        """
        from airflow_topview.deferral import success_xcoms
        from airflow_topview.waiting import read_event, result_from_event

        checked = read_event(event)
        request = self._request_after_wait()
        ti = context["ti"]
        estimated = ti.xcom_pull(task_ids=ti.task_id, key="estimated_credits", map_indexes=ti.map_index)
        result = result_from_event(
            checked,
            fail_on_partial=self.fail_on_partial,
            log=self.log,
            model=request.model if request is not None else None,
            estimated_credits=estimated,
            from_submit=True,
        )
        if video_link(result) is None:
            push_link(ti, task_link(checked["topview_task_id"]))
        xcoms = success_xcoms(result, checked["topview_task_id"], "task_id", on_worker=True)
        for key, value in xcoms.items():
            ti.xcom_push(key=key, value=value)
        if self._lineage is None and request is not None:  # resumed after deferring: not recorded yet
            self._record_lineage_after_wait(request, checked["topview_task_id"])
        return checked["topview_task_id"]

    def _request_after_wait(self) -> ImageToVideoRequest | None:
        """The request as sent, rendered anew by a resumed try, for metrics and lineage only.

        After the submit nothing but the video may fail the task: a models file broken since, or a
        template that renders differently now, costs a warning, never the paid task.
        """
        try:
            return self.with_submit_name(self.build_request(), announce=False)
        except Exception as exc:
            self.log.warning(
                "The submitted request could not be rendered again (%s): %s", type(exc).__name__, exc
            )
            return None
