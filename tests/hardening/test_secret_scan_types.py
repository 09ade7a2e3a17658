"""Secret scan for the task types beside Image-to-Video: the scans of test_secret_scan.py, run through each
type's own operators and test DAGs (tests/dags/topview_family_hostile.py, ``TYPE_RUNS``).

The key reaches Airflow (logs, XCom, rendered fields, trigger rows, the metadata DB) through the same
hook and Airflow's same masker whatever the task type; what differs by type is the provider's endpoints
and request bodies. So the version matrix runs this file on its main row only (scripts/matrix.py
MAIN_ROW_ONLY) and test_secret_scan.py, Image-to-Video's scans, on every row.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_topview.client.task_types import TASK_TYPES
from airflow_topview.testing import Fault, TopviewSimulator, query_endpoint, submit_endpoint
from airflow_topview.testing.dag_runner import DagRunner
from tests.conftest import HardeningReport
from tests.hardening.test_secret_scan import (
    API_KEY,
    ENCODINGS,
    OTHER_TYPES,
    PADDED_KEY,
    TYPE_RUNS,
    UID,
    WRONG_KEY,
    exception_texts,
    home_artefacts,
    run_artefacts,
    scan_an_encoded_echo,
    trigger_rows,
    use_connection,
)

pytestmark = pytest.mark.dag


@pytest.fixture
def scan_simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[TopviewSimulator]:
    """test_secret_scan.py's: running at the worker's first look, so that deferrable tasks defer."""
    with TopviewSimulator(uid=UID, api_key=API_KEY, polls_to_finish=2) as sim:
        use_connection(monkeypatch, sim, API_KEY)
        yield sim


@pytest.mark.parametrize("task_key", OTHER_TYPES)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_an_encoded_echo_of_the_key_leaks_nowhere_for_a_task_type(
    dag_runner: DagRunner,
    airflow_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
    tmp_path: Path,
    encoding: str,
    task_key: str,
) -> None:
    """test_secret_scan.py's encoded echo, for another task type's submit, wait and query."""
    scan_an_encoded_echo(
        dag_runner, airflow_home, monkeypatch, hardening_report, tmp_path, encoding, task_key
    )


@pytest.mark.parametrize("task_key", OTHER_TYPES)
def test_api_key_appears_in_no_artefact_of_a_task_type(
    scan_simulator: TopviewSimulator,
    dag_runner: DagRunner,
    airflow_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
    task_key: str,
) -> None:
    """The first scan for another task type's operator: a submit waiting in the triggerer (its trigger
    row carries the task type), a download, sensors poke and deferrable, and a wrong key."""
    sim = scan_simulator
    task_type, runs = TASK_TYPES[task_key], TYPE_RUNS[task_key]
    artefacts: list[tuple[str, str]] = []
    for dag_id in (runs.deferred, runs.sensor, runs.submit):
        result = dag_runner.run(dag_id, conf=runs.conf(sim, tmp_path / dag_id))
        assert result.state == "success", result.log[-3000:]
        artefacts += run_artefacts(dag_id, result)
    submits = sim.submits(task_type)
    assert len(submits) == 3
    assert all(entry.headers.get("Authorization") == f"Bearer {API_KEY}" for entry in submits)
    assert sim.requests_to(query_endpoint(task_type))
    assert len(sim.submits()) == 3  # nothing went to another task type's endpoints

    triggers = trigger_rows()
    assert any(f'"task_type": "{task_key}"' in row for row in triggers), f"no {task_key} trigger row to scan"
    artefacts += [("trigger row", row) for row in triggers]

    use_connection(monkeypatch, sim, WRONG_KEY)
    failed = dag_runner.run(runs.submit, conf=runs.conf(sim, tmp_path / "wrong"))
    assert failed.state == "failed"
    assert "TopView error 401" in failed.log
    artefacts.append(("wrong-key run log", failed.log))
    artefacts += exception_texts(task_type, retry_limit=1)
    artefacts += home_artefacts(airflow_home)

    hits = [where for where, text in artefacts if API_KEY in text or WRONG_KEY in text]
    hardening_report.note(
        f"secret scan {task_key}", f"secret scan ({task_key}): {len(hits)} hits in {len(artefacts)} artefacts"
    )
    assert hits == []


@pytest.mark.parametrize("task_key", OTHER_TYPES)
def test_padded_key_echoing_servers_and_a_broken_key_leak_nowhere_for_a_task_type(
    scan_simulator: TopviewSimulator,
    dag_runner: DagRunner,
    airflow_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
    task_key: str,
) -> None:
    """The padded-key, echoing-server and control-character tests for another task type's operator."""
    sim = scan_simulator
    task_type, runs = TASK_TYPES[task_key], TYPE_RUNS[task_key]
    use_connection(monkeypatch, sim, PADDED_KEY)
    artefacts: list[tuple[str, str]] = []

    for dag_id in (runs.deferred, runs.sensor):
        result = dag_runner.run(dag_id, conf=runs.conf(sim, tmp_path / dag_id))
        assert result.state == "success", result.log[-3000:]
        artefacts += run_artefacts(dag_id, result)
    assert {
        entry.headers.get("Authorization") for entry in sim.journal if "Authorization" in entry.headers
    } == {f"Bearer {API_KEY}"}

    for name, fault in (
        ("submit (502 page)", Fault.echo_auth(502, after_accepting=True)),
        ("submit (4000)", Fault.echo_auth(code="4000")),
    ):
        sim.inject(submit_endpoint(task_type), fault, times=None)
        before = len(sim.submits(task_type))
        result = dag_runner.run(runs.submit, conf=runs.conf(sim, tmp_path / "submit"))
        assert result.state == "failed"
        assert "***" in result.log, f"{name}: the echoed header should show redacted"
        assert len(sim.submits(task_type)) == before + 1, f"{name}: sent again"
        artefacts += run_artefacts(name, result)
        sim.clear_faults()

    for name, dag_id, fault, times in (
        ("deferred operator (query 4000)", runs.deferred, Fault.echo_auth(code="4000"), None),
        ("deferred operator (query 502)", runs.deferred, Fault.echo_auth(502), 3),
        ("sensors poke+deferrable (query 4000)", runs.sensor, Fault.echo_auth(code="4000"), None),
    ):
        sim.inject(query_endpoint(task_type), fault, times=times)
        result = dag_runner.run(dag_id, conf=runs.conf(sim, tmp_path / "query"))
        assert "Bearer ***" in result.log, f"{name}: the echoed header should reach the log redacted"
        artefacts += run_artefacts(name, result)
        sim.clear_faults()
    for fault in (Fault.echo_auth(code="4000"), Fault.echo_auth(500)):
        sim.inject(query_endpoint(task_type), fault, times=None)
        artefacts += exception_texts(task_type, retry_limit=2, retry_delay=0.01)
        sim.clear_faults()
    artefacts += [("trigger row", row) for row in trigger_rows()]
    artefacts += home_artefacts(airflow_home)
    hits = [where for where, text in artefacts if API_KEY in text]

    # A key with a control character: the submit fails at once, sends nothing and never quotes it.
    use_connection(monkeypatch, sim, "sk-SCAN-qzkw\x07vxjy")
    sent = len(sim.journal)
    result = dag_runner.run(runs.submit, conf=runs.conf(sim, tmp_path / "broken"))
    assert result.state == "failed"
    assert result.tries[("submit", -1)] == 1
    assert "the password (API key) contains control or non-ASCII" in result.log
    assert "qzkw" not in result.log
    assert "vxjy" not in result.log
    assert len(sim.journal) == sent

    hardening_report.note(
        f"secret scan (padded key, echoing servers) {task_key}",
        f"secret scan, padded key and echoing servers ({task_key}): {len(hits)} hits "
        f"in {len(artefacts)} artefacts; a key with a control character sends nothing",
    )
    assert hits == []
