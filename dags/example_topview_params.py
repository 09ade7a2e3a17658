"""Parameters with validation: the trigger form (or ``dag_run.conf``) decides what is generated.

Shows: typed, validated ``Param``s (enums, ranges, lengths, a boolean), which the UI renders as a
trigger form and Airflow checks when a run is triggered, from the form or from ``dag_run.conf``;
templated operator fields reading them (``{{ params.* }}``; a boolean Param rendered as text works
for ``sound``); a ``filename_template`` mixing Jinja (``{{ dag_run.run_after | ds }}``: every run has
``run_after``, while runs triggered from the UI or the REST API have no ``ds``) with the operator's own
placeholders (``{topview_task_id}``, ``{index}``). The form offers the default model's durations; the
first task, a ``RunBudgetOperator``, checks the form's combination against the model's known
capabilities (for example a duration another model does not offer) and its estimated cost against
``max_credits`` before the image is uploaded or anything is paid for; the submit then refuses to pay
for more than that task approved.

Trigger it from the UI form, or from the CLI::

    airflow dags trigger example_topview_params -c '{"model": "kling-v3", "duration": 10, "sound": true}'

Needs a ``topview`` connection named ``topview_default``.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param

from airflow_topview.operators.budget import RunBudgetOperator
from airflow_topview.operators.files import DownloadVideosOperator, UploadFileOperator
from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.samples import sample_image

with DAG(
    dag_id="example_topview_params",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["example", "topview"],
    params={
        "image": Param(
            sample_image("paper_boat.png"),
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
        # The default model's durations (Seedance 1.5 Pro: 4 to 12 s, from the packaged model table), so the
        # form never offers one it refuses; other models' are checked before the submit pays.
        "duration": Param(
            5,
            type="integer",
            minimum=4,
            maximum=12,
            title="Duration (seconds)",
            description="4 to 12 s. Some models take only some: Veo 3.1 Fast 4, 6 or 8; Wan 2.6 5 or 10.",
        ),
        "sound": Param(False, type="boolean", title="Generate sound"),
        "generating_count": Param(1, type="integer", minimum=1, maximum=4, title="Videos to generate"),
        "max_credits": Param(
            10,
            type="number",
            minimum=0,
            title="Most credits to spend",
            description="The run stops before uploading when the model table's estimate is higher.",
        ),
        "output_dir": Param(
            "/tmp/topview-videos",
            type="string",
            minLength=1,
            title="Output folder",
            description="Local folder or object-storage prefix.",
        ),
    },
) as dag:
    # The form's values, checked together before any upload: the model's durations, resolutions and
    # sound, and the estimate against max_credits (the submit below is the one it approves).
    check = RunBudgetOperator(
        task_id="check_and_price",
        max_credits="{{ params.max_credits }}",
        videos=1,
        model="{{ params.model }}",
        duration="{{ params.duration }}",
        resolution="{{ params.resolution }}",
        sound="{{ params.sound }}",
        generating_count="{{ params.generating_count }}",
    )
    upload = UploadFileOperator(task_id="upload_image", source="{{ params.image }}")
    check >> upload
    submit = SubmitImageToVideoOperator(
        task_id="submit",
        model="{{ params.model }}",
        first_frame_file_id=upload.output,
        prompt="{{ params.prompt }}",
        resolution="{{ params.resolution }}",
        duration="{{ params.duration }}",
        sound="{{ params.sound }}",  # a boolean Param rendered as text ("True"/"False") is on/off
        generating_count="{{ params.generating_count }}",
        run_budget=check.output,
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
