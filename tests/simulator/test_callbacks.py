"""noticeUrl callbacks, delivered to a real receiver on 127.0.0.1 started by the test."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
import requests
from aiohttp import web

from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.callbacks import expected_reply, reply_problem

from .conftest import AUTH, SUBMIT, UID, Receiver, documented_reply


async def _accepted(session: aiohttp.ClientSession, sim: TopviewSimulator, **extra: Any) -> dict[str, Any]:
    body = {"model": "kling-v3", "firstFrameFileId": sim.add_file(), **extra}
    async with session.post(f"{sim.base_url}{SUBMIT}", json=body) as resp:
        payload = await resp.json()
    assert payload["code"] == "200", payload
    return dict(payload["result"])


async def _submit(session: aiohttp.ClientSession, sim: TopviewSimulator, **extra: Any) -> str:
    return str((await _accepted(session, sim, **extra))["taskId"])


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
    assert sim.callbacks[0].reply_ok


async def test_callback_for_a_failed_task_on_poll(receiver: Receiver) -> None:
    async with TopviewSimulator(polls_to_finish=1) as sim, aiohttp.ClientSession(headers=AUTH) as session:
        sim.script_next_task(outcome="fail", error_msg="nsfw")
        task_id = await _submit(session, sim, noticeUrl=receiver.url)
        async with session.get(
            f"{sim.base_url}/v2/common_task/image2video/task/query", params={"taskId": task_id}
        ):
            pass
        record = await sim.wait_for_async(lambda: sim.callbacks and sim.callbacks[0])
    url, payload, outcome = record.url, record.payload, record.outcome
    assert (url, outcome, record.reply_ok) == (receiver.url, 200, True)
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
            json={"model": "kling-v3", "firstFrameFileId": file_id, "noticeUrl": "http://127.0.0.1:9/hook"},
            headers=AUTH,
            timeout=5,
        ).json()["result"]["taskId"]
        sim.finish_task(task_id)
        record = sim.wait_for(lambda: sim.callbacks and sim.callbacks[0])
    assert record.url == "http://127.0.0.1:9/hook"
    assert isinstance(record.outcome, str)
    assert "Connect" in record.outcome
    assert (record.reply, record.reply_ok) == (None, False)
    assert record.reply_problem is not None
    assert record.reply_problem.startswith("no reply")


async def test_callback_uuid_is_the_submit_answers_notice_uuid(receiver: Receiver) -> None:
    async with TopviewSimulator(polls_to_finish=1) as sim, aiohttp.ClientSession(headers=AUTH) as session:
        accepted = await _accepted(session, sim, noticeUrl=receiver.url)
        assert accepted["status"] == "success"
        notice_uuid = accepted["noticeUuid"]
        assert str(uuid.UUID(notice_uuid)) == notice_uuid
        assert sim.tasks[accepted["taskId"]].notice_uuid == notice_uuid
        sim.finish_task(accepted["taskId"])
        record = await sim.wait_for_async(lambda: sim.callbacks and sim.callbacks[0])
        other = await _accepted(session, sim, noticeUrl=receiver.url)
    assert other["noticeUuid"] != notice_uuid  # one per submit
    assert receiver.calls[0][1]["uuid"] == record.payload["uuid"] == notice_uuid


async def test_documented_reply_is_recorded_as_ok(receiver: Receiver) -> None:
    async with (
        TopviewSimulator(uid=UID, polls_to_finish=1) as sim,
        aiohttp.ClientSession(headers=AUTH) as session,
    ):
        sim.finish_task(await _submit(session, sim, noticeUrl=receiver.url))
        record = await sim.wait_for_async(lambda: sim.callbacks and sim.callbacks[0])
    assert (record.reply_ok, record.reply_problem) == (True, None)
    assert record.reply is not None
    assert json.loads(record.reply) == expected_reply(record.payload["uuid"], UID)


def _reply(status: int = 200, **changes: Any) -> Callable[[dict[str, str], dict[str, Any]], web.Response]:
    """A receiver reply: the documented one with top-level or ``result.*`` keys changed (None: removed)."""

    def build(headers: dict[str, str], payload: dict[str, Any]) -> web.Response:
        body = json.loads(documented_reply(headers, payload).text or "{}")
        for key, value in changes.items():
            target, name = (body["result"], key[7:]) if key.startswith("result_") else (body, key)
            if value is None:
                target.pop(name, None)
            else:
                target[name] = value
        return web.json_response(body, status=status)

    return build


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        pytest.param(_reply(status=500), "HTTP status 500", id="http-500"),
        pytest.param(_reply(code=200), "code: 200", id="code-not-a-string"),
        pytest.param(_reply(message="OK"), "message", id="message"),
        pytest.param(_reply(result_uuid="other"), "result.uuid", id="wrong-uuid"),
        pytest.param(_reply(result_topviewUid=None), "result.topviewUid", id="no-topview-uid"),
        pytest.param(_reply(result_result="ok"), "result.result", id="result-not-success"),
        pytest.param(_reply(result=None), "result: None", id="no-result"),
        pytest.param(lambda headers, payload: web.Response(text="OK"), "not JSON", id="plain-text"),
        pytest.param(lambda headers, payload: web.json_response([1]), "not a JSON object", id="json-list"),
        pytest.param(
            lambda headers, payload: web.json_response({"code": "200", "message": "Success", "result": {}}),
            "result.uuid",
            id="empty-result",
        ),
    ],
)
async def test_a_reply_other_than_documented_is_recorded_as_not_ok(
    receiver: Receiver, reply: Callable[[dict[str, str], dict[str, Any]], web.Response], problem: str
) -> None:
    receiver.reply = reply
    async with TopviewSimulator(polls_to_finish=1) as sim, aiohttp.ClientSession(headers=AUTH) as session:
        sim.finish_task(await _submit(session, sim, noticeUrl=receiver.url))
        record = await sim.wait_for_async(lambda: sim.callbacks and sim.callbacks[0])
    assert record.reply_ok is False
    assert record.reply_problem is not None
    assert problem in record.reply_problem
    assert record.reply is not None


def test_extra_keys_in_a_reply_are_fine() -> None:
    reply = {**expected_reply("u-1", "uid"), "extra": 1}
    reply["result"] = {**reply["result"], "note": "hi"}
    assert reply_problem(200, json.dumps(reply), "u-1", "uid") is None
