"""Test DAGs: the submit operator as Airflow < 3.3 runs it, with no ``task_state_store`` in the context.

Everything else is real (Airflow's retries, the hook, the simulator): only the key that Airflow 3.3
added to a try's context is left out, which is exactly what older versions hand the operator.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

FIRST_FRAME = "{{ dag_run.conf['first'] }}"
RETRY_ONCE = {"retries": 1, "retry_delay": timedelta(0)}


class SubmitWithoutTaskStateStore(SubmitImageToVideoOperator):
    """The context of a try on Airflow < 3.3: the same keys, minus ``task_state_store``."""

    def execute(self, context: Any) -> str:
        older = {key: value for key, value in context.items() if key != "task_state_store"}
        return super().execute(older)  # type: ignore[arg-type]


# The first try submits and then times out waiting (the TopView task never finishes); Airflow retries.
with DAG("topview_no_store_retry_after_submit", schedule=None, default_args=RETRY_ONCE):
    SubmitWithoutTaskStateStore(
        task_id="submit",
        first_frame_file_id=FIRST_FRAME,
        wait_for_completion=True,
        poll_interval=10,
        timeout=0.3,
        hook_params={"retry_limit": 1, "timeout": 5},
    )

# The first try is cut off by execution_timeout while the submit's answer is in flight.
for choice in ("fail", "resubmit"):
    with DAG(f"topview_no_store_timeout_{choice}", schedule=None, default_args=RETRY_ONCE):
        SubmitWithoutTaskStateStore(
            task_id="submit",
            first_frame_file_id=FIRST_FRAME,
            execution_timeout=timedelta(seconds=2),
            on_uncertain_submit=choice,
            hook_params={"retry_limit": 2, "retry_delay": 0.01, "timeout": 30},
        )

# Deferrable, and TopView answers 4007 (busy): with nowhere to keep the busy state, it waits on the worker.
with DAG("topview_no_store_busy_deferrable", schedule=None):
    SubmitWithoutTaskStateStore(
        task_id="submit",
        first_frame_file_id=FIRST_FRAME,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=0.05,
        timeout=30,
        hook_params={"retry_limit": 2, "retry_delay": 0.05, "retry_max_delay": 0.2, "busy_timeout": 60},
    )
