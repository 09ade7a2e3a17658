"""Parameters with validation: the trigger form (or ``dag_run.conf``) decides what is generated.

Shows: typed, validated ``Param``s (enums, ranges, lengths, a boolean), which the UI renders as a
trigger form and Airflow checks when a run is triggered, from the form or from ``dag_run.conf``;
templated operator fields reading them (``{{ params.* }}``; a boolean Param rendered as text works
for ``sound``); a ``filename_template`` mixing Jinja (``{{ dag_run.run_after | ds }}``: every run has
``run_after``, while runs triggered from the UI or the REST API have no ``ds``) with the operator's own
placeholders (``{topview_task_id}``, ``{index}``). The submit operator checks the combination against
the model's known capabilities (for example a duration the model does not offer) before anything is paid for.

Trigger it from the UI form, or from the CLI::

    airflow dags trigger example_topview_params -c '{"model": "kling-v3", "duration": 10, "sound": true}'

Needs a ``topview`` connection named ``topview_default``.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import DAG, Param

from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator

ASSETS = Path(__file__).resolve().parent / "assets"

with DAG(
    dag_id="example_topview_params",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
    params={
        "image": Param(
            str(ASSETS / "paper_boat.png"),
            type="string",
            minLength=1,
            title="Image",
            description="First frame: a local path, an http(s) URL or an object-storage path.",
        ),
        "prompt": Param(
            "A paper boat drifts across a calm pond, ripples spreading",
            type="string",
            minLength=1,
            maxLength=2000,
            title="Prompt",
        ),
        "model": Param(
            "seedance-1.5-pro",
            type="string",
            enum=["seedance-1.5-pro", "kling-v3", "kling-o3", "veo-3.1-fast", "wan-2.6"],
            title="Model",
        ),
        "resolution": Param(720, type="integer", enum=[720, 1080], title="Resolution"),
        "duration": Param(5, type="integer", minimum=3, maximum=15, title="Duration (seconds)"),
        "sound": Param(False, type="boolean", title="Generate sound"),
        "generating_count": Param(1, type="integer", minimum=1, maximum=4, title="Videos to generate"),
        "output_dir": Param(
            "/tmp/topview-videos",
            type="string",
            minLength=1,
            title="Output folder",
            description="Local folder or object-storage prefix.",
        ),
    },
) as dag:
    upload = UploadFileOperator(task_id="upload_image", source="{{ params.image }}")
    submit = SubmitImageToVideoOperator(
        task_id="submit",
        model="{{ params.model }}",
        first_frame_file_id=upload.output,
        prompt="{{ params.prompt }}",
        resolution="{{ params.resolution }}",
        duration="{{ params.duration }}",
        sound="{{ params.sound }}",  # a boolean Param rendered as text ("True"/"False") is on/off
        generating_count="{{ params.generating_count }}",
        wait_for_completion=True,
        deferrable=True,
        poll_interval=10,
        timeout=30 * 60,
    )
    DownloadVideosOperator(
        task_id="download_videos",
        topview_task_id=submit.output,
        destination="{{ params.output_dir }}",
        filename_template="{{ dag_run.run_after | ds }}_{topview_task_id}_{index}.mp4",
    )
