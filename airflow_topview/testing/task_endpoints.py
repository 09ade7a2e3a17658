"""The simulator's names for the submit and query endpoints of each TopView task type.

The journal (``JournalEntry.endpoint``), ``TopviewSimulator.requests_to``, ``inject`` and ``pending_faults``
use these names. Image-to-Video keeps its first names; every other task type's are its key with
``_submit`` / ``_query``:

==================  ===========================  ==========================
task type (key)     submit                       query
==================  ===========================  ==========================
``image2video``     ``submit``                   ``query``
``text2video``      ``text2video_submit``        ``text2video_query``
``omni_reference``  ``omni_reference_submit``    ``omni_reference_query``
==================  ===========================  ==========================

The paths are the task types' own (:mod:`airflow_topview.client.task_types`), never repeated here.
"""

from __future__ import annotations

from typing import Literal

from airflow_topview.client.task_types import IMAGE_TO_VIDEO, TASK_TYPES, TaskType

Kind = Literal["submit", "query"]
_KINDS: tuple[Kind, ...] = ("submit", "query")


def task_key(task_type: str | TaskType) -> str:
    """The key of a task type given as its key or its declaration; ValueError for an unknown one."""
    key = task_type.key if isinstance(task_type, TaskType) else task_type
    if key not in TASK_TYPES:
        raise ValueError(f"unknown task type {key!r}; expected one of {', '.join(TASK_TYPES)}")
    return key


def endpoint_name(task_type: str | TaskType, kind: Kind) -> str:
    """The endpoint name of ``task_type``'s submit or query (``"text2video", "submit"`` ->
    ``"text2video_submit"``; Image-to-Video's are plain ``"submit"`` / ``"query"``)."""
    if kind not in ("submit", "query"):
        raise ValueError(f"kind must be 'submit' or 'query', got {kind!r}")
    key = task_key(task_type)
    return kind if key == IMAGE_TO_VIDEO.key else f"{key}_{kind}"


def submit_endpoint(task_type: str | TaskType = IMAGE_TO_VIDEO) -> str:
    """The endpoint name of a task type's submit (default Image-to-Video: ``"submit"``)."""
    return endpoint_name(task_type, "submit")


def query_endpoint(task_type: str | TaskType = IMAGE_TO_VIDEO) -> str:
    """The endpoint name of a task type's query (default Image-to-Video: ``"query"``)."""
    return endpoint_name(task_type, "query")


#: Endpoint name -> (task type, submit or query), for every task type.
TASK_ENDPOINTS: dict[str, tuple[TaskType, Kind]] = {
    endpoint_name(task_type, kind): (task_type, kind) for task_type in TASK_TYPES.values() for kind in _KINDS
}
