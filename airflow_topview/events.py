"""The final event of a wait: one typed shape for the trigger, the sensor and the operator's polling.

The trigger yields it, the resuming worker reads it back (``execute_complete``), and the sync loops build
the same dict, so :func:`read_event` is the one place that checks what arrives.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NotRequired, TypedDict

from airflow.providers.common.compat.sdk import AirflowFailException


class WaitStatus(StrEnum):
    """How a wait ended."""

    SUCCESS = "success"  # the task finished; ``result`` holds it
    FAIL = "fail"  # TopView reports the task failed (or ended without a video); ``message`` says why
    TIMEOUT = "timeout"  # the deadline passed while it ran; ``last_status`` is what it was
    ERROR = "error"  # a permanent error while polling; ``message`` and ``code``
    GONE = "gone"  # TopView no longer knows the task (an earlier try's task, checked on retry)


class WaitEvent(TypedDict):
    """The payload of a wait's final event (JSON-safe: it travels through the metadata DB)."""

    status: str
    topview_task_id: str
    result: NotRequired[dict[str, Any]]
    message: NotRequired[str]
    code: NotRequired[str | None]
    last_status: NotRequired[str | None]


def make_event(status: WaitStatus, topview_task_id: str, **payload: Any) -> WaitEvent:
    """A final event; the status is stored as its plain string value."""
    return {"status": status.value, "topview_task_id": topview_task_id, **payload}  # type: ignore[typeddict-item]


def read_event(event: Any) -> WaitEvent:
    """The event a resumed task received, checked: a malformed one is a provider error, not a KeyError."""
    if not isinstance(event, dict):
        raise AirflowFailException(f"The TopView wait ended with an event that is not a dict: {event!r:.200}")
    status, task_id = event.get("status"), event.get("topview_task_id")
    if status not in set(WaitStatus):
        raise AirflowFailException(
            f"The TopView wait ended with an unknown or missing status {status!r} "
            f"(expected one of {', '.join(WaitStatus)}); this is a provider error, please report it"
        )
    if not isinstance(task_id, str) or not task_id:
        raise AirflowFailException(
            f"The TopView wait's {status!r} event carries no topview_task_id; this is a provider error"
        )
    if status == WaitStatus.SUCCESS and not isinstance(event.get("result"), dict):
        raise AirflowFailException(f"The TopView wait's success event for task {task_id} carries no result")
    return event  # type: ignore[return-value]
