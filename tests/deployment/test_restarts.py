"""A real Airflow deployment survives a triggerer restart and a killed task, and TopView bills once.

Slow (a minute or two): it starts Airflow's own processes on loopback and drives them through the REST API.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_topview.testing import TopviewSimulator
from tests.conftest import HardeningReport
from tests.deployment.airflow_processes import COMPONENTS, AirflowDeployment, find_task_process, wait_until

pytestmark = pytest.mark.deploy

DAGS = Path(__file__).parent / "dags"
UID, API_KEY = "deploy-uid", "sk-deploy-secret"


@pytest.fixture(scope="module")
def simulator() -> Iterator[TopviewSimulator]:
    # Long enough that the task is still running while components are killed and restarted.
    with TopviewSimulator(uid=UID, api_key=API_KEY, seconds_to_finish=20) as sim:
        yield sim


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, simulator: TopviewSimulator
) -> Iterator[AirflowDeployment]:
    home = tmp_path_factory.mktemp("airflow-deployment")
    airflow = AirflowDeployment(
        home,
        DAGS,
        {"conn_type": "topview", "login": UID, "password": API_KEY, "host": simulator.base_url},
    )
    airflow.migrate()
    for component in COMPONENTS:
        airflow.start(component)
    try:
        for dag_id in ("topview_deploy_deferrable", "topview_deploy_polling"):
            wait_until(lambda dag_id=dag_id: airflow.dag_ready(dag_id), timeout=240, what=f"{dag_id} parsed")
        yield airflow
    finally:
        airflow.stop_all()


def test_deferred_task_survives_a_triggerer_restart(
    deployment: AirflowDeployment, simulator: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    dag_id = "topview_deploy_deferrable"
    image = simulator.add_file("png")
    run_id = deployment.trigger(dag_id, {"first": image})
    wait_until(
        lambda: (ti := deployment.task_instance(dag_id, run_id, "submit")) and ti["state"] == "deferred",
        timeout=180,
        what="the task to defer",
    )
    [topview_task_id] = [
        task_id for task_id, task in simulator.tasks.items() if task.body["firstFrameFileId"]
    ]
    deployment.kill("triggerer")
    queries_before_restart = len(simulator.requests_to("query"))
    deployment.start("triggerer")

    state = wait_until(
        lambda: (s := deployment.run_state(dag_id, run_id)) in ("success", "failed") and s,
        timeout=240,
        what="the DAG run to finish",
    )
    assert state == "success", deployment.logs()
    submits = [entry for entry in simulator.requests_to("submit") if entry.json["firstFrameFileId"] == image]
    assert len(submits) == 1
    # The new triggerer picked the wait up: it polled after the restart and saw the task finish.
    later_queries = simulator.requests_to("query")[queries_before_restart:]
    assert any(entry.query["taskId"] == topview_task_id for entry in later_queries)
    assert simulator.tasks[topview_task_id].status == "success"
    hardening_report.note("deployment restart", "deployment: triggerer restart survived with 1 submit")


def test_killed_worker_task_is_retried_without_a_second_submit(
    deployment: AirflowDeployment, simulator: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    dag_id = "topview_deploy_polling"
    image = simulator.add_file("png")
    run_id = deployment.trigger(dag_id, {"first": image})
    wait_until(
        lambda: any(entry.json["firstFrameFileId"] == image for entry in simulator.requests_to("submit")),
        timeout=180,
        what="the submit",
    )
    ti = wait_until(
        lambda: (
            (ti := deployment.task_instance(dag_id, run_id, "submit")) and ti["state"] == "running" and ti
        ),
        timeout=60,
        what="the task to be running",
    )
    task_process = wait_until(lambda: find_task_process(ti["id"]), timeout=30, what="the task's process")
    task_process.kill()

    state = wait_until(
        lambda: (s := deployment.run_state(dag_id, run_id)) in ("success", "failed") and s,
        timeout=240,
        what="the DAG run to finish",
    )
    assert state == "success", deployment.logs()
    final = deployment.task_instance(dag_id, run_id, "submit")
    assert final is not None
    assert final["try_number"] >= 2
    submits = [entry for entry in simulator.requests_to("submit") if entry.json["firstFrameFileId"] == image]
    assert len(submits) == 1
    hardening_report.note("deployment kill", "deployment: killed task retried by Airflow with 1 submit")
