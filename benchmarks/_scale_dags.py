"""DAG files of the deployment benchmarks, as text written into a temporary dags folder.

``SCALE_DAG``: DAGs of N mapped submit-and-wait tasks, one per variant of ``benchmarks/scale.py`` and size.
``TRIGGERER_DAG``: DAGs of N tasks in all that start in the triggerer (``start_from_trigger``) on an
``ImageToVideoTrigger`` each, for simulator tasks created beforehand (``benchmarks/triggerer_load.py``);
``TRIGGERER_WORKERS_DAG``: the same waits reached the ordinary way, N mapped tasks that defer at once.
"""

from __future__ import annotations

SCALE_DAG = '''"""DAGs of the scale benchmark (written by benchmarks/scale.py)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

TUNING: dict[str, Any] = {tuning!r}
# (DAG id suffix, N): the main runs and the runs with longer generations (same DAGs, fewer tasks).
SIZES = {sizes!r}


class ResumeOnWorkerSubmit(SubmitImageToVideoOperator):
    """The baseline: the wait's success resumes the task on a worker (``execute_complete`` in a second
    workload), as every deferrable submit-and-wait did before success was ended in the triggerer. The
    same call as the operator's own ``_defer_until_done``, without ``end_task``."""

    def _defer_until_done(self, topview_task_id: str, model: str, estimate: Any) -> None:
        from airflow_topview.triggers.image_to_video import defer_until_finished

        defer_until_finished(
            self,
            topview_task_id,
            timeout=self.timeout,
            topview_conn_id=self.topview_conn_id,
            poll_interval=self.poll_interval,
            hook_params=self.hook_params,
            end_task=None,
        )


for variant, operator, pool in (
    ("pool", SubmitImageToVideoOperator, "{pool}"),
    ("pool_resume", ResumeOnWorkerSubmit, "{pool}"),
    ("defer", SubmitImageToVideoOperator, None),
    ("pool_plus1", SubmitImageToVideoOperator, "{pool_plus1}"),
):
    for suffix, n in SIZES:
        with DAG(f"topview_scale_{{variant}}{{suffix}}", schedule=None, catchup=False):
            operator.partial(
                task_id="submit_and_wait",
                first_frame_file_id="{{{{ dag_run.conf['file_id'] }}}}",
                topview_conn_id=f"topview_scale_{{variant}}{{suffix}}",
                wait_for_completion=True,
                deferrable=True,
                timeout=900,
                **({{"pool": pool}} if pool else {{}}),
                **TUNING,
            ).expand(prompt=[f"scale benchmark video {{index}}" for index in range(n)])
'''

TRIGGERER_DAG = '''"""DAG of the triggerer benchmark (written by benchmarks/triggerer_load.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, BaseOperator
from airflow.triggers.base import StartTriggerArgs

TOPVIEW_TASK_IDS: list[str] = json.loads(Path({ids_path!r}).read_text())
POLL_INTERVAL = {poll_interval!r}
END_TIME = {end_time!r}


class WaitInTriggerer(BaseOperator):
    """Starts in the triggerer on an ImageToVideoTrigger (no worker runs before the wait)."""

    start_from_trigger = True

    def __init__(self, *, topview_task_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_trigger_args = StartTriggerArgs(
            trigger_cls={trigger_cls!r},
            trigger_kwargs={{
                "topview_task_id": topview_task_id,
                "end_time": END_TIME,
                "topview_conn_id": "topview_default",
                "poll_interval": POLL_INTERVAL,
            }},
            next_method="execute_complete",
            next_kwargs=None,
            timeout=None,
        )

    def execute_complete(self, context: Any, event: Any = None) -> Any:
        return event


# Several small DAGs rather than one of N tasks: a task that starts from the trigger carries its whole
# serialized DAG to the trigger runner, which deserializes it for every such trigger (see README).
for dag_index in range(0, len(TOPVIEW_TASK_IDS), {per_dag}):
    with DAG(f"topview_triggerer_load_{{dag_index // {per_dag}:03d}}", schedule=None, catchup=False):
        for index in range(dag_index, min(dag_index + {per_dag}, len(TOPVIEW_TASK_IDS))):
            WaitInTriggerer(task_id=f"wait_{{index:04d}}", topview_task_id=TOPVIEW_TASK_IDS[index])
'''

TRIGGERER_WORKERS_DAG = '''"""Triggerer benchmark, waits deferred by workers (benchmarks.triggerer_load)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, BaseOperator

TOPVIEW_TASK_IDS: list[str] = json.loads(Path({ids_path!r}).read_text())
POLL_INTERVAL = {poll_interval!r}


class DeferNow(BaseOperator):
    """Defers at once on an ImageToVideoTrigger, as SubmitImageToVideoOperator does after its submit."""

    def __init__(self, *, topview_task_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.topview_task_id = topview_task_id

    def execute(self, context: Any) -> None:
        from airflow_topview.triggers.image_to_video import defer_until_finished

        defer_until_finished(
            self,
            self.topview_task_id,
            timeout=3600,
            topview_conn_id="topview_default",
            poll_interval=POLL_INTERVAL,
            hook_params={{}},
        )

    def execute_complete(self, context: Any, event: Any = None) -> Any:
        return event


with DAG("topview_triggerer_workers", schedule=None, catchup=False, max_active_tasks=64):
    DeferNow.partial(task_id="wait").expand(topview_task_id=TOPVIEW_TASK_IDS)
'''
