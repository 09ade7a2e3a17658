"""A task resumed after its trigger: the success event names the task, the worker reads it once.

Against the simulator with the real hook: what the read costs, which endpoint it asks, what happens when
it fails, and that an event stored by an earlier release (the finished task inside) is taken as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_topview.client.task_types import IMAGE_TO_VIDEO, TEXT_TO_VIDEO
from airflow_topview.deferral import WaitEnded, resumed_event
from airflow_topview.exceptions import TopviewAPIError, TopviewTaskFailedError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.waiting import WaitStatus, make_event, result_from_event
from tests.sensors.test_progress_lines import LogRecorder
from tests.triggers.test_trigger import submit


@pytest.fixture
def hook(topview_connection: TopviewSimulator) -> Iterator[TopviewHook]:
    made = TopviewHook(retry_limit=2, retry_delay=0.01, timeout=5)
    yield made
    made.close()


def trigger_success(task_id: str, task_type: str = "image2video") -> dict[str, Any]:
    """The payload of a trigger's success, as Airflow hands it to the resumed task."""
    payload = WaitEnded(
        make_event(WaitStatus.SUCCESS, task_id, result={"taskId": task_id}), task_type
    ).payload
    assert isinstance(payload, dict)
    return payload


def test_a_success_is_read_once_for_its_videos(
    topview_connection: TopviewSimulator, hook: TopviewHook
) -> None:
    sim = topview_connection
    task_id = submit(sim, generating_count=2)
    log = LogRecorder()
    event = resumed_event(trigger_success(task_id), hook, IMAGE_TO_VIDEO, log)  # type: ignore[arg-type]
    assert len(sim.requests_to("query")) == 1
    result = result_from_event(event, fail_on_partial=False, log=log)  # type: ignore[arg-type]
    assert result["taskId"] == task_id
    assert [video["status"] for video in result["videos"]] == ["success", "success"]
    assert any(line.startswith(f"TopView task {task_id} succeeded: 2 video(s)") for _, line in log.lines)


def test_the_read_asks_the_endpoint_the_trigger_waited_at(
    topview_connection: TopviewSimulator, hook: TopviewHook
) -> None:
    """The event names its task type: a sensor that started in the triggerer reads what it waited for."""
    sim = topview_connection
    task_id = hook.submit_task(TEXT_TO_VIDEO, TEXT_TO_VIDEO.build_request({"prompt": "a fox"})).task_id
    event = resumed_event(trigger_success(task_id, "text2video"), hook, IMAGE_TO_VIDEO, LogRecorder())  # type: ignore[arg-type]
    assert event["result"]["taskId"] == task_id
    assert [entry.endpoint for entry in sim.journal] == ["text2video_submit", "text2video_query"]


def test_an_event_stored_by_an_earlier_release_is_taken_as_it_is(
    topview_connection: TopviewSimulator, hook: TopviewHook
) -> None:
    """Releases before this one put the finished task in the event: no read, the same result."""
    sim = topview_connection
    task_id = submit(sim)
    stored = {
        "status": "success",
        "topview_task_id": task_id,
        "result": hook.get_task(IMAGE_TO_VIDEO, task_id).to_xcom(),
    }
    queries = len(sim.requests_to("query"))
    assert resumed_event(stored, hook, IMAGE_TO_VIDEO, LogRecorder()) == stored  # type: ignore[arg-type]
    assert len(sim.requests_to("query")) == queries
    result = result_from_event(stored, fail_on_partial=False, log=LogRecorder())  # type: ignore[arg-type]
    assert result == stored["result"]


def test_a_read_survives_what_the_hook_retries(
    topview_connection: TopviewSimulator, hook: TopviewHook
) -> None:
    sim = topview_connection
    task_id = submit(sim)
    sim.inject("query", Fault.http(502), times=1)
    event = resumed_event(trigger_success(task_id), hook, IMAGE_TO_VIDEO, LogRecorder())  # type: ignore[arg-type]
    assert event["result"]["taskId"] == task_id
    assert [entry.status for entry in sim.requests_to("query")] == [502, 200]


def test_a_failed_read_fails_the_try_and_submits_nothing(
    topview_connection: TopviewSimulator, hook: TopviewHook
) -> None:
    sim = topview_connection
    task_id = submit(sim)
    sim.inject("query", Fault.code("401"), times=None)
    log = LogRecorder()
    with pytest.raises(TopviewAPIError):
        resumed_event(trigger_success(task_id), hook, IMAGE_TO_VIDEO, log)  # type: ignore[arg-type]
    [(level, line)] = log.lines
    assert level == "error"
    assert line.startswith(f"TopView task {task_id} succeeded, but reading its videos failed")
    assert len(sim.requests_to("submit")) == 1
    assert sim.api_key not in line


def test_a_partial_success_read_on_the_worker_follows_fail_on_partial(
    topview_connection: TopviewSimulator, hook: TopviewHook
) -> None:
    """The trigger leaves a strict task's partial success to the worker, which reads it and fails it."""
    sim = topview_connection
    sim.script_next_task(outcome="partial", failed_videos=[0])
    task_id = submit(sim, generating_count=2)
    event = resumed_event(trigger_success(task_id), hook, IMAGE_TO_VIDEO, LogRecorder())  # type: ignore[arg-type]
    with pytest.raises(TopviewTaskFailedError, match="1 of 2 videos"):
        result_from_event(event, fail_on_partial=True, log=LogRecorder())  # type: ignore[arg-type]
