"""New videos as an Airflow asset: a generating DAG announces them, a publishing DAG runs on them.

Shows ``DownloadVideosOperator(outlets=[asset])``: every download emits one asset event whose ``extra``
says what was made (``topview_task_id``, ``model``, ``prompt``, ``cost_credit`` and the ``paths``
written). ``example_topview_publish`` is scheduled on that asset, so the scheduler starts it once new
videos land; it reads the events that triggered it from ``triggering_asset_events`` and never calls
TopView itself.

Needs a ``topview`` connection named ``topview_default``.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, Asset, Param, task

from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.samples import sample_image

# [START howto_topview_asset]
#: The campaign's new videos, as an asset other DAGs can be scheduled on.
CAMPAIGN_VIDEOS = Asset(name="topview_campaign_videos")
# [END howto_topview_asset]

SAMPLES = [sample_image(name) for name in ("lighthouse_day.png", "paper_boat.png")]

with DAG(
    dag_id="example_topview_assets",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
    params={
        "images": Param(SAMPLES, type="array", items={"type": "string", "minLength": 1}, minItems=1),
        "style": Param("slow pan, warm evening light", type="string", minLength=1),
        "output_dir": Param("/tmp/topview-campaign", type="string", minLength=1),
    },
):

    @task
    def list_images(**context: Any) -> list[str]:
        return [str(image) for image in context["params"]["images"]]

    uploads = UploadFileOperator.partial(task_id="upload").expand(source=list_images())
    generations = SubmitImageToVideoOperator.partial(
        task_id="generate",
        model="seedance-1.5-pro",
        prompt="Image {{ ti.map_index + 1 }}: {{ params.style }}",
        resolution=720,
        duration=5,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=5,
    ).expand(first_frame_file_id=uploads.output)
    # [START howto_topview_download_asset_events]
    # One asset event per download; model and prompt come from the submit that made the task.
    DownloadVideosOperator.partial(
        task_id="download", destination="{{ params.output_dir }}", outlets=[CAMPAIGN_VIDEOS]
    ).expand(topview_task_id=generations.output)
    # [END howto_topview_download_asset_events]


# [START howto_topview_publish_on_asset]
with DAG(
    dag_id="example_topview_publish",
    schedule=[CAMPAIGN_VIDEOS],
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
):

    @task
    def publish(**context: Any) -> list[dict[str, Any]]:
        """Whatever publishing means for you (a CMS upload, a message); this one lists what arrived."""
        published = []
        for event in context["triggering_asset_events"][CAMPAIGN_VIDEOS]:
            extra = event.extra
            for path in extra["paths"]:
                print(f"{path}: {extra['model']}, {extra['cost_credit']} credits, prompt {extra['prompt']!r}")
                published.append({"path": path, "topview_task_id": extra["topview_task_id"]})
        return published

    publish()
# [END howto_topview_publish_on_asset]
