"""Test DAGs: waiting for TopView (operator polling and deferring, sensor in every mode) and retries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.sensors.image_to_video import ImageToVideoSensor

FAST_HOOK = {"retry_limit": 2, "retry_delay": 0.01, "timeout": 5}
SINGLE_TRY_HOOK = {"retry_limit": 1, "timeout": 5}
FIRST_FRAME = "{{ dag_run.conf['first'] }}"
COUNT = "{{ dag_run.conf.get('count', 1) }}"


def wait_dag(
    dag_id: str, deferrable: bool, default_args: dict[str, Any] | None = None, **overrides: Any
) -> None:
    """One DAG with one submit-and-wait task; ``overrides`` change the operator's arguments."""
    arguments: dict[str, Any] = {
        "first_frame_file_id": FIRST_FRAME,
        "generating_count": COUNT,
        "poll_interval": 0.05,
        "timeout": 30,
        "hook_params": FAST_HOOK,
        **overrides,
    }
    with DAG(dag_id, schedule=None, default_args=default_args or {}):
        SubmitImageToVideoOperator(
            task_id="submit", wait_for_completion=True, deferrable=deferrable, **arguments
        )


for deferrable in (False, True):
    mode = "deferrable" if deferrable else "polling"
    wait_dag(f"topview_test_wait_{mode}", deferrable)
    wait_dag(f"topview_test_wait_{mode}_partial_fails", deferrable, fail_on_partial=True)
    wait_dag(f"topview_test_timeout_{mode}", deferrable, timeout=0.5)
    # The first try times out while every query fails; the retry must find the task, not submit again.
    wait_dag(
        f"topview_test_retry_{mode}",
        deferrable,
        default_args={"retries": 3, "retry_delay": timedelta(0)},
        poll_interval=10,
        timeout=0.3,
        hook_params=SINGLE_TRY_HOOK,
    )

for sensor_mode in ("poke", "reschedule", "deferrable"):
    with DAG(f"topview_test_sensor_{sensor_mode}", schedule=None):
        submit = SubmitImageToVideoOperator(
            task_id="submit", first_frame_file_id=FIRST_FRAME, generating_count=COUNT, hook_params=FAST_HOOK
        )
        ImageToVideoSensor(
            task_id="wait",
            topview_task_id=submit.output,
            mode="reschedule" if sensor_mode == "reschedule" else "poke",
            deferrable=sensor_mode == "deferrable",
            poke_interval=0.05,
            timeout=30,
            hook_params=FAST_HOOK,
        )

# Busy without a worker slot: a deferrable task that meets 4007 defers on a timer and submits again.
wait_dag(
    "topview_test_busy_deferrable",
    True,
    hook_params={"retry_limit": 2, "retry_delay": 0.05, "retry_max_delay": 0.2, "busy_timeout": 60},
)

# A sensor that starts in the triggerer in a deployment; under dags test it runs as a deferrable sensor.
with DAG("topview_test_sensor_start_from_trigger", schedule=None):
    ImageToVideoSensor(
        task_id="wait",
        topview_task_id="{{ dag_run.conf['topview_task_id'] }}",
        deferrable=True,
        start_from_trigger=True,
        poke_interval=0.05,
        timeout=30,
        hook_params=FAST_HOOK,
    )
