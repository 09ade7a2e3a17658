"""Test DAGs: retries whose templates render differently on every try, with each on_changed_request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

for choice in ("reuse", "resubmit", "fail"):
    with DAG(
        f"topview_pay_rerender_{choice}",
        schedule=None,
        default_args={"retries": 2, "retry_delay": timedelta(0)},
    ):
        SubmitImageToVideoOperator(
            task_id="submit",
            first_frame_file_id="{{ dag_run.conf['first'] }}",
            prompt="take {{ ti.try_number }}, seed {{ macros.uuid.uuid4() }}",
            wait_for_completion=True,
            poll_interval=0.05,
            timeout=0.3,
            on_changed_request=choice,
            hook_params={"retry_limit": 2, "retry_delay": 0.01, "timeout": 5},
        )


def discard_task_state(context: dict[str, Any]) -> None:
    """What a clear does on Airflow 3.4 unless 'keep task state' is ticked: every key of the store goes."""
    if context["ti"].try_number > 1:
        context["task_state_store"].clear()


for durable in (True, False):
    # A wait that times out while TopView renders, so each try is retried; before every later try the
    # task's state is discarded as a 3.4 clear would.
    with DAG(
        "topview_pay_discarded" if durable else "topview_pay_not_durable",
        schedule=None,
        default_args={"retries": 2, "retry_delay": timedelta(0)},
    ):
        SubmitImageToVideoOperator(
            task_id="submit",
            first_frame_file_id="{{ dag_run.conf['first'] }}",
            prompt="a lighthouse at dusk",
            wait_for_completion=True,
            poll_interval=0.05,
            timeout=0.3,
            durable=durable,
            on_execute_callback=discard_task_state if durable else None,
            hook_params={"retry_limit": 2, "retry_delay": 0.01, "timeout": 5},
        )
