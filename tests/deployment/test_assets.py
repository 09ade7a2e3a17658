"""The asset example pair in a real deployment: downloads announce videos, the scheduler starts publishing.

``dags/example_topview_assets.py`` runs unchanged (LocalExecutor, a triggerer) against the simulator.
The test reads the asset events from the deployment's metadata DB (their ``extra`` and where they came
from) and waits for the scheduler to run ``example_topview_publish`` on them, by itself.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.testing import TopviewSimulator
from tests.conftest import HardeningReport
from tests.deployment.airflow_processes import AirflowDeployment, example_deployment, wait_until

pytestmark = pytest.mark.deploy

EXAMPLE = "example_topview_assets.py"
PRODUCER, CONSUMER = "example_topview_assets", "example_topview_publish"
ASSET = "topview_campaign_videos"
UID, API_KEY = "assets-uid", "sk-assets-secret"


@pytest.fixture(scope="module")
def simulator() -> Iterator[TopviewSimulator]:
    with TopviewSimulator(uid=UID, api_key=API_KEY, seconds_to_finish=1) as sim:
        yield sim


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, simulator: TopviewSimulator
) -> Iterator[AirflowDeployment]:
    connection = {"conn_type": "topview", "login": UID, "password": API_KEY, "host": simulator.base_url}
    with example_deployment(tmp_path_factory, EXAMPLE, connection, (PRODUCER, CONSUMER)) as airflow:
        yield airflow


def asset_events(deployment: AirflowDeployment, run_id: str) -> list[dict[str, Any]]:
    """The asset events one producer run left in the metadata DB, read with SQL."""
    with sqlite3.connect(deployment.home / "airflow.db") as db:
        rows = db.execute(
            "SELECT asset_event.id, asset.name, asset_event.extra, asset_event.source_dag_id, "
            "asset_event.source_task_id, asset_event.source_map_index FROM asset_event "
            "JOIN asset ON asset.id = asset_event.asset_id "
            "WHERE asset_event.source_run_id = ? ORDER BY asset_event.source_map_index",
            (run_id,),
        ).fetchall()
    return [
        {"id": id_, "asset": name, "extra": json.loads(extra), "dag": dag, "task": task, "map_index": index}
        for id_, name, extra, dag, task, index in rows
    ]


def consumer_runs(deployment: AirflowDeployment) -> list[dict[str, Any]] | None:
    """The publishing DAG's runs with what each published, once all of them finished well (None before)."""
    runs = deployment.get(f"/dags/{CONSUMER}/dagRuns")["dag_runs"]
    if not runs or any(run["state"] != "success" for run in runs):
        return None
    assert all(run["run_type"] == "asset_triggered" for run in runs), runs
    return [
        {**run, "published": deployment.xcoms(CONSUMER, run["dag_run_id"], "publish")["return_value"]}
        for run in runs
    ]


def consumed_events(deployment: AirflowDeployment, run_ids: list[str]) -> list[int]:
    """Ids of the asset events these runs of the publishing DAG consumed (Airflow's own record of it)."""
    with sqlite3.connect(deployment.home / "airflow.db") as db:
        rows = db.execute(
            "SELECT event_id FROM dagrun_asset_event "
            "JOIN dag_run ON dag_run.id = dagrun_asset_event.dag_run_id "
            f"WHERE dag_run.dag_id = ? AND dag_run.run_id IN ({', '.join('?' * len(run_ids))})",
            (CONSUMER, *run_ids),
        ).fetchall()
    return [event_id for (event_id,) in rows]


def test_downloads_emit_asset_events_and_the_publishing_dag_runs_on_them(
    deployment: AirflowDeployment,
    simulator: TopviewSimulator,
    tmp_path: Path,
    hardening_report: HardeningReport,
) -> None:
    out = tmp_path / "campaign"
    run_id = deployment.trigger(PRODUCER, {"output_dir": str(out), "style": "dawn light"})
    assert deployment.wait_for_run_end(PRODUCER, run_id) == "success", deployment.logs()

    submits = simulator.requests_to("submit")
    assert len(submits) == 2
    events = asset_events(deployment, run_id)
    assert [(e["asset"], e["dag"], e["task"], e["map_index"]) for e in events] == [
        (ASSET, PRODUCER, "download", 0),
        (ASSET, PRODUCER, "download", 1),
    ]
    task_of_prompt = {task.request.prompt: task_id for task_id, task in simulator.tasks.items()}
    written: list[str] = []
    for index, event in enumerate(events):
        extra = event["extra"]
        prompt = f"Image {index + 1}: dawn light"
        assert extra == {
            "topview_task_id": task_of_prompt[prompt],
            "model": "Seedance 1.5 Pro",  # as sent to TopView
            "prompt": prompt,
            "cost_credit": extra["cost_credit"],
            "paths": [str(out / f"{task_of_prompt[prompt]}_0.mp4")],
        }
        assert extra["cost_credit"] > 0
        written += extra["paths"]
    assert all(Path(path).stat().st_size > 0 for path in written)

    # The scheduler starts the publishing DAG on those events by itself. Airflow 3.3 may hand a download
    # that lands while the first run is being created to a later run (apache/airflow#56749): so each
    # publish run must list exactly the videos of the events it consumed, and at least one run comes.
    runs = wait_until(lambda: consumer_runs(deployment), timeout=120, what=f"{CONSUMER} to run on the asset")
    consumed = consumed_events(deployment, [run["dag_run_id"] for run in runs])
    assert consumed
    assert set(consumed) <= {event["id"] for event in events}
    published = sorted(item["path"] for run in runs for item in run["published"])
    assert published == sorted(path for e in events if e["id"] in consumed for path in e["extra"]["paths"])
    assert not any(API_KEY in path.read_text(errors="replace") for path in deployment.log_files())
    hardening_report.note(
        "assets",
        f"assets: 2 downloads -> 2 asset events with topview_task_id, model, prompt, cost and paths in the "
        f"metadata DB; {CONSUMER} ran on them by itself ({len(runs)} run(s), {len(consumed)} event(s) "
        "consumed) and published exactly the videos of the events it consumed",
    )
