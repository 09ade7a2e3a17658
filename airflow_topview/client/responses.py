"""What TopView answers: submit, task status, credits, upload credentials (pydantic, camelCase in and out).

Results accept camelCase and dump camelCase, so XCom carries TopView's own field names; unknown fields
are kept (TopView adds fields often) and fields TopView leaves null while a task runs are tolerated.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from airflow_topview.exceptions import TopviewConnectionError

SUCCESS_STATUSES = frozenset({"success", "succeeded", "completed"})
FAILED_STATUSES = frozenset({"fail", "failed", "error"})
# Terminal statuses other clients have met: the task will not produce a video.
ENDED_STATUSES = frozenset({"cancelled", "canceled", "expired"})
# Statuses of a task that is still on its way (null: TopView has not filled the field in yet).
PENDING_STATUSES = frozenset({"init", "running", "queued", "waiting", "processing", "pending"})


class _TopviewResult(BaseModel):
    """Base of API results: camelCase in and out, unknown fields kept (TopView adds fields often)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def to_xcom(self) -> dict[str, Any]:
        """JSON-safe dict with TopView's own field names."""
        return self.model_dump(mode="json", by_alias=True)


class SubmitResult(_TopviewResult):
    """What submit answers: the new task id and its acceptance status."""

    task_id: str = Field(min_length=1)
    status: str | None = None
    error_msg: str | None = None
    notice_uuid: str | None = None


class Video(_TopviewResult):
    """One generated video of a task (a task makes ``generatingCount`` of them)."""

    file_path: str | None = None
    width: int | None = None
    height: int | None = None
    status: str | None = None
    error_msg: str | None = None
    board_task_id: str | None = None
    duration: float | None = None

    @property
    def succeeded(self) -> bool:
        return bool(self.file_path) and (self.status is None or self.status.lower() in SUCCESS_STATUSES)


class ImageToVideoTask(_TopviewResult):
    """A task as the query call returns it; fields TopView leaves null while the task runs are tolerated."""

    task_id: str
    status: str | None = None
    error_msg: str | None = None
    cost_credit: float | None = None
    board_id: str | None = None
    videos: list[Video] = Field(default_factory=list)

    @field_validator("videos", mode="before")
    @classmethod
    def _no_videos_yet(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("cost_credit", mode="before")
    @classmethod
    def _credits_as_number(cls, value: Any) -> Any:
        """A number, its text (``"12.5"``), or None for anything else: the cost is informative only."""
        if isinstance(value, bool):
            return None
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                return None
        return value if isinstance(value, (int, float)) else None

    @property
    def state(self) -> Literal["success", "fail", "pending", "unknown"]:
        """Collapse TopView's status spellings into the states a waiter acts on.

        ``unknown`` is a status this provider has not met: polling goes on, and the wait says so.
        """
        status = (self.status or "").strip().lower()
        if status in SUCCESS_STATUSES:
            return "success"
        if status in FAILED_STATUSES or status in ENDED_STATUSES:
            return "fail"
        if not status or status in PENDING_STATUSES:
            return "pending"
        return "unknown"

    @property
    def failed_videos(self) -> list[Video]:
        return [video for video in self.videos if not video.succeeded]

    def same_video(self, video: Video, position: int, *, complete: bool) -> Video | None:
        """This task's entry for ``video`` (from an earlier answer about the task), e.g. with a fresh URL.

        A video is known by its ``boardTaskId``, else by its URL without the query (the signature changes,
        the object does not); its position counts only when ``complete`` says the earlier answer listed
        every video (a caller may hold a subset, such as the videos a reviewer kept).
        """
        if video.board_task_id:
            return next((fresh for fresh in self.videos if fresh.board_task_id == video.board_task_id), None)
        place = _url_without_query(video.file_path)
        if place:
            found = [fresh for fresh in self.videos if _url_without_query(fresh.file_path) == place]
            if len(found) == 1:
                return found[0]
        if complete and position < len(self.videos):
            return self.videos[position]
        return None


def _url_without_query(url: str | None) -> str:
    return (url or "").split("?", 1)[0].split("#", 1)[0]


def problems(exc: ValidationError) -> str:
    """A result's validation errors in one line: where, and what (never the values)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'result'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False)
    )


def task_from_answer(result: Any) -> ImageToVideoTask:
    """The task from a status answer; an answer that does not read as a task is a transient error.

    Polling goes on after it (until the wait's deadline): a half-written or odd answer is not a verdict.
    """
    try:
        return ImageToVideoTask.model_validate(result)
    except ValidationError as exc:
        raise TopviewConnectionError(
            f"TopView's task status answer is unreadable ({problems(exc)})"
        ) from None


class CreditDetail(_TopviewResult):
    """The account's credit balance (``GET /user/credit/detail``)."""

    remain_credit: float | None = None


class UploadCredential(_TopviewResult):
    """Where to PUT a file's bytes, and the file id it will have."""

    file_id: str
    upload_url: str
    file_name: str | None = None
