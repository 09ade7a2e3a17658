"""Hostile ``models_file`` and ``[topview]`` settings: refused before the paid submit, naming what is wrong.

A models file that is missing, not JSON, of the wrong shape, with an unknown task type, or with an
impossible credit rate (a rate of 0 would make every budget pass) fails the submit once
(AirflowFailException), naming the file or the model and field; odd ``[topview]`` options fail it the same
way. Loading stays linear in the entries.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.catalog import load_catalog, reset_catalog_cache
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.testing import TopviewSimulator
from tests.conftest import HardeningReport
from tests.hardening.bad_input import expect_rejected

GROUP = "models_file and [topview] config"


def entry(name: str, rate: Any = 0.5) -> dict[str, Any]:
    return {
        "name": name,
        "input_mode": "first_end",
        "resolutions": [720],
        "durations": {"min": 4, "max": 8},
        "aspect_ratios": None,
        "native_audio": False,
        "rates": [{"resolution": 720, "sound": None, "credits_per_second": rate}],
    }


# (case id, file text, parameter named, value shown)
FILES: list[tuple[str, str | None, str, str]] = [
    ("missing-file", None, "models_file", "missing.json"),
    ("not-json", "{models: [", "models_file", "not valid JSON"),
    ("json-array", json.dumps([entry("Acme One")]), "models_file", "list"),
    (
        "wrong-schema",
        json.dumps({"models": [{"name": "Acme One", "input_mode": "both"}]}),
        "Acme One",
        "input_mode",
    ),
    (
        "duplicate-names",
        json.dumps({"models": [entry("Acme One"), entry("Acme One")]}),
        "Acme One",
        "models[1]",
    ),
    ("rate-negative", json.dumps({"models": [entry("Acme One", -1)]}), "credits_per_second", "-1"),
    ("rate-zero", json.dumps({"models": [entry("Acme One", 0)]}), "credits_per_second", "'Acme One'"),
    (
        "rate-nan",
        '{"models": [' + json.dumps(entry("Acme One", 1)).replace(": 1}", ": NaN}") + "]}",
        "credits_per_second",
        "nan",
    ),
    ("rate-text", json.dumps({"models": [entry("Acme One", "5")]}), "credits_per_second", "'5'"),
    (
        "rate-infinite",
        '{"models": [' + json.dumps(entry("Acme One", 1)).replace(": 1}", ": Infinity}") + "]}",
        "credits_per_second",
        "inf",
    ),
    (
        "unknown-task-type",
        json.dumps({"task_type": "video2video", "models": [entry("Acme One")]}),
        "task_type",
        "'video2video'",
    ),
    (
        "entry-task-type",
        json.dumps({"models": [{**entry("Acme One"), "task_type": "t2v"}]}),
        "'Acme One'",
        "image2video, text2video, omni_reference, got 't2v'",
    ),
    (
        "retired-for-nothing",
        json.dumps(
            {
                "models": [
                    {
                        **entry("Acme One"),
                        "retired": {"on": "2026-09-24", "reason": "gone", "alternatives": ["Acme 2"]},
                    }
                ]
            }
        ),
        "retired.alternatives",
        "'Acme 2'",
    ),
    ("not-utf8", b"\xff\xfe{}".decode("latin-1"), "models_file", "cannot be read"),
    ("a-directory", "", "models_file", "cannot be read"),
]


@pytest.fixture(autouse=True)
def fresh_catalog() -> Any:
    reset_catalog_cache()
    yield
    reset_catalog_cache()


def submit(**params: Any) -> SubmitImageToVideoOperator:
    return SubmitImageToVideoOperator(
        task_id="bad_config",
        first_frame_file_id="frame-1",
        hook_params={"retry_limit": 1},
        **params,
    )


@pytest.mark.parametrize(("text", "parameter", "shown"), [c[1:] for c in FILES], ids=[c[0] for c in FILES])
def test_bad_models_file_fails_the_submit_before_any_request(
    topview_connection: TopviewSimulator,
    hardening_report: HardeningReport,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    text: str | None,
    parameter: str,
    shown: str,
) -> None:
    path = tmp_path / "missing.json"
    if request.node.callspec.id == "a-directory":
        path = tmp_path / "folder.json"
        path.mkdir()
    elif request.node.callspec.id == "not-utf8":
        path.write_bytes(b"\xff\xfe{\x80}")
    elif text is not None:
        path.write_text(text)
    operator = submit(models_file=str(path))
    message = expect_rejected(
        hardening_report,
        GROUP,
        topview_connection,
        lambda: operator.execute({}),  # type: ignore[arg-type]
        parameter=parameter,
        shown=shown,
    )
    assert "models_file" in message


@pytest.mark.parametrize(
    ("option", "value", "extra"),
    [
        ("MODELS_FILE", "/nonexistent/topview-models.json", {}),
        ("MIN_POLL_INTERVAL", "abc", {"wait_for_completion": True}),
        ("MIN_POLL_INTERVAL", "-1", {"wait_for_completion": True}),
        ("MIN_POLL_INTERVAL", "nan", {"wait_for_completion": True}),
        ("MIN_DEFERRAL", "abc", {"wait_for_completion": True, "deferrable": True}),
        ("MIN_DEFERRAL", "-5", {"wait_for_completion": True, "deferrable": True}),
        ("MIN_DEFERRAL", "inf", {"wait_for_completion": True, "deferrable": True}),
        ("TASK_LINK_TEMPLATE", "https://www.topview.ai/?task={task}", {}),
        ("TASK_LINK_TEMPLATE", "javascript:alert(1)//{topview_task_id}", {}),
        ("TASK_LINK_TEMPLATE", "https://www.topview.ai/{topview_task_id", {}),
    ],
    ids=[
        "models-file-missing",
        "poll-text",
        "poll-negative",
        "poll-nan",
        "deferral-text",
        "deferral-negative",
        "deferral-infinite",
        "link-unknown-field",
        "link-not-http",
        "link-stray-brace",
    ],
)
def test_odd_topview_option_fails_the_submit_before_any_request(
    topview_connection: TopviewSimulator,
    hardening_report: HardeningReport,
    monkeypatch: pytest.MonkeyPatch,
    option: str,
    value: str,
    extra: dict[str, Any],
) -> None:
    monkeypatch.setenv(f"AIRFLOW__TOPVIEW__{option}", value)
    operator = submit(poll_interval=5, timeout=60, **extra)
    expect_rejected(
        hardening_report,
        GROUP,
        topview_connection,
        lambda: operator.execute({}),  # type: ignore[arg-type]
        parameter=f"[topview] {option.lower()}",
        shown=repr(value)[:40],
    )


def write_table(path: Path, count: int) -> Path:
    path.write_text(json.dumps({"models": [entry(f"Acme Model {index}") for index in range(count)]}))
    return path


class OverBudget(Exception):
    pass


def lines_run(path: Path, limit: int | None = None) -> int:
    """How many lines of the catalog package run to load ``path``: a count of work, not a time.

    Past ``limit`` lines the load is stopped (a quadratic loader would otherwise run for minutes).
    """
    import airflow_topview.catalog

    package = str(Path(airflow_topview.catalog.__file__).parent)
    count = 0

    def local(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
            if limit is not None and count > limit:
                raise OverBudget(count)
        return local

    def calls(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(package) else None

    sys.settrace(calls)
    try:
        load_catalog([path])
    finally:
        sys.settrace(None)
    return count


def test_models_file_loading_is_linear(tmp_path: Path, hardening_report: HardeningReport) -> None:
    """10x the entries run ~10x the catalog's lines (merging by scanning every entry would run ~100x).

    Counted with a line tracer, so load on the machine cannot change the figure.
    """
    small = lines_run(write_table(tmp_path / "small.json", 1_000))
    try:
        large = lines_run(write_table(tmp_path / "large.json", 10_000), limit=20 * small)
    except OverBudget as stopped:
        large = int(stopped.args[0])
    ratio = large / small
    hardening_report.note(
        "models_file loading",
        f"models_file loading: 10,000 entries run {ratio:.1f}x the catalog lines of 1,000 (linear: ~10x)",
    )
    assert ratio < 20, ratio
