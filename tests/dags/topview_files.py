"""Test DAGs: UploadFileOperator and DownloadVideosOperator fed from dag_run.conf."""

from __future__ import annotations

from airflow.sdk import DAG, task

from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

FAST_HOOK = {"retry_limit": 3, "retry_delay": 0.01, "retry_max_delay": 0.05, "timeout": 5}
FAST_CHECKS = {"upload_check_interval": 0.05, "upload_check_timeout": 10}

with DAG("topview_test_upload", schedule=None, default_args={"retries": 2}):
    UploadFileOperator(
        task_id="upload",
        source="{{ dag_run.conf['source'] }}",
        file_format="{{ dag_run.conf.get('format', '') }}",
        hook_params=FAST_HOOK,
        **FAST_CHECKS,
    )

with DAG("topview_test_upload_mapped_refs", schedule=None):

    @task
    def sources(**context):
        return context["dag_run"].conf["sources"]

    uploads = UploadFileOperator.partial(task_id="upload", hook_params=FAST_HOOK, **FAST_CHECKS).expand(
        source=sources()
    )
    SubmitImageToVideoOperator(
        task_id="submit",
        model="kling-v3-reference-video",
        reference_image_file_ids=uploads.output,
        prompt="mapped uploads as references",
        hook_params=FAST_HOOK,
    )

with DAG(
    "topview_test_download",
    schedule=None,
    render_template_as_native_obj=True,
    default_args={"retries": 2},
):
    DownloadVideosOperator(
        task_id="download",
        task_result="{{ dag_run.conf.get('task_result') }}",
        topview_task_id="{{ dag_run.conf.get('topview_task_id') }}",
        destination="{{ dag_run.conf['destination'] }}",
        filename_template="{{ dag_run.conf.get('template', '{topview_task_id}_{index}.mp4') }}",
        hook_params=FAST_HOOK,
    )
