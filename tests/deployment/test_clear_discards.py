"""A default clear never pays again for an unchanged request, whether or not Airflow keeps the task's state.

Airflow 3.4 discards a cleared task instance's ``task_state_store`` unless the clear asks to keep it
(``keep_task_state``, false in the REST body the UI sends; apache/airflow#72100). The submit journal
lives there; its copy in a Variable (airflow_topview/submit/journal_copy.py) does not. Each test clears the
deferrable submit-and-wait task through the REST API with the default body (a) after a submit whose
answer was lost, (b) while its video renders, (c) after it succeeded: one submit each, and the log says
why. The same file runs on Airflow 3.3 (``make deploy``, where the store survives the clear) and on the
matrix's 3.4 row (where the journal comes back from its copy).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.testing import Fault, TaskRecord, TopviewSimulator
from tests.conftest import AIRFLOW_VERSION, HardeningReport
from tests.deployment.airflow_processes import COMPONENTS, AirflowDeployment, wait_until

pytestmark = pytest.mark.deploy

DAGS = Path(__file__).parent / "dags"
DAG_ID = "topview_deploy_deferrable"
UID, API_KEY = "clear-uid", "sk-clear-secret"
#: Whether this Airflow's default clear discards the task's state (the copy is then what is read).
CLEAR_DISCARDS_STATE = AIRFLOW_VERSION.release >= (3, 4)
RESTORED = "This task's state store has no submit journal, but its copy in Variable"


@pytest.fixture(scope="module")
def simulator() -> Iterator[TopviewSimulator]:
    # Tasks render until a test finishes them (finish_task): a clear always meets a running task.
    with TopviewSimulator(uid=UID, api_key=API_KEY, seconds_to_finish=3600) as sim:
        yield sim


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, simulator: TopviewSimulator
) -> Iterator[AirflowDeployment]:
    airflow = AirflowDeployment(
        tmp_path_factory.mktemp("airflow-clear"),
        DAGS,
        {"conn_type": "topview", "login": UID, "password": API_KEY, "host": simulator.base_url},
    )
    airflow.migrate()
    for component in COMPONENTS:
        airflow.start(component)
    try:
        wait_until(lambda: airflow.dag_ready(DAG_ID), timeout=240, what=f"{DAG_ID} parsed")
        yield airflow
    finally:
        airflow.stop_all()


def tasks_for(simulator: TopviewSimulator, image: str) -> dict[str, TaskRecord]:
    return {key: task for key, task in simulator.tasks.items() if task.body.get("firstFrameFileId") == image}


def submits_for(simulator: TopviewSimulator, image: str) -> int:
    """Submit requests TopView received for this image (answered or not)."""
    return sum(1 for task in simulator.tasks.values() if task.body.get("firstFrameFileId") == image)


def try_ended(deployment: AirflowDeployment, run_id: str, try_number: int) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        ti = deployment.task_instance(DAG_ID, run_id, "submit")
        done = ti is not None and ti["try_number"] == try_number and ti["state"] in ("success", "failed")
        return ti if done else None

    return wait_until(ended, timeout=240, what=f"try {try_number} to end")


def deferred_and_reported(deployment: AirflowDeployment, run_id: str, try_number: int) -> dict[str, Any]:
    """The try is deferred and the scheduler has taken its worker's exit (clear of the defer race)."""

    def deferred() -> dict[str, Any] | None:
        ti = deployment.task_instance(DAG_ID, run_id, "submit")
        ready = ti is not None and ti["try_number"] == try_number and ti["state"] == "deferred"
        return ti if ready and deployment.scheduler_saw_workload_end(ti["id"]) else None

    return wait_until(deferred, timeout=180, what=f"try {try_number} to be deferred")


def rendering(deployment: AirflowDeployment, simulator: TopviewSimulator) -> tuple[str, str, str]:
    """A run whose first try submitted and deferred: (image file id, run id, TopView task id)."""
    image = simulator.add_file("png")
    run_id = deployment.trigger(DAG_ID, {"first": image})
    deferred_and_reported(deployment, run_id, 1)
    [topview_task_id] = tasks_for(simulator, image)
    return image, run_id, topview_task_id


def clear_with_the_default_body(deployment: AirflowDeployment, run_id: str) -> None:
    """What the UI's Clear sends by default: no ``keep_task_state`` (false on Airflow 3.4).

    A run that is still being finished by the scheduler could overwrite the clear's reset of the run with
    its own end: a task is cleared once its run has ended (a deferred one once the scheduler took its
    worker's exit).
    """
    ti = deployment.task_instance(DAG_ID, run_id, "submit")
    assert ti is not None
    if ti["state"] != "deferred":
        deployment.wait_for_run_end(DAG_ID, run_id)
    deployment.clear_task(DAG_ID, run_id, "submit")


def check_the_copy_line(log: str) -> None:
    assert (RESTORED in log) is CLEAR_DISCARDS_STATE, log[-3000:]


def test_a_clear_after_a_lost_submit_answer_fails_as_uncertain_again(
    deployment: AirflowDeployment, simulator: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    image = simulator.add_file("png")
    simulator.inject("submit", Fault.http(502, body="<html>bad gateway</html>", after_accepting=True))
    run_id = deployment.trigger(DAG_ID, {"first": image})
    assert try_ended(deployment, run_id, 1)["state"] == "failed"
    clear_with_the_default_body(deployment, run_id)
    assert try_ended(deployment, run_id, 2)["state"] == "failed"
    assert submits_for(simulator, image) == 1
    log = deployment.task_log(DAG_ID, run_id, "submit", 2)
    assert "never recorded TopView's answer" in log
    assert "Submitting TopView Image-to-Video task" not in log
    check_the_copy_line(log)
    hardening_report.note(
        "clear (a) uncertain",
        f"clear on Airflow {AIRFLOW_VERSION} (default REST body) after a lost submit answer: 1 submit, "
        "the cleared try failed as uncertain",
    )


def test_a_clear_while_the_video_renders_reconnects_to_it(
    deployment: AirflowDeployment, simulator: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    image, run_id, topview_task_id = rendering(deployment, simulator)
    clear_with_the_default_body(deployment, run_id)
    deferred_and_reported(deployment, run_id, 2)
    simulator.finish_task(topview_task_id)
    assert try_ended(deployment, run_id, 2)["state"] == "success", deployment.logs()
    assert submits_for(simulator, image) == 1
    log = deployment.task_log(DAG_ID, run_id, "submit", 2)
    assert f"An earlier try submitted TopView task {topview_task_id}; still running, waiting for it" in log
    check_the_copy_line(log)
    assert deployment.xcoms(DAG_ID, run_id, "submit")["task_id"] == topview_task_id
    hardening_report.note(
        "clear (b) rendering",
        f"clear on Airflow {AIRFLOW_VERSION} (default REST body) while the video renders: 1 submit, "
        "the cleared try waited for the same TopView task",
    )


def test_a_clear_after_success_reuses_the_video(
    deployment: AirflowDeployment, simulator: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    image, run_id, topview_task_id = rendering(deployment, simulator)
    simulator.finish_task(topview_task_id)
    assert try_ended(deployment, run_id, 1)["state"] == "success", deployment.logs()
    clear_with_the_default_body(deployment, run_id)
    assert try_ended(deployment, run_id, 2)["state"] == "success", deployment.logs()
    assert submits_for(simulator, image) == 1
    log = deployment.task_log(DAG_ID, run_id, "submit", 2)
    assert f"An earlier try submitted TopView task {topview_task_id} and it succeeded" in log
    check_the_copy_line(log)
    hardening_report.note(
        "clear (c) succeeded",
        f"clear on Airflow {AIRFLOW_VERSION} (default REST body) after success: 1 submit, the video reused",
    )
