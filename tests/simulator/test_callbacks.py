"""noticeUrl callbacks, delivered to a real receiver on 127.0.0.1 started by the test."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest
import requests

from airflow_topview.testing import TopviewSimulator

from .conftest import AUTH, SUBMIT, UID, Receiver


async def _submit(session: aiohttp.ClientSession, sim: TopviewSimulator, **extra: Any) -> str:
    body = {"model": "kling-v3", "firstFrameFileId": sim.add_file(), **extra}
    async with session.post(f"{sim.base_url}{SUBMIT}", json=body) as resp:
        payload = await resp.json()
    assert payload["code"] == "200", payload
    return str(payload["result"]["taskId"])


async def test_callback_on_time_based_completion_without_polling(receiver: Receiver) -> None:
    async with (
        TopviewSimulator(seconds_to_finish=0.1) as sim,
        aiohttp.ClientSession(headers=AUTH) as session,
    ):
        task_id = await _submit(session, sim, noticeUrl=receiver.url, generatingCount=2)
        await sim.wait_for_async(lambda: sim.callbacks, timeout=5)
        assert sim.requests_to("query") == []
    headers, payload = receiver.calls[0]
    assert len(receiver.calls) == 1
    assert headers["Topview-Uid"] == UID
    assert "Authorization" not in headers
    assert set(payload) == {"uuid", "bizType", "taskId", "status", "errorMsg", "result"}
    assert uuid.UUID(payload["uuid"]).version == 4
    assert payload["bizType"] == "COMMON_TASK_IMAGE2VIDEO"
    assert payload["taskId"] == task_id
    assert payload["status"] == "success"
    assert payload["errorMsg"] is None
    result = payload["result"]
    assert result["taskId"] == task_id
    assert result["status"] == "success"
    assert len(result["videos"]) == 2
    assert result["videos"][0]["filePath"].startswith(f"{sim.base_url}/_videos/{task_id}/0.mp4")
    assert sim.callbacks[0].url == receiver.url
    assert sim.callbacks[0].payload == payload
    assert sim.callbacks[0].outcome == 200


async def test_callback_for_a_failed_task_on_poll(receiver: Receiver) -> None:
    async with TopviewSimulator(polls_to_finish=1) as sim, aiohttp.ClientSession(headers=AUTH) as session:
        sim.script_next_task(outcome="fail", error_msg="nsfw")
        task_id = await _submit(session, sim, noticeUrl=receiver.url)
        async with session.get(
            f"{sim.base_url}/v2/common_task/image2video/task/query", params={"taskId": task_id}
        ):
            pass
        url, payload, outcome = await sim.wait_for_async(lambda: sim.callbacks and sim.callbacks[0])
    assert (url, outcome) == (receiver.url, 200)
    assert payload["status"] == "fail"
    assert payload["errorMsg"] == "nsfw"
    assert payload["result"]["videos"] == []
    assert payload["result"]["costCredit"] == 0


async def test_callback_from_finish_task_in_the_test_thread(receiver: Receiver) -> None:
    async with TopviewSimulator() as sim, aiohttp.ClientSession(headers=AUTH) as session:
        task_id = await _submit(session, sim, noticeUrl=receiver.url)
        sim.finish_task(task_id)
        await sim.wait_for_async(lambda: len(sim.callbacks) == 1)
    assert receiver.calls[0][1]["taskId"] == task_id


async def test_no_callback_without_notice_url(receiver: Receiver) -> None:
    async with TopviewSimulator(polls_to_finish=1) as sim, aiohttp.ClientSession(headers=AUTH) as session:
        task_id = await _submit(session, sim)
        assert sim.finish_task(task_id).status == "success"
        with pytest.raises(TimeoutError):
            await sim.wait_for_async(lambda: sim.callbacks, timeout=0.2)
    assert receiver.calls == []


def test_unreachable_receiver_is_recorded_as_error_text() -> None:
    with TopviewSimulator(polls_to_finish=1) as sim:
        file_id = sim.add_file()
        task_id = requests.post(
            f"{sim.base_url}{SUBMIT}",
            json={"model": "m", "firstFrameFileId": file_id, "noticeUrl": "http://127.0.0.1:9/hook"},
            headers=AUTH,
            timeout=5,
        ).json()["result"]["taskId"]
        sim.finish_task(task_id)
        record = sim.wait_for(lambda: sim.callbacks and sim.callbacks[0])
    assert record.url == "http://127.0.0.1:9/hook"
    assert isinstance(record.outcome, str)
    assert "Connect" in record.outcome
