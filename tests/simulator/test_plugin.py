"""The pytest plugin: fixtures available to anyone who installs the provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from airflow_topview.testing import TopviewSimulator


def test_topview_simulator_fixture(topview_simulator: TopviewSimulator) -> None:
    assert isinstance(topview_simulator, TopviewSimulator)
    assert (topview_simulator.uid, topview_simulator.api_key) == ("test-uid", "sk-test-key")
    assert topview_simulator.polls_to_finish == 1
    headers = {"Topview-Uid": "test-uid", "Authorization": "Bearer sk-test-key"}
    base = topview_simulator.base_url
    file_id = topview_simulator.add_file()
    submit = requests.post(
        f"{base}/v2/common_task/image2video/task/submit",
        json={"model": "kling-v3", "firstFrameFileId": file_id},
        headers=headers,
        timeout=5,
    ).json()
    query = requests.get(
        f"{base}/v2/common_task/image2video/task/query",
        params={"taskId": submit["result"]["taskId"]},
        headers=headers,
        timeout=5,
    ).json()
    assert query["result"]["status"] == "success"  # fast: the first poll finishes


def test_topview_simulator_fixture_is_strict_about_models(topview_simulator: TopviewSimulator) -> None:
    assert topview_simulator.accept_any_model is False
    headers = {"Topview-Uid": "test-uid", "Authorization": "Bearer sk-test-key"}
    answer = requests.post(
        f"{topview_simulator.base_url}/v2/common_task/image2video/task/submit",
        json={"model": "Kling V33", "firstFrameFileId": topview_simulator.add_file()},
        headers=headers,
        timeout=5,
    ).json()
    assert answer == {"code": "4000", "message": "Invalid parameter or model", "result": None}


def test_topview_connection_fixture(topview_connection: TopviewSimulator) -> None:
    conn = json.loads(os.environ["AIRFLOW_CONN_TOPVIEW_DEFAULT"])
    assert conn == {
        "conn_type": "topview",
        "login": "test-uid",
        "password": "sk-test-key",
        "host": topview_connection.base_url,
    }


def test_fixtures_are_registered_when_a_project_asks_for_them(tmp_path: Path) -> None:
    """A fresh project with the one documented line (docs/testing.md) finds the fixtures."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "-p airflow_topview.testing.pytest_plugin"\n'
    )
    (tmp_path / "test_user.py").write_text(
        "import os\n\n"
        "def test_uses_fixture(topview_connection):\n"
        "    assert os.environ['AIRFLOW_CONN_TOPVIEW_DEFAULT']\n"
        "    assert topview_connection.base_url.startswith('http://127.0.0.1:')\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


def test_plugin_import_is_light() -> None:
    code = (
        "import sys, airflow_topview.testing.pytest_plugin; "
        "print(sorted(m for m in ('aiohttp', 'airflow_topview.testing.simulator') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
