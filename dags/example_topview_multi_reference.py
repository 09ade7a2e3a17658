"""Multi-reference: several images (a character, a scene) guide one video, no first frame.

Shows: a mapped ``UploadFileOperator`` (``.partial().expand(source=[...])``) whose list of file ids feeds
``reference_image_file_ids`` directly (``upload.output``); a reference-video model
(``kling-v3-reference-video``) with an aspect ratio; ``DownloadVideosOperator`` given only the
``topview_task_id``, so it queries the finished task itself, and a ``filename_template``.

Needs a ``topview`` connection named ``topview_default``.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param

from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.samples import sample_image

with DAG(
    dag_id="example_topview_multi_reference",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
    params={
        "prompt": Param(
            "The fox from the first image trots through the flower meadow of the second image",
            type="string",
            minLength=1,
        ),
        "output_dir": Param("/tmp/topview-videos", type="string", minLength=1),
    },
) as dag:
    references = UploadFileOperator.partial(task_id="upload_references").expand(
        source=[sample_image("fox.png"), sample_image("meadow.jpg")]
    )
    submit = SubmitImageToVideoOperator(
        task_id="submit",
        model="kling-v3-reference-video",
        reference_image_file_ids=references.output,
        prompt="{{ params.prompt }}",
        aspect_ratio="16:9",
        resolution=720,
        duration=5,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=10,
        timeout=30 * 60,
    )
    DownloadVideosOperator(
        task_id="download_videos",
        topview_task_id=submit.output,
        destination="{{ params.output_dir }}",
        filename_template="multi_reference_{topview_task_id}_{index}.mp4",
    )
