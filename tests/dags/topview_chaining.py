"""Test DAG: download right after a submit that waited (``task_result`` is then the TopView task id)."""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_topview.operators.files import DownloadVideosOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

with DAG("topview_test_chain_after_wait", schedule=None):
    submit = SubmitImageToVideoOperator(
        task_id="submit",
        first_frame_file_id="{{ dag_run.conf['first'] }}",
        wait_for_completion=True,
        poll_interval=0.05,
        hook_params={"retry_limit": 2, "retry_delay": 0.01},
    )
    DownloadVideosOperator(
        task_id="download", task_result=submit.output, destination="{{ dag_run.conf['out'] }}"
    )
