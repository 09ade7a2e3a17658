"""README: "Test connection" is off by default in Airflow 3; with ``[core] test_connection = Enabled`` the
``airflow connections test`` command reads the credit balance through the ``topview`` hook.

Run with Airflow's own CLI, as a user would, against the simulator; the key never reaches its output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from airflow_topview.testing import TopviewSimulator
from tests.conftest import AIRFLOW_VERSION

README = Path(__file__).resolve().parents[2] / "README.md"


def connections_test(airflow_home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    airflow = Path(sys.executable).with_name("airflow")
    return subprocess.run(
        [str(airflow), "connections", "test", "topview_default"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


def test_connection_testing_is_off_until_enabled_as_the_readme_says(
    airflow_home: Path, topview_connection: TopviewSimulator
) -> None:
    sim = topview_connection
    readme = " ".join(README.read_text().split())
    assert "export AIRFLOW__CORE__TEST_CONNECTION=Enabled" in readme
    assert "`airflow connections test topview_default`" in readme

    off = connections_test(airflow_home, AIRFLOW__CORE__TEST_CONNECTION="Disabled")
    assert off.returncode == 1
    assert "Testing connections is disabled" in off.stdout
    assert sim.journal == []

    on = connections_test(airflow_home, AIRFLOW__CORE__TEST_CONNECTION="Enabled")
    output = on.stdout + on.stderr
    assert on.returncode == 0, output[-3000:]
    assert "Connection success!" in on.stdout
    [entry] = sim.journal
    assert (entry.method, entry.endpoint) == ("GET", "credit")
    assert sim.api_key not in output


def test_a_wrong_key_fails_the_cli_test_without_showing_it(
    airflow_home: Path, topview_connection: TopviewSimulator
) -> None:
    import json

    conn = json.loads(os.environ["AIRFLOW_CONN_TOPVIEW_DEFAULT"])
    wrong = {**conn, "password": "sk-wrong-key-4242"}
    run = connections_test(
        airflow_home,
        AIRFLOW__CORE__TEST_CONNECTION="Enabled",
        AIRFLOW_CONN_TOPVIEW_DEFAULT=json.dumps(wrong),
    )
    output = run.stdout + run.stderr
    # Airflow's CLI exits 1 on a failed test from 3.3 on; 3.1 and 3.2 print the failure and exit 0.
    assert run.returncode == (1 if AIRFLOW_VERSION.release >= (3, 3) else 0), output[-3000:]
    assert "Connection failed!" in run.stdout
    assert "API key" in run.stdout
    assert "sk-wrong-key-4242" not in output
