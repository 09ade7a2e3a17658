"""Test DAGs: each way a DAG author feeds SubmitImageToVideoOperator (params, conf, macros, XCom, maps)."""

from __future__ import annotations

from airflow.sdk import DAG, Param, task

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

FAST_HOOK = {"retry_limit": 3, "retry_delay": 0.01, "timeout": 5}

with DAG(
    "topview_test_context",
    schedule=None,
    params={"prompt": "a red fox", "resolution": Param(720, type="integer")},
) as context_dag:
    SubmitImageToVideoOperator(
        task_id="submit",
        model="{{ dag_run.conf['model'] }}",
        first_frame_file_id="{{ dag_run.conf['first'] }}",
        prompt="{{ params.prompt }} on {{ dag_run.run_after | ds }}",
        resolution="{{ params.resolution }}",
        duration="{{ dag_run.conf['duration'] }}",
        sound="{{ dag_run.conf['sound'] }}",
        generating_count="{{ dag_run.conf['count'] }}",
        board_id="board-{{ dag_run.conf['board'] }}",
        notice_url="{{ dag_run.conf['notice'] }}",
        hook_params=FAST_HOOK,
    )

with DAG("topview_test_native", schedule=None, render_template_as_native_obj=True) as native_dag:
    SubmitImageToVideoOperator(
        task_id="submit",
        model="kling-v3-reference-video",
        reference_image_file_ids="{{ dag_run.conf['refs'] }}",
        aspect_ratio="{{ dag_run.conf['ratio'] }}",
        resolution="{{ dag_run.conf['resolution'] }}",
        duration="{{ dag_run.conf['duration'] }}",
        hook_params=FAST_HOOK,
    )

with DAG("topview_test_string_list", schedule=None) as string_list_dag:
    SubmitImageToVideoOperator(
        task_id="submit",
        model="kling-o3-reference-to-video",
        reference_image_file_ids="{{ dag_run.conf['refs'] }}",
        hook_params=FAST_HOOK,
    )

with DAG("topview_test_xcom", schedule=None) as xcom_dag:

    @task
    def pick_frames(**context):
        conf = context["dag_run"].conf
        return {"first": conf["first"], "end": conf["end"]}

    frames = pick_frames()
    first_last = SubmitImageToVideoOperator(
        task_id="first_last",
        first_frame_file_id="{{ ti.xcom_pull(task_ids='pick_frames')['first'] }}",
        end_frame_file_id="{{ ti.xcom_pull(task_ids='pick_frames')['end'] }}",
        prompt="from xcom",
        hook_params=FAST_HOOK,
    )
    frames >> first_last


with DAG("topview_test_mapped_refs", schedule=None) as mapped_refs_dag:

    @task
    def ref_ids(**context):
        return context["dag_run"].conf["refs"]

    @task
    def echo(file_id: str) -> str:
        return file_id

    SubmitImageToVideoOperator(
        task_id="submit",
        model="kling-v3-reference-video",
        reference_image_file_ids=echo.expand(file_id=ref_ids()),
        prompt="mapped references",
        hook_params=FAST_HOOK,
    )

with DAG("topview_test_expand", schedule=None) as expand_dag:

    @task
    def firsts(**context):
        return context["dag_run"].conf["firsts"]

    SubmitImageToVideoOperator.partial(
        task_id="submit", prompt="one of many", duration=5, hook_params=FAST_HOOK
    ).expand(first_frame_file_id=firsts())

with DAG("topview_test_bad_input", schedule=None, default_args={"retries": 2}) as bad_input_dag:
    SubmitImageToVideoOperator(
        task_id="submit",
        first_frame_file_id="{{ dag_run.conf['first'] }}",
        generating_count="{{ dag_run.conf['count'] }}",
        hook_params=FAST_HOOK,
    )
