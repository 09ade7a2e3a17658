"""Secret scan: every example DAG runs with a distinctive API key, which must appear in no artefact.

Artefacts: captured task logs, log files under AIRFLOW_HOME, XCom values, rendered template fields,
trigger rows (class path and decrypted kwargs), the raw metadata DB, and the texts of the exceptions a
wrong key produces.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.exceptions import TopviewError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner
from tests.conftest import HardeningReport, read_without_opening

pytestmark = pytest.mark.dag

UID = "scan-uid-5e1d"
API_KEY = "sk-SCAN-9f2c4e7a1b3d"
WRONG_KEY = "sk-WRONG-0a8b6c4d2e"
ASSETS = Path(__file__).resolve().parents[2] / "dags" / "assets"

EXAMPLES: dict[str, Callable[[TopviewSimulator, Path], dict[str, Any]]] = {
    "example_topview_submit": lambda sim, out: {"first_frame_file_id": sim.add_file("png")},
    "example_topview_image_to_video": lambda sim, out: {"output_dir": str(out)},
    "example_topview_first_last_frame": lambda sim, out: {"output_dir": str(out)},
    "example_topview_multi_reference": lambda sim, out: {"output_dir": str(out)},
    "example_topview_fan_out": lambda sim, out: {
        "images": [str(ASSETS / "fox.png"), str(ASSETS / "meadow.jpg")],
        "output_dir": str(out),
    },
    "example_topview_params": lambda sim, out: {"output_dir": str(out)},
}


def use_connection(monkeypatch: pytest.MonkeyPatch, sim: TopviewSimulator, key: str) -> None:
    connection = {"conn_type": "topview", "login": UID, "password": key, "host": sim.base_url}
    monkeypatch.setenv("AIRFLOW_CONN_TOPVIEW_DEFAULT", json.dumps(connection))


@pytest.fixture
def scan_simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[TopviewSimulator]:
    # Running at the worker's first look, so that deferrable tasks defer (their trigger rows are scanned).
    with TopviewSimulator(uid=UID, api_key=API_KEY, polls_to_finish=2) as sim:
        use_connection(monkeypatch, sim, API_KEY)
        yield sim


def trigger_rows() -> list[str]:
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session

    with create_session() as session:
        return [
            f"{row.classpath} {json.dumps(row.kwargs, default=str)}" for row in session.query(Trigger).all()
        ]


def test_api_key_appears_in_no_artefact(
    scan_simulator: TopviewSimulator,
    dag_runner: DagRunner,
    airflow_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
) -> None:
    sim = scan_simulator
    artefacts: list[tuple[str, str]] = []
    for dag_id, make_conf in EXAMPLES.items():
        result = dag_runner.run(dag_id, conf=make_conf(sim, tmp_path / dag_id))
        assert result.state == "success", result.log[-3000:]
        artefacts.append((f"{dag_id} log", result.log))
        artefacts += [
            (f"{dag_id} xcom {key}", json.dumps(value, default=str)) for key, value in result.xcoms.items()
        ]
        artefacts += [
            (f"{dag_id} rendered {key}", json.dumps(fields, default=str))
            for key, fields in result.rendered_fields.items()
        ]
    assert all(
        entry.headers.get("Authorization") == f"Bearer {API_KEY}" for entry in sim.requests_to("submit")
    )

    triggers = trigger_rows()
    assert any("ImageToVideoTrigger" in row for row in triggers), "no trigger row to scan"
    artefacts += [("trigger row", row) for row in triggers]

    # A wrong key: the task fails with TopView's 401, and the key stays out of the failure too.
    use_connection(monkeypatch, sim, WRONG_KEY)
    failed = dag_runner.run("example_topview_submit", conf={"first_frame_file_id": sim.add_file("png")})
    assert failed.state == "failed"
    assert "TopView error 401" in failed.log
    artefacts.append(("wrong-key run log", failed.log))
    for call in (lambda hook: hook.get_credit(), lambda hook: hook.get_image_to_video_task("0" * 32)):
        with pytest.raises(TopviewError) as raised:
            call(TopviewHook(retry_limit=1))
        artefacts.append(("wrong-key exception", f"{raised.value!r} {raised.value}"))
    artefacts.append(("wrong-key test_connection", TopviewHook().test_connection()[1]))

    artefacts += [
        (f"log file {path.name}", path.read_text(errors="replace")) for path in airflow_home.rglob("*.log")
    ]
    artefacts.append(("metadata DB", read_without_opening(airflow_home / "airflow.db").decode("latin-1")))

    hits = [where for where, text in artefacts if API_KEY in text or WRONG_KEY in text]
    hardening_report.note("secret scan", f"secret scan: {len(hits)} hits in {len(artefacts)} artefacts")
    assert hits == []


PADDED_KEY = API_KEY + " \n"  # copied from a web page with a trailing space and newline


def test_padded_key_and_echoing_servers_leak_nowhere(
    scan_simulator: TopviewSimulator,
    dag_runner: DagRunner,
    airflow_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
) -> None:
    sim = scan_simulator
    use_connection(monkeypatch, sim, PADDED_KEY)
    artefacts: list[tuple[str, str]] = []

    def record(name: str, result: Any) -> None:
        artefacts.append((f"{name} log", result.log))
        artefacts.extend((f"{name} xcom", json.dumps(v, default=str)) for v in result.xcoms.values())
        artefacts.extend(
            (f"{name} rendered", json.dumps(v, default=str)) for v in result.rendered_fields.values()
        )

    # The padded key is stripped: every path works, and the header carries the bare key.
    for dag_id in ("example_topview_submit", "example_topview_image_to_video"):
        conf = EXAMPLES[dag_id](sim, tmp_path / dag_id)
        result = dag_runner.run(dag_id, conf=conf)
        assert result.state == "success", result.log[-3000:]
        record(dag_id, result)
    assert {
        entry.headers.get("Authorization") for entry in sim.journal if "Authorization" in entry.headers
    } == {f"Bearer {API_KEY}"}

    # Servers that quote the Authorization header back, on every path.
    echoes: list[tuple[str, str, Any, dict[str, Any]]] = [
        ("sync submit (502 page)", "submit", Fault.echo_auth(502, after_accepting=True), {}),
        ("sync submit (4000)", "submit", Fault.echo_auth(code="4000"), {}),
    ]
    for name, endpoint, fault, _ in echoes:
        sim.inject(endpoint, fault, times=None)
        result = dag_runner.run("topview_test_bad_input", conf={"first": sim.add_file("png"), "count": "1"})
        assert result.state == "failed"
        assert "***" in result.log, f"{name}: the echoed header should show redacted"
        record(name, result)
        sim.clear_faults()

    for name, dag_id, fault in (
        ("deferred operator (query 4000)", "topview_hostile_deferred", Fault.echo_auth(code="4000")),
        ("deferred operator (query 502)", "topview_hostile_deferred", Fault.echo_auth(502)),
        ("sensors poke+deferrable (query 4000)", "topview_hostile_sensor", Fault.echo_auth(code="4000")),
    ):
        first = sim.add_file("png")
        if "502" in name:  # transient: polling goes on; the deadline is short for this run
            sim.inject("query", fault, times=3)
        else:
            sim.inject("query", fault, times=None)
        result = dag_runner.run(dag_id, conf={"first": first})
        assert "Bearer ***" in result.log, f"{name}: the echoed header should reach the log redacted"
        record(name, result)
        sim.clear_faults()
    for call_name, endpoint, call in (
        ("credit", "credit", lambda hook: hook.get_credit()),
        ("upload credential", "credential", lambda hook: hook.get_upload_credential("png")),
        ("query", "query", lambda hook: hook.get_image_to_video_task("0" * 32)),
        ("upload check", "check", lambda hook: hook.check_upload("0" * 32)),
    ):
        for fault in (Fault.echo_auth(code="4000"), Fault.echo_auth(500)):
            sim.inject(endpoint, fault, times=None)
            with pytest.raises(TopviewError) as raised:
                call(TopviewHook(retry_limit=2, retry_delay=0.01))
            artefacts.append((f"{call_name} exception", f"{raised.value!r} {raised.value}"))
            sim.clear_faults()
    sim.inject("credit", Fault.echo_auth(code="4000"), times=None)
    artefacts.append(("echo test_connection", TopviewHook().test_connection()[1]))
    sim.clear_faults()
    artefacts += [("trigger row", row) for row in trigger_rows()]
    artefacts += [
        (f"log file {path.name}", path.read_text(errors="replace")) for path in airflow_home.rglob("*.log")
    ]
    artefacts.append(("metadata DB", read_without_opening(airflow_home / "airflow.db").decode("latin-1")))

    hits = [where for where, text in artefacts if API_KEY in text]
    hardening_report.note(
        "secret scan (padded key, echoing servers)",
        f"secret scan, padded key and echoing servers on every path: {len(hits)} hits "
        f"in {len(artefacts)} artefacts",
    )
    assert hits == []


def test_key_with_a_control_character_fails_at_once_without_quoting_it(
    scan_simulator: TopviewSimulator,
    dag_runner: DagRunner,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
) -> None:
    sim = scan_simulator
    # Halves that cannot occur in a UUID or a hex id of the log (a hex fragment once matched a run id).
    broken = "sk-SCAN-qzkw\x07vxjy"
    use_connection(monkeypatch, sim, broken)
    result = dag_runner.run("topview_test_bad_input", conf={"first": sim.add_file("png"), "count": "1"})
    assert result.state == "failed"
    assert result.tries[("submit", -1)] == 1
    assert "Connection 'topview_default': the password (API key) contains control or non-ASCII" in result.log
    assert "qzkw" not in result.log
    assert "vxjy" not in result.log
    sensor = dag_runner.run("topview_hostile_poke", conf={"task": "0" * 32})
    assert sensor.state == "failed"
    assert sensor.tries[("wait", -1)] == 1
    assert "qzkw" not in sensor.log
    assert "vxjy" not in sensor.log
    assert sim.journal == []
    hardening_report.note(
        "secrets #6 control characters in the key",
        "secrets #6: a key with a control character fails submit and sensor at once, 0 requests, "
        "never quoted; a key padded with whitespace is stripped",
    )


SPECIAL_KEY = "sk-sc/an+key=9f2c4e7a"  # characters that JSON, URL and base64 encoders all change


def written_back(value: str, encoding: str) -> str:
    """How the simulator writes the Authorization header back (independent of the provider's code)."""
    import base64
    from urllib.parse import quote

    if encoding == "json":
        return value.replace("/", "\\/")
    if encoding == "url":
        return quote(value, safe="")
    return base64.b64encode(value.encode()).decode()


@pytest.mark.parametrize("encoding", ["json", "url", "base64"])
def test_an_encoded_echo_of_the_key_leaks_nowhere(
    dag_runner: DagRunner,
    airflow_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
    encoding: str,
) -> None:
    """A server quoting the key JSON-escaped, URL-encoded or base64-encoded: never in logs or errors."""
    header = f"Bearer {SPECIAL_KEY}"
    leaked = written_back(SPECIAL_KEY if encoding != "base64" else header, encoding)
    assert leaked != SPECIAL_KEY
    artefacts: list[tuple[str, str]] = []
    with TopviewSimulator(uid=UID, api_key=SPECIAL_KEY, polls_to_finish=2) as sim:
        use_connection(monkeypatch, sim, SPECIAL_KEY)
        for fault in (
            Fault.echo_auth(502, after_accepting=True, encoding=encoding),  # type: ignore[arg-type]
            Fault.echo_auth(code="4000", encoding=encoding),  # type: ignore[arg-type]
        ):
            sim.inject("submit", fault, times=None)
            result = dag_runner.run(
                "topview_test_bad_input", conf={"first": sim.add_file("png"), "count": "1"}
            )
            assert result.state == "failed"
            artefacts.append((f"submit run ({fault.http_status})", result.log))
            sim.clear_faults()
        sim.inject("query", Fault.echo_auth(code="4000", encoding=encoding), times=None)  # type: ignore[arg-type]
        result = dag_runner.run("topview_hostile_deferred", conf={"first": sim.add_file("png")})
        artefacts.append(("deferred run", result.log))
        artefacts.extend(("deferred xcom", json.dumps(v, default=str)) for v in result.xcoms.values())
        with pytest.raises(TopviewError) as raised:
            TopviewHook(retry_limit=1).get_credit() if False else TopviewHook(
                retry_limit=1
            ).get_image_to_video_task("0" * 32)
        artefacts.append(("query exception", f"{raised.value!r} {raised.value}"))
        sim.clear_faults()
    artefacts += [
        (f"log file {path.name}", path.read_text(errors="replace")) for path in airflow_home.rglob("*.log")
    ]
    hits = [where for where, text in artefacts if leaked in text or SPECIAL_KEY in text]
    hardening_report.note(
        f"secret scan #12 {encoding}",
        f"secrets #12: the key echoed {encoding}-encoded by the server: {len(hits)} hits in "
        f"{len(artefacts)} artefacts",
    )
    assert hits == []
