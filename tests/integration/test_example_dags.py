"""Example DAGs through the real `airflow dags test` command, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_topview.testing import TopviewSimulator

pytestmark = pytest.mark.dag

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "dags"


def airflow_dags_test(
    dag_id: str, conf: dict[str, object], sim: TopviewSimulator
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLE_DAGS),
        "AIRFLOW_CONN_TOPVIEW_DEFAULT": json.dumps(
            {"conn_type": "topview", "login": sim.uid, "password": "sk-test-key", "host": sim.base_url}
        ),
    }
    return subprocess.run(
        [AIRFLOW, "dags", "test", dag_id, "-c", json.dumps(conf)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_example_submit_dag_runs_green(airflow_home: Path, topview_simulator: TopviewSimulator) -> None:
    sim = topview_simulator
    image = sim.add_file("png")
    run = airflow_dags_test("example_topview_submit", {"first_frame_file_id": image}, sim)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]
    assert "state=success" in output
    [submit] = sim.requests_to("submit")
    assert submit.json == {
        "model": "seedance-1.5-pro",
        "firstFrameFileId": image,
        "prompt": "A slow camera push-in, soft morning light",
        "resolution": 720,
        "duration": 5,
        "sound": "off",
    }
    assert "sk-test-key" not in output
