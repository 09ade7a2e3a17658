"""Waiting for a TopView task: the final event's shape, and what a finished task means for the Airflow task.

Every waiting path (trigger events, sensor pokes, the operator's own polling) turns a task into the same
typed event (:class:`WaitEvent`): the trigger yields it, the resuming worker reads it back
(``execute_complete``) through :func:`read_event`, the one place that checks what arrives, and
:func:`result_from_event` turns it into the XCom value or the failure. One set of rules for the sensor,
the operator and the trigger.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from airflow_topview import metrics
from airflow_topview.client.input_rules import MISSING_VALUE_TEXTS, shown
from airflow_topview.client.retries import is_retryable
from airflow_topview.client.task_types import IMAGE_TO_VIDEO
from airflow_topview.exceptions import (
    RequestValidationError,
    TopviewError,
    TopviewTaskFailedError,
    TopviewWaitEventError,
    TopviewWaitTimeout,
)

if TYPE_CHECKING:
    from airflow.sdk.types import Logger

    from airflow_topview.client.request import ImageToVideoTask
    from airflow_topview.client.task_types import TaskType
    from airflow_topview.hooks.topview import TopviewHook


class WaitStatus(StrEnum):
    """How a wait ended."""

    SUCCESS = "success"  # the task finished; ``result`` holds it
    FAIL = "fail"  # TopView reports the task failed (or ended without a video); ``message`` says why
    TIMEOUT = "timeout"  # the deadline passed while it ran; ``last_status`` is what it was
    ERROR = "error"  # a permanent error while polling; ``message`` and ``code``
    GONE = "gone"  # TopView no longer knows the task (an earlier try's task, checked on retry)


class WaitEvent(TypedDict):
    """The payload of a wait's final event (JSON-safe: it travels through the metadata DB)."""

    status: str
    topview_task_id: str
    result: NotRequired[dict[str, Any]]
    message: NotRequired[str]
    code: NotRequired[str | None]
    last_status: NotRequired[str | None]


def make_event(status: WaitStatus, topview_task_id: str, **payload: Any) -> WaitEvent:
    """A final event; the status is stored as its plain string value."""
    return {"status": status.value, "topview_task_id": topview_task_id, **payload}  # type: ignore[typeddict-item]


def read_event(event: Any) -> WaitEvent:
    """The event a resumed task received, checked: a malformed one is a provider error, not a KeyError."""
    if not isinstance(event, dict):
        raise TopviewWaitEventError(
            f"The TopView wait ended with an event that is not a dict: {event!r:.200}"
        )
    status, task_id = event.get("status"), event.get("topview_task_id")
    if status not in set(WaitStatus):
        raise TopviewWaitEventError(
            f"The TopView wait ended with an unknown or missing status {status!r} "
            f"(expected one of {', '.join(WaitStatus)}); this is a provider error, please report it"
        )
    if not isinstance(task_id, str) or not task_id:
        raise TopviewWaitEventError(
            f"The TopView wait's {status!r} event carries no topview_task_id; this is a provider error"
        )
    if status == WaitStatus.SUCCESS and not isinstance(event.get("result"), dict):
        raise TopviewWaitEventError(f"The TopView wait's success event for task {task_id} carries no result")
    return event  # type: ignore[return-value]


_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,255}")


def require_task_id(value: Any, parameter: str = "topview_task_id") -> str:
    """The rendered task id (surrounding whitespace dropped), or a failure naming what was given instead.

    TopView's ids are 32 hex characters; taken are letters, digits and ``- _ . :``, up to 256 of them.
    Refused: anything but text, line breaks or spaces inside, and the ``None``/``null`` a template of a
    missing XCom renders, which would otherwise be queried (and waited for) as a task.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise RequestValidationError(f"{parameter} must be a TopView task id (text), got {shown(value)}")
    if text in MISSING_VALUE_TEXTS or not _TASK_ID.fullmatch(text):
        raise RequestValidationError(
            f"{parameter} must be a TopView task id (letters, digits, - _ . : and at most 256 of them; a "
            f"template of a missing XCom renders 'None'), got {shown(value)}"
        )
    return text


def event_for(task: ImageToVideoTask) -> WaitEvent | None:
    """The final event for a finished task, or None while it is still running (or in an unknown status)."""
    if task.state == "success" and not task.videos:
        message = f"TopView reported the task as {task.status!r} but returned no video"
        return make_event(WaitStatus.FAIL, task.task_id, message=message, result=task.to_xcom())
    if task.state == "success":
        return make_event(WaitStatus.SUCCESS, task.task_id, result=task.to_xcom())
    if task.state == "fail":
        reason = task.error_msg or "no reason given"
        message = reason if task.status in (None, "fail") else f"{task.status}: {reason}"
        return make_event(WaitStatus.FAIL, task.task_id, message=message, result=task.to_xcom())
    return None


class StatusWatch:
    """What one wait has seen of a task: logs each status once (unknown ones as such), decides each poll.

    The sync loop, the sensor and the trigger all poll through :meth:`decide`, so they agree on what an
    answer (or an error) means and on what the deadline reports.
    """

    def __init__(self, topview_task_id: str, log: Logger, task_type: TaskType = IMAGE_TO_VIDEO) -> None:
        self.topview_task_id = topview_task_id
        self.log = log
        self.task_type = task_type
        self.last_status: str | None = None
        self.polls = 0

    def decide(self, task: ImageToVideoTask | None, error: BaseException | None = None) -> WaitEvent | None:
        """The final event, or None: keep polling (running, unknown status, or a transient error)."""
        self.polls += 1
        if task is None:
            if is_retryable(error or Exception()):
                self.log.warning(
                    "Polling TopView task %s failed, will poll again: %s", self.topview_task_id, error
                )
                return None
            return make_event(
                WaitStatus.ERROR, self.topview_task_id, message=str(error), code=getattr(error, "code", None)
            )
        if self.polls == 1 or task.status != self.last_status:  # one line per change: a triggerer runs many
            if task.state == "unknown":
                self.log.warning(
                    "TopView task %s reports status %r, which this provider does not know; polling on",
                    self.topview_task_id,
                    task.status,
                )
            else:
                self.log.info("TopView task %s is %s", self.topview_task_id, task.status)
        self.last_status = task.status
        return event_for(task)

    def timeout_event(self) -> WaitEvent:
        return make_event(
            WaitStatus.TIMEOUT,
            self.topview_task_id,
            message="the task did not finish in time",
            last_status=self.last_status,
        )


def poll_once(hook: TopviewHook, watch: StatusWatch) -> WaitEvent | None:
    """One synchronous status check: the final event, or None while running or after a transient error."""
    try:
        task = hook.get_task(watch.task_type, watch.topview_task_id)
    except TopviewError as exc:
        return watch.decide(None, exc)
    return watch.decide(task)


def timeout_message(topview_task_id: str, last_status: str | None = None) -> str:
    from airflow_topview.client.request import ImageToVideoTask

    still = "running"
    if last_status is not None:
        known = ImageToVideoTask(task_id=topview_task_id, status=last_status).state != "unknown"
        still = repr(last_status) if known else f"{last_status!r} (a status this provider does not know)"
    return (
        f"Gave up waiting for TopView task {topview_task_id}: it was still {still} at the deadline. "
        "TopView has no cancel call, so the video may still complete (and be billed); look it up later "
        f"with ImageToVideoSensor(topview_task_id={topview_task_id!r}) or in the TopView web app."
    )


def result_from_event(
    event: Any,
    *,
    fail_on_partial: bool,
    log: Logger,
    model: str | None = None,
    estimated_credits: float | None = None,
    from_submit: bool = False,
) -> dict[str, Any]:
    """The finished task for XCom; a failed task raises TopviewTaskFailedError, a late one a timeout."""
    checked = read_event(event)
    status, topview_task_id = checked["status"], checked["topview_task_id"]
    if status == WaitStatus.SUCCESS:
        verdict = judge_success(checked["result"], fail_on_partial=fail_on_partial)
        if verdict.fails_task:
            raise TopviewTaskFailedError(verdict.failed_summary)
        report_success(
            verdict, log, model=model, estimated_credits=estimated_credits, from_submit=from_submit
        )
        return verdict.result
    if status == WaitStatus.FAIL:
        raise TopviewTaskFailedError(f"TopView task {topview_task_id} failed: {checked.get('message')}")
    if status == WaitStatus.TIMEOUT:
        raise TopviewWaitTimeout(timeout_message(topview_task_id, checked.get("last_status")))
    raise TopviewTaskFailedError(
        f"Waiting for TopView task {topview_task_id} failed: {checked.get('message')}"
    )


@dataclass(frozen=True)
class SuccessVerdict:
    """A succeeded TopView task: its XCom ``result``, and whether its failed videos fail the task."""

    task_id: str
    result: dict[str, Any]  # with ``failedVideos`` when some videos failed
    videos: int
    cost_credit: float | None
    failed_summary: str | None
    fails_task: bool


def judge_success(result: dict[str, Any], *, fail_on_partial: bool) -> SuccessVerdict:
    """The one rule for a succeeded task, wherever the wait ends (worker or triggerer)."""
    from airflow_topview.client.request import ImageToVideoTask

    task = ImageToVideoTask.model_validate(result)
    failed = [
        {"index": index, "errorMsg": video.error_msg}
        for index, video in enumerate(task.videos)
        if not video.succeeded
    ]
    summary = None
    if failed:
        summary = (
            f"{len(failed)} of {len(task.videos)} videos of TopView task {task.task_id} failed: "
            + "; ".join(f"video {item['index']}: {item['errorMsg'] or 'no reason given'}" for item in failed)
        )
    return SuccessVerdict(
        task_id=task.task_id,
        result={**result, "failedVideos": failed} if failed else result,
        videos=len(task.videos) - len(failed),
        cost_credit=task.cost_credit,
        failed_summary=summary,
        fails_task=bool(failed) and (fail_on_partial or len(failed) == len(task.videos)),
    )


def report_success(
    verdict: SuccessVerdict,
    log: Logger,
    *,
    model: str | None,
    where: Any = None,
    estimated_credits: float | None = None,
    from_submit: bool = False,
) -> None:
    """The log lines and the ``credits_charged`` metric of an accepted success (once per task)."""
    log.info(
        "TopView task %s succeeded: %d video(s), cost %s credits",
        verdict.task_id,
        verdict.videos,
        verdict.cost_credit,
    )
    if verdict.failed_summary:
        log.warning(verdict.failed_summary)
    if from_submit:
        log.info("TopView charged %s credits (estimated %s)", verdict.cost_credit, estimated_credits)
    if verdict.cost_credit:
        metrics.count(metrics.CREDITS_CHARGED, verdict.cost_credit, model=model, where=where)


def poll_until_done(
    hook: TopviewHook,
    topview_task_id: str,
    log: Logger,
    poll_interval: float,
    timeout: float,
    task_type: TaskType = IMAGE_TO_VIDEO,
) -> WaitEvent:
    """Wait on the worker (not deferrable): poll until the task finishes or ``timeout`` passes."""
    watch = StatusWatch(topview_task_id, log, task_type)
    deadline = time.monotonic() + timeout
    while True:
        event = poll_once(hook, watch)
        if event is not None:
            return event
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return watch.timeout_event()
        time.sleep(min(poll_interval, remaining))
