"""First and last frame: a video that starts on one image and ends on another.

Shows: two ``UploadFileOperator`` tasks feeding ``first_frame_file_id`` and ``end_frame_file_id``;
``SubmitImageToVideoOperator`` with ``wait_for_completion=True, deferrable=True``, so it submits on the
worker and then waits in the triggerer (no sensor needed); ``DownloadVideosOperator`` reading the finished
task from the submit's ``result`` XCom (``XComArg(submit, key="result")``).

Needs a ``topview`` connection named ``topview_default``.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, XComArg

from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.samples import sample_image

with DAG(
    dag_id="example_topview_first_last_frame",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
    params={
        "first_image": Param(sample_image("lighthouse_day.png"), type="string", minLength=1),
        "last_image": Param(sample_image("lighthouse_night.png"), type="string", minLength=1),
        "prompt": Param(
            "Time-lapse from a sunny afternoon to a starry night, the lighthouse lamp switches on",
            type="string",
            minLength=1,
        ),
        "output_dir": Param("/tmp/topview-videos", type="string", minLength=1),
    },
) as dag:
    first = UploadFileOperator(task_id="upload_first_frame", source="{{ params.first_image }}")
    last = UploadFileOperator(task_id="upload_last_frame", source="{{ params.last_image }}")
    submit = SubmitImageToVideoOperator(
        task_id="submit",
        model="kling-v3",
        first_frame_file_id=first.output,
        end_frame_file_id=last.output,
        prompt="{{ params.prompt }}",
        resolution=720,
        duration=5,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=10,
        timeout=30 * 60,
    )
    DownloadVideosOperator(
        task_id="download_videos",
        task_result=XComArg(submit, key="result"),
        destination="{{ params.output_dir }}",
    )
