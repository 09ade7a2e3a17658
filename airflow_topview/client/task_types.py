"""TopView's kinds of generation task, each a small declaration: what it is called and where it goes.

Everything else (submit and query, retries, the journal, waiting, the trigger) is shared and takes a
:class:`TaskType`. A trigger stores only the declaration's ``key``, so a wait deferred by one release
resumes under the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from airflow_topview.exceptions import RequestValidationError


class SubmitsBody(Protocol):
    """A validated request of some task type: what its submit's JSON body is."""

    def to_body(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TaskType:
    """One kind of TopView task: its ``key`` (also its OpenLineage name), label and two endpoints."""

    key: str
    label: str
    submit_path: str
    query_path: str


IMAGE_TO_VIDEO = TaskType(
    key="image2video",
    label="Image-to-Video",
    submit_path="/v2/common_task/image2video/task/submit",
    query_path="/v2/common_task/image2video/task/query",
)

TEXT_TO_VIDEO = TaskType(
    key="text2video",
    label="Text-to-Video",
    submit_path="/v1/common_task/text2video/task/submit",
    query_path="/v1/common_task/text2video/task/query",
)

OMNI_REFERENCE = TaskType(
    key="omni_reference",
    label="Omni Reference",
    submit_path="/v1/common_task/omni_reference/task/submit",
    query_path="/v1/common_task/omni_reference/task/query",
)

#: Every task type, by key.
TASK_TYPES: dict[str, TaskType] = {
    task_type.key: task_type for task_type in (IMAGE_TO_VIDEO, TEXT_TO_VIDEO, OMNI_REFERENCE)
}


def task_type_of(key: str) -> TaskType:
    """The declaration of ``key``; an unknown key names the known ones."""
    try:
        return TASK_TYPES[key]
    except (KeyError, TypeError):
        raise RequestValidationError(
            f"task_type: must be one of {', '.join(TASK_TYPES)}, got {key!r}"
        ) from None
