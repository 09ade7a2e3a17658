"""Test DAGs: model capability checks and the credit budget, driven by dag_run.conf (native rendering)."""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

FAST_HOOK = {"retry_limit": 2, "retry_delay": 0.01, "timeout": 5}

for validate in (True, False):
    with DAG(
        "topview_test_catalog" if validate else "topview_test_catalog_unchecked",
        schedule=None,
        render_template_as_native_obj=True,
    ):
        SubmitImageToVideoOperator(
            task_id="submit",
            model="{{ dag_run.conf['model'] }}",
            first_frame_file_id="{{ dag_run.conf.get('first') }}",
            reference_image_file_ids="{{ dag_run.conf.get('refs') }}",
            aspect_ratio="{{ dag_run.conf.get('ratio') }}",
            resolution="{{ dag_run.conf.get('resolution') }}",
            duration="{{ dag_run.conf.get('duration') }}",
            sound="{{ dag_run.conf.get('sound') }}",
            generating_count="{{ dag_run.conf.get('count') }}",
            max_credits="{{ dag_run.conf.get('max_credits') }}",
            prompt="{{ dag_run.conf.get('prompt') }}",
            notice_url="{{ dag_run.conf.get('notice') }}",
            extra_body="{{ dag_run.conf.get('extra') }}",
            validate_model=validate,
            hook_params=FAST_HOOK,
        )
