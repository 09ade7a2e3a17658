"""Test DAGs: Text-to-Video and Omni Reference through the same submit, budget, wait and download tasks."""

from __future__ import annotations

from airflow.sdk import DAG, Param

from airflow_topview.operators.budget import RunBudgetOperator, RunCostReportOperator
from airflow_topview.operators.files import DownloadVideosOperator
from airflow_topview.operators.omni_reference import SubmitOmniReferenceOperator
from airflow_topview.operators.text_to_video import SubmitTextToVideoOperator
from airflow_topview.sensors.image_to_video import ImageToVideoSensor

FAST_HOOK = {"retry_limit": 3, "retry_delay": 0.01, "timeout": 5}

with DAG(
    "topview_family_t2v",
    schedule=None,
    params={"prompt": "a paper boat", "resolution": Param(720, type="integer")},
) as t2v_dag:
    budget = RunBudgetOperator(
        task_id="budget",
        max_credits="{{ dag_run.conf.get('max_credits', 100) }}",
        videos=1,
        model="{{ dag_run.conf['model'] }}",
        duration="{{ dag_run.conf['duration'] }}",
        resolution="{{ params.resolution }}",
        sound="{{ dag_run.conf['sound'] }}",
        check_balance=True,
        hook_params=FAST_HOOK,
    )
    t2v = SubmitTextToVideoOperator(
        task_id="submit",
        model="{{ dag_run.conf['model'] }}",
        prompt="{{ params.prompt }} at {{ dag_run.conf['time'] }}",
        aspect_ratio="{{ dag_run.conf['ratio'] }}",
        resolution="{{ params.resolution }}",
        duration="{{ dag_run.conf['duration'] }}",
        sound="{{ dag_run.conf['sound'] }}",
        generating_count="{{ dag_run.conf.get('count', 1) }}",
        board_id="{{ dag_run.conf.get('board') }}",
        run_budget=budget.output,
        hook_params=FAST_HOOK,
    )
    budget >> t2v
    wait = ImageToVideoSensor(
        task_id="wait", topview_task_id=t2v.output, poke_interval=0.05, timeout=30, hook_params=FAST_HOOK
    )
    download = DownloadVideosOperator(
        task_id="download",
        task_result=wait.output,
        destination="{{ dag_run.conf['folder'] }}",
        hook_params=FAST_HOOK,
    )
    report = RunCostReportOperator(task_id="report", budget_task_id="budget", trigger_rule="all_done")
    download >> report

with DAG("topview_family_t2v_deferred", schedule=None) as t2v_deferred_dag:
    SubmitTextToVideoOperator(
        task_id="submit",
        prompt="a lighthouse in fog",
        model="Kling V3",
        duration=5,
        resolution=720,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=0.05,
        timeout=30,
        max_credits=10,
        hook_params=FAST_HOOK,
    )

with DAG("topview_family_omni_native", schedule=None, render_template_as_native_obj=True) as omni_native:
    omni = SubmitOmniReferenceOperator(
        task_id="submit",
        prompt="{{ dag_run.conf['prompt'] }}",
        input_images="{{ dag_run.conf['images'] }}",
        input_videos="{{ dag_run.conf.get('videos') }}",
        aspect_ratio="9:16",
        resolution="{{ dag_run.conf['resolution'] }}",
        duration="{{ dag_run.conf['duration'] }}",
        internet_search="{{ dag_run.conf.get('search', False) }}",
        wait_for_completion=True,
        poll_interval=0.05,
        timeout=30,
        hook_params=FAST_HOOK,
    )
    DownloadVideosOperator(
        task_id="download",
        topview_task_id=omni.output,
        destination="{{ dag_run.conf['folder'] }}",
        hook_params=FAST_HOOK,
    )

with DAG("topview_family_omni_text", schedule=None) as omni_text:
    SubmitOmniReferenceOperator(
        task_id="submit",
        model="{{ dag_run.conf['model'] }}",
        prompt="{{ dag_run.conf['prompt'] }}",
        input_images="{{ dag_run.conf['images'] }}",
        hook_params=FAST_HOOK,
    )

with DAG("topview_family_t2v_bad", schedule=None) as t2v_bad:
    SubmitTextToVideoOperator(
        task_id="submit",
        model="{{ dag_run.conf['model'] }}",
        prompt="{{ dag_run.conf.get('prompt') }}",
        aspect_ratio="{{ dag_run.conf.get('ratio') }}",
        resolution="{{ dag_run.conf.get('resolution') }}",
        duration="{{ dag_run.conf.get('duration') }}",
        sound="{{ dag_run.conf.get('sound') }}",
        max_credits="{{ dag_run.conf.get('max_credits', 1000) }}",
        hook_params=FAST_HOOK,
    )

with DAG("topview_family_mixed", schedule=None) as mixed_dag:
    text = SubmitTextToVideoOperator(task_id="text", prompt="a fox", duration=5, hook_params=FAST_HOOK)
    refs = SubmitOmniReferenceOperator(task_id="refs", prompt="a fox", duration=5, hook_params=FAST_HOOK)
    (
        ImageToVideoSensor(
            task_id="wait_unsure",
            topview_task_id=text.output,
            poke_interval=0.05,
            timeout=30,
            hook_params=FAST_HOOK,
        )
        << refs
    )
    (
        ImageToVideoSensor(
            task_id="wait_told",
            topview_task_id=refs.output,
            topview_task_type="omni_reference",
            poke_interval=0.05,
            timeout=30,
            hook_params=FAST_HOOK,
        )
        << text
    )

with DAG("topview_family_t2v_retries", schedule=None, default_args={"retries": 2, "retry_delay": 0}):
    SubmitTextToVideoOperator(task_id="submit", prompt="a heron", model="Kling V3", hook_params=FAST_HOOK)

with DAG("topview_family_mapped", schedule=None):
    clips = SubmitTextToVideoOperator.partial(
        task_id="submit",
        model="Kling V3",
        duration=5,
        wait_for_completion=True,
        poll_interval=0.05,
        hook_params=FAST_HOOK,
    ).expand(prompt=["A heron lands on a post", "A very long prompt " + "that keeps going " * 8])
    DownloadVideosOperator.partial(
        task_id="download", destination="{{ dag_run.conf['folder'] }}", hook_params=FAST_HOOK
    ).expand(topview_task_id=clips.output)

with DAG("topview_family_start_in_triggerer", schedule=None):
    text_clip = SubmitTextToVideoOperator(task_id="submit", prompt="a fox", duration=5, hook_params=FAST_HOOK)
    (
        ImageToVideoSensor(
            task_id="wait_untold",
            topview_task_id="{{ dag_run.conf['id'] }}",
            deferrable=True,
            start_from_trigger=True,
            poke_interval=0.05,
            timeout=30,
            hook_params=FAST_HOOK,
        )
        << text_clip
    )
    ImageToVideoSensor(
        task_id="wait_from_conf",
        topview_task_id="{{ dag_run.conf['id'] }}",
        topview_task_type="{{ dag_run.conf['type'] }}",
        poke_interval=0.05,
        timeout=30,
        hook_params=FAST_HOOK,
    )
