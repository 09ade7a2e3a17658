"""pytest fixtures ``topview_simulator``, ``topview_connection`` and ``topview_airflow``, for a project
that asks for them: ``addopts = "-p airflow_topview.testing.pytest_plugin"`` in its pytest settings (or
``pytest_plugins = ["airflow_topview.testing.pytest_plugin"]`` in its root ``conftest.py``). Installing
the provider loads nothing into other projects' pytest sessions. Imports stay inside the fixtures.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from airflow_topview.testing.dag_runner import DagRunner
    from airflow_topview.testing.simulator import TopviewSimulator

TEST_UID = "test-uid"
TEST_API_KEY = "sk-test-key"


@pytest.fixture
def topview_simulator() -> Iterator[TopviewSimulator]:
    """A running simulator (uid ``test-uid``, key ``sk-test-key``) whose tasks finish on the first poll.

    Strict about models, like TopView: names outside the catalog get 4000 unless the test calls
    ``add_model(name)`` or sets ``accept_any_model = True``.
    """
    from airflow_topview.testing.simulator import TopviewSimulator

    with TopviewSimulator(uid=TEST_UID, api_key=TEST_API_KEY, polls_to_finish=1) as sim:
        yield sim


@pytest.fixture
def topview_connection(
    topview_simulator: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> TopviewSimulator:
    """``topview_simulator`` plus an Airflow connection ``topview_default`` pointing at it (env var)."""
    conn = {
        "conn_type": "topview",
        "login": topview_simulator.uid,
        "password": topview_simulator.api_key,
        "host": topview_simulator.base_url,
    }
    monkeypatch.setenv("AIRFLOW_CONN_TOPVIEW_DEFAULT", json.dumps(conn))
    return topview_simulator


# --- Airflow for users' DAG tests -----------------------------------------------------------------
#
# Airflow reads AIRFLOW_HOME and its dags folder when it is first imported, which in a test session is
# usually while test modules are collected. So the throwaway home is set up in pytest_configure, before
# collection, and only when the project asks for it with the ``topview_dags`` ini option (or the
# ``--topview-dags`` command-line option): a project may load the plugin for the simulator fixtures
# alone, and then nothing about Airflow changes.


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "topview_dags",
        "Folder of the project's DAG files (relative to the rootdir): the topview_airflow fixture then "
        "runs them in a throwaway Airflow home with a migrated sqlite database.",
        default="",
    )
    parser.addoption(
        "--topview-dags",
        default=None,
        help="Folder of DAG files for the topview_airflow fixture (overrides the topview_dags ini option).",
    )


def pytest_configure(config: pytest.Config) -> None:
    import os
    import tempfile
    from pathlib import Path

    folder = config.getoption("--topview-dags") or config.getini("topview_dags")
    if not folder:
        return
    dags = (Path(str(config.rootpath)) / str(folder)).resolve()
    home = Path(tempfile.mkdtemp(prefix="topview-airflow-home-"))
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        }
    )
    # dag.test() has no scheduler and so no defer race: waits that fail resume at once.
    os.environ.setdefault("AIRFLOW__TOPVIEW__MIN_DEFERRAL", "0")
    config.stash[_HOME] = home


_HOME = pytest.StashKey["Path"]()


@pytest.fixture(scope="session")
def topview_airflow_home(pytestconfig: pytest.Config) -> Path:
    """The throwaway Airflow home, its sqlite database created with ``airflow db migrate`` (once)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    home = pytestconfig.stash.get(_HOME, None)
    if home is None:
        pytest.fail(
            "topview_airflow needs your DAG folder before Airflow is imported: add `topview_dags = "
            '"dags"` (your folder) to [tool.pytest.ini_options] or pytest.ini, or pass --topview-dags=dags',
            pytrace=False,
        )
    airflow = Path(sys.executable).with_name("airflow")
    migrate = subprocess.run(
        [str(airflow), "db", "migrate"], capture_output=True, text=True, env=os.environ.copy(), check=False
    )
    if migrate.returncode != 0:
        pytest.fail(f"airflow db migrate failed:\n{migrate.stdout[-2000:]}{migrate.stderr[-2000:]}")
    return home


@pytest.fixture
def topview_airflow(topview_airflow_home: Path, capfd: pytest.CaptureFixture[str]) -> DagRunner:
    """Runs the project's DAGs for real (``dag.test()``) and reads back states, XComs and the log.

    ``topview_airflow.run("my_dag", conf={...})`` returns a result with ``state``, ``task_state(id)``,
    ``xcom(task_id, key)`` and ``log``. Combine with ``topview_connection`` to run against the simulator.
    """
    import os
    from pathlib import Path

    from airflow_topview.testing.dag_runner import DagRunner

    return DagRunner(Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]), capfd)
