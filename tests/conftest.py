"""Shared fixtures: a throwaway Airflow home (sqlite, migrated once) and a runner for real DAG runs.

The environment is set here, at import, before anything imports Airflow: Airflow reads AIRFLOW_HOME
and the dags folder when it is first imported.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from airflow_topview.testing.dag_runner import DagRunner
from tests import airflow_db

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
        # dag.test() has no scheduler, so no defer race to keep out of: no floor (deployments keep it).
        "AIRFLOW__TOPVIEW__MIN_DEFERRAL": "0",
    }
)

# What the installed Airflow offers: the one place the suite looks at its version (`make matrix` runs the
# suite on each supported minor release; docs/airflow-versions.md says what each one gets).
AIRFLOW_VERSION = Version(version("apache-airflow"))
AIRFLOW_HAS_TASK_STATE_STORE = AIRFLOW_VERSION.release >= (3, 3)
AIRFLOW_READS_PROVIDER_FORMS = AIRFLOW_VERSION.release >= (3, 2)  # conn-fields / ui-field-behaviour
needs_task_state_store = pytest.mark.skipif(
    not AIRFLOW_HAS_TASK_STATE_STORE,
    reason=f"Airflow {AIRFLOW_VERSION} has no task_state_store (3.3+): what the operator does instead is "
    "tested in tests/operators/test_without_task_state_store.py",
)


def _build_the_in_process_api_once() -> None:
    """dag.test() on Airflow < 3.3 builds a new in-process execution API for every task it runs.

    That is a Cadwyn app whose versioned routers take seconds of CPU to build, plus an event-loop thread
    that is never stopped: a DAG of 200 tasks (tests/hardening/test_load.py) took 15 minutes or more, and
    its submits came too far apart to ever meet the simulator's concurrency limit. Airflow 3.3 builds it
    once (``functools.lru_cache`` on ``in_process_api_server``); this does the same on older versions.
    The API is the same for every task (the DBDagBag an earlier task set reads the same metadata DB).
    """
    from airflow.sdk.execution_time import supervisor

    if not hasattr(supervisor.in_process_api_server, "cache_info"):  # not built once already
        supervisor.in_process_api_server = functools.lru_cache(maxsize=1)(supervisor.in_process_api_server)


if AIRFLOW_VERSION.release < (3, 3):
    _build_the_in_process_api_once()


def _sync_the_dags_folder_once() -> None:
    """dag.test() on Airflow 3.3+ parses the whole dags folder and writes every DAG in it to the metadata
    DB on each call (apache/airflow#64884: so that a TriggerDagRunOperator's target is there too); 3.1
    and 3.2 do it only while the DAG has no serialized version. This suite's folder holds some 80 DAGs:
    that parse and sync was half the CPU of a small DAG's run, and most of the suite's on 3.3 and 3.4.

    The folder does not change during a session, so this parses and syncs it again only when a file in
    it changed (name, size or mtime) or when a DAG of it has no serialized version in the DB; otherwise
    the call finds what the first one wrote. Applied by the ``airflow_home`` fixture (importing Airflow
    here would break the airflow-free run of the version matrix).
    """
    from airflow.dag_processing import dagbag
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    if getattr(dagbag.sync_bag_to_db, "syncs_once", False):  # applied already
        return
    parse, sync = dagbag.BundleDagBag, dagbag.sync_bag_to_db
    bags: dict[tuple[object, ...], tuple[object, Any]] = {}
    synced: set[tuple[object, ...]] = set()

    def folder_state(folder: object) -> tuple[tuple[str, int, int], ...]:
        files = sorted(Path(str(folder)).rglob("*.py"))
        return tuple((str(file), file.stat().st_mtime_ns, file.stat().st_size) for file in files)

    def bundle_dag_bag(*args: Any, **kwargs: Any) -> Any:
        if args or "dag_folder" not in kwargs:
            return parse(*args, **kwargs)
        key = tuple(sorted((name, str(value)) for name, value in kwargs.items()))
        state = folder_state(kwargs["dag_folder"])
        if key not in bags or bags[key][0] != state:
            bags[key] = (state, parse(**kwargs))
        return bags[key][1]

    def all_serialized(dag_ids: list[str]) -> bool:
        with create_session() as session:
            query = select(SerializedDagModel.dag_id).where(SerializedDagModel.dag_id.in_(dag_ids))
            return set(session.scalars(query)) == set(dag_ids)

    @functools.wraps(sync)
    def sync_bag_to_db(bag: Any, bundle_name: str, bundle_version: str | None, **kwargs: Any) -> None:
        key = (id(bag), bundle_name, bundle_version)
        if key in synced and all_serialized(list(bag.dag_ids)):
            return
        sync(bag, bundle_name, bundle_version, **kwargs)
        synced.add(key)

    sync_bag_to_db.syncs_once = True  # type: ignore[attr-defined]
    dagbag.BundleDagBag = bundle_dag_bag  # type: ignore[misc,assignment]
    dagbag.sync_bag_to_db = sync_bag_to_db


if AIRFLOW_VERSION.release < (3, 2):
    # Airflow < 3.2 keeps DagBag in airflow.models.dagbag; the tests import it from where 3.2+ has it.
    import airflow.models.dagbag

    sys.modules.setdefault("airflow.dag_processing.dagbag", airflow.models.dagbag)


def read_without_opening(path: Path) -> bytes:
    """A file's bytes, read by a child process, for the sqlite metadata DB that DAG runs here use.

    Opening and closing that file in this process (``read_bytes``, ``shutil.copy``) drops every sqlite
    lock the process holds on it (POSIX locks belong to the process, not the file handle); a DAG run in
    a child process may then clean up the DB's WAL under this process's open connection, and the next
    in-process DAG run finds "database disk image is malformed".
    """
    code = "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())"
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, check=True).stdout


def pytest_configure(config: pytest.Config) -> None:
    """Name this test run for the migrated database its processes share (workers inherit the name)."""
    if airflow_db.start_run() is not None:
        config.stash[_NAMED_RUN] = True


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(_NAMED_RUN, False):
        airflow_db.end_run()


_NAMED_RUN = pytest.StashKey[bool]()


#: The test files that take longest, longest first. pytest-xdist (``--dist loadfile
#: --no-loadscope-reorder``, the Makefile's) hands whole files to its workers in collection order: a long
#: file handed out last would run alone at the end while the other workers idle, so these are collected
#: first, the rest in their usual order. Of the deployment files only test_batch.py (three runs of 24
#: tasks: as long as the others on one worker); xdist queues a file behind one with two tests left, so
#: more long ones up front would pile up on the workers behind them.
LONGEST_FIRST = (
    "tests/deployment/test_batch.py",
    "tests/hardening/test_load.py",
    "tests/hardening/test_secret_scan.py",
    "tests/simulator/test_user_project.py",
    "tests/hardening/test_secret_scan_types.py",
    "tests/hooks/test_fault_matrix.py",
    "tests/package/test_examples_alone.py",
    "tests/sensors/test_waiting.py",
    "tests/package/test_observability.py",
    "tests/operators/test_run_budget.py",
    "tests/package/test_example_dags.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: index for index, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))  # stable: rest kept


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    """An Airflow home with a migrated sqlite metadata DB (``airflow db migrate``, once per test run)."""
    airflow_db.migrated_home(_AIRFLOW_HOME)
    if AIRFLOW_VERSION.release >= (3, 3):
        _sync_the_dags_folder_once()
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
