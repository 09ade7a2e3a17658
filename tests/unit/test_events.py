"""Wait events are checked where they arrive: a malformed event is a clear provider error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_topview.exceptions import TopviewWaitEventError
from airflow_topview.waiting import WaitStatus, make_event, read_event


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        (None, "not a dict"),
        ({"topview_task_id": "t1"}, "unknown or missing status None"),
        ({"status": "done", "topview_task_id": "t1"}, "unknown or missing status 'done'"),
        ({"status": "fail"}, "carries no topview_task_id"),
        ({"status": "success", "topview_task_id": "t1"}, "carries no result"),
    ],
)
def test_malformed_events_are_provider_errors(event: Any, fragment: str) -> None:
    with pytest.raises(TopviewWaitEventError, match=fragment):
        read_event(event)


def test_events_are_plain_json_with_string_statuses() -> None:
    event = make_event(WaitStatus.TIMEOUT, "t1", message="late", last_status="running")
    assert json.loads(json.dumps(event)) == {
        "status": "timeout",
        "topview_task_id": "t1",
        "message": "late",
        "last_status": "running",
    }
    assert type(event["status"]) is str
    assert read_event(event) == event
