"""DAGs for the CeleryExecutor deployment test (their own folder: the other deployments never parse them).

Submit and wait: deferred in a triggerer (the triggerer-kill test), or polling on a Celery worker (the
worker-kill test, whose submit answer the simulator holds).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

for deferrable in (True, False):
    with DAG(
        f"topview_celery_{'deferrable' if deferrable else 'polling'}",
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
