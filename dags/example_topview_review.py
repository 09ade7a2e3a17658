"""Generate candidates, let a person pick the keepers in the Airflow UI, download only those.

Shows human review with Airflow's own Human-in-the-loop operator (``HITLOperator``, Airflow 3.1+): one
TopView task makes several candidate videos of one image (``generating_count``), waiting in the
triggerer; the review task then shows each candidate with its prompt, model, cost and a link to the
video, and waits (without a worker slot) until someone chooses in the UI ("Required actions") or
through the REST API. Only the chosen videos are downloaded, each named after its candidate
(``<TopView task id>_video2.mp4``), so a second review of the same run adds files and overwrites none.

Needs a ``topview`` connection named ``topview_default`` and Airflow 3.1 or later.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, Param, XComArg, task

from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.samples import sample_image

try:
    from airflow.providers.standard.operators.hitl import HITLOperator
except ImportError as missing:  # Airflow 3.0, or apache-airflow-providers-standard before 1.5
    raise ImportError(
        "example_topview_review needs Airflow 3.1 or later: its review step is Airflow's Human-in-the-loop "
        "operator (HITLOperator in apache-airflow-providers-standard >= 1.5), which this installation "
        f"does not have ({missing})"
    ) from None

#: How many candidate videos one TopView task makes (TopView allows 1 to 4); one review option each.
CANDIDATES = 3
OPTIONS = [f"Video {number}" for number in range(1, CANDIDATES + 1)]
SAMPLE = sample_image("lighthouse_day.png")

REVIEW_BODY = """\
{% set result = ti.xcom_pull(task_ids='generate', key='result') -%}
**Prompt:** {{ params.prompt }}

**Model:** {{ params.model }} · **Cost:** {{ result.costCredit }} credits for {{ result.videos | length }}
videos (estimated {{ 'at most ' if ti.xcom_pull(task_ids='generate', key='estimate_is_upper_bound') }}\
{{- ti.xcom_pull(task_ids='generate', key='estimated_credits') }}) · TopView task
`{{ ti.xcom_pull(task_ids='generate') }}`

| candidate | video | size |
|---|---|---|
{% for video in result.videos -%}
| Video {{ loop.index }} | [watch]({{ video.filePath }}) | {{ video.width }}x{{ video.height }} |
{% endfor %}
Choose the videos to keep; only those are downloaded.
"""

with DAG(
    dag_id="example_topview_review",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
    params={
        "image": Param(SAMPLE, type="string", minLength=1, description="The image to animate."),
        "prompt": Param("The lighthouse beam sweeps through drifting fog", type="string", minLength=1),
        "model": Param("seedance-1.5-pro", type="string", minLength=1),
        "output_dir": Param("/tmp/topview-videos", type="string", minLength=1),
    },
) as dag:
    upload = UploadFileOperator(task_id="upload", source="{{ params.image }}")
    generate = SubmitImageToVideoOperator(
        task_id="generate",
        first_frame_file_id=upload.output,
        model="{{ params.model }}",
        prompt="{{ params.prompt }}",
        generating_count=CANDIDATES,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=10,
    )
    # [START howto_topview_review]
    review = HITLOperator(
        task_id="review",
        subject="Which videos of '{{ params.prompt }}' should we keep?",
        body=REVIEW_BODY,
        options=OPTIONS,
        multiple=True,
        execution_timeout=timedelta(days=3),  # no answer in three days: the task fails, nothing is kept
    )

    @task
    def keep_chosen(result: dict[str, Any], answer: dict[str, Any]) -> list[dict[str, Any]]:
        """One download per chosen video, named after its candidate (``<task id>_video2.mp4``).

        A candidate keeps its name however often the run is reviewed: choosing another video after a
        clear adds a file, never overwrites the one kept before.
        """
        chosen = sorted(OPTIONS.index(option) for option in answer["chosen_options"])
        print(f"Keeping {len(chosen)} of {len(result['videos'])} videos:", [OPTIONS[i] for i in chosen])
        return [
            {
                "task_result": {**result, "videos": [result["videos"][index]]},
                "filename_template": f"{{topview_task_id}}_video{index + 1}.mp4",
            }
            for index in chosen
        ]

    generate >> review  # the review's body reads the finished task from XCom
    # The submit-and-wait task returns the TopView task id; the finished task is its XCom "result".
    kept = keep_chosen(XComArg(generate, key="result"), review.output)
    DownloadVideosOperator.partial(task_id="download", destination="{{ params.output_dir }}").expand_kwargs(
        kept
    )
    # [END howto_topview_review]
