"""A batch as users run it: one DAG run of many mapped submit-and-wait tasks, deferrable, no retries.

``topview_batch`` meets TopView's concurrency limit and defers on each busy answer; ``topview_batch_pool``
holds one slot of the pool ``topview`` (include_deferred) per TopView task, as the pool example does, and
downloads the videos. Downstream tasks read what the generating tasks left in XCom, as users' tasks do.
"""

from __future__ import annotations

import re
from typing import Any

from airflow.sdk import DAG, task

from airflow_topview.operators.files import DownloadVideosOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.sensors.image_to_video import ImageToVideoSensor

TASK_ID = re.compile(r"[0-9a-f]{32}")

for dag_id, pool in (("topview_batch", None), ("topview_batch_pool", "topview")):
    with DAG(dag_id, schedule=None, default_args={"retries": 0}):

        @task
        def images(**context: Any) -> list[str]:
            return [str(file_id) for file_id in context["dag_run"].conf["images"]]

        generations = SubmitImageToVideoOperator.partial(
            task_id="generate",
            wait_for_completion=True,
            deferrable=True,
            poll_interval=1,
            timeout=900,
            prompt="Batch video {{ ti.map_index }}",
            **({"pool": pool, "pool_slots": 1} if pool else {}),
        ).expand(first_frame_file_id=images())

        @task
        def check_xcoms(topview_task_ids: Any, **context: Any) -> int:
            """The XComs of tasks ended in the triggerer read as the worker-pushed ones do."""
            ids = list(topview_task_ids)
            results = context["ti"].xcom_pull(task_ids="generate", key="result")
            assert all(isinstance(value, str) and TASK_ID.fullmatch(value) for value in ids), ids
            assert [result["taskId"] for result in results] == ids, results
            return len(ids)

        check_xcoms(generations.output)
        if pool:
            DownloadVideosOperator.partial(
                task_id="download", destination="{{ dag_run.conf['output_dir'] }}"
            ).expand(topview_task_id=generations.output)

# A sensor that starts straight in the triggerer: no worker runs it, before or after the wait.
with DAG("topview_batch_sensor", schedule=None, default_args={"retries": 0}):
    wait = ImageToVideoSensor(
        task_id="wait",
        topview_task_id="{{ dag_run.conf['topview_task_id'] }}",
        deferrable=True,
        start_from_trigger=True,
        poke_interval=1,
        timeout=600,
    )

    @task
    def check_result(finished: Any) -> str:
        assert isinstance(finished, dict), finished
        return str(finished["taskId"])

    check_result(wait.output)
