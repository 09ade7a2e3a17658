"""Test DAGs for the hostile review: a submit cut off by execution_timeout, echoing servers."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.sensors.image_to_video import ImageToVideoSensor

FAST_HOOK = {"retry_limit": 2, "retry_delay": 0.01, "timeout": 30}
FIRST_FRAME = "{{ dag_run.conf['first'] }}"

# The first try's submit answer arrives after execution_timeout; the retry finds the journaled intent.
for choice in ("fail", "resubmit"):
    with DAG(
        f"topview_hostile_timeout_{choice}",
        schedule=None,
        default_args={"retries": 1, "retry_delay": timedelta(0)},
    ):
        SubmitImageToVideoOperator(
            task_id="submit",
            first_frame_file_id=FIRST_FRAME,
            execution_timeout=timedelta(seconds=2),
            on_uncertain_submit=choice,
            hook_params=FAST_HOOK,
        )

# The same, with a request that changes per try: an unanswered submit still blocks the retry.
with DAG(
    "topview_hostile_timeout_changing",
    schedule=None,
    default_args={"retries": 1, "retry_delay": timedelta(0)},
):
    SubmitImageToVideoOperator(
        task_id="submit",
        first_frame_file_id=FIRST_FRAME,
        prompt="take {{ ti.try_number }}",
        execution_timeout=timedelta(seconds=2),
        hook_params=FAST_HOOK,
    )

# Waiting in the triggerer (operator and sensor) and on the worker, for servers that echo the key.
with DAG("topview_hostile_deferred", schedule=None, default_args={"retries": 2, "retry_delay": timedelta(0)}):
    SubmitImageToVideoOperator(
        task_id="submit",
        first_frame_file_id=FIRST_FRAME,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=0.05,
        timeout=30,
        hook_params=FAST_HOOK,
    )

with DAG("topview_hostile_sensor", schedule=None, default_args={"retries": 2, "retry_delay": timedelta(0)}):
    submit = SubmitImageToVideoOperator(
        task_id="submit", first_frame_file_id=FIRST_FRAME, hook_params=FAST_HOOK
    )
    for mode in ("poke", "deferrable"):
        ImageToVideoSensor(
            task_id=f"wait_{mode}",
            topview_task_id=submit.output,
            deferrable=mode == "deferrable",
            poke_interval=0.05,
            timeout=30,
            hook_params=FAST_HOOK,
        )

# A sensor in poke mode on a given TopView task id (the sync waiting path); the short one times out.
for suffix, timeout in (("", 30), ("_short", 1)):
    with DAG(f"topview_hostile_poke{suffix}", schedule=None):
        ImageToVideoSensor(
            task_id="wait",
            topview_task_id="{{ dag_run.conf['task'] }}",
            poke_interval=0.05,
            timeout=timeout,
            hook_params=FAST_HOOK,
        )
