"""Hostile TopView task ids from XCom or templates: the sensor and the download refuse them before any query.

A template of a missing XCom renders ``None``; a mapped upstream hands a list; a broken upstream can push
a dict, a number, a whole page of text or a line break. None of them is a TopView task id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_topview.operators.files import DownloadVideosOperator
from airflow_topview.sensors.image_to_video import ImageToVideoSensor
from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner
from tests.conftest import HardeningReport
from tests.hardening.bad_input import expect_rejected

GROUP = "XCom task ids and the sensor"

# (case id, the rendered topview_task_id, the value as shown)
IDS: list[tuple[str, Any, str]] = [
    ("none", None, "None"),
    ("empty", "", "''"),
    ("blank", "   ", "'   '"),
    ("dict", {"taskId": "abc"}, "{'taskId': 'abc'}"),
    ("list", ["abc"], "['abc']"),
    ("int", 42, "42"),
    ("bool", True, "True"),
    ("huge", "a" * 10_000, "10000 characters"),
    ("newline", "abc\ndef", "'abc\\ndef'"),
    ("inner-space", "abc def", "'abc def'"),
    ("none-text", "None", "'None'"),
    ("null-text", "null", "'null'"),
    ("query-injection", "abc&needCloudFrontUrl=false", "'abc&needCloudFrontUrl=false'"),
]


@pytest.mark.parametrize(("value", "shown"), [c[1:] for c in IDS], ids=[c[0] for c in IDS])
def test_sensor_refuses_a_bad_task_id_before_any_query(
    topview_connection: TopviewSimulator, hardening_report: HardeningReport, value: Any, shown: str
) -> None:
    sensor = ImageToVideoSensor(task_id="wait", topview_task_id=value, poke_interval=5, timeout=10)
    expect_rejected(
        hardening_report,
        GROUP,
        topview_connection,
        lambda: sensor.execute({}),  # type: ignore[arg-type]
        parameter="topview_task_id",
        shown=shown,
    )


@pytest.mark.parametrize(
    ("params", "parameter", "shown"),
    [
        ({"topview_task_id": "abc\ndef"}, "topview_task_id", "'abc\\ndef'"),
        ({"task_result": "None"}, "task_result", "'None'"),
        ({"task_result": "abc def"}, "task_result", "'abc def'"),
        ({"task_result": 42}, "task_result", "int"),
    ],
    ids=[
        "download-id-newline",
        "download-result-none-text",
        "download-result-spaced-id",
        "download-result-int",
    ],
)
def test_download_refuses_a_bad_task_id_before_any_query(
    topview_connection: TopviewSimulator,
    hardening_report: HardeningReport,
    tmp_path: Path,
    params: dict[str, Any],
    parameter: str,
    shown: str,
) -> None:
    operator = DownloadVideosOperator(task_id="download", destination=str(tmp_path), **params)
    expect_rejected(
        hardening_report,
        GROUP,
        topview_connection,
        lambda: operator.execute({}),  # type: ignore[arg-type]
        parameter=parameter,
        shown=shown,
    )


def test_sensor_in_a_dag_run_fails_once_on_the_text_none(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, hardening_report: HardeningReport
) -> None:
    result = dag_runner.run("topview_hostile_poke", conf={"task": "None"})
    ok = result.state == "failed" and result.tries[("wait", -1)] == 1 and topview_connection.journal == []
    hardening_report.note("bad inputs (XCom task ids, in a DAG run)", "failed at the first try, no request")
    hardening_report.record("bad inputs (XCom task ids, in a DAG run)", ok)
    assert result.state == "failed"
    assert result.tries[("wait", -1)] == 1
    assert topview_connection.journal == []
