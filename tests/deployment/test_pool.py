"""The pool example in a real deployment: as many TopView tasks in flight as the pool has slots, no more.

``dags/example_topview_pool.py`` runs unchanged in a real Airflow (LocalExecutor with room for more
tasks than the pool, one triggerer), against a simulator that answers 4007 past two running tasks, with
the pool created by the command its docstring gives (two slots). Six images fan out; the run must end
with six videos, no 4007 answer, one TopView task per image, every wait done by the triggerer, and the
pool never holding more than its two slots.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from airflow_topview.testing import TopviewSimulator
from tests.conftest import HardeningReport
from tests.deployment.airflow_processes import AIRFLOW, AirflowDeployment, example_deployment, wait_until

pytestmark = pytest.mark.deploy

EXAMPLE = Path(__file__).resolve().parents[2] / "dags" / "example_topview_pool.py"
POOL_DOC = EXAMPLE.parents[1] / "docs" / "waiting-at-scale.md"
DAG_ID = "example_topview_pool"
UID, API_KEY = "pool-uid", "sk-pool-secret"
LIMIT, IMAGES = 2, 6


def pool_command(slots: int) -> list[str]:
    """The example's own ``airflow pools set`` command, with its slot count set to ``slots``."""
    match = re.search(
        r"^\s+(airflow pools set topview \d+ \"[^\"]+\" --include-deferred)$", EXAMPLE.read_text(), re.M
    )
    assert match, "the example DAG's docstring no longer shows how to create its pool"
    assert f"\n{match.group(1)}\n" in POOL_DOC.read_text(), "docs and the example create the pool differently"
    words = re.findall(r'"[^"]+"|\S+', match.group(1))
    words[4] = str(slots)
    return [AIRFLOW, *(word.strip('"') for word in words[1:])]


@pytest.fixture(scope="module")
def simulator() -> Iterator[TopviewSimulator]:
    with TopviewSimulator(uid=UID, api_key=API_KEY, seconds_to_finish=8, max_running=LIMIT) as sim:
        yield sim


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, simulator: TopviewSimulator
) -> Iterator[AirflowDeployment]:
    connection = {"conn_type": "topview", "login": UID, "password": API_KEY, "host": simulator.base_url}
    with example_deployment(
        tmp_path_factory,
        EXAMPLE.name,
        connection,
        (DAG_ID,),
        env={"AIRFLOW__CORE__PARALLELISM": "8"},  # room for every task at once: only the pool limits them
        before_start=lambda airflow: subprocess.run(
            pool_command(LIMIT), env=airflow.env, check=True, capture_output=True
        ),
    ) as airflow:
        yield airflow


def test_pool_keeps_topview_tasks_in_flight_to_its_slots(
    deployment: AirflowDeployment,
    simulator: TopviewSimulator,
    tmp_path: Path,
    hardening_report: HardeningReport,
) -> None:
    pool = deployment.get("/pools/topview")
    assert (pool["slots"], pool["include_deferred"]) == (LIMIT, True)
    sample = EXAMPLE.parent / "assets" / "paper_boat.png"
    images = [str(shutil.copy(sample, tmp_path / f"image_{index}.png")) for index in range(IMAGES)]
    run_id = deployment.trigger(DAG_ID, {"images": images, "output_dir": str(tmp_path / "videos")})

    occupied: list[int] = []
    deferred: list[int] = []

    def run_ended() -> str | None:
        try:
            stats = deployment.get("/pools/topview")
        except requests.RequestException:  # a slow answer under load: the next sample counts
            return None
        occupied.append(stats["occupied_slots"])
        deferred.append(stats["deferred_slots"])
        state = deployment.run_state(DAG_ID, run_id)
        return state if state in ("success", "failed") else None

    state = wait_until(run_ended, timeout=300, what="the pool example's run to finish")
    assert state == "success", deployment.logs()

    submits = simulator.requests_to("submit")
    assert [entry.code for entry in submits if entry.code != "200"] == []  # not one 4007 (or other) answer
    created = simulator.tasks
    assert len(created) == IMAGES
    file_ids = [task.body["firstFrameFileId"] for task in created.values()]
    assert len(set(file_ids)) == IMAGES  # one TopView task per image: nothing submitted twice
    # Every wait ran in the triggerer (aiohttp sends "Python/3.x aiohttp/..."), none on a worker: the only
    # queries through requests per task are the submit's one look before deferring and the download's.
    queries = simulator.requests_to("query")
    by_client: dict[str, list[str]] = {}
    for entry in queries:
        by_client.setdefault(entry.headers.get("User-Agent", "").split("/")[0], []).append(
            entry.query["taskId"]
        )
    assert set(by_client) <= {"Python", "python-requests"}, set(by_client)
    assert set(by_client["Python"]) == set(created)
    assert sorted(by_client.get("python-requests", [])) == sorted([*created, *created])
    # The pool held the deferred waits: full while the fan-out lasted, never over its slots.
    assert max(occupied) == LIMIT, occupied
    assert max(deferred) >= 1, deferred
    videos = sorted((tmp_path / "videos").rglob("*.mp4"))
    assert len(videos) == IMAGES
    hardening_report.note(
        "deployment pool",
        f"deployment: pool of {LIMIT} (include_deferred) ran {IMAGES} submit+wait tasks with 0 busy answers, "
        f"{len(created)} submits, all waits in the triggerer",
    )
