"""Test DAGs: retries whose templates render differently on every try, with each on_changed_request."""

from __future__ import annotations

from datetime import timedelta

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
