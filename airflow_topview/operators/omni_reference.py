"""SubmitOmniReferenceOperator: one TopView Omni Reference task from named reference images and videos.

Imported by the scheduler each time it parses a DAG file: nothing heavy at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow_topview.client.task_types import OMNI_REFERENCE
from airflow_topview.operators.submit import TopviewSubmitOperator

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Operator parameter names of the submit body, in the order TopView's client sends them.
BODY_PARAMETERS: tuple[str, ...] = (
    "model",
    "prompt",
    "input_images",
    "input_videos",
    "aspect_ratio",
    "resolution",
    "duration",
    "generating_count",
    "internet_search",
    "board_id",
    "notice_url",
    "extra_body",
)


class SubmitOmniReferenceOperator(TopviewSubmitOperator):
    """Submit a TopView Omni Reference task: consistent characters or products from named references.

    The prompt calls each reference by name, ``<<<Image1>>>`` or ``<<<Video1>>>``. Before any request:
    every ``<<<Name>>>`` names an input, names are unique across images and videos, at most 9 images and
    3 videos. Otherwise the same contract as
    :class:`~airflow_topview.operators.image_to_video.SubmitImageToVideoOperator` (templating, checks
    against the model, XCom, deferrable wait, paying once, ``max_credits``, ``run_budget``).

    :param prompt: what the video should show, naming inputs as ``<<<Name>>>`` (required).
    :param model: ``Standard`` or ``Fast`` (Seedance 2.0 quality), another model of the Omni Reference
        table (``python -m airflow_topview.catalog --task-type omni_reference``), or a Video-Edit model.
    :param input_images: reference images: a list of ``{"file_id": ..., "name": ...}`` (TopView's
        ``{"fileId", "name"}`` works too) or a mapping name -> file id, e.g. ``{"Image1": upload_id}``.
    :param input_videos: reference videos, the same shapes.
    :param aspect_ratio: e.g. ``16:9``, for models with ratios (not the Video-Edit models).
    :param resolution: e.g. 480 or 720, one of the model's.
    :param duration: seconds of video, within the model's range.
    :param generating_count: how many videos to generate, 1 to 4.
    :param internet_search: let the model search the web (Standard and Fast only); sent only when True.
    :param board_id: TopView board to record the task on.
    :param notice_url: URL TopView POSTs to when the task finishes (checked with TopView first; TopView
        documents it for Image-to-Video, for this task type it is unconfirmed).
    :param extra_body: extra JSON fields for API fields this release does not know; no known field.
    The connection, waiting, budget and paying-once parameters are those of
    :class:`~airflow_topview.operators.submit_base.TopviewSubmitOperatorBase`.
    """

    topview_task_type = OMNI_REFERENCE
    body_parameters = BODY_PARAMETERS
    template_fields: Sequence[str] = (*BODY_PARAMETERS, "max_credits", "run_budget")
    template_fields_renderers: ClassVar[dict[str, str]] = {
        "prompt": "md",
        "input_images": "json",
        "input_videos": "json",
        "extra_body": "json",
    }

    def __init__(
        self,
        *,
        prompt: str,
        model: str = "Standard",
        input_images: Any = None,
        input_videos: Any = None,
        aspect_ratio: str | None = None,
        resolution: int | str | None = None,
        duration: int | str | None = None,
        generating_count: int | str | None = None,
        internet_search: bool | str | None = None,
        board_id: str | None = None,
        notice_url: str | None = None,
        extra_body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.prompt = prompt
        self.input_images = input_images
        self.input_videos = input_videos
        self.aspect_ratio = aspect_ratio
        self.resolution = resolution
        self.duration = duration
        self.generating_count = generating_count
        self.internet_search = internet_search
        self.board_id = board_id
        self.notice_url = notice_url
        self.extra_body = extra_body
