"""A user's fresh project: its own DAG folder, the README's test, ``pytest`` run as a subprocess.

Nothing of this repository's test setup is used: the plugin alone must give an Airflow home with a
migrated database and a DAG runner (the ``topview_airflow`` fixture).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"

USER_DAG = """
from airflow.sdk import DAG
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.sensors.image_to_video import ImageToVideoSensor

with DAG("my_video", schedule=None):
    submit = SubmitImageToVideoOperator(
        task_id="submit", model="Kling V3", first_frame_file_id="{{ dag_run.conf['image'] }}", duration=5
    )
    ImageToVideoSensor(task_id="wait", topview_task_id=submit.output, poke_interval=1, timeout=60)
"""


def readme_snippet(name: str) -> str:
    match = re.search(rf"<!-- snippet: {name} -->\n```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert match, f"README has no snippet {name!r}"
    return match.group(1)


def test_readme_dag_test_runs_in_a_fresh_project(tmp_path: Path) -> None:
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "my_video.py").write_text(USER_DAG)
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntopview_dags = "dags"\n')
    (tmp_path / "test_my_video.py").write_text(readme_snippet("user-dag-test"))
    env = {name: value for name, value in os.environ.items() if not name.startswith("AIRFLOW")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_video.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "1 passed" in run.stdout


def test_topview_airflow_without_a_dags_folder_says_how_to_set_it(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text("def test_it(topview_airflow):\n    pass\n")
    env = {name: value for name, value in os.environ.items() if not name.startswith("AIRFLOW")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1
    assert 'topview_dags = "dags"' in run.stdout
