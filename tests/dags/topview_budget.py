"""Test DAG: submits held to a run budget's approval (count by map index, price per video)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, task

from airflow_topview.operators.budget import RunBudgetOperator, RunCostReportOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

with DAG("topview_test_run_budget", schedule=None, render_template_as_native_obj=True):

    @task
    def images(**context: Any) -> list[str]:
        return list(context["dag_run"].conf["images"])

    budget = RunBudgetOperator(
        task_id="budget",
        max_credits=100,
        videos="{{ dag_run.conf['approve'] }}",
        model="seedance-1.5-pro",
        duration=5,
        resolution=720,
    )
    generations = SubmitImageToVideoOperator.partial(
        task_id="generate",
        model="seedance-1.5-pro",
        duration="{{ dag_run.conf['duration'] }}",
        resolution=720,
        run_budget=budget.output,
        hook_params={"retry_limit": 2, "retry_delay": 0.01, "timeout": 5},
    ).expand(first_frame_file_id=images())
    report = RunCostReportOperator(task_id="cost_report", budget_task_id="budget", trigger_rule="all_done")
    generations >> report

with DAG("topview_test_run_budget_shared", schedule=None):
    shared = RunBudgetOperator(task_id="budget", max_credits=100, videos=1, duration=5, resolution=720)
    for name in ("first", "second"):  # two submit tasks, one approval for one video: refused up front
        SubmitImageToVideoOperator(
            task_id=name, first_frame_file_id="f", duration=5, resolution=720, run_budget=shared.output
        )

with DAG("topview_test_run_budget_missing", schedule=None):
    # The approval never reaches XCom (as when a failed budget task is marked success by hand).
    silent = RunBudgetOperator(task_id="budget", max_credits=100, videos=2, do_xcom_push=False)
    SubmitImageToVideoOperator.partial(task_id="generate", run_budget=silent.output).expand(
        first_frame_file_id=["f1", "f2"]
    )

# The approval of 2 videos travels another way than budget.output, to two mapped submit tasks of 2 each.
with DAG("topview_test_run_budget_relayed", schedule=None, render_template_as_native_obj=True):
    approved = RunBudgetOperator(task_id="budget", max_credits=100, videos=2, duration=5, resolution=720)

    @task
    def relay(approval: Any) -> Any:
        return approval

    relayed = relay(approved.output)
    for name in ("first", "second"):
        SubmitImageToVideoOperator.partial(
            task_id=name, duration=5, resolution=720, run_budget=relayed
        ).expand(first_frame_file_id=["f1", "f2"])

with DAG("topview_test_run_budget_templated", schedule=None, render_template_as_native_obj=True):
    approved = RunBudgetOperator(task_id="budget", max_credits=100, videos=2, duration=5, resolution=720)
    for name in ("first", "second"):
        submits = SubmitImageToVideoOperator.partial(
            task_id=name,
            duration=5,
            resolution=720,
            run_budget="{{ ti.xcom_pull(task_ids='budget') }}",
        ).expand(first_frame_file_id=["f1", "f2"])
        approved >> submits
