"""Test DAGs for the secret scan and hostile servers, per task type: Text-to-Video and Omni Reference.

For each type (``topview_family_hostile_<kind>_<task type key>``): a submit alone (retries, as
``topview_test_bad_input``), a submit waiting in the triggerer then a download (as
``topview_hostile_deferred``), sensors in poke and deferrable mode on a submit's task (as
``topview_hostile_sensor``), and a submit with a callback URL and a board (as ``topview_test_context``).
Every body parameter the tests vary comes from the run's conf.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG

from airflow_topview.operators.files import DownloadVideosOperator
from airflow_topview.operators.omni_reference import SubmitOmniReferenceOperator
from airflow_topview.operators.text_to_video import SubmitTextToVideoOperator
from airflow_topview.sensors.image_to_video import ImageToVideoSensor

FAST_HOOK = {"retry_limit": 2, "retry_delay": 0.01, "timeout": 30}
RETRIES = {"retries": 2, "retry_delay": timedelta(0)}

#: Task type key -> its operator and the inputs it takes from the conf beside the prompt.
OPERATORS: dict[str, tuple[Any, dict[str, str]]] = {
    "text2video": (SubmitTextToVideoOperator, {}),
    "omni_reference": (SubmitOmniReferenceOperator, {"input_images": "{{ dag_run.conf['images'] }}"}),
}

for key, (operator, inputs) in OPERATORS.items():
    body = {"prompt": "{{ dag_run.conf['prompt'] }}", **inputs}

    with DAG(f"topview_family_hostile_submit_{key}", schedule=None, default_args=RETRIES):
        operator(
            task_id="submit",
            generating_count="{{ dag_run.conf.get('count', 1) }}",
            hook_params=FAST_HOOK,
            **body,
        )

    with DAG(f"topview_family_hostile_deferred_{key}", schedule=None, default_args=RETRIES):
        waited = operator(
            task_id="submit",
            wait_for_completion=True,
            deferrable=True,
            poll_interval=0.05,
            timeout=30,
            hook_params=FAST_HOOK,
            **body,
        )
        DownloadVideosOperator(
            task_id="download",
            topview_task_id=waited.output,
            destination="{{ dag_run.conf['folder'] }}",
            hook_params=FAST_HOOK,
        )

    with DAG(f"topview_family_hostile_sensor_{key}", schedule=None, default_args=RETRIES):
        submitted = operator(task_id="submit", hook_params=FAST_HOOK, **body)
        for mode in ("poke", "deferrable"):
            ImageToVideoSensor(
                task_id=f"wait_{mode}",
                topview_task_id=submitted.output,
                deferrable=mode == "deferrable",
                poke_interval=0.05,
                timeout=30,
                hook_params=FAST_HOOK,
            )

    with DAG(f"topview_family_hostile_context_{key}", schedule=None):
        operator(
            task_id="submit",
            board_id="board-{{ dag_run.conf['board'] }}",
            notice_url="{{ dag_run.conf['notice'] }}",
            hook_params=FAST_HOOK,
            **body,
        )
