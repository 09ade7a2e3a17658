"""Secret scan: every example DAG runs with a distinctive API key, which must appear in no artefact.

Artefacts: captured task logs, log files under AIRFLOW_HOME, XCom values, rendered template fields,
trigger rows (class path and decrypted kwargs), the raw metadata DB, and the texts of the exceptions a
wrong key produces.

The examples are Image-to-Video; every other task type's operator runs the same scan, echoing servers
and odd keys through the test DAGs of tests/dags/topview_family_hostile.py (``TYPE_RUNS``), in
test_secret_scan_types.py: the key goes through the same hook and Airflow's masker for every task type,
so the version matrix runs that file on its main row only and this one on every row.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.client.task_types import IMAGE_TO_VIDEO, TASK_TYPES, TaskType
from airflow_topview.exceptions import TopviewError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.hooks.topview_async import TopviewAsyncHook
from airflow_topview.testing import Fault, TopviewSimulator, query_endpoint, submit_endpoint
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
    # Omni Reference. Not example_topview_brief_to_video (Text-to-Video): it waits for a person's approval,
    # and runs in a deployment (tests/deployment/test_review.py); Text-to-Video is scanned with TYPE_RUNS.
    "example_topview_product_shots": lambda sim, out: {"output_dir": str(out)},
}


@dataclass(frozen=True)
class TypeRuns:
    """The test DAGs that run one task type's operator, and the conf they all take (``out``: a folder)."""

    submit: str  # the submit alone, with retries
    deferred: str  # the submit waiting in the triggerer, then a download
    sensor: str  # a submit, then sensors in poke and deferrable mode on its task
    conf: Callable[[TopviewSimulator, Path], dict[str, Any]]


def _omni_conf(sim: TopviewSimulator, out: Path) -> dict[str, Any]:
    images = [{"file_id": sim.add_file("png"), "name": "Fox"}]
    return {"prompt": "<<<Fox>>> runs through a meadow", "images": images, "count": "1", "folder": str(out)}


TYPE_RUNS: dict[str, TypeRuns] = {
    IMAGE_TO_VIDEO.key: TypeRuns(
        "topview_test_bad_input",
        "topview_hostile_deferred",
        "topview_hostile_sensor",
        lambda sim, out: {"first": sim.add_file("png"), "count": "1"},
    ),
    **{
        key: TypeRuns(
            f"topview_family_hostile_submit_{key}",
            f"topview_family_hostile_deferred_{key}",
            f"topview_family_hostile_sensor_{key}",
            conf,
        )
        for key, conf in (
            ("text2video", lambda sim, out: {"prompt": "a paper boat", "count": "1", "folder": str(out)}),
            ("omni_reference", _omni_conf),
        )
    },
}
#: The task types beside Image-to-Video (whose runs are the examples above).
OTHER_TYPES = [key for key in TASK_TYPES if key != IMAGE_TO_VIDEO.key]


def test_every_task_type_has_its_runs() -> None:
    assert set(TYPE_RUNS) == set(TASK_TYPES)


def run_artefacts(name: str, result: Any) -> list[tuple[str, str]]:
    """A DAG run's log, XCom values and rendered template fields."""
    return [
        (f"{name} log", result.log),
        *((f"{name} xcom {key}", json.dumps(value, default=str)) for key, value in result.xcoms.items()),
        *(
            (f"{name} rendered {key}", json.dumps(fields, default=str))
            for key, fields in result.rendered_fields.items()
        ),
    ]


def home_artefacts(airflow_home: Path) -> list[tuple[str, str]]:
    """Every log file under AIRFLOW_HOME, and the raw metadata DB."""
    return [
        *(
            (f"log file {path.name}", path.read_text(errors="replace"))
            for path in airflow_home.rglob("*.log")
        ),
        ("metadata DB", read_without_opening(airflow_home / "airflow.db").decode("latin-1")),
    ]


def exception_texts(task_type: TaskType, **hook_params: Any) -> list[tuple[str, str]]:
    """The errors of a query of ``task_type`` through the sync hook and the async one (the triggers')."""
    texts = []
    with pytest.raises(TopviewError) as raised:
        TopviewHook(**hook_params).get_task(task_type, "0" * 32)
    texts.append((f"{task_type.key} query exception", f"{raised.value!r} {raised.value}"))
    with pytest.raises(TopviewError) as raised:
        asyncio.run(TopviewAsyncHook(**hook_params).get_task(task_type, "0" * 32))
    texts.append((f"{task_type.key} async query exception", f"{raised.value!r} {raised.value}"))
    return texts


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
    assert all(entry.headers.get("Authorization") == f"Bearer {API_KEY}" for entry in sim.submits())

    triggers = trigger_rows()
    assert any("ImageToVideoTrigger" in row for row in triggers), "no trigger row to scan"
    assert any('"task_type": "omni_reference"' in row for row in triggers), "no Omni Reference trigger row"
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


ENCODINGS = ["json", "url", "base64"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_an_encoded_echo_of_the_key_leaks_nowhere(
    dag_runner: DagRunner,
    airflow_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
    tmp_path: Path,
    encoding: str,
) -> None:
    """A server quoting the key JSON-escaped, URL-encoded or base64-encoded: never in logs or errors, for
    Image-to-Video's submit, wait in the triggerer and query (sync and async hook); the other task types
    in test_secret_scan_types.py."""
    scan_an_encoded_echo(
        dag_runner, airflow_home, monkeypatch, hardening_report, tmp_path, encoding, IMAGE_TO_VIDEO.key
    )


def scan_an_encoded_echo(
    dag_runner: DagRunner,
    airflow_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    hardening_report: HardeningReport,
    tmp_path: Path,
    encoding: str,
    task_key: str,
) -> None:
    """One task type's encoded-echo scan (test_an_encoded_echo_of_the_key_leaks_nowhere)."""
    task_type, runs = TASK_TYPES[task_key], TYPE_RUNS[task_key]
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
            sim.inject(submit_endpoint(task_type), fault, times=None)
            result = dag_runner.run(runs.submit, conf=runs.conf(sim, tmp_path))
            assert result.state == "failed"
            artefacts.append((f"submit run ({fault.http_status})", result.log))
            sim.clear_faults()
        assert len(sim.submits(task_type)) == 2  # one each: neither answer is sent again
        sim.inject(query_endpoint(task_type), Fault.echo_auth(code="4000", encoding=encoding), times=None)  # type: ignore[arg-type]
        result = dag_runner.run(runs.deferred, conf=runs.conf(sim, tmp_path))
        assert result.state == "failed"
        assert sim.requests_to(query_endpoint(task_type)), "the wait never queried"
        artefacts.append(("deferred run", result.log))
        artefacts.extend(("deferred xcom", json.dumps(v, default=str)) for v in result.xcoms.values())
        artefacts += exception_texts(task_type, retry_limit=1)
        sim.clear_faults()
    artefacts += [
        (f"log file {path.name}", path.read_text(errors="replace")) for path in airflow_home.rglob("*.log")
    ]
    hits = [where for where, text in artefacts if leaked in text or SPECIAL_KEY in text]
    hardening_report.note(
        f"secret scan #12 {encoding} {task_key}",
        f"secrets #12: the key echoed {encoding}-encoded by the server ({task_key}): {len(hits)} hits in "
        f"{len(artefacts)} artefacts",
    )
    assert hits == []
