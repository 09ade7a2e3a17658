"""Brief -> video: one Text-to-Video clip per line of a brief, approved by a person, then downloaded.

Shows ``SubmitTextToVideoOperator`` (no source image: the prompt is the whole input) mapped over the
brief's lines, priced first by ``RunBudgetOperator``, waiting in the triggerer, and a review with Airflow's
Human-in-the-loop ``ApprovalOperator`` (Airflow 3.1+): its page lists each clip with its prompt, cost
and a link; "Approve" downloads them all, "Reject" skips the download. The download needs no task type:
it reads it from the submit upstream.

Needs a ``topview`` connection named ``topview_default`` and Airflow 3.1 or later.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_topview.operators.budget import RunBudgetOperator
from airflow_topview.operators.files import DownloadVideosOperator
from airflow_topview.operators.text_to_video import SubmitTextToVideoOperator

try:
    from airflow.providers.standard.operators.hitl import ApprovalOperator
except ImportError as missing:  # Airflow 3.0, or apache-airflow-providers-standard before 1.5
    raise ImportError(
        "example_topview_brief_to_video needs Airflow 3.1 or later: its review step is Airflow's "
        f"Human-in-the-loop ApprovalOperator, which this installation does not have ({missing})"
    ) from None

BRIEF = [
    "A paper boat drifts across a rain puddle, close-up, soft daylight",
    "A lighthouse beam sweeps through drifting fog at night",
]

REVIEW_BODY = """\
{% set results = ti.xcom_pull(task_ids='generate', key='result') -%}
| prompt | cost | clip |
|---|---|---|
{% for result in results -%}
{% set link = result.videos[0].filePath -%}
| {{ params.brief[loop.index0] }} | {{ result.costCredit }} credits | [watch]({{ link }}) |
{% endfor %}
Approve to download every clip; reject to keep none.
"""

with DAG(
    dag_id="example_topview_brief_to_video",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
    params={
        "brief": Param(BRIEF, type="array", items={"type": "string", "minLength": 1}, minItems=1),
        "model": Param("Seedance 1.5 Pro", type="string", minLength=1),
        "duration": Param(5, type="integer", enum=[4, 5, 6, 8, 10, 12]),
        "max_credits": Param(10, type="number", minimum=0, description="Most this run may spend."),
        "output_dir": Param("/tmp/topview-videos", type="string", minLength=1),
    },
):

    @task
    def brief_lines(**context: Any) -> list[str]:
        return [str(line) for line in context["params"]["brief"]]

    # [START howto_topview_text_to_video]
    prompts = brief_lines()
    budget = RunBudgetOperator(
        task_id="budget",
        max_credits="{{ params.max_credits }}",
        videos=prompts,  # one clip per line of the brief
        model="{{ params.model }}",
        duration="{{ params.duration }}",
        resolution=720,
    )
    generate = SubmitTextToVideoOperator.partial(
        task_id="generate",
        model="{{ params.model }}",
        aspect_ratio="16:9",
        resolution=720,
        duration="{{ params.duration }}",
        run_budget=budget.output,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=10,
    ).expand(prompt=prompts)
    budget >> generate
    review = ApprovalOperator(
        task_id="review",
        subject="Keep the {{ params.brief | length }} clips of this brief?",
        body=REVIEW_BODY,
        response_timeout=timedelta(days=3),  # no answer in three days: nothing is downloaded
    )
    generate >> review
    download = DownloadVideosOperator.partial(
        task_id="download", destination="{{ params.output_dir }}"
    ).expand(topview_task_id=generate.output)
    review >> download
    # [END howto_topview_text_to_video]
