"""Text-to-Video and Omni Reference: their own endpoints with Image-to-Video's lifecycle, costs, videos,
faults and callbacks; one journal, balance and concurrency limit; a task is found only by its own query."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest
import requests

from airflow_topview.client.task_types import IMAGE_TO_VIDEO, OMNI_REFERENCE, TEXT_TO_VIDEO, TaskType
from airflow_topview.testing import ENDPOINTS, Fault, TopviewSimulator, query_endpoint, submit_endpoint

from .conftest import AUTH, Api, Receiver
from .family import FAMILY, body_for, image, submit_ok, video
from .test_user_project import doc_snippet

ids = pytest.mark.parametrize("task_type", FAMILY, ids=lambda t: t.key)


def test_endpoint_names() -> None:
    assert [submit_endpoint(t) for t in (IMAGE_TO_VIDEO, TEXT_TO_VIDEO, OMNI_REFERENCE)] == [
        "submit",
        "text2video_submit",
        "omni_reference_submit",
    ]
    assert [query_endpoint(t.key) for t in (IMAGE_TO_VIDEO, TEXT_TO_VIDEO, OMNI_REFERENCE)] == [
        "query",
        "text2video_query",
        "omni_reference_query",
    ]
    assert submit_endpoint() == "submit"
    assert {"text2video_submit", "text2video_query", "omni_reference_submit", "omni_reference_query"} <= set(
        ENDPOINTS
    )
    with pytest.raises(ValueError, match="unknown task type"):
        submit_endpoint("image_to_video")


@ids
def test_submit_then_query_to_success_with_cost(api: Api, task_type: TaskType) -> None:
    answer = api.submit(body_for(api.sim, task_type, duration=6, generatingCount=2), task_type)
    assert answer["code"] == "200", answer
    result = answer["result"]
    assert (result["status"], result["errorMsg"]) == ("success", None)
    task_id = result["taskId"]
    assert len(task_id) == 32
    int(task_id, 16)
    task = api.sim.tasks[task_id]
    assert (task.task_type, task.status, task.estimated_cost) == (task_type.key, "init", 1.0 * 6 * 2)
    running = api.query(task_id, task_type)
    assert running["code"] == "200"
    assert running["result"] == {
        "taskId": task_id,
        "status": "running",
        "errorMsg": None,
        "costCredit": None,
        "boardId": None,
        "videos": [],
    }
    assert api.sim.reserved_credits == 12.0
    done = api.query(task_id, task_type)["result"]
    assert (done["status"], done["costCredit"]) == ("success", 12.0)
    assert [(v["status"], v["width"], v["height"], v["duration"]) for v in done["videos"]] == [
        ("success", 1280, 720, 6)
    ] * 2
    assert api.sim.credits == 10000.0 - 12.0
    assert api.sim.reserved_credits == 0
    [submit] = api.sim.requests_to(submit_endpoint(task_type))
    assert (submit.method, submit.path, submit.code) == ("POST", task_type.submit_path, "200")
    queries = api.sim.requests_to(query_endpoint(task_type))
    assert [(q.path, q.query["taskId"]) for q in queries] == [(task_type.query_path, task_id)] * 2
    assert api.sim.requests_to("submit") == []
    assert api.sim.requests_to("query") == []
    assert api.sim.submits(task_type) == [submit] == api.sim.submits(task_type.key) == api.sim.submits()


@ids
def test_videos_download_from_signed_urls(api: Api, task_type: TaskType) -> None:
    task_id = submit_ok(api, task_type, aspectRatio="9:16", boardId="board-1")
    result = api.run_to_end(task_id, task_type=task_type)
    [item] = result["videos"]
    assert (item["width"], item["height"], result["boardId"]) == (720, 1280, "board-1")
    assert item["boardTaskId"]
    assert item["filePath"].startswith(f"{api.sim.base_url}/_videos/{task_id}/0.mp4?")
    got = requests.get(item["filePath"], timeout=5)
    assert (got.status_code, got.content) == (200, api.sim.video_bytes)
    api.sim.expire_urls()
    assert requests.get(item["filePath"], timeout=5).status_code == 403


@ids
def test_scripted_partial_failure_charges_the_videos_made(api: Api, task_type: TaskType) -> None:
    api.sim.script_next_task("partial", error_msg="blocked", failed_videos=[1])
    task_id = submit_ok(api, task_type, generatingCount=3, duration=4)
    result = api.run_to_end(task_id, task_type=task_type)
    assert [v["status"] for v in result["videos"]] == ["success", "fail", "success"]
    assert result["videos"][1]["errorMsg"] == "blocked"
    assert result["videos"][1]["filePath"] is None
    assert result["costCredit"] == pytest.approx(1.0 * 4 * 2)


@ids
def test_failed_task_is_not_charged(api: Api, task_type: TaskType) -> None:
    api.sim.script_next_task("fail", error_msg="safety filter")
    task_id = submit_ok(api, task_type)
    result = api.run_to_end(task_id, task_type=task_type)
    assert (result["status"], result["errorMsg"], result["costCredit"], result["videos"]) == (
        "fail",
        "safety filter",
        0.0,
        [],
    )
    assert api.sim.credits == 10000.0
    assert api.sim.reserved_credits == 0


@ids
def test_scripted_statuses_and_fields(api: Api, task_type: TaskType) -> None:
    api.sim.script_next_task(
        statuses=["queued", None], running_fields={"videos": None}, final_status="failed"
    )
    task_id = submit_ok(api, task_type)
    first, second = (api.query(task_id, task_type)["result"] for _ in range(2))
    assert (first["status"], first["videos"], second["status"]) == ("queued", None, None)
    assert api.query(task_id, task_type)["result"]["status"] == "failed"


@ids
def test_a_query_finds_only_its_own_task_type(api: Api, task_type: TaskType) -> None:
    """Another task type's query answers as for an unknown id (4004) and does not advance the task."""
    task_id = submit_ok(api, task_type)
    image_task = api.submit_ok(model="Kling V3")
    others = [t for t in (IMAGE_TO_VIDEO, TEXT_TO_VIDEO, OMNI_REFERENCE) if t is not task_type]
    for other in others:
        answer = api.query(task_id, other)
        assert answer == {"code": "4004", "message": f"taskId: task not found: {task_id}", "result": None}
        assert api.sim.requests_to(query_endpoint(other))[-1].code == "4004"
    assert api.query(image_task, task_type)["code"] == "4004"
    assert api.sim.tasks[task_id].polls == 0
    assert api.sim.tasks[image_task].polls == 0
    assert api.query(task_id, task_type)["result"]["status"] == "running"


@ids
def test_query_needs_a_task_id(api: Api, task_type: TaskType) -> None:
    answer = api.get(task_type.query_path).json()
    assert (answer["code"], answer["message"]) == ("4003", "taskId: required")


@ids
def test_auth_is_required(api: Api, task_type: TaskType) -> None:
    body = body_for(api.sim, task_type)
    answer = api.post(task_type.submit_path, body, headers={"Topview-Uid": "test-uid"}).json()
    assert answer["code"] == "401"
    assert api.get(task_type.query_path, headers={}, taskId="0" * 32).json()["code"] == "401"
    assert api.sim.tasks == {}


@ids
def test_fault_on_the_submit_answers_instead_and_creates_nothing(api: Api, task_type: TaskType) -> None:
    api.sim.inject(submit_endpoint(task_type), Fault.code("5003"))
    api.sim.inject("submit", Fault.http(500))  # Image-to-Video's: not touched by the other submits
    assert api.submit(body_for(api.sim, task_type), task_type)["code"] == "5003"
    assert api.sim.tasks == {}
    assert api.sim.pending_faults(submit_endpoint(task_type)) == 0
    assert api.sim.pending_faults("submit") == 1
    [entry] = api.sim.requests_to(submit_endpoint(task_type))
    assert (entry.fault, entry.code, entry.handler_code) == ("code", "5003", None)
    submit_ok(api, task_type)
    assert len(api.sim.tasks) == 1


@ids
def test_fault_after_accepting_creates_the_task(api: Api, task_type: TaskType) -> None:
    api.sim.inject(submit_endpoint(task_type), Fault.http(502, after_accepting=True))
    resp = api.post(task_type.submit_path, body_for(api.sim, task_type))
    assert resp.status_code == 502
    (task,) = api.sim.tasks.values()
    assert task.task_type == task_type.key
    [entry] = api.sim.requests_to(submit_endpoint(task_type))
    assert (entry.status, entry.handler_code) == (502, "200")


@ids
def test_fault_on_the_query(api: Api, task_type: TaskType) -> None:
    task_id = submit_ok(api, task_type)
    api.sim.inject(query_endpoint(task_type), Fault.http(503, retry_after=1), times=2)
    for _ in range(2):
        resp = api.get(task_type.query_path, taskId=task_id)
        assert (resp.status_code, resp.headers["Retry-After"]) == (503, "1")
    assert api.sim.tasks[task_id].polls == 0
    assert api.query(task_id, task_type)["result"]["status"] == "running"
    assert [e.fault for e in api.sim.requests_to(query_endpoint(task_type))] == ["http", "http", None]


def test_concurrency_limit_and_credits_are_shared_by_every_task_type(api: Api) -> None:
    api.sim.max_running = 2
    submit_ok(api, TEXT_TO_VIDEO)
    api.submit_ok(model="Kling V3")
    for task_type in FAMILY:
        answer = api.submit(body_for(api.sim, task_type), task_type)
        assert answer["code"] == "4007", answer
    api.sim.max_running = None
    api.sim.credits = api.sim.reserved_credits + 4.0
    answer = api.submit(body_for(api.sim, OMNI_REFERENCE, duration=5), OMNI_REFERENCE)  # 5 credits
    assert answer["code"] == "4100"
    assert "credits" in answer["message"]
    assert len(api.sim.tasks) == 2


async def test_callback_carries_the_task_types_biz_type(receiver: Receiver) -> None:
    """[guess] TopView's bizType for these task types is unknown; the simulator follows Image-to-Video's."""
    async with (
        TopviewSimulator(seconds_to_finish=0.1) as sim,
        aiohttp.ClientSession(headers=AUTH) as session,
    ):
        notices: dict[str, str] = {}
        for task_type in FAMILY:
            body = body_for(sim, task_type, noticeUrl=receiver.url)
            async with session.post(f"{sim.base_url}{task_type.submit_path}", json=body) as resp:
                result: dict[str, Any] = (await resp.json())["result"]
            uuid.UUID(result["noticeUuid"])
            notices[result["taskId"]] = result["noticeUuid"]
        await sim.wait_for_async(lambda: len(sim.callbacks) == 2, timeout=5)
    by_task = {payload["taskId"]: payload for _, payload in receiver.calls}
    assert set(by_task) == set(notices)
    biz = {sim.tasks[task_id].task_type: payload["bizType"] for task_id, payload in by_task.items()}
    assert biz == {"text2video": "COMMON_TASK_TEXT2VIDEO", "omni_reference": "COMMON_TASK_OMNI_REFERENCE"}
    for task_id, payload in by_task.items():
        assert payload["uuid"] == notices[task_id]
        assert (payload["status"], payload["result"]["costCredit"]) == ("success", 5.0)
    assert all(record.reply_ok for record in sim.callbacks)


@pytest.mark.parametrize(
    ("task_type", "fields", "cost"),
    [
        (TEXT_TO_VIDEO, {"model": "Kling V3", "sound": "on", "duration": 5}, 0.8 * 5),  # seen: 4.0
        (TEXT_TO_VIDEO, {"model": "Seedance 1.5 Pro", "sound": "on", "duration": 8}, 0.25 * 8),  # seen: 2.0
        (TEXT_TO_VIDEO, {"model": "Vidu Q2", "resolution": 1080, "duration": 5}, 0.28 * 5),  # t2v only
        (TEXT_TO_VIDEO, {"model": "Veo 3.1 Fast", "resolution": 2160, "duration": 8, "sound": "on"}, 2.0 * 8),
        (TEXT_TO_VIDEO, {"model": "Kling 2.6", "duration": 10, "generatingCount": 3}, 0.31 * 10 * 3),
        (TEXT_TO_VIDEO, {"model": "Seedance 2.0 Mini", "duration": 6}, 1.0 * 6),  # no rate published
        (OMNI_REFERENCE, {"model": "Fast", "duration": 15, "generatingCount": 4}, 1.0 * 15 * 4),
        (OMNI_REFERENCE, {"model": "Kling O3 Video-Edit", "resolution": 720, "duration": 5}, 1.7 * 5),
        (OMNI_REFERENCE, {"model": "Kling O3 Video-Edit", "resolution": 1080, "duration": 10}, 2.0 * 10),
        (OMNI_REFERENCE, {"model": "Kling O1 Video-Edit", "resolution": 1080, "duration": 3}, 0.8 * 3),
    ],
    ids=lambda value: value.key if isinstance(value, TaskType) else None,
)
def test_cost_uses_the_task_types_rates(
    api: Api, task_type: TaskType, fields: dict[str, Any], cost: float
) -> None:
    if task_type is OMNI_REFERENCE:
        fields = {
            "prompt": "edit <<<Video1>>>",
            "inputImages": None,
            "inputVideos": [video(api.sim)],
            **fields,
        }
    task_id = submit_ok(api, task_type, **fields)
    assert api.sim.tasks[task_id].estimated_cost == pytest.approx(cost)
    assert api.run_to_end(task_id, task_type=task_type)["costCredit"] == pytest.approx(cost)
    assert api.sim.credits == pytest.approx(10000.0 - cost)


def test_omni_inputs_are_recorded_on_the_task(api: Api) -> None:
    pictures = [image(api.sim, "Image1"), image(api.sim, "Image2")]
    clip = video(api.sim, "Video1")
    prompt = "<<<Image1>>> and <<<Image2>>> dance in <<<Video1>>>"
    task_id = submit_ok(api, OMNI_REFERENCE, prompt=prompt, inputImages=pictures, inputVideos=[clip])
    request = api.sim.tasks[task_id].request
    assert request.file_ids() == [
        ("inputImages[0].fileId", pictures[0]["fileId"]),
        ("inputImages[1].fileId", pictures[1]["fileId"]),
        ("inputVideos[0].fileId", clip["fileId"]),
    ]
    assert api.sim.tasks[task_id].body["inputVideos"] == [clip]


def test_the_docs_snippet_runs(api: Api) -> None:
    task_id = submit_ok(api, TEXT_TO_VIDEO)
    namespace = {"sim": api.sim, "task_id": task_id}
    exec(compile(doc_snippet("simulator-task-types"), "docs/testing.md", "exec"), namespace)
    assert api.sim.pending_faults("omni_reference_query") == 1
