"""Scripted lifecycles: the odd statuses and null fields TopView may answer while and after a task runs."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from airflow_topview.testing import TopviewSimulator

from .conftest import AUTH, KEY, QUERY, SUBMIT, UID, Api, Receiver

COST = 0.5 * 5  # kling-v3, 720p, no sound, 5 s


def _statuses(api: Api, task_id: str, polls: int) -> list[str | None]:
    return [api.query(task_id)["result"]["status"] for _ in range(polls)]


def test_statuses_are_answered_in_order_then_the_task_finishes(api: Api) -> None:
    api.sim.script_next_task(statuses=["queued", "waiting", None, "processing"])
    task_id = api.submit_ok(model="kling-v3")
    assert _statuses(api, task_id, 4) == ["queued", "waiting", None, "processing"]
    record = api.sim.tasks[task_id]
    assert (record.status, record.finished, record.polls) == ("processing", False, 4)
    result = api.query(task_id)["result"]
    assert result["status"] == "success"
    assert len(result["videos"]) == 1
    assert result["costCredit"] == pytest.approx(COST)
    assert api.sim.tasks[task_id].finished
    assert [entry.query["taskId"] for entry in api.sim.requests_to("query")] == [task_id] * 5


def test_null_status_crosses_the_wire_as_json_null(api: Api) -> None:
    api.sim.script_next_task(statuses=[None])
    task_id = api.submit_ok()
    raw = api.get(QUERY, taskId=task_id).text
    assert '"status": null' in raw


def test_empty_statuses_finish_on_the_first_query(api: Api) -> None:
    api.sim.polls_to_finish = 5
    api.sim.script_next_task(statuses=[])
    task_id = api.submit_ok()
    assert _statuses(api, task_id, 1) == ["success"]


def test_statuses_ignore_polls_and_seconds_to_finish() -> None:
    with TopviewSimulator(uid=UID, api_key=KEY, polls_to_finish=1, seconds_to_finish=0) as sim:
        api = Api(sim)
        sim.script_next_task(statuses=["running", "running", "queued"])
        scripted = api.submit_ok()
        plain = api.submit_ok()
        # The ticker finishes the plain task at once; the scripted one waits for its third query.
        sim.wait_for(lambda: sim.tasks[plain].finished)
        assert not sim.tasks[scripted].finished
        assert _statuses(api, scripted, 4) == ["running", "running", "queued", "success"]


def test_repeat_last_keeps_answering_until_finish_task(api: Api) -> None:
    api.sim.script_next_task(statuses=["queued", "processing"], repeat_last=True)
    task_id = api.submit_ok(model="kling-v3")
    assert _statuses(api, task_id, 12) == ["queued"] + ["processing"] * 11
    assert api.sim.reserved_credits == pytest.approx(COST)
    assert api.sim.finish_task(task_id).status == "success"
    assert _statuses(api, task_id, 1) == ["success"]
    assert api.sim.reserved_credits == 0
    assert api.sim.credits == pytest.approx(10000.0 - COST)


def test_a_scripted_success_status_is_still_a_running_task(api: Api) -> None:
    api.sim.max_running = 1
    api.sim.script_next_task(statuses=["success"], running_fields={"videos": None})
    task_id = api.submit_ok()
    assert api.query(task_id)["result"]["videos"] is None
    assert not api.sim.tasks[task_id].finished
    blocked = api.submit({"model": "kling-v3", "firstFrameFileId": api.sim.add_file()})
    assert blocked["code"] == "4007"


@pytest.mark.parametrize("final", ["cancelled", "canceled", "expired"])
def test_terminal_failure_statuses(api: Api, final: str) -> None:
    api.sim.polls_to_finish = 1
    api.sim.script_next_task("fail", "task expired", final_status=final)
    task_id = api.submit_ok(model="kling-v3")
    result = api.query(task_id)["result"]
    assert result["status"] == final
    assert result["videos"] == []
    assert result["costCredit"] == 0
    assert result["errorMsg"] == "task expired"
    record = api.sim.tasks[task_id]
    assert (record.status, record.finished, record.cost) == (final, True, 0.0)
    assert api.sim.credits == 10000.0
    assert api.sim.reserved_credits == 0


def test_final_status_with_videos(api: Api) -> None:
    api.sim.script_next_task(statuses=["processing"], final_status="succeeded")
    task_id = api.submit_ok(generatingCount=2)
    assert _statuses(api, task_id, 2) == ["processing", "succeeded"]
    assert len(api.query(task_id)["result"]["videos"]) == 2


def test_running_fields_null_out_the_answer_while_running(api: Api) -> None:
    nulls = {"videos": None, "costCredit": None, "status": None, "errorMsg": None}
    api.sim.script_next_task(statuses=["running", "running"], running_fields=nulls)
    task_id = api.submit_ok()
    for _ in range(2):
        result = api.query(task_id)["result"]
        assert result == {"taskId": task_id, "boardId": None, **nulls}
    finished = api.query(task_id)["result"]
    assert finished["status"] == "success"
    assert len(finished["videos"]) == 1


def test_running_fields_apply_to_an_unscripted_lifecycle_too(api: Api) -> None:
    api.sim.script_next_task(running_fields={"videos": None, "progress": 40})
    task_id = api.submit_ok()
    result = api.query(task_id)["result"]
    assert (result["status"], result["videos"], result["progress"]) == ("running", None, 40)
    assert "progress" not in api.query(task_id)["result"]


@pytest.mark.parametrize(
    "fields",
    [{"costCredit": "12.5"}, {"costCredit": None}, {"videos": []}, {"videos": None}],
)
def test_final_fields_change_the_answer_not_the_bill(api: Api, fields: dict[str, Any]) -> None:
    api.sim.polls_to_finish = 1
    api.sim.script_next_task(final_fields=fields)
    task_id = api.submit_ok(model="kling-v3")
    result = api.query(task_id)["result"]
    assert result["status"] == "success"
    assert {name: result[name] for name in fields} == fields
    again = api.query(task_id)["result"]
    assert {name: again[name] for name in fields} == fields  # every query once finished
    record = api.sim.tasks[task_id]
    assert record.cost == pytest.approx(COST)
    assert len(record.videos) == 1
    assert api.sim.credits == pytest.approx(10000.0 - COST)


async def test_callback_carries_the_final_status_and_fields(receiver: Receiver) -> None:
    async with TopviewSimulator() as sim, aiohttp.ClientSession(headers=AUTH) as session:
        sim.script_next_task(
            "fail",
            statuses=["queued"],
            repeat_last=True,
            final_status="cancelled",
            final_fields={"videos": None},
        )
        body = {"model": "kling-v3", "firstFrameFileId": sim.add_file(), "noticeUrl": receiver.url}
        async with session.post(f"{sim.base_url}{SUBMIT}", json=body) as resp:
            task_id = (await resp.json())["result"]["taskId"]
        sim.finish_task(task_id)
        record = await sim.wait_for_async(lambda: sim.callbacks and sim.callbacks[0])
    assert record.outcome == 200
    payload = receiver.calls[0][1]
    assert (payload["taskId"], payload["status"]) == (task_id, "cancelled")
    assert payload["result"]["status"] == "cancelled"
    assert payload["result"]["videos"] is None
    assert payload["result"]["costCredit"] == 0


def test_scripts_with_statuses_queue_like_others(api: Api) -> None:
    api.sim.script_next_task(statuses=["queued"])
    api.sim.script_next_task("fail", final_status="expired")
    first, second, third = api.submit_ok(), api.submit_ok(), api.submit_ok()
    assert _statuses(api, first, 2) == ["queued", "success"]
    assert _statuses(api, second, 2) == ["running", "expired"]
    assert _statuses(api, third, 2) == ["running", "success"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"repeat_last": True}, ValueError, "repeat_last"),
        ({"statuses": [], "repeat_last": True}, ValueError, "repeat_last"),
        ({"statuses": ["queued", 3]}, TypeError, "statuses"),
        ({"final_fields": {"x": object()}}, ValueError, "final_fields"),
        ({"running_fields": {1: "x"}}, TypeError, "running_fields"),
    ],
)
def test_script_arguments_are_checked(
    sim: TopviewSimulator, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        sim.script_next_task(**kwargs)
