"""SubmitImageToVideoOperator: render, validate and submit one TopView Image-to-Video V2 task.

This module is imported by the scheduler each time it parses a DAG file, so it imports nothing heavy:
the hook, HTTP clients and pydantic models are imported inside ``execute``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow_topview.client.task_types import IMAGE_TO_VIDEO
from airflow_topview.operators.submit import TopviewSubmitOperator

if TYPE_CHECKING:
    from collections.abc import Sequence

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


class SubmitImageToVideoOperator(TopviewSubmitOperator):
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
    :class:`~airflow_topview.operators.submit_base.TopviewSubmitOperatorBase`; the submit itself
    (journal, waiting, XComs) is :class:`~airflow_topview.operators.submit.TopviewSubmitOperator`'s.
    """

    topview_task_type = IMAGE_TO_VIDEO
    body_parameters = BODY_PARAMETERS
    template_fields: Sequence[str] = (*BODY_PARAMETERS, "max_credits", "run_budget")
    template_fields_renderers: ClassVar[dict[str, str]] = {
        "reference_image_file_ids": "json",
        "prompt": "md",
        "extra_body": "json",
    }

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
