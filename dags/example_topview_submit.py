"""Submit one TopView Image-to-Video task from an image you already uploaded, then wait for it.

Shows: every body parameter templated from ``Param``s, so the Airflow UI's trigger form asks for them;
the TopView task id lands in XCom (``return_value`` and ``task_id``) and feeds ``ImageToVideoSensor``,
which waits in reschedule mode (no worker slot held between checks) and returns the finished task.
Needs a ``topview`` connection named ``topview_default``.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param

from airflow_topview.operators.image_to_video import SubmitImageToVideoOperator
from airflow_topview.sensors.image_to_video import ImageToVideoSensor

with DAG(
    dag_id="example_topview_submit",
    schedule=None,
    catchup=False,
    tags=["example", "topview"],
    params={
        "first_frame_file_id": Param(type="string", minLength=1, description="TopView file id of the image"),
        "prompt": Param("A slow camera push-in, soft morning light", type="string"),
        "model": Param("seedance-1.5-pro", type="string"),
        "resolution": Param(720, type="integer", enum=[480, 540, 720, 768, 1080, 2160]),
        "duration": Param(5, type="integer", minimum=1, maximum=30),
        "sound": Param("off", type="string", enum=["on", "off"]),
    },
) as dag:
    submit = SubmitImageToVideoOperator(
        task_id="submit_video",
        model="{{ params.model }}",
        first_frame_file_id="{{ params.first_frame_file_id }}",
        prompt="{{ params.prompt }}",
        resolution="{{ params.resolution }}",
        duration="{{ params.duration }}",
        sound="{{ params.sound }}",
    )
    # [START howto_topview_sensor_reschedule]
    ImageToVideoSensor(
        task_id="wait_for_video",
        topview_task_id=submit.output,
        mode="reschedule",
        poke_interval=5,
        timeout=30 * 60,
    )
    # [END howto_topview_sensor_reschedule]
