"""Hostile submit parameters: each fails the operator before any request, naming the parameter and value.

Grows tests/operators/test_bad_inputs.py with what a hostile review tried next: control characters,
runaway sizes, padded ids, degenerate ratios, a boolean budget, runaway hook settings.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.testing import TopviewSimulator
from tests.conftest import HardeningReport
from tests.hardening.bad_input import expect_rejected

GROUP = "submit parameters"
F = "frame-1"

# (case id, operator parameters, parameter named in the error, the value as shown)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("prompt-huge", {"first_frame_file_id": F, "prompt": "x" * 100_001}, "prompt", "100001 characters"),
    ("prompt-nul", {"first_frame_file_id": F, "prompt": "a\x00b"}, "prompt", "'a\\x00b'"),
    ("prompt-escape-seq", {"first_frame_file_id": F, "prompt": "cat\x1b[2J"}, "prompt", "\\x1b"),
    ("first-frame-newline", {"first_frame_file_id": "frame\n1"}, "first_frame_file_id", "'frame\\n1'"),
    ("first-frame-padded", {"first_frame_file_id": " frame-1 "}, "first_frame_file_id", "' frame-1 '"),
    ("first-frame-huge", {"first_frame_file_id": "f" * 10_000}, "first_frame_file_id", "10000 characters"),
    (
        "end-frame-tab",
        {"first_frame_file_id": F, "end_frame_file_id": "e\t2"},
        "end_frame_file_id",
        "'e\\t2'",
    ),
    (
        "board-header-injection",
        {"first_frame_file_id": F, "board_id": "b\r\nX-Injected: 1"},
        "board_id",
        "'b\\r\\nX-Injected: 1'",
    ),
    ("model-newline", {"first_frame_file_id": F, "model": "Kling V3\n"}, "model", "'Kling V3\\n'"),
    ("model-huge", {"first_frame_file_id": F, "model": "m" * 10_000}, "model", "10000 characters"),
    (
        "ratio-zero",
        {"first_frame_file_id": F, "model": "Vidu Q9", "aspect_ratio": "0:0"},
        "aspect_ratio",
        "'0:0'",
    ),
    (
        "references-padded",
        {"model": "Vidu Q9", "reference_image_file_ids": ["r1 ", "r2"]},
        "reference_image_file_ids",
        "'r1 '",
    ),
    (
        "resolution-runaway",
        {"first_frame_file_id": F, "model": "Vidu Q9", "resolution": 10**9},
        "resolution",
        "1000000000",
    ),
    (
        "duration-runaway",
        {"first_frame_file_id": F, "model": "Vidu Q9", "duration": 10**6},
        "duration",
        "1000000",
    ),
    (
        "notice-url-huge",
        {"first_frame_file_id": F, "notice_url": "https://example.com/" + "a" * 5000},
        "notice_url",
        "5020 characters",
    ),
    ("budget-bool", {"first_frame_file_id": F, "max_credits": True}, "max_credits", "True"),
    (
        "extra-body-key-newline",
        {"first_frame_file_id": F, "extra_body": {"seed\nx": 1}},
        "extra_body",
        "'seed\\nx'",
    ),
    (
        "hook-params-retry-runaway",
        {"first_frame_file_id": F, "hook_params": {"retry_limit": 10**9}},
        "hook_params.retry_limit",
        "1000000000",
    ),
    (
        "hook-params-busy-runaway",
        {"first_frame_file_id": F, "hook_params": {"busy_timeout": 1e12}},
        "hook_params.busy_timeout",
        "1000000000000",
    ),
]


@pytest.mark.parametrize(
    ("params", "parameter", "shown"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_hostile_submit_parameter_is_rejected_before_any_request(
    topview_connection: TopviewSimulator,
    hardening_report: HardeningReport,
    params: dict[str, Any],
    parameter: str,
    shown: str,
) -> None:
    topview_connection.accept_any_model = True  # an unknown model must not be what stops the case
    operator = SubmitImageToVideoOperator(
        task_id="bad_input", **{"hook_params": {"retry_limit": 1}, **params}
    )
    expect_rejected(
        hardening_report,
        GROUP,
        topview_connection,
        lambda: operator.execute({}),  # type: ignore[arg-type]
        parameter=parameter,
        shown=shown,
    )


def test_matrix_is_distinct() -> None:
    assert len({case[0] for case in CASES}) == len(CASES)
