"""topview_video_group: real DAG runs against the simulator for each task type, and its parse-time errors."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.samples import sample_image
from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner, DagRunResult

pytestmark = pytest.mark.dag

DAY, NIGHT = sample_image("lighthouse_day.png"), sample_image("lighthouse_night.png")
FOX, BOAT = sample_image("fox.png"), sample_image("paper_boat.png")


def group_task_ids(dag_runner: DagRunner, dag_id: str, group_id: str) -> list[str]:
    """The ids of the tasks in the group, in the order the factory built them."""
    group = dag_runner.dag(dag_id).task_group_dict[group_id]
    return [task.task_id for task in group]


def uploaded(sim: TopviewSimulator, file_id: str) -> int:
    """Size of the file TopView received under ``file_id``."""
    return sim.files[file_id].size


def assert_downloaded(result: DagRunResult, task_id: str, folder: Path, names: list[str]) -> list[str]:
    paths = result.xcom(task_id)
    assert [Path(path).name for path in paths] == names
    assert all(Path(path).parent == folder and Path(path).read_bytes()[4:8] == b"ftyp" for path in paths)
    return list(paths)


def test_image_to_video_uploads_both_frames_submits_once_waits_and_downloads(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    ids = ["frames.upload_first_frame", "frames.upload_end_frame", "frames.submit", "frames.wait"]
    assert group_task_ids(dag_runner, "topview_video_group_i2v", "frames") == [*ids, "frames.download"]
    result = dag_runner.run(
        "topview_video_group_i2v", conf={"first": DAY, "last": NIGHT, "folder": str(tmp_path)}
    )
    assert result.state == "success", result.log[-4000:]
    assert {task_id for task_id, _ in result.task_states} == {"start", *ids, "frames.download", "collect"}
    first, last = result.xcom("frames.upload_first_frame"), result.xcom("frames.upload_end_frame")
    assert (uploaded(sim, first), uploaded(sim, last)) == (
        Path(DAY).stat().st_size,
        Path(NIGHT).stat().st_size,
    )
    assert [entry.json for entry in sim.requests_to("submit")] == [
        {
            "model": "Kling V3",
            "firstFrameFileId": first,
            "endFrameFileId": last,
            "prompt": "a lighthouse from day to night",
            "resolution": 720,
            "duration": 5,
        }
    ]
    [topview_task_id] = sim.tasks
    assert result.xcom("frames.submit") == topview_task_id
    assert result.xcom("frames.wait")["taskId"] == topview_task_id
    paths = assert_downloaded(result, "frames.download", tmp_path, [f"frames_{topview_task_id}_0.mp4"])
    assert result.xcom("collect") == paths  # group.output, read by the task after the group


def test_each_task_takes_its_own_arguments_and_the_group_chains_as_one_node(dag_runner: DagRunner) -> None:
    dag = dag_runner.dag("topview_video_group_i2v")
    task = dag.get_task
    assert task("frames.upload_first_frame").upstream_task_ids == {"start"}
    assert task("frames.upload_end_frame").upstream_task_ids == {"start"}
    assert task("frames.submit").upstream_task_ids == {"frames.upload_first_frame", "frames.upload_end_frame"}
    assert task("collect").upstream_task_ids == {"frames.download"}
    # default_args of the group, overridden for the uploads by upload_kwargs.
    assert [
        task(f"frames.{name}").retries for name in ("upload_first_frame", "submit", "wait", "download")
    ] == [
        2,
        1,
        1,
        1,
    ]
    assert task("frames.submit").max_credits == 10
    wait = task("frames.wait")
    assert (wait.deferrable, wait.topview_task_type, wait.poke_interval) == (True, "image2video", 0.05)
    assert task("frames.download").topview_task_type == "image2video"
    assert task("frames.download").filename_template == "frames_{topview_task_id}_{index}.mp4"
    group = dag.task_group_dict["frames"]
    assert group.tooltip == "TopView Image-to-Video: upload, submit, wait, download"
    assert [upload.task_id for upload in group.uploads] == [
        "frames.upload_first_frame",
        "frames.upload_end_frame",
    ]
    assert (group.submit.task_id, group.wait.task_id, group.download.task_id) == (
        "frames.submit",
        "frames.wait",
        "frames.download",
    )


def test_reference_images_are_uploaded_by_one_mapped_task(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    result = dag_runner.run(
        "topview_video_group_references", conf={"images": [FOX, BOAT], "folder": str(tmp_path)}
    )
    assert result.state == "success", result.log[-4000:]
    ids = [result.xcom("references.upload_references", map_index=index) for index in range(2)]
    assert [uploaded(sim, file_id) for file_id in ids] == [
        Path(FOX).stat().st_size,
        Path(BOAT).stat().st_size,
    ]
    assert [entry.json for entry in sim.requests_to("submit")] == [
        {
            "model": "Kling V3 Reference Video",
            "referenceImageFileIds": ids,
            "prompt": "the fox crosses the meadow",
            "aspectRatio": "16:9",
        }
    ]
    [topview_task_id] = sim.tasks
    assert_downloaded(result, "references.download", tmp_path, [f"{topview_task_id}_0.mp4"])


def test_text_to_video_uploads_nothing_and_every_task_uses_the_groups_connection(
    topview_connection: TopviewSimulator,
    dag_runner: DagRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = topview_connection
    # Only the group's connection exists: a task left on topview_default would fail.
    monkeypatch.setenv("AIRFLOW_CONN_TOPVIEW_GROUP_CONN", os.environ["AIRFLOW_CONN_TOPVIEW_DEFAULT"])
    monkeypatch.delenv("AIRFLOW_CONN_TOPVIEW_DEFAULT")
    ids = ["opening.submit", "opening.wait", "opening.download"]
    assert group_task_ids(dag_runner, "topview_video_group_t2v", "opening") == ids
    result = dag_runner.run("topview_video_group_t2v", conf={"time": "noon", "folder": str(tmp_path)})
    assert result.state == "success", result.log[-4000:]
    assert {task_id for task_id, _ in result.task_states} == {*ids, "collect"}
    assert [entry.json for entry in sim.requests_to("text2video_submit")] == [
        {
            "model": "Kling V3",
            "prompt": "a paper boat at noon",
            "aspectRatio": "9:16",
            "resolution": 720,
            "duration": 5,
            "sound": "on",
        }
    ]
    [topview_task_id] = sim.tasks
    # The wait and the download asked Text-to-Video's endpoint, as the group told them.
    assert sim.requests_to("text2video_query")
    assert not sim.requests_to("query")
    assert not sim.requests_to("upload")
    paths = assert_downloaded(result, "opening.download", tmp_path, [f"{topview_task_id}_0.mp4"])
    assert result.xcom("collect") == paths


def test_omni_reference_uploads_each_named_input_and_sends_the_names(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    ids = ["shots.upload_Product1", "shots.upload_Product2", "shots.submit", "shots.wait", "shots.download"]
    assert group_task_ids(dag_runner, "topview_video_group_omni", "shots") == ids
    assert dag_runner.dag("topview_video_group_omni").get_task("shots.wait").deferrable is False
    result = dag_runner.run(
        "topview_video_group_omni", conf={"boat": BOAT, "fox": FOX, "folder": str(tmp_path)}
    )
    assert result.state == "success", result.log[-4000:]
    boat, fox = result.xcom("shots.upload_Product1"), result.xcom("shots.upload_Product2")
    assert (uploaded(sim, boat), uploaded(sim, fox)) == (Path(BOAT).stat().st_size, Path(FOX).stat().st_size)
    assert [entry.json for entry in sim.requests_to("omni_reference_submit")] == [
        {
            "model": "Fast",
            "prompt": "<<<Product1>>> floats past <<<Product2>>> on a calm lake",
            "inputImages": [{"fileId": boat, "name": "Product1"}, {"fileId": fox, "name": "Product2"}],
            "aspectRatio": "16:9",
            "resolution": 720,
            "duration": 5,
        }
    ]
    [topview_task_id] = sim.tasks
    assert sim.requests_to("omni_reference_query")
    assert_downloaded(result, "shots.download", tmp_path, [f"{topview_task_id}_0.mp4"])


# --- Bad input: refused while the DAG is parsed, naming the parameter and the value ---------------------

BAD_CALLS: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "unknown task type": (
        {"task_type": "image_to_video", "first_frame": "/a.png", "prompt": "x"},
        ValueError,
        "task_type: must be one of image2video, text2video, omni_reference, got 'image_to_video'",
    ),
    "image to video without a source": (
        {"task_type": "image2video", "prompt": "x"},
        ValueError,
        "Image-to-Video (image2video) needs a source to upload: give first_frame or reference_images "
        "(got none)",
    ),
    "a last frame alone": (
        {"task_type": "image2video", "end_frame": "/b.png", "prompt": "x"},
        ValueError,
        "Image-to-Video (image2video) needs a source to upload: give first_frame or reference_images",
    ),
    "a last frame with references but no first frame": (
        {"task_type": "image2video", "end_frame": "/b.png", "reference_images": ["/c.png"], "prompt": "x"},
        ValueError,
        "end_frame='/b.png' needs first_frame (a last frame without a first one)",
    ),
    "no reference image": (
        {"task_type": "image2video", "reference_images": [], "prompt": "x"},
        ValueError,
        "reference_images=[]: give at least one source (got none)",
    ),
    "an input name that cannot be a task id": (
        {"task_type": "omni_reference", "input_images": {"Product 1": "/a.png"}, "prompt": "x"},
        ValueError,
        "input_images: the name 'Product 1' becomes the task id upload_Product 1: use letters, digits",
    ),
    "one name for an image and a video": (
        {
            "task_type": "omni_reference",
            "input_images": {"Hero": "/a.png"},
            "input_videos": {"Hero": "/a.mp4"},
            "prompt": "x",
        },
        ValueError,
        "input_videos: the name 'Hero' is also in input_images; each input needs its own name",
    ),
    "omni reference without a source": (
        {"task_type": "omni_reference", "prompt": "x"},
        ValueError,
        "Omni Reference (omni_reference) needs a source to upload: give input_images or input_videos",
    ),
    "a source text to video does not take": (
        {"task_type": "text2video", "first_frame": "/a.png", "prompt": "x"},
        TypeError,
        "first_frame='/a.png': Text-to-Video (text2video) takes no first_frame; it uploads nothing",
    ),
    "a source of another type": (
        {"task_type": "image2video", "input_images": {"Hero": "/a.png"}, "prompt": "x"},
        TypeError,
        "input_images={'Hero': '/a.png'}: Image-to-Video (image2video) takes no input_images; "
        "its sources are first_frame, end_frame, reference_images",
    ),
    "a body parameter of another type": (
        {"task_type": "text2video", "prompt": "x", "first_frame_file_id": "f1"},
        TypeError,
        "first_frame_file_id='f1' is not a body parameter of SubmitTextToVideoOperator (text2video), which "
        "takes model, prompt, aspect_ratio,",
    ),
    "a misspelt body parameter": (
        {"task_type": "text2video", "prompt": "x", "aspect": "9:16"},
        TypeError,
        "aspect='9:16' is not a body parameter of SubmitTextToVideoOperator",
    ),
    "a submit argument given as body": (
        {"task_type": "text2video", "prompt": "x", "max_credits": 5},
        TypeError,
        "max_credits=5 is not a body parameter of SubmitTextToVideoOperator (text2video), which takes "
        "model, prompt, aspect_ratio, resolution, duration, sound, generating_count, board_id, notice_url, "
        "extra_body; the submit's other arguments go in submit_kwargs",
    ),
    "a file id the group uploads": (
        {"task_type": "image2video", "first_frame": "/a.png", "end_frame_file_id": "f2", "prompt": "x"},
        TypeError,
        "end_frame_file_id='f2': the group uploads end_frame and passes end_frame_file_id itself; "
        "give end_frame (a path, URL or storage path) instead",
    ),
    "named inputs as a list": (
        {"task_type": "omni_reference", "input_images": ["/a.png"], "prompt": "<<<Image1>>>"},
        TypeError,
        "input_images=['/a.png']: give a mapping name -> source",
    ),
    "an argument the group sets": (
        {"task_type": "text2video", "prompt": "x", "download_kwargs": {"task_result": "t1"}},
        TypeError,
        "download_kwargs: the group sets task_result itself (got 't1')",
    ),
    "an upload source in upload_kwargs": (
        {"task_type": "image2video", "first_frame": "/a.png", "upload_kwargs": {"source": "/b.png"}},
        TypeError,
        "upload_kwargs: the group sets source itself (got '/b.png')",
    ),
    "a body parameter in submit_kwargs": (
        {"task_type": "text2video", "submit_kwargs": {"prompt": "x"}},
        TypeError,
        "submit_kwargs: prompt='x' is a body parameter; give it as topview_video_group(..., prompt=...)",
    ),
    "an argument the operator does not take": (
        {"task_type": "text2video", "prompt": "x", "wait_kwargs": {"poll_every": 5}},
        TypeError,
        "Invalid arguments were passed to ImageToVideoSensor (task_id: wait). Invalid arguments were:\n"
        "**kwargs: {'poll_every': 5}",  # Airflow's own check, as for any operator
    ),
}


@pytest.mark.parametrize(("call", "error", "message"), BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_input_is_refused_when_the_dag_is_parsed(
    call: dict[str, Any], error: type[Exception], message: str
) -> None:
    from airflow.sdk import DAG

    from airflow_topview.operators.video_group import topview_video_group

    with DAG("bad_video_group", schedule=None) as dag, pytest.raises(error, match=re.escape(message)):
        topview_video_group("clip", destination="/tmp/videos", **call)
    if "wait_kwargs" not in call:  # refused before any task was added
        assert dag.task_dict == {}


def test_a_bad_call_in_a_dag_file_is_an_import_error_that_names_it(tmp_path: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag

    (tmp_path / "bad_group.py").write_text(
        "from airflow.sdk import DAG\n"
        "from airflow_topview.operators.video_group import topview_video_group\n"
        "with DAG('bad_group', schedule=None):\n"
        "    topview_video_group('clip', task_type='text2video', prompt='x', durations=5, destination='/v')\n"
    )
    bag = DagBag(dag_folder=str(tmp_path))
    [error] = bag.import_errors.values()
    assert "durations=5 is not a body parameter of SubmitTextToVideoOperator" in error
    assert not bag.dags


def test_the_module_imports_nothing_heavy() -> None:
    """Operator modules are imported at DAG parse time; the factory is imported with them."""
    from tests.package import test_packaging

    test_packaging.test_operator_modules_import_nothing_heavy("airflow_topview.operators.video_group")


def test_the_example_alone_runs_both_groups_with_its_default_image(
    airflow_home: Path, topview_simulator: TopviewSimulator, tmp_path: Path
) -> None:
    """dags/example_topview_video_group.py copied alone into a dags folder, run by ``airflow dags test``."""
    from tests.package.test_examples_alone import run_alone

    sim = topview_simulator
    videos = tmp_path / "videos"
    run = run_alone("example_topview_video_group", {"output_dir": str(videos)}, sim, tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]
    assert "state=success" in output
    [file_id] = sim.files
    assert sim.files[file_id].size == Path(sample_image("lighthouse_day.png")).stat().st_size
    assert [entry.json for entry in sim.requests_to("submit")] == [
        {
            "model": "Seedance 1.5 Pro",
            "firstFrameFileId": file_id,
            "prompt": "Waves roll in under a clear sky while the camera slowly circles the lighthouse",
            "resolution": 720,
            "duration": 5,
        }
    ]
    assert [entry.json for entry in sim.requests_to("text2video_submit")] == [
        {
            "model": "Standard",
            "prompt": "Dawn over a rocky coast, a lighthouse on the horizon, a slow aerial approach",
            "aspectRatio": "16:9",
            "resolution": 720,
            "duration": 5,
        }
    ]
    assert sorted(path.name for path in videos.iterdir()) == sorted(f"{task}_0.mp4" for task in sim.tasks)
    assert sim.api_key not in output


def test_the_connection_of_default_args_reaches_every_task_unless_the_group_names_one() -> None:
    """A connection passed by the group to every task would hide default_args' (another account)."""
    from airflow.sdk import DAG

    from airflow_topview.operators.video_group import topview_video_group

    clip: dict[str, Any] = {"task_type": "text2video", "prompt": "x", "destination": "/tmp/v"}
    with DAG("conn_from_default_args", schedule=None, default_args={"topview_conn_id": "tv_prod"}) as dag:
        topview_video_group("dag_level", **clip)
        topview_video_group("group_level", default_args={"topview_conn_id": "tv_team"}, **clip)
        topview_video_group("named", topview_conn_id="tv_own", **clip)
    expected = {"dag_level": "tv_prod", "group_level": "tv_team", "named": "tv_own"}
    for group, conn_id in expected.items():
        steps = [dag.get_task(f"{group}.{step}") for step in ("submit", "wait", "download")]
        assert [step.topview_conn_id for step in steps] == [conn_id] * 3


def test_a_run_budget_in_front_of_the_group_refuses_before_any_upload(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    conf = {"first": DAY, "folder": str(tmp_path / "out"), "duration": 12, "max_credits": 5}
    result = dag_runner.run("topview_video_group_budget_first", conf=conf)
    assert result.state == "failed"
    assert result.task_state("budget") == "failed"
    assert "above the run budget of 5" in result.log  # Kling V3 720p: 0.5 credits/s x 12 s = 6
    assert topview_connection.journal == []  # no upload, no submit

    conf = {**conf, "duration": 5, "max_credits": 5}
    result = dag_runner.run("topview_video_group_budget_first", conf=conf)
    assert result.state == "success", result.log[-3000:]
    assert [entry.endpoint for entry in topview_connection.journal].count("submit") == 1
