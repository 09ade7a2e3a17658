"""Image to video, end to end: upload a local image, generate a video from it, download the MP4.

Shows the whole round trip with the provider's four building blocks:

1. ``UploadFileOperator`` uploads ``image`` (a local path: by default a sample image installed with the
   provider, ``airflow_topview.samples``, so this file runs wherever it is copied; an http(s) URL or an
   object-storage path such as ``s3://aws_default@bucket/key.png`` works the same) and returns its TopView
   file id;
2. ``SubmitImageToVideoOperator`` submits one Image-to-Video V2 task with that image as first frame;
3. ``ImageToVideoSensor`` waits in the triggerer (``deferrable=True``: no worker slot is held), polling
   every 4 s at first and every 15 s at most;
4. ``DownloadVideosOperator`` streams each video to ``output_dir`` as ``{topview_task_id}_{index}.mp4`` and
   returns the paths.

Needs a ``topview`` connection named ``topview_default``. ``make demo`` runs this DAG with
``airflow dags test`` against the bundled simulator; pointed at the real API it makes a real video.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param

from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.samples import sample_image
from airflow_topview.sensors.image_to_video import ImageToVideoSensor

with DAG(
    dag_id="example_topview_image_to_video",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
    params={
        "image": Param(
            sample_image("lighthouse_day.png"),
            type="string",
            minLength=1,
            description="The first frame: a local path, an http(s) URL or an object-storage path.",
        ),
        "prompt": Param(
            "Waves roll in under a clear sky while the camera slowly circles the lighthouse",
            type="string",
            minLength=1,
            maxLength=2000,
        ),
        "output_dir": Param(
            "/tmp/topview-videos",
            type="string",
            minLength=1,
            description="Folder or object-storage prefix the videos are written to.",
        ),
    },
) as dag:
    # [START howto_topview_image_to_video]
    upload = UploadFileOperator(task_id="upload_image", source="{{ params.image }}")
    submit = SubmitImageToVideoOperator(
        task_id="submit",
        model="seedance-1.5-pro",
        first_frame_file_id=upload.output,
        prompt="{{ params.prompt }}",
        resolution=720,
        duration=5,
    )
    wait = ImageToVideoSensor(
        task_id="wait_for_video",
        topview_task_id=submit.output,
        deferrable=True,
        poke_interval=4,
        max_poll_interval=15,
        timeout=30 * 60,
    )
    DownloadVideosOperator(
        task_id="download_videos",
        task_result=wait.output,
        destination="{{ params.output_dir }}",
    )
    # [END howto_topview_image_to_video]
