"""Test DAGs: topview_video_group for each task type, chained with ``>>``, its output read downstream."""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Param, task

from airflow_topview.operators.budget import RunBudgetOperator
from airflow_topview.operators.video_group import topview_video_group

FAST_HOOK = {"retry_limit": 3, "retry_delay": 0.01, "retry_max_delay": 0.05, "timeout": 5}
FAST_UPLOADS = {"hook_params": FAST_HOOK, "upload_check_interval": 0.05, "upload_check_timeout": 10}
FAST_WAIT = {"poke_interval": 0.05, "timeout": 30, "hook_params": FAST_HOOK}


@task
def collect(paths: list[str]) -> list[str]:
    """What a task downstream of a group reads from ``group.output``."""
    return list(paths)


with DAG("topview_video_group_i2v", schedule=None, params={"prompt": Param("a lighthouse", type="string")}):
    start = EmptyOperator(task_id="start")
    frames = topview_video_group(
        "frames",
        task_type="image2video",
        first_frame="{{ dag_run.conf['first'] }}",
        end_frame="{{ dag_run.conf['last'] }}",
        model="Kling V3",
        prompt="{{ params.prompt }} from day to night",
        resolution="{{ dag_run.conf.get('resolution', 720) }}",
        duration=5,
        destination="{{ dag_run.conf['folder'] }}",
        default_args={"retries": 1},
        upload_kwargs={**FAST_UPLOADS, "retries": 2},
        submit_kwargs={"hook_params": FAST_HOOK, "max_credits": 10},
        wait_kwargs=FAST_WAIT,
        download_kwargs={
            "hook_params": FAST_HOOK,
            "filename_template": "frames_{topview_task_id}_{index}.mp4",
        },
    )
    start >> frames >> collect(frames.output)

with DAG("topview_video_group_references", schedule=None):

    @task
    def images(**context: Any) -> list[str]:
        return list(context["dag_run"].conf["images"])

    topview_video_group(
        "references",
        task_type="image2video",
        reference_images=images(),  # an XComArg: one mapped upload per image
        model="Kling V3 Reference Video",
        prompt="the fox crosses the meadow",
        aspect_ratio="16:9",
        destination="{{ dag_run.conf['folder'] }}",
        upload_kwargs=FAST_UPLOADS,
        submit_kwargs={"hook_params": FAST_HOOK},
        wait_kwargs=FAST_WAIT,
        download_kwargs={"hook_params": FAST_HOOK},
    )

with DAG("topview_video_group_t2v", schedule=None):
    opening = topview_video_group(
        "opening",
        task_type="text2video",
        topview_conn_id="topview_group_conn",
        model="Kling V3",
        prompt="a paper boat at {{ dag_run.conf['time'] }}",
        aspect_ratio="9:16",
        resolution=720,
        duration=5,
        sound="on",
        destination="{{ dag_run.conf['folder'] }}",
        submit_kwargs={"hook_params": FAST_HOOK},
        wait_kwargs={**FAST_WAIT, "max_poll_interval": 0.1},
        download_kwargs={"hook_params": FAST_HOOK},
    )
    opening >> collect(opening.output)

with DAG("topview_video_group_omni", schedule=None):
    topview_video_group(
        "shots",
        task_type="omni_reference",
        input_images={"Product1": "{{ dag_run.conf['boat'] }}", "Product2": "{{ dag_run.conf['fox'] }}"},
        model="Fast",
        prompt="<<<Product1>>> floats past <<<Product2>>> on a calm lake",
        aspect_ratio="16:9",
        resolution=720,
        duration=5,
        destination="{{ dag_run.conf['folder'] }}",
        upload_kwargs=FAST_UPLOADS,
        submit_kwargs={"hook_params": FAST_HOOK},
        wait_kwargs={**FAST_WAIT, "deferrable": False},
        download_kwargs={"hook_params": FAST_HOOK},
    )


with DAG("topview_video_group_budget_first", schedule=None):
    # docs/files.md: a run budget in front checks the model's rules and the price before any upload.
    budget = RunBudgetOperator(
        task_id="budget",
        max_credits="{{ dag_run.conf['max_credits'] }}",
        videos=1,
        model="Kling V3",
        duration="{{ dag_run.conf['duration'] }}",
        resolution=720,
    )
    checked = topview_video_group(
        "checked",
        task_type="image2video",
        first_frame="{{ dag_run.conf['first'] }}",
        model="Kling V3",
        prompt="a lighthouse at dusk",
        resolution=720,
        duration="{{ dag_run.conf['duration'] }}",
        destination="{{ dag_run.conf['folder'] }}",
        upload_kwargs=FAST_UPLOADS,
        submit_kwargs={"hook_params": FAST_HOOK, "run_budget": budget.output},
        wait_kwargs=FAST_WAIT,
        download_kwargs={"hook_params": FAST_HOOK},
    )
    budget >> checked
