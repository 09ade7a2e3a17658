"""DAGs for the deployment test: submit and wait, deferred in the triggerer or polling on the worker."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

for deferrable in (True, False):
    with DAG(
        f"topview_deploy_{'deferrable' if deferrable else 'polling'}",
        schedule=None,
        default_args={"retries": 2, "retry_delay": timedelta(seconds=1)},
    ):
        SubmitImageToVideoOperator(
            task_id="submit",
            first_frame_file_id="{{ dag_run.conf['first'] }}",
            wait_for_completion=True,
            deferrable=deferrable,
            poll_interval=1,
            timeout=600,
            hook_params={"retry_limit": 3, "retry_delay": 0.2},
        )
