"""TopView's kinds of generation task, each a small declaration: what it is called and where it goes.

Everything else (submit and query, retries, the journal, waiting, the trigger) is shared and takes a
:class:`TaskType`. A trigger stores only the declaration's ``key``, so a wait deferred by one release
resumes under the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

from airflow_topview.exceptions import RequestValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from airflow_topview.client.request_base import SubmitRequest


class SubmitsBody(Protocol):
    """A validated request of some task type: what its submit's JSON body is."""

    def to_body(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TaskType:
    """One kind of TopView task: its ``key`` (also its OpenLineage name and its catalog's name), label,
    two endpoints and the ``module:function`` that validates operator parameters into its request."""

    key: str
    label: str
    submit_path: str
    query_path: str
    request_builder: str
    #: The ``model`` its submit operator sends when none is given.
    default_model: str

    def build_request(self, params: Mapping[str, Any]) -> SubmitRequest:
        """Validate operator parameters into this type's request (pydantic is imported here, not before)."""
        module, _, function = self.request_builder.partition(":")
        built: SubmitRequest = getattr(import_module(module), function)(params)
        return built


IMAGE_TO_VIDEO = TaskType(
    key="image2video",
    label="Image-to-Video",
    submit_path="/v2/common_task/image2video/task/submit",
    query_path="/v2/common_task/image2video/task/query",
    request_builder="airflow_topview.client.request:build_request",
    default_model="seedance-1.5-pro",
)

TEXT_TO_VIDEO = TaskType(
    key="text2video",
    label="Text-to-Video",
    submit_path="/v1/common_task/text2video/task/submit",
    query_path="/v1/common_task/text2video/task/query",
    request_builder="airflow_topview.client.request_text_to_video:build_text_to_video_request",
    default_model="Standard",
)

OMNI_REFERENCE = TaskType(
    key="omni_reference",
    label="Omni Reference",
    submit_path="/v1/common_task/omni_reference/task/submit",
    query_path="/v1/common_task/omni_reference/task/query",
    request_builder="airflow_topview.client.request_omni_reference:build_omni_reference_request",
    default_model="Standard",
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
