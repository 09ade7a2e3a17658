"""ImageToVideoTrigger: waits for a TopView task in the triggerer, so no worker slot is held.

The trigger only polls (GET); the paid submit always runs on the worker before deferring, so a triggerer
restart repeats harmless queries, never a submit. Everything the trigger needs is imported with this
module, never inside ``run()``: an import on the triggerer's event loop would block every other trigger.
Operators import this module only when they defer.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import Stats, conf  # noqa: F401 (loaded before the event loop runs)
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_topview.client.redaction import NO_SECRETS
from airflow_topview.client.task_types import IMAGE_TO_VIDEO, task_type_of
from airflow_topview.deferral import (
    EndInTriggerer,
    WaitEnded,
    WaitSucceeded,
    can_end_in_triggerer,
    not_before,
    push_xcoms,
    success_xcoms,
)
from airflow_topview.exceptions import TopviewError
from airflow_topview.hooks.topview_async import TopviewAsyncHook
from airflow_topview.settings import PROGRESS_INTERVAL, progress_interval
from airflow_topview.waiting import (
    StatusWatch,
    WaitEvent,
    WaitStatus,
    judge_success,
    make_event,
    report_success,
    require_task_id,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable


class ImageToVideoTrigger(BaseTrigger):
    """Poll a TopView task (of its ``task_type``) until it finishes, fails, or the deadline passes.

    Yields exactly one event. With ``end_task`` set, a success that needs no worker ends the task here
    (:class:`~airflow_topview.deferral.WaitSucceeded`, pushing the XComs the worker would push); every other
    outcome resumes the task on a worker with a dict holding ``status``, ``topview_task_id`` and
    ``task_type``, never sooner than ``not_before`` (the floor against Airflow's defer race,
    :mod:`airflow_topview.deferral`):

    - ``success``: the task finished; the event leaves it out, as its video URLs are signed and an event is
      stored and printed by Airflow: the resumed task reads it once (``deferral.resumed_event``);
    - ``fail``: ``message`` holds TopView's ``errorMsg``;
    - ``timeout``: the deadline passed while the task was still running (``last_status``: what it was);
    - ``error``: a permanent API error (``message``, ``code``), or an unexpected failure of the wait.

    Transient errors and unreadable answers while polling are logged and polling goes on; statuses this
    provider does not know are logged once and polled on; ``cancelled``/``expired`` end the wait as ``fail``.
    The task log gets a line per status change and, while the status holds, one every ``[topview]
    progress_interval`` seconds (the triggerer's setting) with the time since this trigger's first poll: a
    trigger picked up again by another triggerer counts from there. ``progress_clock`` (monotonic seconds)
    is the clock of those lines, replaced in tests.

    :param topview_task_id: the TopView task to wait for.
    :param topview_conn_id: the ``topview`` connection (only its id is stored, never the key).
    :param end_time: deadline as a UNIX timestamp; None: ``timeout`` seconds after the trigger starts (a
        task that starts in the triggerer, whose kwargs are fixed when the DAG is parsed).
    :param poll_interval: seconds between queries.
    :param max_poll_interval: when set, the interval grows by half each poll up to this many seconds.
    :param hook_params: keyword arguments for :class:`TopviewAsyncHook` (JSON-safe).
    :param not_before: UNIX time before which no event resumes the task on a worker.
    :param end_task: how to end the task here on success (None: always resume on a worker).
    :param timeout: with ``end_time=None``, the longest wait in seconds.
    :param task_type: the kind of TopView task (``image2video``, the default: triggers stored by earlier
        releases carry none).
    """

    def __init__(
        self,
        topview_task_id: str,
        end_time: float | None,
        topview_conn_id: str = "topview_default",
        poll_interval: float = 10.0,
        max_poll_interval: float | None = None,
        hook_params: dict[str, Any] | None = None,
        not_before: float | None = None,
        end_task: EndInTriggerer | None = None,
        timeout: float | None = None,
        task_type: str = IMAGE_TO_VIDEO.key,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.topview_task_id = topview_task_id
        self.end_time = end_time
        self.topview_conn_id = topview_conn_id
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.hook_params = hook_params or {}
        self.not_before = not_before
        self.end_task = end_task
        self.timeout = timeout
        self.task_type = task_type
        self.progress_clock: Callable[[], float] = time.monotonic

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "topview_task_id": self.topview_task_id,
                "end_time": self.end_time,
                "topview_conn_id": self.topview_conn_id,
                "poll_interval": self.poll_interval,
                "max_poll_interval": self.max_poll_interval,
                "hook_params": self.hook_params,
                "not_before": self.not_before,
                "end_task": self.end_task,
                "timeout": self.timeout,
                "task_type": self.task_type,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        event = await self._wait()
        if self.end_task is not None and event["status"] == WaitStatus.SUCCESS:
            ended = await self._end_task(event, self.end_task)
            if ended is not None:
                yield ended
                return
        if self.not_before is not None and (early := self.not_before - time.time()) > 0:
            await asyncio.sleep(early)  # resuming sooner would meet Airflow's defer race
        yield WaitEnded(event, self.task_type)

    async def _end_task(self, event: WaitEvent, end_task: EndInTriggerer) -> WaitSucceeded | None:
        """End the task here: push its XComs, report the success; None resumes it on a worker instead.

        A worker decides when failed videos fail the task, when the result is odd, when there is no task
        instance to push XComs for (``airflow dags test`` runs triggers without one), or when the push
        fails (an Airflow whose triggerer cannot set XComs).
        """
        if self.task_instance is None:
            return None
        try:
            verdict = judge_success(event["result"], fail_on_partial=end_task["fail_on_partial"])
        except Exception as exc:  # an odd result: the worker's own checks will say what is wrong
            self.log.warning("TopView task %s: resuming on a worker: %s", self.topview_task_id, exc)
            return None
        if verdict.fails_task:
            return None
        try:
            await push_xcoms(
                self.task_instance, success_xcoms(verdict.result, self.topview_task_id, end_task["returns"])
            )
        except Exception as exc:
            self.log.warning(
                "TopView task %s succeeded; its XComs could not be pushed here (%s: %s), resuming on a "
                "worker",
                self.topview_task_id,
                type(exc).__name__,
                exc,
            )
            return None
        report_success(
            verdict,
            self.log,
            model=end_task["model"],
            where=self.task_instance,
            estimated_credits=end_task["estimated_credits"],
            from_submit=end_task["returns"] == "task_id",
        )
        return WaitSucceeded(self.topview_task_id, verdict.videos)

    def _progress_interval(self) -> float:
        """The triggerer's ``[topview] progress_interval``: a broken one (the worker checked its own) must
        not end the wait."""
        try:
            return progress_interval()
        except ValueError as exc:
            self.log.warning("%s; a progress line every %g s instead", exc, PROGRESS_INTERVAL)
            return PROGRESS_INTERVAL

    async def _wait(self) -> WaitEvent:
        """Poll until the final event; whatever goes wrong, the trigger still ends with exactly one event."""
        watch = StatusWatch(
            self.topview_task_id,
            self.log,
            task_type_of(self.task_type),
            progress_interval=self._progress_interval(),
            clock=self.progress_clock,
        )
        hook: TopviewAsyncHook | None = None
        end_time = self.end_time if self.end_time is not None else time.time() + (self.timeout or 0.0)
        try:  # rendered in the triggerer when the task starts there: the sensor's own rule, no query
            require_task_id(self.topview_task_id)
        except Exception as exc:
            self.log.error("%s", exc)
            return make_event(WaitStatus.ERROR, "(none)", message=str(exc))
        try:
            hook = TopviewAsyncHook(self.topview_conn_id, **self.hook_params)
            interval = self.poll_interval
            async with hook.session():
                while True:
                    try:
                        event = watch.decide(await hook.get_task(watch.task_type, self.topview_task_id))
                    except TopviewError as exc:
                        event = watch.decide(None, exc)
                    if event is not None:
                        return event
                    remaining = end_time - time.time()
                    if remaining <= 0:
                        return watch.timeout_event()
                    await asyncio.sleep(min(interval, remaining))
                    if self.max_poll_interval:
                        interval = min(interval * 1.5, self.max_poll_interval)
        except Exception as exc:  # a bug or an odd library error must not end the wait without its event
            redactor = hook.redactor if hook is not None else NO_SECRETS
            message = redactor.text(f"waiting failed unexpectedly: {type(exc).__name__}: {exc}")
            self.log.error("Waiting for TopView task %s: %s", self.topview_task_id, message)
            return make_event(WaitStatus.ERROR, self.topview_task_id, message=message)


def defer_until_finished(
    task: Any,
    topview_task_id: str,
    *,
    timeout: float,
    topview_conn_id: str,
    poll_interval: float,
    hook_params: dict[str, Any],
    max_poll_interval: float | None = None,
    end_task: EndInTriggerer | None = None,
    task_type: str = IMAGE_TO_VIDEO.key,
) -> None:
    """Defer ``task`` (operator or sensor) to this trigger; it resumes in ``execute_complete``.

    The trigger keeps the deadline and reports it as an event, so the framework's own deferral timeout
    (which would skip ``execute_complete``) is off. ``end_task`` is dropped when the task's success
    needs a worker (:func:`~airflow_topview.deferral.can_end_in_triggerer`).
    """
    task.defer(
        trigger=ImageToVideoTrigger(
            topview_task_id=topview_task_id,
            end_time=time.time() + timeout,
            topview_conn_id=topview_conn_id,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            hook_params=hook_params,
            not_before=not_before(),
            end_task=end_task if end_task is not None and can_end_in_triggerer(task) else None,
            task_type=task_type,
        ),
        method_name="execute_complete",
        timeout=None,
    )
