"""Task lifecycle: init -> running -> success|fail, by polls or by time, with scripted outcomes."""

from __future__ import annotations

import pytest

from airflow_topview.testing import TopviewSimulator

from .conftest import KEY, UID, Api


def test_submit_answers_success_with_a_32_hex_task_id(api: Api) -> None:
    """``status`` is TopView's acceptance status, not the task's progress (a query says ``init``)."""
    answer = api.submit({"model": "kling-v3", "firstFrameFileId": api.sim.add_file()})
    assert answer["code"] == "200"
    assert answer["message"] == "Success"
    result = answer["result"]
    assert result["status"] == "success"
    assert result["errorMsg"] is None
    assert "noticeUuid" not in result  # only with a noticeUrl
    assert len(result["taskId"]) == 32
    int(result["taskId"], 16)
    assert api.sim.tasks[result["taskId"]].status == "init"


@pytest.mark.parametrize("polls", [1, 2, 3])
def test_task_finishes_on_the_nth_query(api: Api, polls: int) -> None:
    api.sim.polls_to_finish = polls
    task_id = api.submit_ok()
    statuses = [api.query(task_id)["result"]["status"] for _ in range(polls + 1)]
    assert statuses == ["running"] * (polls - 1) + ["success", "success"]
    assert api.sim.tasks[task_id].polls == polls + 1


def test_running_answer_has_no_videos_and_no_cost(api: Api) -> None:
    task_id = api.submit_ok()
    result = api.query(task_id)["result"]
    assert result == {
        "taskId": task_id,
        "status": "running",
        "errorMsg": None,
        "costCredit": None,
        "boardId": None,
        "videos": [],
    }


def test_time_based_completion_without_polling() -> None:
    with TopviewSimulator(uid=UID, api_key=KEY, seconds_to_finish=0.2) as sim:
        api = Api(sim)
        task_id = api.submit_ok()
        assert api.query(task_id)["result"]["status"] == "running"
        sim.wait_for(lambda: sim.tasks[task_id].status == "success", timeout=3)
        result = api.query(task_id)["result"]
        assert result["status"] == "success"
        assert len(result["videos"]) == 1


def test_time_based_task_is_not_finished_by_polls() -> None:
    with TopviewSimulator(uid=UID, api_key=KEY, polls_to_finish=1, seconds_to_finish=60) as sim:
        api = Api(sim)
        task_id = api.submit_ok()
        assert [api.query(task_id)["result"]["status"] for _ in range(3)] == ["running"] * 3
        sim.finish_task(task_id)
        assert api.query(task_id)["result"]["status"] == "success"


def test_success_result_shape(api: Api) -> None:
    task_id = api.submit_ok(model="kling-v3", duration=5, resolution=1080, generatingCount=3, boardId="b-1")
    result = api.run_to_end(task_id)
    assert result["status"] == "success"
    assert result["errorMsg"] is None
    assert result["boardId"] == "b-1"
    assert result["costCredit"] == pytest.approx(0.8 * 5 * 3)
    assert len(result["videos"]) == 3
    for index, video in enumerate(result["videos"]):
        assert video["status"] == "success"
        assert video["errorMsg"] is None
        assert (video["width"], video["height"]) == (1920, 1080)
        assert video["duration"] == 5
        assert video["boardTaskId"]
        assert video["filePath"].startswith(f"{api.sim.base_url}/_videos/{task_id}/{index}.mp4?Expires=")
        assert "Signature=" in video["filePath"]


@pytest.mark.parametrize(
    ("resolution", "aspect_ratio", "size"),
    [
        (720, None, (1280, 720)),
        (720, "16:9", (1280, 720)),
        (720, "9:16", (720, 1280)),
        (1080, "1:1", (1080, 1080)),
        (480, "16:9", (854, 480)),
        (720, "4:3", (960, 720)),
        (720, "3:4", (720, 960)),
    ],
)
def test_video_size_follows_resolution_and_aspect_ratio(
    api: Api, resolution: int, aspect_ratio: str | None, size: tuple[int, int]
) -> None:
    body = {"resolution": resolution} | ({"aspectRatio": aspect_ratio} if aspect_ratio else {})
    video = api.run_to_end(api.submit_ok(**body))["videos"][0]
    assert (video["width"], video["height"]) == size


def test_scripted_failure(api: Api) -> None:
    api.sim.script_next_task(outcome="fail", error_msg="content rejected")
    task_id = api.submit_ok(model="kling-v3")
    result = api.run_to_end(task_id)
    assert result["status"] == "fail"
    assert result["errorMsg"] == "content rejected"
    assert result["videos"] == []
    assert result["costCredit"] == 0
    assert api.sim.credits == 10000.0
    # the script was used up: the next task succeeds
    assert api.run_to_end(api.submit_ok())["status"] == "success"


def test_scripted_partial_success_charges_only_good_videos(api: Api) -> None:
    api.sim.script_next_task(outcome="partial", failed_videos=[1])
    task_id = api.submit_ok(model="kling-v3", duration=4, generatingCount=3)
    result = api.run_to_end(task_id)
    assert result["status"] == "success"
    assert [v["status"] for v in result["videos"]] == ["success", "fail", "success"]
    failed = result["videos"][1]
    assert failed["filePath"] is None
    assert failed["errorMsg"]
    assert result["costCredit"] == pytest.approx(0.5 * 4 * 2)
    assert api.sim.credits == pytest.approx(10000.0 - 4.0)


def test_scripts_queue_up_in_order(api: Api) -> None:
    api.sim.script_next_task(outcome="fail")
    api.sim.script_next_task(outcome="success")
    first, second = api.submit_ok(), api.submit_ok()
    assert api.run_to_end(first)["status"] == "fail"
    assert api.run_to_end(second)["status"] == "success"


def test_script_rejects_unknown_outcome(sim: TopviewSimulator) -> None:
    with pytest.raises(ValueError, match="outcome"):
        sim.script_next_task(outcome="maybe")  # type: ignore[arg-type]


def test_finish_task_forces_completion(api: Api) -> None:
    task_id = api.submit_ok()
    snapshot = api.sim.finish_task(task_id)
    assert snapshot.status == "success"
    assert api.query(task_id)["result"]["status"] == "success"


def test_tasks_snapshot_is_a_copy(api: Api) -> None:
    task_id = api.submit_ok(prompt="a cat")
    snapshot = api.sim.tasks[task_id]
    assert snapshot.status == "init"
    assert snapshot.body["prompt"] == "a cat"
    assert snapshot.polls == 0
    assert snapshot.cost is None
    snapshot.status = "fail"
    assert api.sim.tasks[task_id].status == "init"


def test_unknown_task_id_is_4004(api: Api) -> None:
    answer = api.query("0" * 32)
    assert answer["code"] == "4004"
    assert "taskId" in answer["message"]


def test_missing_task_id_is_4003(api: Api) -> None:
    answer = api.get("/v2/common_task/image2video/task/query").json()
    assert answer["code"] == "4003"
    assert "taskId" in answer["message"]


@pytest.mark.parametrize(
    ("model", "extra", "cost"),
    [
        ("seedance-1.5-pro", {}, 0.12 * 5),  # defaults: 720, sound off, 5 s, 1 video
        ("Seedance 1.5 Pro", {"resolution": 1080, "sound": "on", "duration": 8}, 0.55 * 8),
        ("Kling V3", {"sound": "on", "duration": 10, "generatingCount": 2}, 0.8 * 10 * 2),
        ("Topview Pro", {"resolution": 1080, "duration": 10}, 0.2 * 10),  # resolution null = any
        ("Kling 2.5 Turbo Pro", {"duration": 5}, 0.31 * 5),  # 720 not listed: falls back to its rate
        ("brand-new-model", {"duration": 6, "generatingCount": 2}, 1.0 * 6 * 2),  # added by the test
    ],
)
def test_cost_comes_from_the_model_table(api: Api, model: str, extra: dict[str, object], cost: float) -> None:
    api.sim.add_model("brand-new-model")
    task_id = api.submit_ok(model=model, **extra)
    assert api.sim.tasks[task_id].estimated_cost == pytest.approx(cost)
    assert api.run_to_end(task_id)["costCredit"] == pytest.approx(cost)
    credit = api.get("/user/credit/detail").json()["result"]
    assert credit["remainCredit"] == pytest.approx(10000.0 - cost)


def test_not_enough_credits_is_4100_and_creates_no_task(api: Api) -> None:
    api.sim.credits = 1.0
    answer = api.submit({"model": "kling-v3", "firstFrameFileId": api.sim.add_file(), "duration": 5})
    assert answer["code"] == "4100"
    assert api.sim.tasks == {}
    assert api.get("/user/credit/detail").json()["result"]["remainCredit"] == 1.0


def test_max_running_answers_4007_until_a_task_finishes(api: Api) -> None:
    api.sim.max_running = 2
    first = api.submit_ok()
    api.submit_ok()
    blocked = api.submit({"model": "kling-v3", "firstFrameFileId": api.sim.add_file()})
    assert blocked["code"] == "4007"
    assert len(api.sim.tasks) == 2
    api.run_to_end(first)
    api.submit_ok()
    assert len(api.sim.tasks) == 3


def test_reset_forgets_everything(api: Api) -> None:
    task_id = api.submit_ok(model="kling-v3")
    api.run_to_end(task_id)
    api.sim.script_next_task(outcome="fail")
    api.sim.reset()
    assert api.sim.tasks == {}
    assert api.sim.journal == []
    assert api.sim.credits == 10000.0
    assert api.query(task_id)["code"] == "4004"
    assert api.run_to_end(api.submit_ok())["status"] == "success"  # the script was dropped too
