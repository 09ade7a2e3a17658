"""Delivers ``noticeUrl`` callbacks from the simulator's event loop and records each delivery, with
whether the receiver acknowledged it the way TopView documents."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

import aiohttp

from airflow_topview.testing.records import CallbackRecord

if TYPE_CHECKING:
    from airflow_topview.testing.state import SimulatorState

log = logging.getLogger(__name__)


def expected_reply(notice_uuid: str, uid: str) -> dict[str, Any]:
    """The acknowledgement TopView documents for a callback whose ``uuid`` is ``notice_uuid``."""
    return {
        "code": "200",
        "message": "Success",
        "result": {"uuid": notice_uuid, "topviewUid": uid, "result": "success"},
    }


def reply_problem(status: int, text: str, notice_uuid: str, uid: str) -> str | None:
    """Why a receiver's reply is not the documented acknowledgement (None when it is; extra keys are fine)."""
    if status != 200:
        return f"HTTP status {status}, expected 200"
    try:
        body = json.loads(text)
    except ValueError:
        return "reply is not JSON"
    if not isinstance(body, dict):
        return "reply is not a JSON object"
    expected = expected_reply(notice_uuid, uid)
    for key in ("code", "message"):
        if body.get(key) != expected[key]:
            return f"{key}: {body.get(key)!r}, expected {expected[key]!r}"
    result = body.get("result")
    if not isinstance(result, dict):
        return f"result: {result!r}, expected an object"
    for key, want in expected["result"].items():
        if result.get(key) != want:
            return f"result.{key}: {result.get(key)!r}, expected {want!r}"
    return None


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
        reply: str | None = None
        try:
            if self._session is None:
                self._session = aiohttp.ClientSession(timeout=self._timeout)
            async with self._session.post(url, json=payload, headers={"Topview-Uid": self._uid}) as resp:
                reply = (await resp.read()).decode("utf-8", "replace")
                outcome = resp.status
        except Exception as exc:  # the receiver's failure is data for the test, not a simulator error
            outcome = f"{type(exc).__name__}: {exc}"
        if isinstance(outcome, int) and reply is not None:
            problem = reply_problem(outcome, reply, str(payload.get("uuid")), self._uid)
        else:
            problem = f"no reply: {outcome}"
        log.info("callback %s task=%s -> %s", url, payload.get("taskId"), outcome)
        record = CallbackRecord(url, payload, outcome, reply, problem is None, problem)
        self._state.record_callback(record)

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
