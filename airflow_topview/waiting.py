"""Waiting for a TopView task: the final event's shape, and what a finished task means for the Airflow task.

Every waiting path (trigger, sensor pokes, the operator's polling) polls through :class:`StatusWatch`
and ends with the same typed event (:class:`WaitEvent`), which :func:`read_event` checks on the resuming
worker and :func:`result_from_event` turns into the XCom value or the failure: one set of rules for all.
A trigger's event leaves the finished task out (its video URLs are signed); the resumed worker reads it
first (:func:`airflow_topview.deferral.resumed_event`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from airflow_topview import metrics, settings
from airflow_topview.client.input_rules import shown
from airflow_topview.client.retries import is_retryable
from airflow_topview.client.task_types import IMAGE_TO_VIDEO
from airflow_topview.exceptions import (
    TopviewError,
    TopviewTaskFailedError,
    TopviewWaitEventError,
    TopviewWaitTimeout,
)
from airflow_topview.settings import require_task_id as require_task_id  # where it lived before

if TYPE_CHECKING:
    from collections.abc import Callable

    from airflow.sdk.types import Logger

    from airflow_topview.client.request import ImageToVideoTask
    from airflow_topview.client.task_types import TaskType
    from airflow_topview.hooks.topview import TopviewHook


class WaitStatus(StrEnum):
    """How a wait ended."""

    SUCCESS = "success"  # the task finished; ``result`` holds it (not in a trigger's event: signed URLs)
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
    task_type: NotRequired[str]  # a trigger's event: the endpoint it waited at


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
    if "result" in event and not isinstance(event["result"], dict):  # a trigger's success has none
        raise TopviewWaitEventError(
            f"The TopView wait's {status!r} event for task {task_id} has an odd result"
        )
    return event  # type: ignore[return-value]


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
    """What one wait has seen of a task: decides each poll, and keeps the task log posted, not flooded.

    A status change is logged at once (an unknown one as such); while it holds, one line per
    ``progress_interval`` s (None: ``[topview] progress_interval``) with the time since the first poll
    (``clock``: monotonic seconds). The worker, the sensor and the trigger all poll through :meth:`decide`.
    """

    def __init__(
        self,
        topview_task_id: str,
        log: Logger,
        task_type: TaskType = IMAGE_TO_VIDEO,
        *,
        progress_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.topview_task_id, self.log, self.task_type, self.clock = topview_task_id, log, task_type, clock
        every = settings.progress_interval() if progress_interval is None else progress_interval
        self.progress_interval, self.polls, self.said = every, 0, ""  # said: the last status line's status
        self.started = self.logged_at = 0.0  # the clock at the first poll and at the last status line
        self.last_status: str | None = None

    def decide(self, task: ImageToVideoTask | None, error: BaseException | None = None) -> WaitEvent | None:
        """The final event, or None: keep polling (running, unknown status, or a transient error)."""
        self.polls += 1
        now = self.clock()
        self.started = now if self.polls == 1 else self.started
        if task is None:
            if is_retryable(error or Exception()):
                self.log.warning(
                    "Polling TopView task %s failed, will poll again: %s", self.topview_task_id, error
                )
                return None
            return make_event(
                WaitStatus.ERROR, self.topview_task_id, message=str(error), code=getattr(error, "code", None)
            )
        self._report(task, now, f"{_duration(now - self.started)} in")
        self.last_status = task.status
        return event_for(task)

    def _report(self, task: ImageToVideoTask, now: float, since: str) -> None:
        """A line for each status change, else one per ``progress_interval``; never the task's URLs."""
        name = f"TopView {self.task_type.label} task {self.topview_task_id}"
        said = shown(task.status, 60) if task.state == "unknown" else str(task.status)
        if not self.said or task.status != self.last_status:
            was = f" (was {self.said}), {since}" if self.said else ""
            unknown = ", which this provider does not know; polling on" if task.state == "unknown" else ""
            (self.log.warning if unknown else self.log.info)("%s is %s%s%s", name, said, unknown, was)
        elif now - self.logged_at >= self.progress_interval:
            self.log.info("%s is still %s, %s (%d polls)", name, said, since, self.polls)
        else:
            return
        self.logged_at, self.said = now, said

    def timeout_event(self) -> WaitEvent:
        return make_event(
            WaitStatus.TIMEOUT,
            self.topview_task_id,
            message="the task did not finish in time",
            last_status=self.last_status,
        )


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


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
        if "result" not in checked:  # a trigger's event: deferral.resumed_event reads the task first
            raise TopviewWaitEventError(f"TopView task {topview_task_id} succeeded, but was not read again")
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
