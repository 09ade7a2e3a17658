"""Many videos, never more in flight than the TopView plan allows: an Airflow pool sized to the limit.

Shows how a fan-out of any size stays within TopView's concurrency limit without holding worker slots.
TopView runs a limited number of tasks at once per account (your plan's limit, which TopView does not
publish: the first 4007 answer shows you reached it) and answers a submit past that with 4007 ("an
unfinished task exists"). Here every generation is one submit-and-wait task
(``wait_for_completion=True, deferrable=True``) in the pool ``topview``, whose slots count deferred tasks
too (``include_deferred``). A task takes its pool slot before it submits and gives it back only when its
video is finished, waiting in the triggerer in between: so at most "slots" TopView tasks are ever in
flight, TopView never answers 4007, and no worker slot is held while a video renders. The other tasks of
the fan-out wait in the scheduler (state ``scheduled``), costing nothing.

Create the pool once, before the first run (slots = the plan's limit, minus whatever else uses the same
TopView account at the same time)::

    airflow pools set topview 8 "TopView: tasks one account runs at once" --include-deferred

Without ``--include-deferred`` the pool would count only the few seconds each task spends submitting,
and TopView's limit would be reached anyway. Needs a ``topview`` connection named ``topview_default``.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, task

from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.samples import sample_image

#: The pool that stands for the TopView account's concurrency limit (created with the command above).
TOPVIEW_POOL = "topview"

SAMPLES = [sample_image(name) for name in ("lighthouse_day.png", "paper_boat.png", "meadow.jpg")]

with DAG(
    dag_id="example_topview_pool",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
    params={
        "images": Param(
            SAMPLES,
            type="array",
            items={"type": "string", "minLength": 1},
            minItems=1,
            maxItems=500,
            description="Images to animate: local paths, http(s) URLs or object-storage paths.",
        ),
        "style": Param("slow dolly-in, soft morning light", type="string", minLength=1),
        "output_dir": Param("/tmp/topview-videos", type="string", minLength=1),
    },
) as dag:

    @task
    def list_images(**context: object) -> list[str]:
        params = context["params"]
        assert isinstance(params, dict)
        return [str(image) for image in params["images"]]

    uploads = UploadFileOperator.partial(task_id="upload").expand(source=list_images())
    # [START howto_topview_pool]
    # One pool slot per TopView task, held from the submit until the video is finished.
    generations = SubmitImageToVideoOperator.partial(
        task_id="generate",
        pool=TOPVIEW_POOL,
        pool_slots=1,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=10,
        timeout=60 * 60,
        model="seedance-1.5-pro",
        prompt="Image {{ ti.map_index + 1 }}: {{ params.style }}",
        resolution=720,
        duration=5,
    ).expand(first_frame_file_id=uploads.output)
    # [END howto_topview_pool]
    # The submit-and-wait task returns the TopView task id; the download fetches that task's videos.
    DownloadVideosOperator.partial(task_id="download", destination="{{ params.output_dir }}").expand(
        topview_task_id=generations.output
    )
