"""Legal but odd status answers: nulls, strings for numbers, unknown and ended statuses, empty successes.

Each case runs through the trigger (async path, triggerer) and through the sensor in poke mode (sync
path, worker): both must reach the same verdict, and the trigger must always end with one event.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner
from tests.conftest import HardeningReport
from tests.triggers.test_trigger import events_of, make_trigger, submit

GATEWAY_PAGE = b"<html><title>502 Bad Gateway</title>\xff\xfe\xfa nginx</html>"


def finished_answer(sim: TopviewSimulator, task_id: str) -> dict[str, Any]:
    """The simulator's real answer for a finished task (read without the client under test)."""
    import requests

    sim.finish_task(task_id)
    answer = requests.get(
        f"{sim.base_url}/v2/common_task/image2video/task/query",
        params={"taskId": task_id},
        headers={"Topview-Uid": sim.uid, "Authorization": f"Bearer {sim.api_key}"},
        timeout=5,
    ).json()["result"]
    assert isinstance(answer, dict)
    return answer


# name -> (answers injected on the query endpoint before the real one, expected final status, text)
Scenario = Callable[[TopviewSimulator, str], tuple[list[Fault], str, str]]
SCENARIOS: dict[str, Scenario] = {
    "nulls while running": lambda sim, tid: (
        [Fault.result({"taskId": tid, "status": None, "videos": None, "costCredit": None, "errorMsg": None})]
        * 2,
        "success",
        "",
    ),
    "non-UTF-8 gateway page": lambda sim, tid: ([Fault.http(502, body=GATEWAY_PAGE)] * 3, "success", ""),
    "unreadable result": lambda sim, tid: ([Fault.result({"taskId": None, "status": 7})] * 2, "success", ""),
    "cost as text": lambda sim, tid: (
        [Fault.result({**finished_answer(sim, tid), "costCredit": "12.5"})],
        "success",
        "12.5",
    ),
    "cancelled": lambda sim, tid: (
        [Fault.result({"taskId": tid, "status": "cancelled", "errorMsg": None, "videos": None})],
        "fail",
        "cancelled",
    ),
    "expired": lambda sim, tid: ([Fault.result({"taskId": tid, "status": "expired"})], "fail", "expired"),
    "success without videos": lambda sim, tid: (
        [Fault.result({"taskId": tid, "status": "success", "videos": [], "costCredit": 0})],
        "fail",
        "returned no video",
    ),
}


def armed(sim: TopviewSimulator, name: str) -> tuple[str, str, str]:
    """A submitted task whose next status answers are the scenario's: (task id, verdict, text)."""
    task_id = submit(sim)
    faults, status, text = SCENARIOS[name](sim, task_id)
    for fault in faults:
        sim.inject("query", fault, times=1)
    return task_id, status, text


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_trigger_reaches_the_verdict_with_one_event(
    topview_connection: TopviewSimulator, name: str, hardening_report: HardeningReport
) -> None:
    sim = topview_connection
    task_id, status, text = armed(sim, name)
    events = await events_of(make_trigger(task_id))
    # A success event names the task without the task itself (signed URLs): the worker reads it, and
    # the sensor's test below checks what it makes of the answer (a cost as text).
    shown = "" if status == "success" else text
    ok = len(events) == 1 and events[0]["status"] == status and shown in json.dumps(events[0])
    hardening_report.record("waiting #8-9 odd status answers (trigger)", ok)
    hardening_report.note(
        "waiting #8-9 odd status answers (trigger)",
        "(nulls, text costs, non-UTF-8 pages, unreadable results, cancelled/expired, empty success): "
        "one event each, the expected verdict",
    )
    assert len(events) == 1
    [event] = events
    assert event["status"] == status, event
    assert shown in json.dumps(event)
    assert "result" not in event


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_sensor_reaches_the_same_verdict(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, name: str
) -> None:
    sim = topview_connection
    task_id, status, text = armed(sim, name)
    result = dag_runner.run("topview_hostile_poke", conf={"task": task_id})
    assert result.state == ("success" if status == "success" else "failed"), result.log[-3000:]
    if status == "success":
        assert result.xcom("wait")["taskId"] == task_id
        assert text in json.dumps(result.xcom("wait"))
    else:
        assert text in result.log


async def test_unknown_status_is_polled_logged_once_and_reported_at_the_deadline(
    topview_connection: TopviewSimulator, capfd: pytest.CaptureFixture[str]
) -> None:
    sim = topview_connection
    task_id = submit(sim)
    sim.inject("query", Fault.result({"taskId": task_id, "status": "rendering-hd"}), times=None)
    events = await events_of(make_trigger(task_id, within=0.5, poll_interval=0.05))
    [event] = events
    assert (event["status"], event["last_status"]) == ("timeout", "rendering-hd")
    assert len(sim.requests_to("query")) >= 3
    captured = capfd.readouterr()
    assert (captured.out + captured.err).count("which this provider does not know") == 1


def test_sensor_reports_an_unknown_status_at_its_deadline(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    task_id = submit(sim)
    sim.inject("query", Fault.result({"taskId": task_id, "status": "rendering-hd"}), times=None)
    result = dag_runner.run("topview_hostile_poke_short", conf={"task": task_id})
    assert result.state == "failed"
    assert "'rendering-hd' (a status this provider does not know)" in result.log
    assert result.log.count("which this provider does not know") == 1
