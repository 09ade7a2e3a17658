"""Example DAGs through the real `airflow dags test` command, as a user runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_topview.samples import sample_image
from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner

pytestmark = pytest.mark.dag

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "dags"


def airflow_dags_test(
    dag_id: str, conf: dict[str, object], sim: TopviewSimulator
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLE_DAGS),
        "AIRFLOW_CONN_TOPVIEW_DEFAULT": json.dumps(
            {"conn_type": "topview", "login": sim.uid, "password": "sk-test-key", "host": sim.base_url}
        ),
    }
    return subprocess.run(
        [AIRFLOW, "dags", "test", dag_id, "-c", json.dumps(conf)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_example_submit_dag_runs_green(airflow_home: Path, topview_simulator: TopviewSimulator) -> None:
    sim = topview_simulator
    image = sim.add_file("png")
    run = airflow_dags_test("example_topview_submit", {"first_frame_file_id": image}, sim)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]
    assert "state=success" in output
    [submit] = sim.requests_to("submit")
    assert submit.json == {
        "model": "Seedance 1.5 Pro",  # the default model, sent as TopView's own client spells it
        "firstFrameFileId": image,
        "prompt": "A slow camera push-in, soft morning light",
        "resolution": 720,
        "duration": 5,
        "sound": "off",
    }
    assert "sk-test-key" not in output


EXAMPLES = {
    "example_topview_submit",
    "example_topview_image_to_video",
    "example_topview_first_last_frame",
    "example_topview_multi_reference",
    "example_topview_fan_out",
    "example_topview_params",
    "example_topview_pool",  # run in a real deployment: tests/deployment/test_pool.py
    "example_topview_review",  # run in a real deployment: tests/deployment/test_review.py
    "example_topview_assets",  # and the next, in a real deployment: tests/deployment/test_assets.py
    "example_topview_publish",
    "example_topview_budget",  # run by tests/operators/test_run_budget.py
    "example_topview_product_shots",
    "example_topview_brief_to_video",  # run in a real deployment: tests/deployment/test_review.py
    "example_topview_video_group",  # run alone by tests/operators/test_video_group.py
}
NO_TOPVIEW_HEADERS = {"Authorization", "Topview-Uid"}


def submit_bodies(sim: TopviewSimulator) -> list[dict[str, object]]:
    return [entry.json for entry in sim.requests_to("submit")]


def assert_videos(paths: list[str], folder: Path, sim: TopviewSimulator) -> None:
    """The paths are real MP4 files in ``folder``, one per generated video, fetched without credentials."""
    assert paths
    assert all(Path(path).parent == folder for path in paths)
    assert all(Path(path).read_bytes()[4:8] == b"ftyp" for path in paths)
    assert sorted(Path(path).name for path in paths) == sorted(path.name for path in folder.iterdir())
    downloads = sim.requests_to("download")
    assert len(downloads) == len(paths)
    assert not any(NO_TOPVIEW_HEADERS & set(entry.headers) for entry in downloads)


def test_example_dags_import_and_document_themselves() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(EXAMPLE_DAGS))
    assert bag.import_errors == {}
    assert set(bag.dags) >= EXAMPLES
    for dag_id in EXAMPLES - {"example_topview_submit"}:
        dag = bag.dags[dag_id]
        assert dag.doc_md, f"{dag_id} has no docstring"
        assert "Shows" in dag.doc_md, dag_id
        assert "topview_default" in dag.doc_md, dag_id


def test_first_last_frame_dag(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    result = dag_runner.run("example_topview_first_last_frame", conf={"output_dir": str(tmp_path)})
    assert result.state == "success", result.log[-4000:]
    first, last = result.xcom("upload_first_frame"), result.xcom("upload_last_frame")
    assert {sim.files[first].size, sim.files[last].size} == {
        Path(sample_image(name)).stat().st_size for name in ("lighthouse_day.png", "lighthouse_night.png")
    }
    [body] = submit_bodies(sim)
    assert body["model"] == "Kling V3"
    assert (body["firstFrameFileId"], body["endFrameFileId"]) == (first, last)
    assert_videos(result.xcom("download_videos"), tmp_path, sim)
    assert sim.requests_to("query")  # waited in the trigger, read the result from XCom: no extra query


def test_multi_reference_dag(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    result = dag_runner.run("example_topview_multi_reference", conf={"output_dir": str(tmp_path)})
    assert result.state == "success", result.log[-4000:]
    ids = [result.xcom("upload_references", map_index=index) for index in range(2)]
    assert [sim.files[file_id].format for file_id in ids] == ["png", "jpg"]
    [body] = submit_bodies(sim)
    assert body == {
        "model": "Kling V3 Reference Video",
        "referenceImageFileIds": ids,
        "prompt": "The fox from the first image trots through the flower meadow of the second image",
        "aspectRatio": "16:9",
        "resolution": 720,
        "duration": 5,
    }
    [topview_task_id] = sim.tasks
    paths = result.xcom("download_videos")
    assert paths == [str(tmp_path / f"multi_reference_{topview_task_id}_0.mp4")]
    assert_videos(paths, tmp_path, sim)


def test_product_shots_dag_keeps_the_same_references_in_every_scene(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    result = dag_runner.run("example_topview_product_shots", conf={"output_dir": str(tmp_path)})
    assert result.state == "success", result.log[-4000:]
    uploaded = [result.xcom("upload", map_index=index) for index in range(2)]
    references = [{"fileId": uploaded[0], "name": "Product1"}, {"fileId": uploaded[1], "name": "Product2"}]
    bodies = [entry.json for entry in sim.requests_to("omni_reference_submit")]
    assert sorted(str(body["prompt"]) for body in bodies) == sorted(
        [
            "<<<Product1>>> floats past <<<Product2>>> on a calm lake at dawn",
            "<<<Product2>>> sniffs <<<Product1>>> on a wooden jetty, close-up",
        ]
    )
    for body in bodies:
        assert {key: value for key, value in body.items() if key != "prompt"} == {
            "model": "Fast",
            "inputImages": references,
            "aspectRatio": "16:9",
            "resolution": 720,
            "duration": 5,
        }
    assert result.xcom("budget")["estimated_credits"] == pytest.approx(10.0)  # 2 scenes x 1.0 x 5 s
    paths = [path for index in range(2) for path in result.xcom("download", map_index=index)]
    assert sorted(Path(path).name for path in paths) == sorted(f"{task}_0.mp4" for task in sim.tasks)
    assert_videos(paths, tmp_path, sim)
    assert not sim.requests_to("submit")


def test_fan_out_dag(topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path) -> None:
    sim = topview_connection
    images = [sample_image(name) for name in ("fox.png", "paper_boat.png", "meadow.jpg")]
    conf = {"images": images, "style": "slow dolly zoom", "output_dir": str(tmp_path)}
    result = dag_runner.run("example_topview_fan_out", conf=conf)
    assert result.state == "success", result.log[-4000:]
    assert sorted(file.format for file in sim.files.values()) == ["jpg", "png", "png"]
    bodies = submit_bodies(sim)
    assert sorted(str(body["prompt"]) for body in bodies) == [
        f"Bring image {number} to life: slow dolly zoom" for number in (1, 2, 3)
    ]
    uploaded = [result.xcom("upload", map_index=index) for index in range(3)]
    assert sorted(str(body["firstFrameFileId"]) for body in bodies) == sorted(uploaded)
    collected = result.xcom("collect")
    assert len(collected) == 3
    assert sorted(Path(path).name for path in collected) == sorted(f"{task}_0.mp4" for task in sim.tasks)
    assert_videos(collected, tmp_path, sim)


def test_params_dag_takes_its_parameters_from_conf(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    sim = topview_connection
    conf = {
        "model": "kling-v3",
        "prompt": "A paper boat sails into the sunset",
        "duration": 10,
        "resolution": 1080,
        "sound": True,
        "generating_count": 2,
        "max_credits": 20,  # Kling V3 at 1080p with sound: 1.0 credits/s x 10 s x 2 videos
        "output_dir": str(tmp_path),
    }
    result = dag_runner.run("example_topview_params", conf=conf)
    assert result.state == "success", result.log[-4000:]
    [body] = submit_bodies(sim)
    assert body == {
        "model": "Kling V3",
        "firstFrameFileId": result.xcom("upload_image"),
        "prompt": "A paper boat sails into the sunset",
        "resolution": 1080,
        "duration": 10,
        "sound": "on",
        "generatingCount": 2,
    }
    [topview_task_id] = sim.tasks
    paths = result.xcom("download_videos")
    assert [re.sub(r"^\d{4}-\d{2}-\d{2}_", "", Path(path).name) for path in paths] == [
        f"{topview_task_id}_0.mp4",
        f"{topview_task_id}_1.mp4",
    ]
    assert_videos(paths, tmp_path, sim)


@pytest.mark.parametrize(
    ("conf", "param"),
    [
        ({"duration": 99}, "duration"),
        ({"duration": 3}, "duration"),  # only the default model's durations: Seedance 1.5 Pro takes 4-12 s
        ({"duration": 13}, "duration"),
        ({"max_credits": -1}, "max_credits"),
        ({"model": "no-such-model"}, "model"),
        ({"generating_count": 0}, "generating_count"),
        ({"image": ""}, "image"),
    ],
)
def test_params_dag_rejects_bad_conf_before_running(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, conf: dict[str, object], param: str
) -> None:
    from airflow.providers.common.compat.sdk import ParamValidationError

    # Airflow 3.2 raises a plain ValueError here (3.3's ParamValidationError is one; 3.1's is not).
    with pytest.raises((ParamValidationError, ValueError), match=f"Invalid input for param {param}: "):
        dag_runner.run("example_topview_params", conf=conf)
    assert topview_connection.journal == []


def test_params_dag_refuses_a_run_over_max_credits_before_uploading(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    conf = {"model": "kling-v3", "duration": 12, "max_credits": 5, "output_dir": str(tmp_path)}
    result = dag_runner.run("example_topview_params", conf=conf)
    assert result.state == "failed"
    assert result.task_state("check_and_price") == "failed"
    assert "above the run budget of 5" in result.log, result.log[-4000:]
    assert topview_connection.journal == []  # Kling V3 720p: 0.5 credits/s x 12 s = 6 > 5: no upload, unpaid


def test_params_dag_checks_the_form_against_the_model_before_uploading(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, tmp_path: Path
) -> None:
    """The form allows 4-12 s (the default model's); Veo 3.1 Fast takes 4, 6 or 8: refused, nothing sent."""
    conf = {"model": "veo-3.1-fast", "duration": 5, "output_dir": str(tmp_path)}
    result = dag_runner.run("example_topview_params", conf=conf)
    assert result.state == "failed"
    assert result.task_state("check_and_price") == "failed"
    assert result.task_state("upload_image") == "upstream_failed"
    refused = "duration: veo-3.1-fast (Veo 3.1 Fast) takes 4, 6 or 8 seconds, got 5"
    assert refused in result.log, result.log[-4000:]
    assert topview_connection.journal == []
