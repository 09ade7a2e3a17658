"""Waiting for videos in real DAG runs: operator polling and deferring, the sensor in every mode, retries."""

from __future__ import annotations

import pytest

from airflow_topview.client.request import build_request
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner
from tests.conftest import needs_task_state_store

pytestmark = pytest.mark.dag

WAIT_MODES = ["polling", "deferrable"]
SENSOR_MODES = ["poke", "reschedule", "deferrable"]


def first_frame(sim: TopviewSimulator, **conf: object) -> dict[str, object]:
    return {"first": sim.add_file("png"), **conf}


@pytest.mark.parametrize("mode", WAIT_MODES)
def test_submit_and_wait_pushes_id_and_result(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, mode: str
) -> None:
    sim = topview_connection
    sim.polls_to_finish = 3
    result = dag_runner.run(f"topview_test_wait_{mode}", conf=first_frame(sim, count=2))
    assert result.state == "success", result.log[-4000:]
    [topview_task_id] = sim.tasks
    assert result.xcom("submit") == topview_task_id
    assert result.xcom("submit", key="task_id") == topview_task_id
    finished = result.xcom("submit", key="result")
    assert finished["taskId"] == topview_task_id
    assert finished["status"] == "success"
    assert [video["status"] for video in finished["videos"]] == ["success", "success"]
    assert len(sim.requests_to("submit")) == 1
    # Deferrable: the trigger's event holds no signed URL, so the resumed worker reads the task once more.
    assert len(sim.requests_to("query")) == (3 if mode == "polling" else 4)
    estimate = result.xcom("submit", key="estimated_credits")
    assert f"TopView charged {finished['costCredit']} credits (estimated {estimate})" in result.log
    link = result.xcom("submit", key="_link_TopviewVideoLink")
    assert link == finished["videos"][0]["filePath"]


def test_deferrable_submit_goes_through_the_trigger(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.polls_to_finish = 2
    result = dag_runner.run("topview_test_wait_deferrable", conf=first_frame(sim))
    assert result.state == "success", result.log[-4000:]
    assert "Pausing task as DEFERRED" in result.log
    assert "[airflow_topview.triggers.image_to_video.ImageToVideoTrigger]" in result.log
    assert "XCom not found" not in result.log
    # The worker sent the POST and looked once; the trigger polled until the end; the resumed worker read
    # the finished task once (the trigger's event names it without its signed video URLs).
    assert [entry.endpoint for entry in sim.journal] == ["submit", "query", "query", "query"]
    # The trigger reported the success (as it does when it ends the task in a deployment), once.
    assert result.log.count("TopView charged") == 1


def test_deferrable_submit_of_a_task_already_finished_does_not_defer(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection  # finishes on the first poll: a generation faster than the first look
    result = dag_runner.run("topview_test_wait_deferrable", conf=first_frame(sim))
    assert result.state == "success", result.log[-4000:]
    assert "Pausing task as DEFERRED" not in result.log
    assert [entry.endpoint for entry in sim.journal] == ["submit", "query"]
    [topview_task_id] = sim.tasks
    assert result.xcom("submit") == topview_task_id
    assert result.xcom("submit", key="result")["status"] == "success"


@pytest.mark.parametrize("sensor_mode", SENSOR_MODES)
def test_sensor_returns_the_finished_task(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, sensor_mode: str
) -> None:
    sim = topview_connection
    sim.polls_to_finish = 3
    result = dag_runner.run(f"topview_test_sensor_{sensor_mode}", conf=first_frame(sim))
    assert result.state == "success", result.log[-4000:]
    [topview_task_id] = sim.tasks
    finished = result.xcom("wait")
    assert finished["taskId"] == topview_task_id
    assert finished["videos"][0]["filePath"].startswith(sim.base_url)
    # Deferrable: one look on the worker, two polls in the trigger, one read by the resumed worker.
    assert len(sim.requests_to("query")) == (4 if sensor_mode == "deferrable" else 3)
    assert result.xcom("wait", key="_link_TopviewVideoLink") == finished["videos"][0]["filePath"]
    # The submit's link opens the TopView task as soon as its id is known.
    assert (
        result.xcom("submit", key="_link_TopviewVideoLink")
        == f"https://www.topview.ai/?taskId={topview_task_id}"
    )


@pytest.mark.parametrize("sensor_mode", SENSOR_MODES)
def test_sensor_survives_transient_poll_errors(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, sensor_mode: str
) -> None:
    sim = topview_connection
    sim.inject("query", Fault.http(502), times=3)
    result = dag_runner.run(f"topview_test_sensor_{sensor_mode}", conf=first_frame(sim))
    assert result.state == "success", result.log[-4000:]
    statuses = [entry.status for entry in sim.requests_to("query")]
    assert statuses.count(502) == 3
    assert statuses[-1] == 200


@pytest.mark.parametrize("sensor_mode", SENSOR_MODES)
def test_failed_task_fails_sensor_with_topview_message(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, sensor_mode: str
) -> None:
    sim = topview_connection
    sim.script_next_task(outcome="fail", error_msg="the model refused this image")
    result = dag_runner.run(f"topview_test_sensor_{sensor_mode}", conf=first_frame(sim))
    assert result.state == "failed"
    assert result.task_state("wait") == "failed"
    [topview_task_id] = sim.tasks
    assert f"TopView task {topview_task_id} failed: the model refused this image" in result.log


@pytest.mark.parametrize("mode", WAIT_MODES)
def test_partial_success_warns_and_reports_failed_videos(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, mode: str
) -> None:
    sim = topview_connection
    sim.script_next_task(outcome="partial", failed_videos=[1])
    result = dag_runner.run(f"topview_test_wait_{mode}", conf=first_frame(sim, count=3))
    assert result.state == "success", result.log[-4000:]
    finished = result.xcom("submit", key="result")
    assert [item["index"] for item in finished["failedVideos"]] == [1]
    assert "1 of 3 videos of TopView task" in result.log


@pytest.mark.parametrize("mode", WAIT_MODES)
def test_partial_success_can_fail_the_task(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, mode: str
) -> None:
    sim = topview_connection
    sim.script_next_task(outcome="partial", failed_videos=[0])
    result = dag_runner.run(f"topview_test_wait_{mode}_partial_fails", conf=first_frame(sim, count=2))
    assert result.state == "failed"
    assert "1 of 2 videos of TopView task" in result.log
    assert result.tries[("submit", -1)] == 1


@pytest.mark.parametrize("mode", WAIT_MODES)
def test_timeout_names_the_task_and_the_missing_cancel(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, mode: str
) -> None:
    sim = topview_connection
    sim.polls_to_finish = 10_000
    result = dag_runner.run(f"topview_test_timeout_{mode}", conf=first_frame(sim))
    assert result.state == "failed"
    [topview_task_id] = sim.tasks
    assert f"Gave up waiting for TopView task {topview_task_id}" in result.log
    assert "TopView has no cancel call" in result.log


@needs_task_state_store
@pytest.mark.parametrize("mode", WAIT_MODES)
def test_retry_after_failed_wait_never_submits_twice(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, mode: str
) -> None:
    """First try: submit, then every query fails until its deadline. The retry finds the task instead."""
    sim = topview_connection
    # Deferrable: the worker looks once before deferring, then the trigger polls twice until the deadline.
    sim.inject("query", Fault.http(500), times=3 if mode == "deferrable" else 2)
    result = dag_runner.run(f"topview_test_retry_{mode}", conf=first_frame(sim))
    assert result.state == "success", result.log[-4000:]
    assert result.tries[("submit", -1)] >= 2
    assert len(sim.requests_to("submit")) == 1
    [topview_task_id] = sim.tasks
    assert result.xcom("submit") == topview_task_id
    assert result.xcom("submit", key="result")["taskId"] == topview_task_id
    assert f"An earlier try submitted TopView task {topview_task_id}" in result.log


@needs_task_state_store
def test_retry_resubmits_when_the_earlier_task_failed(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.script_next_task(outcome="fail", error_msg="transient model outage")
    sim.inject("query", Fault.http(500), times=2)
    result = dag_runner.run("topview_test_retry_polling", conf=first_frame(sim))
    assert result.state == "success", result.log[-4000:]
    assert len(sim.requests_to("submit")) == 2
    assert "of an earlier try ended" in result.log


@needs_task_state_store
def test_deferrable_task_waits_for_a_free_slot_without_a_worker(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """4007 at submit: the task defers on a timer (no worker slot) and submits again when it resumes.

    No busy deferral is shorter than ``[topview] min_deferral`` (Airflow's defer race, deferral.py).
    """
    import re
    import threading

    monkeypatch.setenv("AIRFLOW__TOPVIEW__MIN_DEFERRAL", "0.4")
    sim = topview_connection
    sim.max_running = 1
    blocker = TopviewHook(retry_limit=1).submit_image_to_video(
        build_request({"first_frame_file_id": sim.add_file("png")})
    )
    image = sim.add_file("png")

    def free_the_slot_after_two_busy_answers() -> None:
        sim.wait_for(lambda: [e for e in sim.requests_to("submit") if e.code == "4007"][1:], timeout=60)
        sim.finish_task(blocker.task_id)

    helper = threading.Thread(target=free_the_slot_after_two_busy_answers, daemon=True)
    helper.start()
    result = dag_runner.run("topview_test_busy_deferrable", conf={"first": image})
    helper.join(timeout=5)
    assert result.state == "success", result.log[-4000:]
    mine = [e for e in sim.requests_to("submit") if e.json and e.json.get("firstFrameFileId") == image]
    codes = [e.code for e in mine]
    assert codes[-1] == "200"
    assert len(codes) >= 3  # at least two busy answers before the slot was freed
    assert set(codes[:-1]) == {"4007"}  # each busy answer ended the worker's turn: it deferred
    assert result.log.count("releasing the worker for") == len(codes) - 1
    delays = [float(d) for d in re.findall(r"releasing the worker for ([\d.]+) s", result.log)]
    assert len(delays) == len(codes) - 1
    assert min(delays) >= 0.4, delays
    assert result.tries[("submit", -1)] == 1  # deferrals, not Airflow retries
    [made] = [t for t in sim.tasks.values() if t.body["firstFrameFileId"] == image]
    assert made.status == "success"


def test_sensor_starting_in_the_triggerer_declares_its_trigger_without_secrets() -> None:
    from airflow_topview.sensors.image_to_video import ImageToVideoSensor

    sensor = ImageToVideoSensor(
        task_id="wait",
        topview_task_id="{{ dag_run.conf['topview_task_id'] }}",
        deferrable=True,
        start_from_trigger=True,
        poke_interval=2,
        timeout=60,
    )
    args = sensor.start_trigger_args
    assert sensor.start_from_trigger is True
    assert args is not None
    assert args.trigger_cls == "airflow_topview.triggers.image_to_video.ImageToVideoTrigger"
    assert args.next_method == "execute_complete"
    kwargs = args.trigger_kwargs or {}
    assert kwargs["topview_task_id"] == "{{ dag_run.conf['topview_task_id'] }}"
    assert (kwargs["end_time"], kwargs["timeout"], kwargs["poll_interval"]) == (None, 60, 2)
    assert kwargs["end_task"] == {
        "returns": "result",
        "fail_on_partial": False,
        "model": None,
        "estimated_credits": None,
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"deferrable": False}, "needs deferrable=True"),
        ({"topview_task_id": "{{ ti.xcom_pull('submit') }}"}, "cannot take topview_task_id from an XCom"),
    ],
)
def test_sensor_starting_in_the_triggerer_refuses_what_airflow_cannot_do(
    arguments: dict[str, object], message: str
) -> None:
    from airflow_topview.sensors.image_to_video import ImageToVideoSensor

    settings: dict[str, object] = {"topview_task_id": "abc", "deferrable": True, **arguments}
    with pytest.raises(ValueError, match=message):
        ImageToVideoSensor(task_id="wait", start_from_trigger=True, **settings)  # type: ignore[arg-type]


def test_sensor_starting_in_the_triggerer_refuses_an_xcom_arg() -> None:
    from airflow.sdk import DAG

    from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
    from airflow_topview.sensors.image_to_video import ImageToVideoSensor

    with DAG("start_from_trigger_xcom", schedule=None):
        submit = SubmitImageToVideoOperator(task_id="submit", first_frame_file_id="f")
        with pytest.raises(ValueError, match="cannot take topview_task_id from an XCom"):
            ImageToVideoSensor(
                task_id="wait", topview_task_id=submit.output, deferrable=True, start_from_trigger=True
            )


def test_sensor_starting_in_the_triggerer_runs_deferrable_under_dags_test(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.polls_to_finish = 3
    task_id = (
        TopviewHook(retry_limit=1)
        .submit_image_to_video(build_request({"first_frame_file_id": sim.add_file("png")}))
        .task_id
    )
    result = dag_runner.run("topview_test_sensor_start_from_trigger", conf={"topview_task_id": task_id})
    assert result.state == "success", result.log[-4000:]
    assert result.xcom("wait")["taskId"] == task_id
