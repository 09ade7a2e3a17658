"""ImageToVideoTrigger run directly in an event loop against the simulator, and its serialized form."""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from typing import Any

import pytest

from airflow_topview.client.request import build_request
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.hooks.topview_async import SHARED_SESSIONS
from airflow_topview.links import VIDEO_LINKS
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.triggers.image_to_video import ImageToVideoTrigger

FAST = {"retry_limit": 2, "retry_delay": 0.01, "timeout": 2.0}


def submit(sim: TopviewSimulator, **fields: object) -> str:
    request = build_request({"first_frame_file_id": sim.add_file("png"), **fields})
    return TopviewHook(retry_limit=1).submit_image_to_video(request).task_id


async def events_of(trigger: ImageToVideoTrigger) -> list[dict[str, Any]]:
    return [event.payload async for event in trigger.run()]


def make_trigger(topview_task_id: str, *, within: float = 10.0, **overrides: Any) -> ImageToVideoTrigger:
    return ImageToVideoTrigger(
        topview_task_id=topview_task_id,
        end_time=time.time() + within,
        poll_interval=overrides.pop("poll_interval", 0.01),
        hook_params=FAST,
        **overrides,
    )


def test_serialize_round_trip_holds_no_secret() -> None:
    trigger = ImageToVideoTrigger(
        topview_task_id="abc",
        end_time=1234.5,
        topview_conn_id="my_topview",
        poll_interval=7,
        max_poll_interval=30,
        hook_params={"retry_limit": 3},
        not_before=1240.0,
        end_task={"returns": "task_id", "fail_on_partial": False, "model": None, "estimated_credits": 2.5},
    )
    classpath, kwargs = trigger.serialize()
    module_name, _, class_name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module_name), class_name)(**json.loads(json.dumps(kwargs)))
    assert rebuilt.serialize() == (classpath, kwargs)
    assert set(kwargs) == {
        "topview_task_id",
        "end_time",
        "topview_conn_id",
        "poll_interval",
        "max_poll_interval",
        "hook_params",
        "not_before",
        "end_task",
        "timeout",
        "task_type",
    }
    assert "sk-" not in json.dumps(kwargs)


async def test_success_event_names_the_task_without_its_signed_videos(
    topview_connection: TopviewSimulator,
) -> None:
    """The event is stored in the metadata DB and printed by Airflow: the worker reads the videos."""
    sim = topview_connection
    sim.polls_to_finish = 3
    task_id = submit(sim, generating_count=2)
    [event] = await events_of(make_trigger(task_id))
    assert event == {"status": "success", "topview_task_id": task_id, "task_type": "image2video"}
    queries = sim.requests_to("query")
    assert len(queries) == 3
    assert all(entry.headers["Authorization"] == "Bearer sk-test-key" for entry in queries)


async def test_fail_event_quotes_topview(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    sim.script_next_task(outcome="fail", error_msg="content policy")
    [event] = await events_of(make_trigger(submit(sim)))
    assert (event["status"], event["message"]) == ("fail", "content policy")


async def test_timeout_event_when_deadline_passes(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    sim.polls_to_finish = 10_000
    task_id = submit(sim)
    [event] = await events_of(make_trigger(task_id, within=0.2, poll_interval=0.05))
    assert event == {
        "status": "timeout",
        "topview_task_id": task_id,
        "message": "the task did not finish in time",
        "last_status": "running",
        "task_type": "image2video",
    }


@pytest.mark.parametrize(
    "fault",
    [Fault.http(500), Fault.http(429), Fault.code("5003"), Fault.malformed(), Fault.drop()],
    ids=["500", "429", "5003", "malformed", "drop"],
)
async def test_transient_poll_errors_are_survived(topview_connection: TopviewSimulator, fault: Fault) -> None:
    sim = topview_connection
    task_id = submit(sim)
    sim.inject("query", fault, times=6)  # more than one call's retry budget: the trigger polls on
    [event] = await events_of(make_trigger(task_id))
    assert event["status"] == "success"
    assert len(sim.requests_to("query")) >= 5


async def test_permanent_error_ends_with_error_event(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    task_id = submit(sim)
    sim.inject("query", Fault.code("401"), times=None)
    [event] = await events_of(make_trigger(task_id))
    assert event["status"] == "error"
    assert event["code"] == "401"
    assert "sk-test-key" not in json.dumps(event)
    assert len(sim.requests_to("query")) == 1


async def test_unknown_task_is_an_error_event(topview_connection: TopviewSimulator) -> None:
    [event] = await events_of(make_trigger("0" * 32))
    assert (event["status"], event["code"]) == ("error", "4004")


async def test_many_triggers_share_one_http_session(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    sim.polls_to_finish = 4
    task_ids = [submit(sim) for _ in range(20)]
    seen_sessions: set[int] = set()

    async def watch() -> None:
        while any(not sim.tasks[task_id].finished for task_id in task_ids):
            seen_sessions.update(id(session) for session, _ in SHARED_SESSIONS._sessions.values())
            await asyncio.sleep(0.005)

    results = await asyncio.gather(*(events_of(make_trigger(task_id)) for task_id in task_ids), watch())
    assert all(events[0]["status"] == "success" for events in results[:-1])
    assert len(seen_sessions) == 1
    assert SHARED_SESSIONS._sessions == {}  # closed with the last trigger


LINK_KEYS = [link.xcom_key for link in VIDEO_LINKS]
END_AS_SUBMIT = {"returns": "task_id", "fail_on_partial": False, "model": "Kling", "estimated_credits": 2.5}
WHERE = {"dag_id": "batch", "task_id": "generate", "run_id": "manual__1", "map_index": 3}


class RecordingSupervisor:
    """Stands in for the triggerer's supervisor: records the XComs a trigger sets (SetXCom messages)."""

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}

    def send(self, msg: Any) -> None:
        assert type(msg).__name__ == "SetXCom", msg
        assert (msg.dag_id, msg.task_id, msg.run_id, msg.map_index) == tuple(WHERE.values())
        self.xcoms[msg.key] = msg.value


@pytest.fixture
def supervisor(monkeypatch: pytest.MonkeyPatch) -> RecordingSupervisor:
    from airflow.sdk.execution_time import task_runner

    recorder = RecordingSupervisor()
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", recorder, raising=False)
    return recorder


def in_triggerer(trigger: ImageToVideoTrigger) -> ImageToVideoTrigger:
    """The trigger as a triggerer runs it: with the task instance it waits for."""
    from types import SimpleNamespace

    trigger.task_instance = SimpleNamespace(**WHERE)  # type: ignore[assignment]
    return trigger


async def test_success_ends_the_task_in_the_triggerer_with_the_operators_xcoms(
    topview_connection: TopviewSimulator, supervisor: RecordingSupervisor
) -> None:
    """No resume workload: the XComs go through the execution API, then Airflow's TaskSuccessEvent."""
    from airflow.triggers.base import TaskSuccessEvent

    sim = topview_connection
    sim.polls_to_finish = 2
    task_id = submit(sim, generating_count=3)
    [event] = [event async for event in in_triggerer(make_trigger(task_id, end_task=END_AS_SUBMIT)).run()]
    assert isinstance(event, TaskSuccessEvent)
    assert event.xcoms is None  # not through the event: Airflow 3.3.2 would store them encoded twice
    xcoms = supervisor.xcoms
    result = xcoms["result"]
    assert xcoms["return_value"] == task_id
    assert result["taskId"] == task_id
    urls = [video["filePath"] for video in result["videos"]]
    assert len(urls) == 3
    # No worker ends this try, so the trigger stores each video's link itself; none for a fourth video.
    assert xcoms["topview_url"] == urls[0]
    assert [xcoms[key] for key in LINK_KEYS[:3]] == urls
    assert LINK_KEYS[3] not in xcoms
    assert sim.base_url not in repr(event)
    assert sim.base_url not in str(event)
    assert task_id in repr(event)


async def test_sensor_success_returns_the_finished_task(
    topview_connection: TopviewSimulator, supervisor: RecordingSupervisor
) -> None:
    sim = topview_connection
    sim.script_next_task(outcome="partial", failed_videos=[1])
    task_id = submit(sim, generating_count=3)
    end_as_sensor = {**END_AS_SUBMIT, "returns": "result", "model": None, "estimated_credits": None}
    [_event] = [event async for event in in_triggerer(make_trigger(task_id, end_task=end_as_sensor)).run()]
    xcoms = supervisor.xcoms
    assert xcoms["return_value"]["taskId"] == task_id
    assert "result" not in xcoms
    # The failed second video has no link: the links open the first and the third video.
    videos = xcoms["return_value"]["videos"]
    made = [videos[0]["filePath"], videos[2]["filePath"]]
    assert [xcoms[key] for key in LINK_KEYS[:2]] == made
    assert xcoms["topview_url"] == made[0]
    assert LINK_KEYS[2] not in xcoms


async def test_without_a_task_instance_success_resumes_on_the_worker(
    topview_connection: TopviewSimulator,
) -> None:
    """``airflow dags test`` runs triggers without one: the worker pushes the XComs, as before."""
    sim = topview_connection
    task_id = submit(sim)
    [payload] = await events_of(make_trigger(task_id, end_task=END_AS_SUBMIT))
    assert payload == {"status": "success", "topview_task_id": task_id, "task_type": "image2video"}


async def test_when_xcoms_cannot_be_pushed_success_resumes_on_the_worker(
    topview_connection: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A triggerer that cannot set XComs (no supervisor channel here): nothing is lost, a worker ends it."""
    from airflow.sdk.execution_time import task_runner

    monkeypatch.delattr(task_runner, "SUPERVISOR_COMMS", raising=False)
    sim = topview_connection
    task_id = submit(sim)
    [payload] = await events_of(in_triggerer(make_trigger(task_id, end_task=END_AS_SUBMIT)))
    assert payload["status"] == "success"


async def test_partial_failure_with_fail_on_partial_resumes_on_the_worker(
    topview_connection: TopviewSimulator, supervisor: RecordingSupervisor
) -> None:
    """The worker fails the task, so Airflow's retry rules apply unchanged."""
    sim = topview_connection
    sim.script_next_task(outcome="partial", failed_videos=[1])
    task_id = submit(sim, generating_count=2)
    strict = {**END_AS_SUBMIT, "fail_on_partial": True}
    [payload] = await events_of(in_triggerer(make_trigger(task_id, end_task=strict)))
    assert payload["status"] == "success"
    assert "result" not in payload  # the worker reads the task and decides, with the same rule
    assert supervisor.xcoms == {}


async def test_an_event_that_resumes_the_task_waits_for_the_floor(
    topview_connection: TopviewSimulator,
) -> None:
    """A failure found at once still resumes the task no sooner than not_before (Airflow's defer race)."""
    sim = topview_connection
    sim.script_next_task(outcome="fail", error_msg="model outage")
    task_id = submit(sim)
    floor = time.time() + 0.5
    [payload] = await events_of(in_triggerer(make_trigger(task_id, not_before=floor, end_task=END_AS_SUBMIT)))
    assert payload["status"] == "fail"
    assert time.time() >= floor
    assert len(sim.requests_to("query")) == 1  # it waited without polling again


async def test_a_success_ending_in_the_triggerer_is_not_held_back_by_the_floor(
    topview_connection: TopviewSimulator, supervisor: RecordingSupervisor
) -> None:
    sim = topview_connection
    task_id = submit(sim)
    floor = time.time() + 60
    trigger = in_triggerer(make_trigger(task_id, not_before=floor, end_task=END_AS_SUBMIT))
    [_event] = [event async for event in trigger.run()]
    assert supervisor.xcoms["return_value"] == task_id
    assert time.time() < floor
