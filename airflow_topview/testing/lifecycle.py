"""A generation task's life: how it advances on polls or time, how it ends, and what a query answers.

Pure functions over :class:`TaskRecord`; :class:`~airflow_topview.testing.state.SimulatorState` calls
them under its lock and owns the credits they charge.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from airflow_topview.client.task_types import IMAGE_TO_VIDEO, OMNI_REFERENCE, TEXT_TO_VIDEO
from airflow_topview.testing.validation import DEFAULT_ASPECT_RATIO, SubmitRequest

if TYPE_CHECKING:
    from airflow_topview.testing.signing import UrlSigner

Outcome = Literal["success", "fail", "partial"]
ACTIVE_STATUSES = ("init", "running")  # what an unscripted task answers before it finishes
DEFAULT_TASK_ERROR = "video generation failed"
#: The callback's ``bizType`` per task type. Image-to-Video's is documented; [guess] TopView's for
#: Text-to-Video and Omni Reference is unknown, so these follow its pattern (task path, upper case).
BIZ_TYPES: dict[str, str] = {
    IMAGE_TO_VIDEO.key: "COMMON_TASK_IMAGE2VIDEO",
    TEXT_TO_VIDEO.key: "COMMON_TASK_TEXT2VIDEO",
    OMNI_REFERENCE.key: "COMMON_TASK_OMNI_REFERENCE",
}


@dataclass
class VideoRecord:
    index: int
    status: str
    width: int
    height: int
    duration: int
    error_msg: str | None = None
    board_task_id: str | None = None


@dataclass(frozen=True)
class TaskScript:
    """How the next submitted task lives and ends (see ``TopviewSimulator.script_next_task``).

    ``statuses`` replaces the init/running phase with the statuses TopView may send (None: JSON null);
    ``final_status`` replaces success/fail once finished; the ``*_fields`` override query result fields
    while running or once finished, for answers of the wrong shape.
    """

    outcome: Outcome = "success"
    error_msg: str | None = None
    failed_videos: tuple[int, ...] = ()
    statuses: tuple[str | None, ...] | None = None
    repeat_last: bool = False
    final_status: str | None = None
    running_fields: dict[str, Any] | None = None
    final_fields: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.outcome not in ("success", "fail", "partial"):
            raise ValueError("outcome must be 'success', 'fail' or 'partial'")
        if self.statuses is not None and not all(s is None or isinstance(s, str) for s in self.statuses):
            raise TypeError("statuses must be strings or None")
        if self.repeat_last and not self.statuses:
            raise ValueError("repeat_last needs at least one status in statuses")
        for name in ("running_fields", "final_fields"):
            fields = getattr(self, name)
            if fields is None:
                continue
            if not all(isinstance(key, str) for key in fields):
                raise TypeError(f"{name}: keys must be strings")
            try:
                json.dumps(fields)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be JSON-serialisable: {exc}") from exc


@dataclass
class TaskRecord:
    """A generation task. ``status`` is what the last query answered (None: JSON null); ``finished``
    says whether the task has ended, which a scripted status alone does not tell. ``cost`` is what the
    API reports as ``costCredit`` (None until finished)."""

    task_id: str
    request: SubmitRequest
    script: TaskScript
    estimated_cost: float
    polls_to_finish: int | None
    due_at: float | None
    status: str | None = "init"
    error_msg: str | None = None
    cost: float | None = None
    polls: int = 0
    videos: list[VideoRecord] = field(default_factory=list)
    finished: bool = False
    #: The submit answer's ``noticeUuid`` (with a ``noticeUrl``), which the callback's ``uuid`` repeats.
    notice_uuid: str | None = None

    @property
    def body(self) -> dict[str, Any]:
        """The submit body as received."""
        return self.request.body

    @property
    def task_type(self) -> str:
        """The key of its task type: ``image2video``, ``text2video`` or ``omni_reference``."""
        return self.request.task_type


def new_id() -> str:
    return uuid.uuid4().hex


def video_size(resolution: int, aspect_ratio: str | None) -> tuple[int, int]:
    """(width, height) with ``resolution`` as the short side: 720 & 16:9 -> 1280x720, 9:16 swaps."""
    try:
        w_text, h_text = (aspect_ratio or DEFAULT_ASPECT_RATIO).split(":")
        ratio_w, ratio_h = int(w_text), int(h_text)
        if ratio_w <= 0 or ratio_h <= 0:
            raise ValueError(aspect_ratio)
    except ValueError:
        ratio_w, ratio_h = 16, 9
    long_side = 2 * round(resolution * max(ratio_w, ratio_h) / min(ratio_w, ratio_h) / 2)
    return (long_side, resolution) if ratio_w >= ratio_h else (resolution, long_side)


def poll(task: TaskRecord, now: float) -> bool:
    """Count one query of an unfinished task; True when this query finishes it."""
    task.polls += 1
    if task.finished:
        return False
    statuses = task.script.statuses
    if statuses is not None:  # scripted: neither polls_to_finish nor seconds_to_finish apply
        if task.polls <= len(statuses):
            task.status = statuses[task.polls - 1]
            return False
        if task.script.repeat_last:
            task.status = statuses[-1]
            return False
        return True
    due = task.due_at is not None and task.due_at <= now
    if due or (task.polls_to_finish is not None and task.polls >= task.polls_to_finish):
        return True
    task.status = "running"
    return False


def is_due(task: TaskRecord, now: float) -> bool:
    """A time-based task whose time has come."""
    return not task.finished and task.due_at is not None and task.due_at <= now


def complete(task: TaskRecord) -> float:
    """End the task as scripted; returns the credits to charge (failed videos are free)."""
    request, script = task.request, task.script
    task.finished = True
    if script.outcome == "fail":
        task.status, task.error_msg, task.cost = "fail", script.error_msg or DEFAULT_TASK_ERROR, 0.0
        if script.final_status is not None:
            task.status = script.final_status
        return 0.0
    width, height = video_size(request.resolution, request.aspect_ratio)
    failed = set(script.failed_videos) if script.outcome == "partial" else set()
    task.videos = [
        VideoRecord(
            index=i,
            status="fail" if i in failed else "success",
            width=width,
            height=height,
            duration=request.duration,
            error_msg=(script.error_msg or DEFAULT_TASK_ERROR) if i in failed else None,
            board_task_id=new_id() if request.board_id else None,
        )
        for i in range(request.generating_count)
    ]
    made = sum(1 for video in task.videos if video.status == "success")
    task.status = "success" if script.final_status is None else script.final_status
    task.cost = round(task.estimated_cost * made / request.generating_count, 4)
    return task.cost


def query_result(task: TaskRecord, signer: UrlSigner, base_url: str) -> dict[str, Any]:
    """The ``result`` of a query answer (and of a callback), with freshly signed video URLs and the
    script's field overrides for the task's phase."""
    now = time.time()
    result = {
        "taskId": task.task_id,
        "status": task.status,
        "errorMsg": task.error_msg,
        "costCredit": task.cost,
        "boardId": task.request.board_id,
        "videos": [
            {
                "filePath": (
                    signer.video_url(base_url, task.task_id, video.index, now)
                    if video.status == "success"
                    else None
                ),
                "width": video.width,
                "height": video.height,
                "status": video.status,
                "errorMsg": video.error_msg,
                "boardTaskId": video.board_task_id,
                "duration": video.duration,
            }
            for video in task.videos
        ],
    }
    overrides = task.script.final_fields if task.finished else task.script.running_fields
    if overrides:
        result.update(copy.deepcopy(overrides))
    return result


def notice_payload(task: TaskRecord, signer: UrlSigner, base_url: str) -> dict[str, Any]:
    """The body TopView POSTs to ``noticeUrl`` when the task ends; ``uuid`` is the submit's ``noticeUuid``,
    ``bizType`` the task type's (:data:`BIZ_TYPES`)."""
    return {
        "uuid": task.notice_uuid or str(uuid.uuid4()),
        "bizType": BIZ_TYPES.get(task.task_type, BIZ_TYPES[IMAGE_TO_VIDEO.key]),
        "taskId": task.task_id,
        "status": task.status,
        "errorMsg": task.error_msg,
        "result": query_result(task, signer, base_url),
    }
