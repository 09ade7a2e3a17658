"""Bad-input matrix: every invalid input fails in the operator, names the parameter, and sends nothing.

Each case runs the operator's real ``execute`` against the simulator: if validation let a case through,
the submit would show up in the journal.
"""

from __future__ import annotations

from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.testing import TopviewSimulator
from tests.conftest import HardeningReport

F, E, R1, R2 = "frame-1", "frame-2", "ref-1", "ref-2"
PRICED = {
    "model": "seedance-1.5-pro",
    "first_frame_file_id": F,
    "resolution": 1080,
    "sound": "on",
    "duration": 10,
}

# (case id, operator parameters, parameter named in the error, fragment of the rule)
BAD_INPUTS: list[tuple[str, dict[str, Any], str, str]] = [
    # types
    ("first-frame-int", {"first_frame_file_id": 42}, "first_frame_file_id", "valid string"),
    ("first-frame-list", {"first_frame_file_id": [F, E]}, "first_frame_file_id", "one file id"),
    ("prompt-dict", {"first_frame_file_id": F, "prompt": {"text": "x"}}, "prompt", "valid string"),
    ("model-int", {"first_frame_file_id": F, "model": 3}, "model", "valid string"),
    ("resolution-suffix", {"first_frame_file_id": F, "resolution": "720p"}, "resolution", "whole number"),
    ("resolution-bool", {"first_frame_file_id": F, "resolution": True}, "resolution", "not a boolean"),
    ("resolution-fraction", {"first_frame_file_id": F, "resolution": 7.5}, "resolution", "valid integer"),
    ("duration-word", {"first_frame_file_id": F, "duration": "five"}, "duration", "whole number"),
    ("duration-negative", {"first_frame_file_id": F, "duration": -1}, "duration", "greater than 0"),
    ("duration-zero", {"first_frame_file_id": F, "duration": 0}, "duration", "greater than 0"),
    (
        "count-zero",
        {"first_frame_file_id": F, "generating_count": 0},
        "generating_count",
        "greater than or equal",
    ),
    (
        "count-five",
        {"first_frame_file_id": F, "generating_count": 5},
        "generating_count",
        "less than or equal",
    ),
    (
        "count-fraction-text",
        {"first_frame_file_id": F, "generating_count": "2.5"},
        "generating_count",
        "whole",
    ),
    ("sound-yes", {"first_frame_file_id": F, "sound": "yes"}, "sound", "'on' or 'off'"),
    ("sound-int", {"first_frame_file_id": F, "sound": 1}, "sound", "'on' or 'off'"),
    ("ratio-x", {"first_frame_file_id": F, "aspect_ratio": "16x9"}, "aspect_ratio", "16:9"),
    ("ratio-float", {"first_frame_file_id": F, "aspect_ratio": 1.77}, "aspect_ratio", "valid string"),
    ("notice-not-url", {"first_frame_file_id": F, "notice_url": "not a url"}, "notice_url", "http(s) URL"),
    ("notice-ftp", {"first_frame_file_id": F, "notice_url": "ftp://host/x"}, "notice_url", "http(s) URL"),
    # empty strings
    ("board-empty", {"first_frame_file_id": F, "board_id": ""}, "board_id", "must not be empty"),
    ("first-frame-empty", {"first_frame_file_id": ""}, "first_frame_file_id", "must not be empty"),
    ("model-blank", {"first_frame_file_id": F, "model": "  "}, "model", "must not be empty"),
    ("prompt-empty", {"first_frame_file_id": F, "prompt": ""}, "prompt", "must not be empty"),
    ("end-frame-empty", {"first_frame_file_id": F, "end_frame_file_id": ""}, "end_frame_file_id", "empty"),
    # input-mode conflicts
    ("no-image", {"prompt": "x"}, "first_frame_file_id or reference_image_file_ids", "required"),
    ("end-without-first", {"end_frame_file_id": E}, "end_frame_file_id", "needs first_frame_file_id"),
    ("one-reference", {"reference_image_file_ids": [R1]}, "reference_image_file_ids", "at least 2"),
    (
        "reference-is-first",
        {"first_frame_file_id": F, "reference_image_file_ids": [F, R1]},
        "reference_image_file_ids",
        "must not include the first or end frame",
    ),
    (
        "reference-is-end",
        {"first_frame_file_id": F, "end_frame_file_id": E, "reference_image_file_ids": [R1, E]},
        "reference_image_file_ids",
        "must not include the first or end frame",
    ),
    ("reference-repeated", {"reference_image_file_ids": [R1, R1]}, "reference_image_file_ids", "repeat"),
    # huge lists and templates rendering to garbage
    (
        "eleven-references",
        {"reference_image_file_ids": [f"r{i}" for i in range(11)]},
        "reference_image",
        "at most",
    ),
    (
        "thousand-references",
        {"reference_image_file_ids": [f"r{i}" for i in range(1000)]},
        "reference_",
        "at most",
    ),
    (
        "references-comma-text",
        {"reference_image_file_ids": "r1,r2"},
        "reference_image_file_ids",
        "list of file",
    ),
    # a template rendering a missing value as "None" leaves the parameter unset, so the image is missing
    (
        "references-None-text",
        {"reference_image_file_ids": "None"},
        "first_frame_file_id or reference_image_file_ids",
        "required",
    ),
    ("model-None-text", {"first_frame_file_id": F, "model": "None"}, "model", "model name"),
    (
        "references-broken-json",
        {"reference_image_file_ids": "[r1, r2"},
        "reference_image_file_ids",
        "not a list",
    ),
    ("references-mapping", {"reference_image_file_ids": {"a": R1}}, "reference_image_file_ids", "mapping"),
    ("references-ints", {"reference_image_file_ids": [1, 2]}, "reference_image_file_ids", "valid string"),
    ("references-empty-id", {"reference_image_file_ids": [R1, ""]}, "reference_image_file_ids", "empty"),
    ("resolution-rendered-empty", {"first_frame_file_id": F, "resolution": ""}, "resolution", "whole number"),
    # capability clashes for known models
    (
        "kling-2.6-duration",
        {"model": "kling-2.6", "first_frame_file_id": F, "duration": 7},
        "duration",
        "5 or 10",
    ),
    (
        "seedance-ratio",
        {"model": "Seedance 1.5 Pro", "first_frame_file_id": F, "aspect_ratio": "16:9"},
        "aspect_ratio",
        "takes the shape from the first frame",
    ),
    (
        "no-audio-model",
        {"model": "seedance-1.0-pro", "first_frame_file_id": F, "sound": "on"},
        "sound",
        "audio",
    ),
    ("kling-v3-480", {"model": "Kling V3", "first_frame_file_id": F, "resolution": 480}, "resolution", "720"),
    (
        "multi-ref-model-single-image",
        {"model": "kling-v3-reference-video", "first_frame_file_id": F},
        "reference_image_file_ids",
        "kling-v3-reference-video",
    ),
    (
        "single-model-end-frame",
        {"model": "seedance-1.0-pro-fast", "first_frame_file_id": F, "end_frame_file_id": E},
        "end_frame_file_id",
        "seedance-1.0-pro-fast",
    ),
    (
        "first-end-model-references",
        {"model": "kling-o3", "reference_image_file_ids": [R1, R2]},
        "reference_image_file_ids",
        "kling-o3",
    ),
    # budget
    ("over-budget", {**PRICED, "max_credits": 5}, "max_credits", "above the budget"),
    ("budget-text", {**PRICED, "max_credits": "lots"}, "max_credits", "must be a number"),
    ("budget-negative", {**PRICED, "max_credits": -1}, "max_credits", "zero or more"),
    (
        "budget-unknown-model",
        {"model": "Vidu Q9 Ultra", "first_frame_file_id": F, "max_credits": 100},
        "max_credits",
        "cannot be estimated",
    ),
    # a money guard fails closed: a template rendering max_credits to nothing is an error, not "no budget"
    ("budget-None-text", {**PRICED, "max_credits": "None"}, "max_credits", "fails closed"),
    ("budget-empty-text", {**PRICED, "max_credits": " "}, "max_credits", "fails closed"),
    # waiting parameters and hook_params, checked before the paid submit
    (
        "poll-zero",
        {"first_frame_file_id": F, "wait_for_completion": True, "poll_interval": 0},
        "poll_interval",
        "at least",
    ),
    (
        "poll-negative",
        {"first_frame_file_id": F, "wait_for_completion": True, "poll_interval": -5},
        "poll_interval",
        "at least",
    ),
    (
        "poll-nan",
        {"first_frame_file_id": F, "wait_for_completion": True, "poll_interval": float("nan")},
        "poll_interval",
        "number",
    ),
    (
        "poll-text",
        {"first_frame_file_id": F, "wait_for_completion": True, "poll_interval": "10"},
        "poll_interval",
        "number",
    ),
    (
        "wait-timeout-zero",
        {"first_frame_file_id": F, "wait_for_completion": True, "timeout": 0},
        "timeout",
        "more than 0",
    ),
    (
        "hook-params-unknown",
        {"first_frame_file_id": F, "hook_params": {"retries": 3}},
        "hook_params",
        "unknown key",
    ),
    (
        "hook-params-not-dict",
        {"first_frame_file_id": F, "hook_params": [("retry_limit", 1)]},
        "hook_params",
        "must be a dict",
    ),
    (
        "hook-params-retry-zero",
        {"first_frame_file_id": F, "hook_params": {"retry_limit": 0}},
        "hook_params.retry_limit",
        "at least 1",
    ),
    (
        "hook-params-timeout-object",
        {"first_frame_file_id": F, "hook_params": {"timeout": object()}},
        "hook_params.timeout",
        "number",
    ),
    (
        "hook-params-timeout-triple",
        {"first_frame_file_id": F, "hook_params": {"timeout": [1, 2, 3]}},
        "hook_params.timeout",
        "(connect, answer)",
    ),
    (
        "uncertain-choice",
        {"first_frame_file_id": F, "on_uncertain_submit": "maybe"},
        "on_uncertain_submit",
        "one of fail, resubmit",
    ),
]


@pytest.mark.parametrize(
    ("params", "parameter", "rule"), [case[1:] for case in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_is_rejected_before_any_request(
    topview_connection: TopviewSimulator,
    hardening_report: HardeningReport,
    params: dict[str, Any],
    parameter: str,
    rule: str,
) -> None:
    hardening_report.note(
        "bad inputs",
        "rejected naming the parameter, with 0 requests (incl. pay once #5 max_credits rendered to "
        "nothing, #12 waiting parameters and hook_params)",
    )
    operator = SubmitImageToVideoOperator(
        task_id="bad_input", **{"hook_params": {"retry_limit": 1}, **params}
    )
    message = ""
    try:
        operator.execute({})  # type: ignore[arg-type]
    except AirflowFailException as exc:
        message = str(exc)
    ok = parameter in message and rule in message and topview_connection.journal == []
    hardening_report.record("bad inputs", ok)
    assert parameter in message, message
    assert rule in message, message
    assert topview_connection.journal == []


def test_matrix_is_big_and_distinct() -> None:
    assert len(BAD_INPUTS) >= 40
    assert len({case[0] for case in BAD_INPUTS}) == len(BAD_INPUTS)
