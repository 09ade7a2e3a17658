"""Fan-out: one prompt over a list of images, one video per image, all downloads collected at the end.

Shows dynamic task mapping through the whole chain, one mapped task instance per image:
``UploadFileOperator`` -> ``SubmitImageToVideoOperator`` -> ``ImageToVideoSensor`` (deferrable) ->
``DownloadVideosOperator``, each ``.partial(...).expand(...)`` over the previous task's output; then one
task gathers every written path. The list of images comes from the ``images`` param (edit it in the
trigger form or pass ``{"images": [...]}`` as conf); the prompt is a template rendered per image.

Needs a ``topview`` connection named ``topview_default``.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, task

from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.samples import sample_image
from airflow_topview.sensors.image_to_video import ImageToVideoSensor

SAMPLES = [sample_image(name) for name in ("lighthouse_day.png", "paper_boat.png", "meadow.jpg")]

with DAG(
    dag_id="example_topview_fan_out",
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
            maxItems=20,
            description="Images to animate: local paths, http(s) URLs or object-storage paths.",
        ),
        "style": Param("gentle handheld camera, golden hour light", type="string", minLength=1),
        "output_dir": Param("/tmp/topview-videos", type="string", minLength=1),
    },
) as dag:

    @task
    def list_images(**context: object) -> list[str]:
        params = context["params"]
        assert isinstance(params, dict)
        return [str(image) for image in params["images"]]

    @task
    def collect(paths_per_image: list[list[str]]) -> list[str]:
        videos = [path for paths in paths_per_image for path in paths]
        print(f"{len(videos)} video(s) downloaded:", *videos, sep="\n  ")
        return videos

    uploads = UploadFileOperator.partial(task_id="upload").expand(source=list_images())
    submits = SubmitImageToVideoOperator.partial(
        task_id="submit",
        model="seedance-1.5-pro",
        prompt="Bring image {{ ti.map_index + 1 }} to life: {{ params.style }}",
        resolution=720,
        duration=5,
    ).expand(first_frame_file_id=uploads.output)
    waits = ImageToVideoSensor.partial(
        task_id="wait_for_video", deferrable=True, poke_interval=4, max_poll_interval=15, timeout=30 * 60
    ).expand(topview_task_id=submits.output)
    downloads = DownloadVideosOperator.partial(
        task_id="download_videos", destination="{{ params.output_dir }}"
    ).expand(task_result=waits.output)
    collect(downloads.output)
