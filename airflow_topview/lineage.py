"""OpenLineage for uploads, submits and downloads: input images -> TopView task -> output videos.

Used only when ``apache-airflow-providers-openlineage`` is installed: its listener calls the operators'
``get_openlineage_facets_on_complete``, which build their datasets here (nothing is imported before
that). Naming follows the OpenLineage naming spec: a local file is ``file`` + its absolute path, object
storage ``<scheme>://<bucket>`` + the key, a web URL ``<scheme>://<host>`` + the path; TopView's own
objects (uploaded files, generation tasks) live under the API's address, e.g. ``https://api.topview.ai``
+ ``file/<fileId>`` or ``image2video/task/<taskId>``. Never a query string or a user part: presigned
URLs carry credentials, and ``s3://<conn id>@bucket`` names a connection.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_topview.client.task_types import IMAGE_TO_VIDEO

if TYPE_CHECKING:
    from collections.abc import Iterable

    from airflow.providers.openlineage.extractors import OperatorLineage

    from airflow_topview.client.request_base import SubmitRequest
    from airflow_topview.client.responses import ImageToVideoTask

#: XCom key of the request a submit sent (the documented body fields that say what was made).
REQUEST_XCOM_KEY = "request"
#: Body fields copied to that XCom: never ``noticeUrl`` or ``extra_body`` fields, which may carry tokens.
SHOWN_FIELDS = (
    "model",
    "prompt",
    "firstFrameFileId",
    "endFrameFileId",
    "referenceImageFileIds",
    "inputImages",
    "inputVideos",
    "aspectRatio",
    "resolution",
    "duration",
    "sound",
    "generatingCount",
    "internetSearch",
    "boardId",
)

#: (namespace, name) of one OpenLineage dataset.
Dataset = tuple[str, str]


def api_namespace(base_url: str) -> str:
    """``<scheme>://<host[:port]>`` of the TopView API the connection points at."""
    parts = urlsplit(base_url)
    return f"{parts.scheme or 'https'}://{_host(parts.hostname, parts.port)}"


def location(where: Any) -> Dataset:
    """A local path, an object-storage path or URL, or a web URL (query strings and user parts dropped)."""
    parts = urlsplit(str(where))
    if parts.scheme in ("", "file"):
        return "file", os.path.abspath(parts.path if parts.scheme else str(where))
    namespace = f"{parts.scheme}://{_host(parts.hostname, parts.port)}"
    if parts.scheme in ("http", "https"):
        return namespace, parts.path or "/"
    return namespace, parts.path.lstrip("/")


def uploaded_file(api: str, file_id: str) -> Dataset:
    return api, f"file/{file_id}"


def generation_task(api: str, topview_task_id: str, task_type: str = IMAGE_TO_VIDEO.key) -> Dataset:
    """A TopView task as a dataset: ``<task type key>/task/<id>`` under the API's address."""
    return api, f"{task_type}/task/{topview_task_id}"


def submit_datasets(
    base_url: str, request: SubmitRequest, topview_task_id: str, task_type: str = IMAGE_TO_VIDEO.key
) -> tuple[list[Dataset], list[Dataset]]:
    """A submit's lineage: the uploaded files it used -> the TopView task it created."""
    api = api_namespace(base_url)
    inputs = [uploaded_file(api, file_id) for file_id in request.file_ids()]
    return inputs, [generation_task(api, topview_task_id, task_type)]


def _host(hostname: str | None, port: int | None) -> str:
    return f"{hostname or ''}:{port}" if port else hostname or ""


class ReportsLineage:
    """Mixin: the operator records its datasets while it runs; the OpenLineage listener reads them.

    List it after ``BaseOperator`` in the bases: before it, ``.partial()`` would read ``BaseOperator``'s
    own argument defaults (``inlets=None``) and mapped tasks would fail to start.
    """

    _lineage: tuple[list[Dataset], list[Dataset]] | None = None

    def record_lineage(self, inputs: Iterable[Dataset], outputs: Iterable[Dataset]) -> None:
        self._lineage = (list(inputs), list(outputs))

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage[Any, Any] | None:
        """Called by ``apache-airflow-providers-openlineage`` after a successful try."""
        return None if self._lineage is None else operator_lineage(*self._lineage)


def operator_lineage(inputs: Iterable[Dataset], outputs: Iterable[Dataset]) -> OperatorLineage[Any, Any]:
    """The ``OperatorLineage`` the OpenLineage provider expects (imported only when it asks)."""
    from airflow.providers.common.compat.openlineage.facet import Dataset as OpenLineageDataset
    from airflow.providers.openlineage.extractors import OperatorLineage

    def datasets(items: Iterable[Dataset]) -> list[Any]:
        unique = dict.fromkeys(item for item in items if item[1])
        return [OpenLineageDataset(namespace=namespace, name=name) for namespace, name in unique]

    return OperatorLineage(inputs=datasets(inputs), outputs=datasets(outputs))


def sent_request(request: SubmitRequest, topview_task_id: str) -> dict[str, Any]:
    """The XCom value for a submitted request: what it asked for, nothing that could be a secret."""
    extra = set(request.extra_body or ())  # never copied: extra fields may carry tokens
    body = {key: value for key, value in request.to_body().items() if key not in extra}
    return {"topview_task_id": topview_task_id, **{key: body[key] for key in SHOWN_FIELDS if key in body}}


def video_extra(task: ImageToVideoTask, paths: list[str], request: dict[str, Any] | None) -> dict[str, Any]:
    """The asset event ``extra`` of one download (JSON-safe; None where the request is not known)."""
    request = request or {}
    return {
        "topview_task_id": task.task_id,
        "model": request.get("model"),
        "prompt": request.get("prompt"),
        "cost_credit": task.cost_credit,
        "paths": list(paths),
    }
