"""DAGs for the deployment test: submit and wait, deferred in the triggerer or polling on the worker;
and one whose prompt comes from an Airflow Variable (cleared with the same or a changed request)."""

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
            generating_count="{{ dag_run.conf.get('count', 1) }}",
            wait_for_completion=True,
            deferrable=deferrable,
            poll_interval=1,
            timeout=600,
            hook_params={"retry_limit": 3, "retry_delay": 0.2},
        )

# The prompt comes from a Variable, so a test can clear the task with the same request or a changed one.
with DAG("topview_deploy_prompt", schedule=None, default_args={"retries": 0}):
    SubmitImageToVideoOperator(
        task_id="submit",
        first_frame_file_id="{{ dag_run.conf['first'] }}",
        prompt="{{ var.value.topview_deploy_prompt }}",
        wait_for_completion=True,
        deferrable=False,
        poll_interval=1,
        timeout=600,
        hook_params={"retry_limit": 3, "retry_delay": 0.2},
    )

# The demo's pipeline shape: upload -> submit and wait (deferred), for a whole-run clear mid-generation.
with DAG("topview_deploy_pipeline", schedule=None, default_args={"retries": 0}):
    from airflow_topview.operators.files import UploadFileOperator

    upload = UploadFileOperator(task_id="upload", source="{{ dag_run.conf['image'] }}")
    SubmitImageToVideoOperator(
        task_id="submit",
        first_frame_file_id=upload.output,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=1,
        timeout=600,
        hook_params={"retry_limit": 3, "retry_delay": 0.2},
    )
