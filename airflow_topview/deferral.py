"""How a TopView wait leaves and re-enters Airflow: the deferral floor, and success ended in the triggerer.

Airflow 3.3 has an open race between a deferral and the resume that follows it: the worker's exit after
``defer()`` is reported to the scheduler as "success", and when the trigger fires and the task is resumed
before the scheduler drained that report, the resumed try is killed ("finished with state success, but
the task instance's state attribute is running"; apache/airflow#66374, #67287, #72716; fixed for the
scheduled and queued states by #66431 and #68741, the running state still open in #71579 / #72767). Two
rules keep a batch out of it:

- **A floor.** No event that resumes the task on a worker fires sooner than ``[topview] min_deferral``
  seconds (default 10, well above the scheduler's event lag) after the task deferred: busy (4007) waits
  and every wait that ends in a failure, a timeout or an error.
- **Success ends in the triggerer.** A wait that succeeds ends the task from the triggerer
  (:class:`WaitSucceeded`, Airflow's ``TaskSuccessEvent``) with the XComs the worker would have pushed:
  no resumed try exists for the stale report to kill, no second workload runs, and a pool slot is freed
  at once. Tasks whose success must run on a worker (outlets, whose asset events only a worker emits; an
  active OpenLineage listener, which reports only from workers) resume there as before.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from airflow.providers.common.compat.sdk import XCom
from airflow.triggers.base import TaskSuccessEvent, TriggerEvent

from airflow_topview.links import LINK_XCOM_KEY, VIDEO_LINKS, link_xcoms, show_videos, video_link

if TYPE_CHECKING:
    from airflow.sdk.types import Logger

    from airflow_topview.client.task_types import TaskType
    from airflow_topview.hooks.topview import TopviewHook
    from airflow_topview.waiting import WaitEvent

#: Seconds between a deferral and the earliest event that resumes the task on a worker.
MIN_DEFERRAL = 10.0
#: Seconds the trigger gives its XCom writes before it lets a worker finish the task instead.
XCOM_PUSH_TIMEOUT = 60.0
#: XCom key under which Airflow stores the first "TopView video" extra link (``BaseOperatorLink.xcom_key``).
EXTRA_LINK_XCOM_KEY = VIDEO_LINKS[0].xcom_key


def min_deferral() -> float:
    """``[topview] min_deferral`` in seconds; a value that is not a finite number >= 0 fails the task."""
    from airflow_topview.settings import config_seconds

    return config_seconds("min_deferral", MIN_DEFERRAL, positive=False)


def not_before() -> float:
    """The earliest UNIX time at which a wait deferred now may resume its task on a worker."""
    return time.time() + min_deferral()


class EndInTriggerer(TypedDict):
    """What a trigger needs to end its task itself on success (JSON-safe: stored with the trigger)."""

    returns: Literal["task_id", "result"]  # the XCom return_value: submit operator / sensor
    fail_on_partial: bool
    model: str | None
    estimated_credits: float | None


def can_end_in_triggerer(task: Any) -> bool:
    """Whether a success needs nothing that only a worker does (asset events, OpenLineage reports)."""
    if getattr(task, "outlets", None):
        return False
    return not _openlineage_active()


def _openlineage_active() -> bool:
    try:
        from airflow.providers.openlineage.conf import is_disabled
    except ImportError:  # the OpenLineage provider is not installed
        return False
    try:
        return not is_disabled()
    except Exception:  # a broken OpenLineage setup: resume on the worker, as before
        return True


def success_xcoms(
    result: dict[str, Any],
    topview_task_id: str,
    returns: Literal["task_id", "result"],
    *,
    on_worker: bool = False,
) -> dict[str, Any]:
    """The XComs a successful wait leaves, whoever ends the task (worker or triggerer).

    ``on_worker``: without ``return_value`` (the method returns it) and the extra links' own keys (Airflow
    stores them when a worker's try ends: :func:`finish_on_worker`).
    """
    link = video_link(result)
    xcoms: dict[str, Any] = {}
    if not on_worker:
        xcoms["return_value"] = topview_task_id if returns == "task_id" else result
    if returns == "task_id":
        xcoms["result"] = result
    if link:
        xcoms[LINK_XCOM_KEY] = link
    if not on_worker:
        xcoms.update(link_xcoms(result))
    return xcoms


def finish_on_worker(
    task: Any, ti: Any, result: dict[str, Any], topview_task_id: str, returns: Literal["task_id", "result"]
) -> None:
    """A successful wait ending on a worker: push its XComs, and link its videos when the try ends."""
    for key, value in success_xcoms(result, topview_task_id, returns, on_worker=True).items():
        ti.xcom_push(key=key, value=value)
    show_videos(task, result)


class WaitEnded(TriggerEvent):
    """A wait's final event that resumes the task on a worker: the outcome, never the finished task.

    The finished task's video URLs are signed, and an event is stored in the metadata DB and printed by
    Airflow (the triggerer's "Trigger fired event" line, ``TriggerEvent``'s own form wherever Airflow
    rebuilds it): the payload leaves ``result`` out, and the resumed task reads the task once
    (:func:`resumed_event`).
    """

    def __init__(self, wait_event: WaitEvent, task_type: str) -> None:
        payload = {key: value for key, value in wait_event.items() if key != "result"}
        super().__init__({**payload, "task_type": task_type})  # type: ignore[no-untyped-call]

    def __repr__(self) -> str:
        payload = self.payload if isinstance(self.payload, dict) else {}
        return f"WaitEnded<TopView task {payload.get('topview_task_id')}: {payload.get('status')}>"

    __str__ = __repr__


def resumed_event(event: Any, hook: TopviewHook, task_type: TaskType, log: Logger) -> WaitEvent:
    """The final event a resumed task goes on with, checked; a success as the trigger sends it, with one
    read-only query for the finished task (through ``hook``, with its retries), at the endpoint the
    trigger waited at (``task_type`` when the event does not say).

    An event that holds its ``result`` is used as it is: one made on this worker, or one stored by an
    earlier release of this provider. A query that fails after the hook's retries fails the try (a
    transient error leaves it to Airflow's retries: on 3.3+ the journal reuses the task, on earlier
    versions the retry fails as uncertain; only ``durable=False`` would submit again, as it always does).
    """
    from airflow_topview.client.task_types import task_type_of
    from airflow_topview.exceptions import TopviewError, TopviewWaitEventError
    from airflow_topview.waiting import WaitStatus, event_for, read_event

    checked = read_event(event)
    if checked["status"] != WaitStatus.SUCCESS or "result" in checked:
        return checked
    topview_task_id = checked["topview_task_id"]
    if "task_type" in checked:
        task_type = task_type_of(checked["task_type"])
    try:
        task = hook.get_task(task_type, topview_task_id)
    except TopviewError as exc:
        log.error("TopView task %s succeeded, but reading its videos failed: %s", topview_task_id, exc)
        raise
    finished = event_for(task)
    if finished is None:
        raise TopviewWaitEventError(
            f"TopView task {topview_task_id} succeeded in the trigger, but now reads as {task.status!r}"
        )
    return finished


class WaitSucceeded(TaskSuccessEvent):
    """Ends the task as succeeded from the triggerer; its XComs were pushed before (:func:`push_xcoms`).

    Printed as the TopView task and its video count, never the signed video URLs.
    """

    def __init__(self, topview_task_id: str, videos: int) -> None:
        super().__init__()
        self._summary = f"WaitSucceeded<TopView task {topview_task_id}: success, {videos} video(s)>"

    def __repr__(self) -> str:
        return self._summary

    __str__ = __repr__


async def push_xcoms(task_instance: Any, xcoms: dict[str, Any]) -> None:
    """Push a task's XComs from its trigger, the way a worker pushes them (through the execution API).

    Not through ``TaskSuccessEvent(xcoms=...)``: Airflow 3.3.2 stores those JSON-encoded twice, so a
    downstream task would read ``'"abc"'`` for ``"abc"`` and a string for a dict. The calls run in a
    thread: the SDK's XCom calls are synchronous, and the triggerer's event loop must not wait on them.
    """
    where = {
        "dag_id": task_instance.dag_id,
        "task_id": task_instance.task_id,
        "run_id": task_instance.run_id,
        "map_index": task_instance.map_index,
    }

    def push_all() -> None:
        for key, value in xcoms.items():
            XCom.set(key, value, **where)

    # Bounded: a triggerer that never answers must not hold the wait; the worker then finishes the task.
    await asyncio.wait_for(asyncio.to_thread(push_all), timeout=XCOM_PUSH_TIMEOUT)
