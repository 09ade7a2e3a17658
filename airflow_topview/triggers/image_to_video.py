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

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_topview.events import WaitEvent, WaitStatus, make_event
from airflow_topview.exceptions import TopviewError
from airflow_topview.hooks.topview_async import TopviewAsyncHook
from airflow_topview.outcome import StatusWatch
from airflow_topview.redaction import NO_SECRETS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class ImageToVideoTrigger(BaseTrigger):
    """Poll a TopView Image-to-Video task until it finishes, fails, or the deadline passes.

    Yields exactly one event, a dict with ``status`` and ``topview_task_id``:

    - ``success``: ``result`` holds the finished task (TopView's JSON, camelCase);
    - ``fail``: ``message`` holds TopView's ``errorMsg``;
    - ``timeout``: the deadline passed while the task was still running (``last_status``: what it was);
    - ``error``: a permanent API error (``message``, ``code``), or an unexpected failure of the wait.

    Transient errors and unreadable answers while polling are logged and polling goes on; statuses this
    provider does not know are logged once and polled on; ``cancelled``/``expired`` end the wait as ``fail``.

    :param topview_task_id: the TopView task to wait for.
    :param topview_conn_id: the ``topview`` connection (only its id is stored, never the key).
    :param end_time: deadline as a UNIX timestamp.
    :param poll_interval: seconds between queries.
    :param max_poll_interval: when set, the interval grows by half each poll up to this many seconds.
    :param hook_params: keyword arguments for :class:`TopviewAsyncHook` (JSON-safe).
    """

    def __init__(
        self,
        topview_task_id: str,
        end_time: float,
        topview_conn_id: str = "topview_default",
        poll_interval: float = 10.0,
        max_poll_interval: float | None = None,
        hook_params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.topview_task_id = topview_task_id
        self.end_time = end_time
        self.topview_conn_id = topview_conn_id
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.hook_params = hook_params or {}

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
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        yield TriggerEvent(await self._wait())  # type: ignore[no-untyped-call]

    async def _wait(self) -> WaitEvent:
        """Poll until the final event; whatever goes wrong, the trigger still ends with exactly one event."""
        watch = StatusWatch(self.topview_task_id, self.log)
        hook: TopviewAsyncHook | None = None
        try:
            hook = TopviewAsyncHook(self.topview_conn_id, **self.hook_params)
            interval = self.poll_interval
            async with hook.session():
                while True:
                    try:
                        event = watch.decide(await hook.get_image_to_video_task(self.topview_task_id))
                    except TopviewError as exc:
                        event = watch.decide(None, exc)
                    if event is not None:
                        return event
                    remaining = self.end_time - time.time()
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
) -> None:
    """Defer ``task`` (operator or sensor) to this trigger; it resumes in ``execute_complete``.

    The trigger keeps the deadline and reports it as an event, so the framework's own deferral timeout
    (which would skip ``execute_complete``) is off.
    """
    task.defer(
        trigger=ImageToVideoTrigger(
            topview_task_id=topview_task_id,
            end_time=time.time() + timeout,
            topview_conn_id=topview_conn_id,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            hook_params=hook_params,
        ),
        method_name="execute_complete",
        timeout=None,
    )
