"""SubmitImageToVideoOperator: render, validate and submit one TopView Image-to-Video V2 task.

This module is imported by the scheduler each time it parses a DAG file, so it imports nothing heavy:
the hook, HTTP clients and pydantic models are imported inside ``execute``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator
from airflow.sdk.configuration import conf
from airflow.sdk.exceptions import AirflowFailException

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.sdk import Context

    from airflow_topview.hooks.topview import TopviewHook
    from airflow_topview.models import ImageToVideoRequest

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
)


class SubmitImageToVideoOperator(BaseOperator):
    """Submit a TopView Image-to-Video V2 task and push its TopView task id to XCom.

    Every body parameter is templated and may be an ``XComArg`` (for example
    ``reference_image_file_ids=upload.output`` from a mapped :class:`UploadFileOperator`). Parameters left
    at ``None`` are not sent. The rendered values are validated before any HTTP request; bad input fails
    the task without retries and names the parameter and the rule.

    XCom: ``return_value`` and ``task_id`` hold the TopView task id (str).

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
    :param notice_url: URL TopView POSTs to when the task finishes.
    :param topview_conn_id: the ``topview`` connection.
    :param wait_for_completion: wait for the videos before finishing the task.
    :param deferrable: wait in the triggerer instead of holding a worker slot (with ``wait_for_completion``).
    :param poll_interval: seconds between status checks while waiting.
    :param timeout: longest wait for the videos, in seconds.
    :param max_credits: fail before submitting when the estimated cost is higher.
    :param validate_model: check the parameters against the known capabilities of the model.
    :param hook_params: extra keyword arguments for :class:`TopviewHook` (``retry_limit``, ``retry_delay``,
        ``timeout``, ...).
    """

    template_fields: Sequence[str] = (*BODY_PARAMETERS, "max_credits")
    template_fields_renderers: ClassVar[dict[str, str]] = {
        "reference_image_file_ids": "json",
        "prompt": "md",
    }
    ui_color = "#e8dcff"

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
        topview_conn_id: str = "topview_default",
        wait_for_completion: bool = False,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10.0,
        timeout: float = 60 * 60,
        max_credits: float | str | None = None,
        validate_model: bool = True,
        hook_params: dict[str, Any] | None = None,
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
        self.topview_conn_id = topview_conn_id
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.max_credits = max_credits
        self.validate_model = validate_model
        self.hook_params = hook_params or {}

    @property
    def hook(self) -> TopviewHook:
        """A hook for ``topview_conn_id``; built on first use so parsing a DAG never touches it."""
        from airflow_topview.hooks.topview import TopviewHook

        return TopviewHook(self.topview_conn_id, **self.hook_params)

    def build_request(self) -> ImageToVideoRequest:
        """Validate the rendered parameters into a submit body; bad input fails the task, no retry."""
        from airflow_topview.models import RequestValidationError, build_request

        try:
            return build_request({name: getattr(self, name) for name in BODY_PARAMETERS})
        except RequestValidationError as exc:
            raise AirflowFailException(str(exc)) from None

    def execute(self, context: Context) -> str:
        request = self.build_request()
        self._refuse_unsupported_options()
        topview_task_id = self._submit(request)
        context["ti"].xcom_push(key="task_id", value=topview_task_id)
        return topview_task_id

    def _refuse_unsupported_options(self) -> None:
        if self.wait_for_completion:
            raise AirflowFailException(
                "wait_for_completion=True is not supported yet: chain an ImageToVideoSensor after this task."
            )
        if self.max_credits is not None:
            raise AirflowFailException("max_credits is not supported yet: leave it unset.")

    def _submit(self, request: ImageToVideoRequest) -> str:
        from airflow_topview.exceptions import TopviewAPIError, TopviewSubmitUncertainError

        self.log.info("Submitting TopView Image-to-Video task: %s", request.to_body())
        hook = self.hook
        try:
            result = hook.submit_image_to_video(request)
        except TopviewSubmitUncertainError as exc:
            raise AirflowFailException(str(exc)) from None
        except TopviewAPIError as exc:
            if exc.retryable:
                raise
            raise AirflowFailException(str(exc)) from None
        finally:
            hook.close()
        self.log.info("TopView accepted the task: topview_task_id=%s", result.task_id)
        return result.task_id
