"""Text-to-Video and Omni Reference in real DAG runs against the simulator: what was sent, pushed, paid."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.client.task_types import OMNI_REFERENCE, TEXT_TO_VIDEO, TaskType
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.submit.paid import PaidSubmit
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner, DagRunResult
from tests.unit.test_submit_journal import DictStore

pytestmark = pytest.mark.dag


def only_body(sim: TopviewSimulator, endpoint: str) -> dict[str, Any]:
    [entry] = sim.requests_to(endpoint)
    assert isinstance(entry.json, dict)
    return entry.json


def assert_no_secret(sim: TopviewSimulator, result: DagRunResult) -> None:
    assert sim.api_key not in result.log
    assert sim.api_key not in json.dumps(list(result.xcoms.values()), default=str)
    assert sim.api_key not in json.dumps(list(result.rendered_fields.values()), default=str)


def test_text_to_video_is_budgeted_templated_waited_for_and_downloaded(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    conf = {"model": "Kling V3", "time": "noon", "ratio": "9:16", "duration": 5, "sound": "on"}
    result = dag_runner.run("topview_family_t2v", conf={**conf, "board": "b1", "folder": str(tmp_path)})
    assert result.state == "success", result.log[-4000:]
    assert only_body(sim, "text2video_submit") == {
        "model": "Kling V3",
        "prompt": "a paper boat at noon",
        "aspectRatio": "9:16",
        "resolution": 720,
        "duration": 5,
        "sound": "on",
        "generatingCount": 1,
        "boardId": "b1",
    }
    [topview_task_id] = sim.tasks
    assert result.xcom("submit") == topview_task_id
    assert result.xcom("submit", key="request")["prompt"] == "a paper boat at noon"
    # The sensor and the download found the task type from the submit upstream: no Image-to-Video call.
    assert sim.requests_to("text2video_query")
    assert not sim.requests_to("query")
    assert result.xcom("budget")["credits_per_video"] == pytest.approx(4.0)  # Kling V3 720p sound on
    assert result.xcom("report")["charged_credits"] == pytest.approx(4.0)
    written = result.xcom("download")
    assert [Path(path).name for path in written] == [f"{topview_task_id}_0.mp4"]
    assert Path(written[0]).stat().st_size > 0
    assert_no_secret(sim, result)


def test_text_to_video_waits_in_the_triggerer_and_pushes_the_result(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    result = dag_runner.run("topview_family_t2v_deferred")
    assert result.state == "success", result.log[-4000:]
    [topview_task_id] = sim.tasks
    assert result.xcom("submit") == topview_task_id
    assert result.xcom("submit", key="result")["taskId"] == topview_task_id
    assert result.xcom("submit", key="estimated_credits") == pytest.approx(2.5)  # 0.5 x 5 s, sound off
    assert result.xcom("submit", key="estimate_is_upper_bound") is False  # everything priced was set
    assert len(sim.submits()) == 1
    assert not sim.requests_to("query")


def test_omni_reference_sends_named_inputs_natively_and_downloads(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    image, product, video = sim.add_file("png"), sim.add_file("jpg"), sim.add_file("mp4")
    conf = {
        "prompt": "<<<Image1>>> holds <<<Product>>> and moves like <<<Video1>>>",
        "images": {"Image1": image, "Product": product},
        "videos": [{"file_id": video, "name": "Video1"}],
        "resolution": 720,
        "duration": 5,
        "search": True,
        "folder": str(tmp_path),
    }
    result = dag_runner.run("topview_family_omni_native", conf=conf)
    assert result.state == "success", result.log[-4000:]
    assert only_body(sim, "omni_reference_submit") == {
        "model": "Standard",
        "prompt": conf["prompt"],
        "inputImages": [{"fileId": image, "name": "Image1"}, {"fileId": product, "name": "Product"}],
        "inputVideos": [{"fileId": video, "name": "Video1"}],
        "aspectRatio": "9:16",
        "resolution": 720,
        "duration": 5,
        "internetSearch": True,
    }
    rendered = result.rendered_fields[("submit", -1)]
    assert rendered["input_images"] == [
        {"file_id": image, "name": "Image1"},
        {"file_id": product, "name": "Product"},
    ]
    [topview_task_id] = sim.tasks
    assert [Path(path).name for path in result.xcom("download")] == [f"{topview_task_id}_0.mp4"]
    assert sim.requests_to("omni_reference_query")
    assert not sim.requests_to("query")
    assert_no_secret(sim, result)


def test_omni_reference_inputs_rendered_as_text_are_read_back(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    image = sim.add_file("png")
    conf = {"model": "Fast", "prompt": "<<<Image1>>> waves", "images": [{"file_id": image, "name": "Image1"}]}
    result = dag_runner.run("topview_family_omni_text", conf=conf)
    assert result.state == "success", result.log[-4000:]
    body = only_body(sim, "omni_reference_submit")
    assert body == {
        "model": "Fast",
        "prompt": "<<<Image1>>> waves",
        "inputImages": [{"fileId": image, "name": "Image1"}],
    }
    assert "internetSearch" not in body  # TopView's client leaves it out unless it is on
    # No duration: priced at the longest the model allows, so the estimate is an upper bound.
    assert result.xcom("submit", key="estimate_is_upper_bound") is True
    assert "at most 15 credits" in result.log


BAD_TEXT_TO_VIDEO = {
    "no prompt": ({"model": "Standard"}, "prompt: is required"),
    "former name": (
        {"model": "Topview Omni", "prompt": "x"},
        "model: 'Topview Omni' is no longer accepted by TopView; use 'Gemini Omni Flash'",
    ),
    "duration": (
        {"model": "Kling 2.6", "prompt": "x", "duration": 7},
        "duration: kling-2.6 (Kling 2.6) takes 5 or 10 seconds, got 7",
    ),
    "ratio": (
        {"model": "Kling V3", "prompt": "x", "ratio": "4:3"},
        "aspect_ratio: kling-v3 (Kling V3) takes 9:16, 1:1 or 16:9, got 4:3",
    ),
    "no audio": (
        {"model": "Kling 2.5 Turbo Pro", "prompt": "x", "sound": "on"},
        "sound: kling-2.5-turbo-pro",
    ),
    "budget": (
        {"model": "Standard", "prompt": "x", "duration": 15, "max_credits": 5},
        "max_credits: the estimated cost 15 credits is above the budget of 5",
    ),
    "blank prompt": ({"model": "Standard", "prompt": "  "}, "prompt: must not be empty"),
}


@pytest.mark.parametrize(("conf", "message"), BAD_TEXT_TO_VIDEO.values(), ids=BAD_TEXT_TO_VIDEO.keys())
def test_bad_text_to_video_input_fails_before_any_request(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, conf: dict[str, Any], message: str
) -> None:
    sim = topview_connection
    result = dag_runner.run("topview_family_t2v_bad", conf=conf)
    assert result.state == "failed"
    assert message in result.log
    assert sim.journal == []
    assert result.tries[("submit", -1)] == 1


BAD_OMNI = {
    "unknown placeholder": (
        "<<<Image2>>> waves",
        1,
        "prompt: <<<Image2>>> names no input (names are matched exactly); the inputs are <<<Image1>>>",
    ),
    "too many images": ("<<<Image1>>> waves", 10, "input_images: TopView takes at most 9 images, got 10"),
}


@pytest.mark.parametrize(("prompt", "images", "message"), BAD_OMNI.values(), ids=BAD_OMNI.keys())
def test_bad_omni_reference_input_fails_before_any_request(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, prompt: str, images: int, message: str
) -> None:
    sim = topview_connection
    given = [{"file_id": f"f{index}", "name": f"Image{index + 1}"} for index in range(images)]
    result = dag_runner.run(
        "topview_family_omni_text", conf={"model": "Standard", "prompt": prompt, "images": given}
    )
    assert result.state == "failed"
    assert message in result.log
    assert sim.journal == []


def test_a_retired_model_is_named_with_its_date_and_alternatives_and_topview_refuses_it(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    result = dag_runner.run("topview_family_t2v_bad", conf={"model": "Sora 2", "prompt": "a fox"})
    assert result.state == "failed"
    assert "Sora 2 was retired on 2026-09-24" in result.log
    assert "use Veo 3.1 or Kling V3" in result.log
    [refused] = sim.submits()
    assert refused.code == "4000"
    assert not sim.tasks


def test_no_credits_after_a_passed_balance_check_names_the_ultra_plan(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    sim.inject("text2video_submit", Fault.code("4100"))
    conf = {"model": "Kling V3", "time": "noon", "ratio": "9:16", "duration": 5, "sound": "on"}
    result = dag_runner.run("topview_family_t2v", conf={**conf, "board": "b1", "folder": str(tmp_path)})
    assert result.task_state("budget") == "success"
    assert result.task_state("submit") == "failed"
    assert (
        "the run budget's balance check saw 10000 credits on the account, enough for the 4 estimated"
        in result.log
    )
    assert "the Ultra plan's monthly credits cannot be spent through the API" in result.log
    assert "or they were spent since the check" in result.log
    assert not sim.tasks


def test_no_credits_without_a_balance_check_is_topviews_own_answer(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.inject("text2video_submit", Fault.code("4100"))
    result = dag_runner.run("topview_family_t2v_bad", conf={"model": "Kling V3", "prompt": "a fox"})
    assert result.state == "failed"
    assert "TopView error 4100" in result.log
    assert "Ultra plan" not in result.log


def test_a_sensor_below_submits_of_two_task_types_must_be_told_which(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    result = dag_runner.run("topview_family_mixed")
    assert result.task_state("wait_unsure") == "failed"
    assert (
        "topview_task_type: the submits upstream are of the task types omni_reference, text2video; "
        "set topview_task_type to the one this task reads"
    ) in result.log
    assert result.task_state("wait_told") == "success"
    omni_id = result.xcom("refs")
    assert [entry.query["taskId"] for entry in sim.requests_to("omni_reference_query")] == [omni_id]
    assert not sim.requests_to("text2video_query")
    assert not sim.requests_to("query")


def test_an_ambiguous_text_to_video_submit_is_never_sent_again_by_retries(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.inject("text2video_submit", Fault.http(502, after_accepting=True), times=None)
    result = dag_runner.run("topview_family_t2v_retries")
    assert result.state == "failed"
    assert result.tries[("submit", -1)] == 1  # retries=2 in the DAG: none of them may run
    assert "TopView may have created (and will bill) a task, so it is not sent again" in result.log
    assert len(sim.submits()) == 1
    assert len(sim.tasks) == 1


@pytest.mark.parametrize("task_type", [TEXT_TO_VIDEO, OMNI_REFERENCE], ids=lambda kind: kind.key)
def test_a_retry_reuses_the_task_an_earlier_try_paid_for(
    topview_connection: TopviewSimulator, task_type: TaskType
) -> None:
    sim = topview_connection
    store = DictStore()
    request = task_type.build_request({"prompt": "a heron at dawn", "duration": 5})

    def attempt(try_number: int) -> str:
        submitter = PaidSubmit(
            TopviewHook(retry_limit=1),
            logging.getLogger("tests.family"),
            store=store,
            try_number=try_number,
            on_uncertain_submit="fail",
            max_tries=2,
            task_type=task_type,
        )
        topview_task_id, _ = submitter.resume_or_submit(request)
        return topview_task_id

    first = attempt(1)
    assert attempt(2) == first
    assert [entry.endpoint for entry in sim.submits()] == [f"{task_type.key}_submit"]
    assert [entry.query["taskId"] for entry in sim.requests_to(f"{task_type.key}_query")] == [first]


def test_mapped_submits_and_downloads_are_listed_by_prompt_and_task_id(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    from airflow_topview.testing.run_reader import task_instances

    sim = topview_connection
    result = dag_runner.run("topview_family_mapped", conf={"folder": str(tmp_path)})
    assert result.state == "success", result.log[-4000:]
    labels = {
        (ti["task_id"], ti["map_index"]): ti["rendered_map_index"]
        for ti in task_instances(result.dag_id, result.run_id)
    }
    long_label = labels[("submit", 1)]
    assert labels[("submit", 0)] == "A heron lands on a post"
    assert long_label.startswith("A very long prompt that keeps going")
    assert len(long_label) <= 60
    assert long_label.endswith("...")
    assert {labels[("download", index)] for index in (0, 1)} == set(sim.tasks)


def test_a_clear_after_the_operator_changed_task_type_never_takes_the_other_types_task(
    topview_connection: TopviewSimulator,
) -> None:
    sim = topview_connection
    store = DictStore()
    body = {"model": "Standard", "prompt": "a heron at dawn"}  # the same body for both task types

    def attempt(task_type: TaskType, try_number: int) -> str:
        submitter = PaidSubmit(
            TopviewHook(retry_limit=1),
            logging.getLogger("tests.family"),
            store=store,
            try_number=try_number,
            on_uncertain_submit="fail",
            max_tries=try_number,  # each try a clear of the one before
            task_type=task_type,
        )
        topview_task_id, _ = submitter.resume_or_submit(task_type.build_request(body))
        return topview_task_id

    text_clip = attempt(TEXT_TO_VIDEO, 1)
    omni_clip = attempt(OMNI_REFERENCE, 2)
    assert omni_clip != text_clip
    assert [entry.endpoint for entry in sim.submits()] == ["text2video_submit", "omni_reference_submit"]
    assert not sim.requests_to("omni_reference_query")  # the Text-to-Video task was never asked for there


def test_a_sensor_starting_in_the_triggerer_must_name_a_type_other_than_image_to_video(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    earlier = TEXT_TO_VIDEO.build_request({"prompt": "a heron"})
    topview_task_id = TopviewHook(retry_limit=1).submit_task(TEXT_TO_VIDEO, earlier).task_id
    result = dag_runner.run(
        "topview_family_start_in_triggerer", conf={"id": topview_task_id, "type": "text2video"}
    )
    assert result.task_state("wait_untold") == "failed"
    assert "set topview_task_type='text2video'" in result.log
    # The type can come from the run's conf, like the id.
    assert result.task_state("wait_from_conf") == "success"
    assert result.xcom("wait_from_conf")["taskId"] == topview_task_id
    assert not sim.requests_to("query")  # nothing asked at Image-to-Video's endpoint
