"""In a real deployment, a deferred wait that ends in the triggerer links each of its videos, and its task
log (the triggerer's "Trigger fired event" line included) holds no signed video URL.

The links are read the way Airflow's UI reads them, through the REST route of a task's links. Slow (a
minute or two): it starts Airflow's own processes on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_topview.testing import TopviewSimulator
from tests.deployment.airflow_processes import COMPONENTS, AirflowDeployment, wait_until

pytestmark = pytest.mark.deploy

DAGS = Path(__file__).parent / "dags"
DAG_ID = "topview_deploy_deferrable"
UID, API_KEY = "links-uid", "sk-links-secret"


@pytest.fixture(scope="module")
def simulator() -> Iterator[TopviewSimulator]:
    # Still running when the worker looks once before deferring: the trigger sees it finish.
    with TopviewSimulator(uid=UID, api_key=API_KEY, seconds_to_finish=5) as sim:
        yield sim


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, simulator: TopviewSimulator
) -> Iterator[AirflowDeployment]:
    airflow = AirflowDeployment(
        tmp_path_factory.mktemp("airflow-links"),
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


def test_a_wait_ended_in_the_triggerer_links_each_video_and_logs_no_signed_url(
    deployment: AirflowDeployment, simulator: TopviewSimulator
) -> None:
    run_id = deployment.trigger(DAG_ID, {"first": simulator.add_file("png"), "count": 3})
    assert deployment.wait_for_run_end(DAG_ID, run_id) == "success", deployment.logs()
    xcoms = deployment.xcoms(DAG_ID, run_id, "submit")
    urls = [video["filePath"] for video in xcoms["result"]["videos"]]
    assert len(urls) == 3
    links = deployment.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/submit/links")["extra_links"]
    assert links == {
        "TopView video 1": urls[0],
        "TopView video 2": urls[1],
        "TopView video 3": urls[2],
        "TopView video 4": None,
    }
    ti = deployment.task_instance(DAG_ID, run_id, "submit")
    assert ti is not None
    log = deployment.task_log(DAG_ID, run_id, "submit", ti["try_number"])
    assert "Trigger fired event" in log
    # The trigger ended the task and stored the links (a worker stored empty ones when it deferred): the
    # only query through requests, a worker's client, is the look before deferring; the rest are aiohttp's.
    by_worker = [
        entry
        for entry in simulator.requests_to("query")
        if entry.headers.get("User-Agent", "").startswith("python-requests")
    ]
    assert len(by_worker) == 1
    assert "Signature=" not in log
    assert "/_videos/" not in log
    assert len(simulator.requests_to("submit")) == 1
