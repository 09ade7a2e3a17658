"""A batch in a real deployment never loses a task to Airflow's defer race (apache/airflow#72716).

24 mapped deferrable submit-and-wait tasks with ``retries=0`` in one DAG run, parallelism 8, against a
simulator that runs at most 3 tasks at once for 6 s each: most submits meet 4007 and defer, and every
video's wait ends in the triggerer. Airflow 3.3.2 kills a try resumed before the scheduler drained the
deferring try's exit report ("finished with state success, but the task instance's state attribute is
running"); short busy deferrals and resumes on success met it for 8 of 24 tasks. Three runs in a row must
succeed with every task on its first try, no state mismatch in the scheduler, one TopView task per image.
The pool example's settings (a pool of 3 slots counting deferred tasks) must hold the same way.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from airflow_topview.testing import TopviewSimulator
from tests.conftest import HardeningReport
from tests.deployment.airflow_processes import AIRFLOW, COMPONENTS, AirflowDeployment, wait_until

pytestmark = pytest.mark.deploy

DAGS = Path(__file__).resolve().parent / "batch_dags"
UID, API_KEY = "batch-uid", "sk-batch-secret"
LIMIT, TASKS, SECONDS = 3, 24, 6
MISMATCH = "but the task instance's state attribute is"


@pytest.fixture(scope="module")
def simulator() -> Iterator[TopviewSimulator]:
    with TopviewSimulator(uid=UID, api_key=API_KEY, seconds_to_finish=SECONDS, max_running=LIMIT) as sim:
        yield sim


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, simulator: TopviewSimulator
) -> Iterator[AirflowDeployment]:
    airflow = AirflowDeployment(
        tmp_path_factory.mktemp("airflow-batch"),
        DAGS,
        {"conn_type": "topview", "login": UID, "password": API_KEY, "host": simulator.base_url},
        env={"AIRFLOW__CORE__PARALLELISM": "8"},
    )
    airflow.migrate()
    pool = [AIRFLOW, "pools", "set", "topview", str(LIMIT), "TopView", "--include-deferred"]
    subprocess.run(pool, env=airflow.env, check=True, capture_output=True)
    for component in COMPONENTS:
        airflow.start(component)
    try:
        for dag_id in ("topview_batch", "topview_batch_pool", "topview_batch_sensor"):
            wait_until(lambda dag_id=dag_id: airflow.dag_ready(dag_id), timeout=240, what=f"{dag_id} parsed")
        yield airflow
    finally:
        airflow.stop_all()


def run_batch(
    deployment: AirflowDeployment, simulator: TopviewSimulator, dag_id: str, output_dir: Path
) -> dict[str, int]:
    """One DAG run of TASKS images; checks it and returns what it met."""
    images = [simulator.add_file("png") for _ in range(TASKS)]
    busy_before = sum(entry.code == "4007" for entry in simulator.requests_to("submit"))
    run_id = deployment.trigger(dag_id, {"images": images, "output_dir": str(output_dir)})
    state = deployment.wait_for_run_end(dag_id, run_id, timeout=600)
    instances = deployment.get(
        f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", task_id="generate", limit=100
    )["task_instances"]
    generated = [ti for ti in instances if ti["task_id"] == "generate"]
    assert state == "success", deployment.logs()
    assert len(generated) == TASKS
    assert {ti["state"] for ti in generated} == {"success"}
    assert {ti["try_number"] for ti in generated} == {1}  # no try was lost and none retried
    created = [task for task in simulator.tasks.values() if task.body.get("firstFrameFileId") in images]
    assert sorted(task.body["firstFrameFileId"] for task in created) == sorted(images)  # 0 duplicates
    busy = sum(entry.code == "4007" for entry in simulator.requests_to("submit")) - busy_before
    # A downstream task read every id as text and every result as a dict (checks in the DAG file).
    assert deployment.xcoms(dag_id, run_id, "check_xcoms")["return_value"] == TASKS
    return {"busy": busy, "created": len(created)}


def test_a_batch_without_retries_loses_no_task_in_three_runs(
    deployment: AirflowDeployment,
    simulator: TopviewSimulator,
    hardening_report: HardeningReport,
    tmp_path: Path,
) -> None:
    runs = [run_batch(deployment, simulator, "topview_batch", tmp_path) for _ in range(3)]
    scheduler_log = (deployment.home / "scheduler.log").read_text(errors="replace")
    assert scheduler_log.count(MISMATCH) == 0
    assert all(run["busy"] > 0 for run in runs), runs  # the batch met the limit and deferred on it
    hardening_report.note(
        "deployment batch",
        f"deployment: 3 runs of {TASKS} deferrable submit+wait tasks (retries=0, limit {LIMIT}, "
        f"{SECONDS} s videos): every task succeeded on its first try, 0 state mismatches, "
        f"{sum(run['created'] for run in runs)} submits for {3 * TASKS} videos, "
        f"{sum(run['busy'] for run in runs)} busy answers deferred",
    )


def test_a_batch_in_a_pool_sized_to_the_limit_loses_no_task(
    deployment: AirflowDeployment,
    simulator: TopviewSimulator,
    hardening_report: HardeningReport,
    tmp_path: Path,
) -> None:
    run = run_batch(deployment, simulator, "topview_batch_pool", tmp_path / "videos")
    scheduler_log = (deployment.home / "scheduler.log").read_text(errors="replace")
    assert scheduler_log.count(MISMATCH) == 0
    assert run["busy"] == 0  # the pool kept the batch within the limit
    assert len(list((tmp_path / "videos").rglob("*.mp4"))) == TASKS  # the downloads read the ids
    hardening_report.note(
        "deployment batch pool",
        f"deployment: {TASKS} deferrable submit+wait tasks in a pool of {LIMIT} (retries=0): all on their "
        "first try, 0 state mismatches, 0 busy answers, one TopView task per image",
    )


def test_a_sensor_started_in_the_triggerer_holds_no_worker_slot(
    deployment: AirflowDeployment, simulator: TopviewSimulator
) -> None:
    """``start_from_trigger=True``: the triggerer renders the task id, waits, and ends the task."""
    submitted = requests.post(
        f"{simulator.base_url}/v2/common_task/image2video/task/submit",
        headers={"Topview-Uid": UID, "Authorization": f"Bearer {API_KEY}"},
        json={"model": "Seedance 1.5 Pro", "firstFrameFileId": simulator.add_file("png")},
        timeout=10,
    ).json()
    topview_task_id = submitted["result"]["taskId"]
    run_id = deployment.trigger("topview_batch_sensor", {"topview_task_id": topview_task_id})
    state = deployment.wait_for_run_end("topview_batch_sensor", run_id, timeout=300)
    assert state == "success", deployment.logs()
    wait = deployment.task_instance("topview_batch_sensor", run_id, "wait")
    assert wait is not None
    assert (wait["state"], wait["try_number"]) == ("success", 1)
    finished = deployment.xcoms("topview_batch_sensor", run_id, "wait")["return_value"]
    assert finished["taskId"] == topview_task_id
    assert finished["status"] == "success"
    scheduler_log = (deployment.home / "scheduler.log").read_text(errors="replace")
    assert f"workload_id={wait['id']}" not in scheduler_log  # no worker ever ran the sensor
    assert deployment.xcoms("topview_batch_sensor", run_id, "check_result")["return_value"] == topview_task_id
