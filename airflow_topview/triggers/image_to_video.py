"""ImageToVideoTrigger: waits for a TopView task in the triggerer, so no worker slot is held.

The trigger only polls (GET); the paid submit always runs on the worker before deferring, so a triggerer
restart repeats harmless queries, never a submit.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_topview.exceptions import TopviewError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class ImageToVideoTrigger(BaseTrigger):
    """Poll a TopView Image-to-Video task until it finishes, fails, or the deadline passes.

    Yields exactly one event, a dict with ``status`` and ``topview_task_id``:

    - ``success``: ``result`` holds the finished task (TopView's JSON, camelCase);
    - ``fail``: ``message`` holds TopView's ``errorMsg``;
    - ``timeout``: the deadline passed while the task was still running;
    - ``error``: a permanent API error (``message``, ``code``).

    Transient errors while polling are logged and polling goes on.

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
        self._last_status: str | None = None

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
        from airflow_topview.hooks.topview import TopviewAsyncHook

        hook = TopviewAsyncHook(self.topview_conn_id, **self.hook_params)
        interval = self.poll_interval
        async with hook.session():
            while True:
                event = await self._poll_once(hook)
                if event is not None:
                    yield TriggerEvent(event)  # type: ignore[no-untyped-call]
                    return
                remaining = self.end_time - time.time()
                if remaining <= 0:
                    timeout = self._event("timeout", message="the task did not finish in time")
                    yield TriggerEvent(timeout)  # type: ignore[no-untyped-call]
                    return
                await asyncio.sleep(min(interval, remaining))
                if self.max_poll_interval:
                    interval = min(interval * 1.5, self.max_poll_interval)

    async def _poll_once(self, hook: Any) -> dict[str, Any] | None:
        """The final event, or None while the task runs (or a transient error passes)."""
        from airflow_topview.api import is_retryable
        from airflow_topview.exceptions import TopviewAPIError
        from airflow_topview.outcome import event_for

        try:
            task = await hook.get_image_to_video_task(self.topview_task_id)
        except TopviewError as exc:
            if is_retryable(exc):
                self.log.warning(
                    "Polling TopView task %s failed, will poll again: %s", self.topview_task_id, exc
                )
                return None
            code = exc.code if isinstance(exc, TopviewAPIError) else None
            return self._event("error", message=str(exc), code=code)
        if task.status != self._last_status:  # one line per change: a triggerer runs many pollers
            self.log.info("TopView task %s is %s", self.topview_task_id, task.status)
            self._last_status = task.status
        return event_for(task)

    def _event(self, status: str, **payload: Any) -> dict[str, Any]:
        return {"status": status, "topview_task_id": self.topview_task_id, **payload}
