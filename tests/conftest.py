"""Shared fixtures: a throwaway Airflow home (sqlite, migrated once) and a runner for real DAG runs.

The environment is set here, at import, before anything imports Airflow: Airflow reads AIRFLOW_HOME
and the dags folder when it is first imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from airflow_topview.testing.dag_runner import DagRunner

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DAG_SOURCES = (PROJECT_ROOT / "dags", PROJECT_ROOT / "tests" / "dags")

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="topview-airflow-home-"))
_DAGS_FOLDER = _AIRFLOW_HOME / "dags"
_DAGS_FOLDER.mkdir()
for source in DAG_SOURCES:
    for dag_file in sorted(source.glob("*.py")):
        (_DAGS_FOLDER / dag_file.name).symlink_to(dag_file)

os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(_DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # The suite polls the simulator every few hundredths of a second (real DAGs: 1 s at least).
        "AIRFLOW__TOPVIEW__MIN_POLL_INTERVAL": "0.01",
    }
)


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    """An Airflow home whose sqlite metadata DB was created with ``airflow db migrate``."""
    airflow = Path(sys.executable).with_name("airflow")
    result = subprocess.run(
        [str(airflow), "db", "migrate"], capture_output=True, text=True, env=os.environ.copy(), check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return _AIRFLOW_HOME


@pytest.fixture(scope="session")
def dags_folder(airflow_home: Path) -> Path:
    return _DAGS_FOLDER


@pytest.fixture
def dag_runner(airflow_home: Path, capfd: pytest.CaptureFixture[str]) -> Iterator[DagRunner]:
    """Runs DAGs from the dags folder in this process with ``dag.test()``, capturing their logs."""
    return DagRunner(_DAGS_FOLDER, capfd)


class HardeningReport:
    """What one hardening test proved; travels with the test report (so it works under pytest-xdist)."""

    def __init__(self, record_property: Callable[[str, object], None]) -> None:
        self._record = record_property

    def record(self, matrix: str, ok: bool) -> None:
        self._record("hardening", ("record", matrix, ok))

    def note(self, matrix: str, text: str) -> None:
        self._record("hardening", ("note", matrix, text))


_RESULTS: dict[str, list[bool]] = {}
_NOTES: dict[str, str] = {}


@pytest.fixture
def hardening_report(record_property: Callable[[str, object], None]) -> HardeningReport:
    return HardeningReport(record_property)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, value in report.user_properties:
        if name != "hardening" or report.when != "call":
            continue
        kind, matrix, payload = value  # type: ignore[misc]
        if kind == "record":
            _RESULTS.setdefault(matrix, []).append(bool(payload))
        else:
            _NOTES[matrix] = str(payload)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = [
        f"{matrix}: {sum(results)}/{len(results)} {_NOTES.get(matrix, 'as specified')}"
        for matrix, results in _RESULTS.items()
    ]
    lines += [text for matrix, text in _NOTES.items() if matrix not in _RESULTS]
    if lines:
        terminalreporter.section("hardening summary")
        for line in lines:
            terminalreporter.write_line(line)
