"""The command ``make demo`` prints for making real videos works as printed, from a new shell.

The test takes the command from the demo's own code (``scripts/demo.py``), puts the simulator where the
user puts TopView (their UID and API key in place of the placeholders, the simulator's URL in place of
TopView's) and runs it with ``sh -c`` in an environment holding nothing but ``PATH`` and ``HOME``: no
virtualenv activated, no Airflow home, no dags folder, no connection.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from airflow_topview.client.connection import DEFAULT_BASE_URL
from airflow_topview.testing import TopviewSimulator

pytestmark = pytest.mark.dag

ROOT = Path(__file__).resolve().parents[2]


def demo_script() -> ModuleType:
    """scripts/demo.py (no package: loaded from its path)."""
    spec = importlib.util.spec_from_file_location("topview_demo", ROOT / "scripts" / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_printed_command_names_everything_it_needs() -> None:
    demo = demo_script()
    command = demo.real_run_command()
    for needed in (
        f"AIRFLOW_HOME={ROOT / '.demo' / 'airflow'}",
        f"AIRFLOW__CORE__DAGS_FOLDER={ROOT / 'dags'}",
        "AIRFLOW_CONN_TOPVIEW_DEFAULT=",
        demo.UID_PLACEHOLDER,
        demo.KEY_PLACEHOLDER,
        DEFAULT_BASE_URL,
        f"{Path(sys.executable).with_name('airflow')} dags test example_topview_image_to_video",
    ):
        assert needed in command, needed


def test_the_printed_command_runs_in_a_fresh_shell(
    airflow_home: Path, topview_simulator: TopviewSimulator, tmp_path: Path
) -> None:
    sim = topview_simulator
    demo = demo_script()
    videos = tmp_path / "real-videos"
    # The demo's home is where `make demo` created the metadata DB; here the suite's migrated home is.
    printed = demo.real_run_command(airflow_home=airflow_home, output_dir=videos)
    command = printed
    for placeholder, value in (
        (demo.UID_PLACEHOLDER, sim.uid),
        (demo.KEY_PLACEHOLDER, sim.api_key),
        (DEFAULT_BASE_URL, sim.base_url),
    ):
        assert printed.count(placeholder) == 1, placeholder
        command = command.replace(placeholder, value)
    home = tmp_path / "home"
    home.mkdir()
    run = subprocess.run(
        ["/bin/sh", "-c", command],
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home)},
        cwd=home,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]
    assert "state=success" in output
    [submit] = sim.requests_to("submit")
    assert submit.json["model"] == "Seedance 1.5 Pro"
    [topview_task_id] = sim.tasks
    [video] = videos.iterdir()
    assert video.name == f"{topview_task_id}_0.mp4"
    assert video.read_bytes()[4:8] == b"ftyp"
    assert sim.api_key not in output
