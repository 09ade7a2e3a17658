"""Test DAG: 100 mapped submits and waits against an account limited to 5 running tasks (4007 past that)."""

from __future__ import annotations

from airflow.sdk import DAG, task

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.sensors.image_to_video import ImageToVideoSensor

HOOK = {"retry_limit": 3, "retry_delay": 0.05, "retry_max_delay": 0.2, "busy_timeout": 120, "timeout": 10}

with DAG("topview_test_load", schedule=None, max_active_tasks=16):

    @task
    def images(**context):
        return context["dag_run"].conf["images"]

    submits = SubmitImageToVideoOperator.partial(
        task_id="submit", prompt="load test", duration=5, hook_params=HOOK
    ).expand(first_frame_file_id=images())
    ImageToVideoSensor.partial(
        task_id="wait", deferrable=True, poke_interval=0.05, timeout=300, hook_params=HOOK
    ).expand(topview_task_id=submits.output)
