"""Fault matrix: every call x every fault, expected outcomes read from docs/fault-matrix.md.

The table's task rows (submit, submit with the task created first, query) hold for every task type: each
of their cells runs once per type of ``TASK_TYPES`` (Image-to-Video, Text-to-Video, Omni Reference) against
that type's own simulator endpoint, with a valid request of that type, and no call may reach another
type's endpoints. The query row also runs through the async hook (the triggers' path) for every type. The
whole cross product runs, not a subset: most cells take hundredths of a second (a slow or Retry-After one
a few seconds), so the other types and the async row add about ten seconds on two workers.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.client.task_types import IMAGE_TO_VIDEO, OMNI_REFERENCE, TASK_TYPES, TaskType
from airflow_topview.exceptions import TopviewAPIError, TopviewError, TopviewSubmitUncertainError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.hooks.topview_async import TopviewAsyncHook
from airflow_topview.testing import ENDPOINTS, Fault, TopviewSimulator, query_endpoint, submit_endpoint
from tests.conftest import HardeningReport

MATRIX_DOC = Path(__file__).resolve().parents[2] / "docs" / "fault-matrix.md"
#: The client's timeout in the slow cells, which a slow answer (2.5 times as long) outlasts; a retried
#: cell's last attempt, answered at once, has this long to arrive.
CLIENT_TIMEOUT = 1.0
#: The client's timeout in every other cell: an answer the simulator gives at once is never taken for a
#: slow one, however busy the machine (with 0.5 s, a 401 answered late under load was retried).
ANSWER_TIMEOUT = 30.0
RETRY_AFTER = 0.2

FAULTS: dict[str, Callable[[], Fault]] = {
    "HTTP 429": lambda: Fault.http(429),
    "HTTP 429 + Retry-After": lambda: Fault.http(429, retry_after=RETRY_AFTER),
    "HTTP 500": lambda: Fault.http(500),
    "HTTP 502": lambda: Fault.http(502),
    "HTTP 503": lambda: Fault.http(503),
    "drop": Fault.drop,
    "slow": lambda: Fault.slow(CLIENT_TIMEOUT * 2.5),
    "malformed": Fault.malformed,
    **{
        code: (lambda code=code: Fault.code(code)) for code in ("4007", "5000", "5003", "401", "4000", "4004")
    },
    **{code: (lambda code=code: Fault.code(code)) for code in ("4100", "6001")},
}


# The same faults, answered after the simulator created (and billed) the task.
AFTER_ACCEPTING: dict[str, Callable[[], Fault]] = {
    "HTTP 500": lambda: Fault.http(500, after_accepting=True),
    "HTTP 502": lambda: Fault.http(502, after_accepting=True),
    "HTTP 503": lambda: Fault.http(503, after_accepting=True),
    "drop": lambda: Fault.drop(after_accepting=True),
    "slow": lambda: Fault.slow(CLIENT_TIMEOUT * 2.5),
    "malformed": lambda: Fault.malformed(after_accepting=True),
    "5000": lambda: Fault.code("5000", after_accepting=True),
}
CREATED_FIRST = "submit, task created first"


def read_matrix() -> list[tuple[str, str, str]]:
    """(call, fault, outcome) for every cell of the doc's first table (the matrix; later ones list tests)."""
    lines = MATRIX_DOC.read_text().splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("| call |"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        if line.startswith("| "):
            rows.append(line)
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert header[0] == "call"
    cells = []
    for row in rows[1:]:
        values = [cell.strip() for cell in row.strip("|").split("|")]
        cells += [(values[0], fault, outcome) for fault, outcome in zip(header[1:], values[1:], strict=True)]
    return cells


MATRIX = read_matrix()


@dataclass
class Call:
    """One provider call: what to set up first (unfaulted), the simulator endpoint to fault, the call."""

    endpoint: str
    prepare: Callable[[TopviewHook, TopviewSimulator, Path], Any]
    run: Callable[[TopviewHook, Any], Any]


def valid_params(task_type: TaskType, sim: TopviewSimulator) -> dict[str, Any]:
    """Operator parameters that make a valid request of ``task_type`` (uploaded inputs where it takes any)."""
    if task_type is IMAGE_TO_VIDEO:
        return {"first_frame_file_id": sim.add_file("png")}
    if task_type is OMNI_REFERENCE:
        return {
            "prompt": "<<<Fox>>> runs through a meadow",
            "input_images": [{"file_id": sim.add_file("png"), "name": "Fox"}],
        }
    return {"prompt": "a fox"}


def _submit_request(task_type: TaskType) -> Callable[[TopviewHook, TopviewSimulator, Path], Any]:
    return lambda hook, sim, tmp: task_type.build_request(valid_params(task_type, sim))


def _finished_task(task_type: TaskType) -> Callable[[TopviewHook, TopviewSimulator, Path], str]:
    def prepare(hook: TopviewHook, sim: TopviewSimulator, tmp: Path) -> str:
        return hook.submit_task(task_type, _submit_request(task_type)(hook, sim, tmp)).task_id

    return prepare


def _credential(hook: TopviewHook, sim: TopviewSimulator, tmp: Path) -> Any:
    return hook.get_upload_credential("png")


def _uploaded(hook: TopviewHook, sim: TopviewSimulator, tmp: Path) -> str:
    credential = hook.get_upload_credential("png")
    hook.put_upload(credential.upload_url, lambda: io.BytesIO(b"\x89PNG"), 4)
    return credential.file_id


def _video_url(hook: TopviewHook, sim: TopviewSimulator, tmp: Path) -> tuple[str, Path]:
    task = hook.get_image_to_video_task(_finished_task(IMAGE_TO_VIDEO)(hook, sim, tmp))
    return str(task.videos[0].file_path), tmp / "video.mp4"


def task_calls(task_type: TaskType) -> dict[str, Call]:
    """The table's task rows for one task type: its own endpoints, requests and tasks."""

    def submit(hook: TopviewHook, request: Any) -> Any:
        return hook.submit_task(task_type, request)

    return {
        "submit": Call(submit_endpoint(task_type), _submit_request(task_type), submit),
        CREATED_FIRST: Call(submit_endpoint(task_type), _submit_request(task_type), submit),
        "query": Call(
            query_endpoint(task_type),
            _finished_task(task_type),
            lambda hook, task_id: hook.get_task(task_type, task_id),
        ),
    }


#: Rows of the table that hold per task type (run for each of TASK_TYPES).
TASK_CALLS: dict[str, dict[str, Call]] = {key: task_calls(task_type) for key, task_type in TASK_TYPES.items()}
TASK_ROWS = frozenset(TASK_CALLS[IMAGE_TO_VIDEO.key])

#: Rows that are the same for every task type.
CALLS: dict[str, Call] = {
    "upload credential": Call(
        "credential", lambda *_: None, lambda hook, _: hook.get_upload_credential("png")
    ),
    "upload PUT": Call(
        "upload",
        _credential,
        lambda hook, credential: hook.put_upload(credential.upload_url, lambda: io.BytesIO(b"\x89PNG"), 4),
    ),
    "upload check": Call("check", _uploaded, lambda hook, file_id: hook.check_upload(file_id)),
    "download": Call("download", _video_url, lambda hook, target: hook.download_video(*target)),
    "credit": Call("credit", lambda *_: None, lambda hook, _: hook.get_credit()),
}

#: (task type key, call, fault, outcome): task rows once per task type, the other rows once.
CELLS = [
    (key, call, fault, outcome)
    for call, fault, outcome in MATRIX
    for key in (TASK_TYPES if call in TASK_ROWS else (IMAGE_TO_VIDEO.key,))
]
CELL_IDS = [
    f"{call}|{fault}|{key}" if call in TASK_ROWS else f"{call}|{fault}" for key, call, fault, _ in CELLS
]
QUERY_CELLS = [cell for cell in CELLS if cell[1] == "query"]


def call_of(task_key: str, call_name: str) -> Call:
    return TASK_CALLS[task_key][call_name] if call_name in TASK_ROWS else CALLS[call_name]


def test_matrix_covers_every_call_and_fault() -> None:
    assert {call for call, _, _ in MATRIX} == set(CALLS) | TASK_ROWS
    assert {fault for _, fault, _ in MATRIX} == set(FAULTS)
    assert {outcome for _, _, outcome in MATRIX} <= {"retried", "fails at once", "not repeated", "n/a"}


def test_task_rows_run_for_every_task_type_at_its_own_endpoints() -> None:
    for call_name in TASK_ROWS:
        assert {key for key, call, _, _ in CELLS if call == call_name} == set(TASK_TYPES)
    endpoints = {TASK_CALLS[key][call].endpoint for key in TASK_TYPES for call in TASK_ROWS}
    assert len(endpoints) == 2 * len(TASK_TYPES)
    assert endpoints <= set(ENDPOINTS)


def check_cell(
    sim: TopviewSimulator,
    hardening_report: HardeningReport,
    endpoint: str,
    call_name: str,
    fault_name: str,
    outcome: str,
    invoke: Callable[[], Any],
    task_key: str = IMAGE_TO_VIDEO.key,
) -> None:
    """Fault ``endpoint`` as the cell says, ``invoke`` the call, and check what reached the simulator:
    the attempts the cell allows, and the tasks created (only a submit creates one, of its own type, and
    one at most: the one that went through, or the one a fault answered after creating)."""
    before = len(sim.requests_to(endpoint))
    tasks_before = set(sim.tasks)
    fault = AFTER_ACCEPTING[fault_name]() if call_name == CREATED_FIRST else FAULTS[fault_name]()

    if outcome == "retried":
        sim.inject(endpoint, fault, times=2)
        invoke()
        attempts = sim.requests_to(endpoint)[before:]
        ok = len(attempts) == 3
        if fault_name == "HTTP 429 + Retry-After":
            ok = ok and attempts[1].received_at - attempts[0].received_at >= RETRY_AFTER
    else:
        sim.inject(endpoint, fault, times=None)
        expected = TopviewSubmitUncertainError if outcome == "not repeated" else TopviewAPIError
        with pytest.raises(TopviewError) as raised:
            invoke()
        attempts = sim.requests_to(endpoint)[before:]
        ok = isinstance(raised.value, expected) and len(attempts) == 1
        if outcome == "fails at once":
            ok = ok and re.search(rf"\b{fault_name}\b", str(raised.value)) is not None
    # A slow answer comes after the endpoint's work; the other faults answer instead of it unless armed
    # after_accepting (the row CREATED_FIRST).
    paid = call_name in ("submit", CREATED_FIRST) and (
        outcome == "retried" or fault.after_accepting or fault.kind == "slow"
    )
    created = [sim.tasks[task_id].task_type for task_id in set(sim.tasks) - tasks_before]
    ok = ok and created == [task_key] * int(paid)
    hardening_report.record("fault matrix", ok)
    assert ok, (
        f"{call_name} x {fault_name} ({task_key}): expected {outcome}, saw {len(attempts)} attempt(s) "
        f"and new tasks {created}"
    )


def fast_hook_params(fault_name: str = "") -> dict[str, Any]:
    return {
        "retry_limit": 3,
        "retry_delay": 0.01,
        "retry_max_delay": 1.0,
        "busy_timeout": 5,
        "timeout": CLIENT_TIMEOUT if fault_name == "slow" else ANSWER_TIMEOUT,
    }


@pytest.mark.parametrize(("task_key", "call_name", "fault_name", "outcome"), CELLS, ids=CELL_IDS)
def test_fault_cell(
    topview_connection: TopviewSimulator,
    hardening_report: HardeningReport,
    tmp_path: Path,
    task_key: str,
    call_name: str,
    fault_name: str,
    outcome: str,
) -> None:
    hardening_report.note("fault matrix", "cells as specified in docs/fault-matrix.md")
    if outcome == "n/a":
        hardening_report.record("fault matrix", True)
        pytest.skip("this endpoint never answers that way")
    sim = topview_connection
    call = call_of(task_key, call_name)
    prepared = call.prepare(TopviewHook(**fast_hook_params()), sim, tmp_path)
    hook = TopviewHook(**fast_hook_params(fault_name))
    check_cell(
        sim,
        hardening_report,
        call.endpoint,
        call_name,
        fault_name,
        outcome,
        lambda: call.run(hook, prepared),
        task_key,
    )
    if call_name in TASK_ROWS:  # nothing reached another task type's endpoints
        foreign = {
            endpoint(key)
            for key in TASK_TYPES
            if key != task_key
            for endpoint in (submit_endpoint, query_endpoint)
        }
        assert [entry.endpoint for entry in sim.journal if entry.endpoint in foreign] == []


@pytest.mark.parametrize(
    ("task_key", "call_name", "fault_name", "outcome"),
    QUERY_CELLS,
    ids=[f"async {cell_id}" for cell, cell_id in zip(CELLS, CELL_IDS, strict=True) if cell[1] == "query"],
)
def test_async_query_cell(
    topview_connection: TopviewSimulator,
    hardening_report: HardeningReport,
    tmp_path: Path,
    task_key: str,
    call_name: str,
    fault_name: str,
    outcome: str,
) -> None:
    """The query row through the async hook, which triggers poll with: the same outcome for every cell."""
    hardening_report.note("fault matrix", "cells as specified in docs/fault-matrix.md")
    if outcome == "n/a":
        hardening_report.record("fault matrix", True)
        pytest.skip("this endpoint never answers that way")
    sim = topview_connection
    task_type = TASK_TYPES[task_key]
    task_id = _finished_task(task_type)(TopviewHook(**fast_hook_params()), sim, tmp_path)

    def invoke() -> Any:
        return asyncio.run(TopviewAsyncHook(**fast_hook_params(fault_name)).get_task(task_type, task_id))

    check_cell(
        sim, hardening_report, query_endpoint(task_type), call_name, fault_name, outcome, invoke, task_key
    )
