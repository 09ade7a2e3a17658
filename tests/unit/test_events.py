"""Wait events are checked where they arrive: a malformed event is a clear provider error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_topview.exceptions import TopviewWaitEventError
from airflow_topview.waiting import WaitStatus, make_event, read_event, result_from_event


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        (None, "not a dict"),
        ({"topview_task_id": "t1"}, "unknown or missing status None"),
        ({"status": "done", "topview_task_id": "t1"}, "unknown or missing status 'done'"),
        ({"status": "fail"}, "carries no topview_task_id"),
        ({"status": "success", "topview_task_id": "t1", "result": "{}"}, "odd result"),
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


def test_a_success_without_its_result_is_read_before_it_is_judged() -> None:
    """A trigger's success leaves the finished task out (signed URLs): read_event takes it, and only the
    worker's read (deferral.resumed_event) makes it a result."""
    import logging

    event = make_event(WaitStatus.SUCCESS, "t1")
    assert read_event(event) == {"status": "success", "topview_task_id": "t1"}
    with pytest.raises(TopviewWaitEventError, match="succeeded, but was not read again"):
        result_from_event(event, fail_on_partial=False, log=logging.getLogger("test"))
