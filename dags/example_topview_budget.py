"""A budget for the whole run: price the fan-out before the first submit, report the charge at the end.

Shows ``RunBudgetOperator`` and ``RunCostReportOperator``: the budget task counts the images, prices one
video with the model catalog (the same estimate ``max_credits`` uses), and fails the run before anything
is uploaded or paid when the total is above ``max_credits`` or above the credits left on the account.
Every submit gets the approval (``run_budget=budget.output``) and refuses to pay beyond it. The report
task sums the ``costCredit`` TopView charged for every submit, beside the estimate (log and XCom), even
when some submits failed.

Needs a ``topview`` connection named ``topview_default``.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_topview.operators.budget import RunBudgetOperator, RunCostReportOperator
from airflow_topview.operators.files import UploadFileOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.samples import sample_image

SAMPLES = [sample_image(name) for name in ("lighthouse_day.png", "paper_boat.png", "meadow.jpg")]

with DAG(
    dag_id="example_topview_budget",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
    params={
        "images": Param(SAMPLES, type="array", items={"type": "string", "minLength": 1}, minItems=1),
        "max_credits": Param(10, type="number", minimum=0, description="Most this run may spend."),
        "model": Param("seedance-1.5-pro", type="string", minLength=1),
        "duration": Param(5, type="integer", minimum=1),
    },
):

    @task
    def list_images(**context: Any) -> list[str]:
        return [str(image) for image in context["params"]["images"]]

    # [START howto_topview_budget]
    images = list_images()
    budget = RunBudgetOperator(
        task_id="budget",
        max_credits="{{ params.max_credits }}",
        videos=images,  # the list the submits are mapped over: one video each
        model="{{ params.model }}",
        duration="{{ params.duration }}",
        resolution=720,
        check_balance=True,
    )
    uploads = UploadFileOperator.partial(task_id="upload").expand(source=images)
    budget >> uploads  # nothing is uploaded when the run is over budget
    generations = SubmitImageToVideoOperator.partial(
        task_id="generate",
        model="{{ params.model }}",
        prompt="A calm, slow camera move",
        duration="{{ params.duration }}",
        resolution=720,
        run_budget=budget.output,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=5,
    ).expand(first_frame_file_id=uploads.output)
    report = RunCostReportOperator(task_id="cost_report", budget_task_id="budget", trigger_rule="all_done")
    generations >> report
    # [END howto_topview_budget]
