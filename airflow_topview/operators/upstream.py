"""The submits upstream of a task, and what they sent: for a download's asset events and the budget tasks.

TopView's task query does not return the model or the prompt, so the submit pushes the request it sent
(XCom ``request``, with the TopView task id it got, :func:`airflow_topview.lineage.sent_request`) and a
download finds it among the submits upstream of it, matched by TopView task id (mapped submits included).
The asset event's ``extra`` then says what was made: ``topview_task_id``, ``model``, ``prompt``,
``cost_credit`` and the ``paths`` written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_topview.lineage import REQUEST_XCOM_KEY, video_extra

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_topview.client.responses import ImageToVideoTask
    from airflow_topview.client.task_types import TaskType


def upstream_request(operator: Any, context: Context, topview_task_id: str) -> dict[str, Any] | None:
    """The request an upstream submit sent for this TopView task, or None when no submit upstream did."""
    submits = upstream_submit_ids(operator)
    if not submits:
        return None
    ti: Any = context["ti"]
    # A download mapped like its submit finds it at its own map index, else every index is read.
    own_index = ti.map_index if isinstance(ti.map_index, int) and ti.map_index >= 0 else None
    for narrow in ([True] if own_index is not None else []) + [False]:
        if narrow:
            pulled = ti.xcom_pull(task_ids=submits, key=REQUEST_XCOM_KEY, map_indexes=[own_index])
        else:
            pulled = ti.xcom_pull(task_ids=submits, key=REQUEST_XCOM_KEY)
        for entry in pulled if isinstance(pulled, list) else [pulled]:
            if isinstance(entry, dict) and entry.get("topview_task_id") == topview_task_id:
                return entry
    return None


def announce(operator: Any, context: Context, task: ImageToVideoTask, paths: list[str]) -> None:
    """Attach ``video_extra`` to the event of each asset in the operator's outlets (Airflow emits it)."""
    from airflow.providers.common.compat.sdk import Asset

    assets = [outlet for outlet in operator.outlets if isinstance(outlet, Asset)]
    if not assets:
        return
    extra = video_extra(task, paths, upstream_request(operator, context, task.task_id))
    for asset in assets:
        context["outlet_events"][asset].extra = extra


def upstream_submit_ids(operator: Any) -> list[str]:
    """Task ids of the TopView submit tasks upstream of ``operator`` (any distance)."""
    return sorted(task.task_id for task in operator.get_flat_relatives(upstream=True) if is_submit(task))


def submit_task_type(task: Any) -> TaskType:
    """The task type a submit task (mapped or not) submits."""
    cls = getattr(task, "operator_class", None) or type(task)
    task_type: TaskType = cls.topview_task_type
    return task_type


def task_type_to_read(operator: Any, given: str | None) -> TaskType:
    """Which task type a sensor or download reads: ``given``, else that of the submits upstream of it.

    A TopView task id does not say its type, and each type has its own query endpoint. With no submit
    upstream (an id from elsewhere) it is Image-to-Video; submits of several types upstream must be told
    apart with ``topview_task_type``.
    """
    from airflow_topview.client.task_types import IMAGE_TO_VIDEO, task_type_of
    from airflow_topview.exceptions import RequestValidationError

    if given is not None:
        try:
            return task_type_of(given)
        except RequestValidationError as exc:
            raise RequestValidationError(f"topview_{exc}") from None
    submits = [task for task in operator.get_flat_relatives(upstream=True) if is_submit(task)]
    found = {submit_task_type(task).key: submit_task_type(task) for task in submits}
    if len(found) > 1:
        raise RequestValidationError(
            f"topview_task_type: the submits upstream are of the task types {', '.join(sorted(found))}; "
            "set topview_task_type to the one this task reads"
        )
    return next(iter(found.values()), IMAGE_TO_VIDEO)


def is_submit(task: Any) -> bool:
    """Whether a task (mapped or not) submits TopView tasks (any task type)."""
    from airflow_topview.operators.submit import TopviewSubmitOperator

    cls = getattr(task, "operator_class", None) or type(task)
    return isinstance(cls, type) and issubclass(cls, TopviewSubmitOperator)
