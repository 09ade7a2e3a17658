"""SubmitImageToVideoOperator in real DAG runs against the simulator: what was rendered, sent and pushed."""

from __future__ import annotations

import json
import re

import pytest

from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner, DagRunResult

pytestmark = pytest.mark.dag

API_KEY = "sk-test-key"


def only_submit_body(sim: TopviewSimulator) -> dict[str, object]:
    [entry] = sim.requests_to("submit")
    assert isinstance(entry.json, dict)
    return entry.json


def assert_no_secret(result: DagRunResult) -> None:
    assert API_KEY not in result.log
    assert API_KEY not in json.dumps(list(result.xcoms.values()), default=str)
    assert API_KEY not in json.dumps(list(result.rendered_fields.values()), default=str)


def test_fields_render_from_params_conf_and_macros(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    first = sim.add_file("png")
    result = dag_runner.run(
        "topview_test_context",
        conf={
            "model": "Kling V3",
            "first": first,
            "duration": 5,
            "sound": "on",
            "count": 2,
            "board": "b7",
            "notice": "https://example.com/topview-done",
        },
    )
    assert result.state == "success", result.log[-4000:]
    body = only_submit_body(sim)
    rendered_prompt = result.rendered_fields[("submit", -1)]["prompt"]
    assert re.fullmatch(r"a red fox on \d{4}-\d{2}-\d{2}", rendered_prompt)
    assert body == {
        "model": "Kling V3",
        "firstFrameFileId": first,
        "prompt": rendered_prompt,
        "resolution": 720,
        "duration": 5,
        "sound": "on",
        "generatingCount": 2,
        "boardId": "board-b7",
        "noticeUrl": "https://example.com/topview-done",
    }
    [topview_task_id] = sim.tasks
    assert result.xcom("submit") == topview_task_id
    assert result.xcom("submit", key="task_id") == topview_task_id
    assert f"topview_task_id={topview_task_id}" in result.log
    assert_no_secret(result)


def test_native_rendering_passes_lists_and_ints(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    refs = [sim.add_file("png"), sim.add_file("webp")]
    result = dag_runner.run(
        "topview_test_native", conf={"refs": refs, "ratio": "9:16", "resolution": 1080, "duration": 10}
    )
    assert result.state == "success", result.log[-4000:]
    assert only_submit_body(sim) == {
        "model": "Kling V3 Reference Video",
        "referenceImageFileIds": refs,
        "aspectRatio": "9:16",
        "resolution": 1080,
        "duration": 10,
    }


def test_list_rendered_as_text_is_sent_as_list(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    refs = [sim.add_file("png"), sim.add_file("png"), sim.add_file("jpg")]
    result = dag_runner.run("topview_test_string_list", conf={"refs": refs})
    assert result.state == "success", result.log[-4000:]
    # The rendered field shows what was sent: the list, not the text the template made.
    assert result.rendered_fields[("submit", -1)]["reference_image_file_ids"] == refs
    assert only_submit_body(sim)["referenceImageFileIds"] == refs


def test_frames_from_upstream_xcom(topview_connection: TopviewSimulator, dag_runner: DagRunner) -> None:
    sim = topview_connection
    first, end = sim.add_file("png"), sim.add_file("png")
    result = dag_runner.run("topview_test_xcom", conf={"first": first, "end": end})
    assert result.state == "success", result.log[-4000:]
    body = only_submit_body(sim)
    assert (body["firstFrameFileId"], body["endFrameFileId"]) == (first, end)


def test_mapped_upstream_output_feeds_reference_images(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    refs = [sim.add_file("png") for _ in range(3)]
    result = dag_runner.run("topview_test_mapped_refs", conf={"refs": refs})
    assert result.state == "success", result.log[-4000:]
    assert only_submit_body(sim)["referenceImageFileIds"] == refs
    # Rendered Templates (UI and REST) show the ids sent, not "LazyXComSequence(<unevaluated length>)".
    assert result.rendered_fields[("submit", -1)]["reference_image_file_ids"] == refs


def test_expand_submits_once_per_mapped_value(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    firsts = [sim.add_file("png") for _ in range(3)]
    result = dag_runner.run("topview_test_expand", conf={"firsts": firsts})
    assert result.state == "success", result.log[-4000:]
    submits = sim.requests_to("submit")
    assert sorted(entry.json["firstFrameFileId"] for entry in submits) == sorted(firsts)
    pushed = {result.xcom("submit", map_index=index) for index in range(3)}
    assert pushed == set(sim.tasks)


@pytest.mark.parametrize(
    ("conf", "parameter", "rule"),
    [
        ({"first": "f", "count": "9"}, "generating_count", "less than or equal to 4"),
        ({"first": "f", "count": "many"}, "generating_count", "whole number"),
        ({"first": "", "count": "1"}, "first_frame_file_id", "must not be empty"),
    ],
)
def test_bad_input_fails_without_request_or_retry(
    topview_connection: TopviewSimulator,
    dag_runner: DagRunner,
    conf: dict[str, str],
    parameter: str,
    rule: str,
) -> None:
    result = dag_runner.run("topview_test_bad_input", conf=conf)
    assert result.state == "failed"
    assert result.task_state("submit") == "failed"
    assert result.tries[("submit", -1)] == 1  # retries=2 in the DAG, but bad input is not retried
    assert re.search(rf"{parameter}: [^\n]*{rule}", result.log)
    assert topview_connection.journal == []


def test_permanent_api_error_fails_once_quoting_topview(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.inject("submit", Fault.code("6001", "the image did not pass the safety check"), times=None)
    result = dag_runner.run("topview_test_bad_input", conf={"first": sim.add_file("png"), "count": "1"})
    assert result.state == "failed"
    assert result.tries[("submit", -1)] == 1
    assert "TopView error 6001" in result.log
    assert "the image did not pass the safety check" in result.log
    assert len(sim.requests_to("submit")) == 1
    assert_no_secret(result)


def test_answers_proving_no_task_was_created_are_retried_inside_the_call(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.inject("submit", Fault.http(429), times=1)
    sim.inject("submit", Fault.code("5003"), times=1)
    result = dag_runner.run("topview_test_bad_input", conf={"first": sim.add_file("png"), "count": "1"})
    assert result.state == "success", result.log[-4000:]
    assert [(entry.status, entry.code) for entry in sim.requests_to("submit")] == [
        (429, None),
        (200, "5003"),
        (200, "200"),
    ]
    assert len(sim.tasks) == 1


def test_unanswered_submit_fails_without_retry_and_is_sent_once(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.inject("submit", Fault.drop(), times=None)
    result = dag_runner.run("topview_test_bad_input", conf={"first": sim.add_file("png"), "count": "1"})
    assert result.state == "failed"
    assert result.tries[("submit", -1)] == 1  # retries=2 in the DAG: a retry could pay twice
    assert "TopView may have created (and will bill) a task, so it is not sent again" in result.log
    assert len(sim.requests_to("submit")) == 1
