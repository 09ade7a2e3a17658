"""Delivers ``noticeUrl`` callbacks from the simulator's event loop and records each delivery."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import aiohttp

from airflow_topview.testing.records import CallbackRecord

if TYPE_CHECKING:
    from airflow_topview.testing.state import SimulatorState

log = logging.getLogger(__name__)


class CallbackSender:
    """POSTs completion notices like TopView does: header ``Topview-Uid``, JSON body, one attempt."""

    def __init__(self, state: SimulatorState, uid: str, timeout: float = 10.0) -> None:
        self._state = state
        self._uid = uid
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def send(self, url: str, payload: dict[str, Any]) -> None:
        """Schedule one delivery; must run on the simulator's loop (use ``call_soon_threadsafe``)."""
        task = asyncio.get_running_loop().create_task(self._deliver(url, payload))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _deliver(self, url: str, payload: dict[str, Any]) -> None:
        outcome: int | str
        try:
            if self._session is None:
                self._session = aiohttp.ClientSession(timeout=self._timeout)
            async with self._session.post(url, json=payload, headers={"Topview-Uid": self._uid}) as resp:
                await resp.read()
                outcome = resp.status
        except Exception as exc:  # the receiver's failure is data for the test, not a simulator error
            outcome = f"{type(exc).__name__}: {exc}"
        log.info("callback %s task=%s -> %s", url, payload.get("taskId"), outcome)
        self._state.record_callback(CallbackRecord(url, payload, outcome))

    async def close(self, grace: float = 2.0) -> None:
        """Let deliveries in flight finish for up to ``grace`` seconds, then cancel the rest."""
        if self._pending:
            _, late = await asyncio.wait(set(self._pending), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
