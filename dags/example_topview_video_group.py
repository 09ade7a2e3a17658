"""Two clips, one call each: ``topview_video_group`` builds upload -> submit -> wait -> download.

Shows the helper for the chain nearly every TopView DAG repeats. Each call builds a task group of
ordinary tasks, so the UI still shows every step with its own log, retries and XCom, and each step
checks its input as the operator does alone:

- ``lighthouse``: Image-to-Video from ``image`` (by default a sample image installed with the provider,
  ``airflow_topview.samples``, so this file runs wherever it is copied): ``lighthouse.upload_first_frame``,
  ``lighthouse.submit``, ``lighthouse.wait`` (deferrable: no worker slot while TopView works) and
  ``lighthouse.download``;
- ``opening``: Text-to-Video from words alone, so no upload task: ``opening.submit``, ``opening.wait``,
  ``opening.download``.

Keywords such as ``prompt`` and ``duration`` go to the submit as its body; each task's other arguments go
in ``upload_kwargs``, ``submit_kwargs``, ``wait_kwargs`` or ``download_kwargs``. ``list_videos`` reads
each group's ``output``, the paths its download wrote.

Needs a ``topview`` connection named ``topview_default``.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, task

from airflow_topview.operators.video_group import topview_video_group
from airflow_topview.samples import sample_image

with DAG(
    dag_id="example_topview_video_group",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
    params={
        "image": Param(
            sample_image("lighthouse_day.png"),
            type="string",
            minLength=1,
            description="The lighthouse clip's first frame: a local path, an http(s) URL or a storage path.",
        ),
        "output_dir": Param(
            "/tmp/topview-videos",
            type="string",
            minLength=1,
            description="Folder or object-storage prefix the videos are written to.",
        ),
    },
):
    # [START howto_topview_video_group]
    lighthouse = topview_video_group(
        "lighthouse",
        task_type="image2video",
        first_frame="{{ params.image }}",
        model="seedance-1.5-pro",
        prompt="Waves roll in under a clear sky while the camera slowly circles the lighthouse",
        resolution=720,
        duration=5,
        destination="{{ params.output_dir }}",
        wait_kwargs={"poke_interval": 4, "max_poll_interval": 15, "timeout": 30 * 60},
        download_kwargs={"retries": 2},
    )
    opening = topview_video_group(
        "opening",
        task_type="text2video",
        model="Standard",
        prompt="Dawn over a rocky coast, a lighthouse on the horizon, a slow aerial approach",
        aspect_ratio="16:9",
        resolution=720,
        duration=5,
        destination="{{ params.output_dir }}",
        submit_kwargs={"max_credits": 10},
    )

    @task
    def list_videos(opening: list[str], lighthouse: list[str]) -> list[str]:
        """The clips in the order they will be edited together."""
        return [*opening, *lighthouse]

    list_videos(opening.output, lighthouse.output)
    # [END howto_topview_video_group]
