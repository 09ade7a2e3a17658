"""Product shots -> consistent clips: upload the shots once, then one Omni Reference clip per scene.

Shows ``SubmitOmniReferenceOperator``, TopView's path for keeping a product or character the same across
clips: every scene's prompt names the uploaded shots as ``<<<Product1>>>``, ``<<<Product2>>>``, ... and
the same references go to each submit. The names are checked before anything is paid (every
placeholder names a reference, no name twice, at most 9 images). ``RunBudgetOperator`` prices the scenes
first; the clips are downloaded when they are done.

Needs a ``topview`` connection named ``topview_default``.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_topview.operators.budget import RunBudgetOperator
from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.omni_reference import SubmitOmniReferenceOperator
from airflow_topview.samples import sample_image

SHOTS = [sample_image(name) for name in ("paper_boat.png", "fox.png")]
SCENES = [
    "<<<Product1>>> floats past <<<Product2>>> on a calm lake at dawn",
    "<<<Product2>>> sniffs <<<Product1>>> on a wooden jetty, close-up",
]

with DAG(
    dag_id="example_topview_product_shots",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
    params={
        "shots": Param(SHOTS, type="array", items={"type": "string", "minLength": 1}, minItems=1, maxItems=9),
        "scenes": Param(SCENES, type="array", items={"type": "string", "minLength": 1}, minItems=1),
        "model": Param("Fast", type="string", enum=["Standard", "Fast"]),
        "duration": Param(5, type="integer", minimum=4, maximum=15),
        "max_credits": Param(20, type="number", minimum=0, description="Most this run may spend."),
        "output_dir": Param("/tmp/topview-videos", type="string", minLength=1),
    },
):

    @task
    def shots(**context: Any) -> list[str]:
        return [str(shot) for shot in context["params"]["shots"]]

    @task
    def scenes(**context: Any) -> list[str]:
        return [str(scene) for scene in context["params"]["scenes"]]

    # [START howto_topview_omni_reference]
    @task
    def references(file_ids: list[str]) -> list[dict[str, str]]:
        """Each uploaded shot under the name the prompts use: Product1, Product2, ..."""
        return [
            {"file_id": file_id, "name": f"Product{number}"} for number, file_id in enumerate(file_ids, 1)
        ]

    scene_prompts = scenes()
    budget = RunBudgetOperator(
        task_id="budget",
        max_credits="{{ params.max_credits }}",
        videos=scene_prompts,  # one clip per scene
        model="{{ params.model }}",
        duration="{{ params.duration }}",
        resolution=720,
    )
    uploads = UploadFileOperator.partial(task_id="upload").expand(source=shots())
    budget >> uploads  # nothing is uploaded when the run is over budget
    clips = SubmitOmniReferenceOperator.partial(
        task_id="generate",
        model="{{ params.model }}",
        input_images=references(uploads.output),
        aspect_ratio="16:9",
        resolution=720,
        duration="{{ params.duration }}",
        run_budget=budget.output,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=10,
    ).expand(prompt=scene_prompts)
    DownloadVideosOperator.partial(task_id="download", destination="{{ params.output_dir }}").expand(
        topview_task_id=clips.output
    )
    # [END howto_topview_omni_reference]
