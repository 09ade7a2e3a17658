"""Fault matrix: every call x every fault, expected outcomes read from docs/fault-matrix.md."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.client.request import build_request
from airflow_topview.exceptions import TopviewAPIError, TopviewError, TopviewSubmitUncertainError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.testing import Fault, TopviewSimulator
from tests.conftest import HardeningReport

MATRIX_DOC = Path(__file__).resolve().parents[2] / "docs" / "fault-matrix.md"
CLIENT_TIMEOUT = 0.5
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


def _submit_request(hook: TopviewHook, sim: TopviewSimulator, tmp: Path) -> Any:
    return build_request({"first_frame_file_id": sim.add_file("png")})


def _finished_task(hook: TopviewHook, sim: TopviewSimulator, tmp: Path) -> str:
    return hook.submit_image_to_video(_submit_request(hook, sim, tmp)).task_id


def _credential(hook: TopviewHook, sim: TopviewSimulator, tmp: Path) -> Any:
    return hook.get_upload_credential("png")


def _uploaded(hook: TopviewHook, sim: TopviewSimulator, tmp: Path) -> str:
    credential = hook.get_upload_credential("png")
    hook.put_upload(credential.upload_url, lambda: io.BytesIO(b"\x89PNG"), 4)
    return credential.file_id


def _video_url(hook: TopviewHook, sim: TopviewSimulator, tmp: Path) -> tuple[str, Path]:
    task = hook.get_image_to_video_task(_finished_task(hook, sim, tmp))
    return str(task.videos[0].file_path), tmp / "video.mp4"


CALLS: dict[str, Call] = {
    "submit": Call("submit", _submit_request, lambda hook, request: hook.submit_image_to_video(request)),
    CREATED_FIRST: Call("submit", _submit_request, lambda hook, request: hook.submit_image_to_video(request)),
    "query": Call("query", _finished_task, lambda hook, task_id: hook.get_image_to_video_task(task_id)),
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


def test_matrix_covers_every_call_and_fault() -> None:
    assert {call for call, _, _ in MATRIX} == set(CALLS)
    assert {fault for _, fault, _ in MATRIX} == set(FAULTS)
    assert {outcome for _, _, outcome in MATRIX} <= {"retried", "fails at once", "not repeated", "n/a"}


@pytest.mark.parametrize(
    ("call_name", "fault_name", "outcome"), MATRIX, ids=[f"{c}|{f}" for c, f, _ in MATRIX]
)
def test_fault_cell(
    topview_connection: TopviewSimulator,
    hardening_report: HardeningReport,
    tmp_path: Path,
    call_name: str,
    fault_name: str,
    outcome: str,
) -> None:
    hardening_report.note("fault matrix", "cells as specified in docs/fault-matrix.md")
    if outcome == "n/a":
        hardening_report.record("fault matrix", True)
        pytest.skip("this endpoint never answers that way")
    sim = topview_connection
    call = CALLS[call_name]
    hook = TopviewHook(
        retry_limit=3, retry_delay=0.01, retry_max_delay=1.0, busy_timeout=5, timeout=CLIENT_TIMEOUT
    )
    prepared = call.prepare(hook, sim, tmp_path)
    before = len(sim.requests_to(call.endpoint))
    tasks_before = len(sim.tasks)
    fault = AFTER_ACCEPTING[fault_name]() if call_name == CREATED_FIRST else FAULTS[fault_name]()

    if outcome == "retried":
        sim.inject(call.endpoint, fault, times=2)
        call.run(hook, prepared)
        attempts = sim.requests_to(call.endpoint)[before:]
        ok = len(attempts) == 3
        if fault_name == "HTTP 429 + Retry-After":
            ok = ok and attempts[1].received_at - attempts[0].received_at >= RETRY_AFTER
    else:
        sim.inject(call.endpoint, fault, times=None)
        expected = TopviewSubmitUncertainError if outcome == "not repeated" else TopviewAPIError
        with pytest.raises(TopviewError) as raised:
            call.run(hook, prepared)
        attempts = sim.requests_to(call.endpoint)[before:]
        ok = isinstance(raised.value, expected) and len(attempts) == 1
        if call_name == CREATED_FIRST:  # the task exists, and there is only the one
            ok = ok and len(sim.tasks) == tasks_before + 1
        if outcome == "fails at once":
            ok = ok and re.search(rf"\b{fault_name}\b", str(raised.value)) is not None
    hardening_report.record("fault matrix", ok)
    assert ok, f"{call_name} x {fault_name}: expected {outcome}, saw {len(attempts)} attempt(s)"
