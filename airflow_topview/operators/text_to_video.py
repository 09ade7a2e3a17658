"""SubmitTextToVideoOperator: render, validate and submit one TopView Text-to-Video task.

Imported by the scheduler each time it parses a DAG file: nothing heavy at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow_topview.client.task_types import TEXT_TO_VIDEO
from airflow_topview.operators.submit import TopviewSubmitOperator

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Operator parameter names of the submit body, in the order TopView's client sends them.
BODY_PARAMETERS: tuple[str, ...] = (
    "model",
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


class SubmitTextToVideoOperator(TopviewSubmitOperator):
    """Submit a TopView Text-to-Video task (a clip from a prompt, no source image); XCom: its task id.

    The same contract as :class:`~airflow_topview.operators.image_to_video.SubmitImageToVideoOperator`:
    every body parameter templated, validated against the model's capabilities before any request,
    XCom ``return_value``/``task_id`` = the TopView task id (``result`` with ``wait_for_completion``),
    a deferrable wait, the journal that keeps a retry or clear from paying twice, ``max_credits`` and
    ``run_budget``. Parameters left at ``None`` are not sent.

    :param prompt: what the video should show (required).
    :param model: TopView model display name (``Standard``, ``Kling V3``, ``Veo 3.1``, ...).
    :param aspect_ratio: e.g. ``16:9``, one of the model's ratios (most Text-to-Video models take one;
        the MiniMax-Hailuo models take none).
    :param resolution: e.g. 720 or 1080, one of the model's.
    :param duration: seconds of video, within the model's range.
    :param sound: ``"on"`` or ``"off"`` (booleans accepted), for models with native audio.
    :param generating_count: how many videos to generate, 1 to 4.
    :param board_id: TopView board to record the task on.
    :param notice_url: URL TopView POSTs to when the task finishes (checked with TopView first; TopView
        documents it for Image-to-Video, for this task type it is unconfirmed).
    :param extra_body: extra JSON fields for API fields this release does not know; no known field.
    The connection, waiting, budget and paying-once parameters are those of
    :class:`~airflow_topview.operators.submit_base.TopviewSubmitOperatorBase`.
    """

    topview_task_type = TEXT_TO_VIDEO
    body_parameters = BODY_PARAMETERS
    template_fields: Sequence[str] = (*BODY_PARAMETERS, "max_credits", "run_budget")
    template_fields_renderers: ClassVar[dict[str, str]] = {"prompt": "md", "extra_body": "json"}

    def __init__(
        self,
        *,
        prompt: str,
        model: str = "Standard",
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
        self.prompt = prompt
        self.aspect_ratio = aspect_ratio
        self.resolution = resolution
        self.duration = duration
        self.sound = sound
        self.generating_count = generating_count
        self.board_id = board_id
        self.notice_url = notice_url
        self.extra_body = extra_body
