"""Each example DAG copied on its own into a fresh dags folder, as a user copies one: it parses and runs.

Nothing is beside the copy: the sample images come from the installed package
(:mod:`airflow_topview.samples`), so every default input a run reads is an installed sample and every
default output folder is under ``/tmp``. Every example is parsed alone and its defaults checked; two
run alone with ``airflow dags test`` against the simulator on their default images: image to video (the
run a user's first try failed on) and the fan-out (a list of images through dynamic task mapping).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.samples import sample_image, samples_dir
from airflow_topview.testing import TopviewSimulator

pytestmark = pytest.mark.dag

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "dags"
EXAMPLE_FILES = sorted(path.name for path in EXAMPLE_DAGS.glob("example_*.py"))
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}
NO_TOPVIEW_HEADERS = {"Authorization", "Topview-Uid"}


def alone(example: str, tmp_path: Path) -> Path:
    """A fresh dags folder holding a copy of ``example`` and nothing else."""
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(EXAMPLE_DAGS / example, dags / example)
    return dags


def texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from texts(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts(item)


def is_upload(task: Any) -> bool:
    from airflow_topview.operators.files import UploadFileOperator

    return issubclass(getattr(task, "operator_class", type(task)), UploadFileOperator)  # mapped or not


def defaults(dag: Any) -> Iterator[tuple[str, str]]:
    """(where, text) of every text a run reads unless told otherwise: Param defaults, literal sources."""
    for name in dag.params:
        yield from ((f"param {name}", text) for text in texts(dag.params.get_param(name).value))
    for task in dag.tasks:
        if not is_upload(task):
            continue
        expand_input = getattr(task, "expand_input", None)
        source = expand_input.value.get("source") if expand_input is not None else task.source
        yield from ((f"task {task.task_id} source", text) for text in texts(source))


@pytest.mark.parametrize("example", EXAMPLE_FILES)
def test_an_example_alone_parses_and_reads_only_installed_samples(example: str, tmp_path: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dags = alone(example, tmp_path)
    bag = DagBag(dag_folder=str(dags))
    assert bag.import_errors == {}
    assert bag.dags, f"{example} defines no DAG"
    for dag in bag.dags.values():
        paths = [(where, Path(text)) for where, text in defaults(dag) if text.startswith("/")]
        for where, path in paths:
            assert not path.is_relative_to(dags), (dag.dag_id, where, path)
            assert not path.is_relative_to(EXAMPLE_DAGS), (dag.dag_id, where, path)
            if path.suffix.lower() in IMAGE_SUFFIXES:  # an input: a sample installed with the package
                assert path.parent == samples_dir(), (dag.dag_id, where, path)
                assert path.is_file(), (dag.dag_id, where, path)
            else:  # an output folder
                assert path.is_relative_to("/tmp"), (dag.dag_id, where, path)
        uploads = any(is_upload(task) for task in dag.tasks)
        images = [path for _, path in paths if path.suffix.lower() in IMAGE_SUFFIXES]
        assert bool(images) == uploads, (dag.dag_id, images)  # every upload has a default image


def run_alone(
    example: str, conf: dict[str, object], sim: TopviewSimulator, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    dags = alone(f"{example}.py", tmp_path)
    env = {
        **os.environ,
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW_CONN_TOPVIEW_DEFAULT": json.dumps(
            {"conn_type": "topview", "login": sim.uid, "password": sim.api_key, "host": sim.base_url}
        ),
    }
    return subprocess.run(
        [AIRFLOW, "dags", "test", example, "-c", json.dumps(conf)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_the_image_to_video_example_alone_runs_with_its_default_image(
    airflow_home: Path, topview_simulator: TopviewSimulator, tmp_path: Path
) -> None:
    """What a user's first run did: the file alone, ``airflow dags test``, the default image."""
    sim = topview_simulator
    videos = tmp_path / "videos"
    run = run_alone("example_topview_image_to_video", {"output_dir": str(videos)}, sim, tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]
    assert "state=success" in output
    endpoints = [entry.endpoint for entry in sim.journal]
    assert endpoints[:4] == ["credential", "upload", "check", "submit"]
    assert endpoints[-1] == "download"
    assert set(endpoints[4:-1]) == {"query"}
    [file_id] = sim.files
    assert sim.journal[0].query == {"format": "png"}
    assert sim.files[file_id].size == Path(sample_image("lighthouse_day.png")).stat().st_size
    assert not NO_TOPVIEW_HEADERS & set(sim.requests_to("upload")[0].headers)
    assert [entry.json for entry in sim.requests_to("submit")] == [
        {
            "model": "Seedance 1.5 Pro",
            "firstFrameFileId": file_id,
            "prompt": "Waves roll in under a clear sky while the camera slowly circles the lighthouse",
            "resolution": 720,
            "duration": 5,
        }
    ]
    [topview_task_id] = sim.tasks
    [video] = videos.iterdir()
    assert video.name == f"{topview_task_id}_0.mp4"
    assert video.read_bytes()[4:8] == b"ftyp"
    assert sim.api_key not in output


def test_the_fan_out_example_alone_runs_with_its_default_images(
    airflow_home: Path, topview_simulator: TopviewSimulator, tmp_path: Path
) -> None:
    """A list of default images, uploaded through dynamic task mapping."""
    sim = topview_simulator
    videos = tmp_path / "videos"
    run = run_alone("example_topview_fan_out", {"output_dir": str(videos)}, sim, tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]
    assert "state=success" in output
    images = ["lighthouse_day.png", "paper_boat.png", "meadow.jpg"]
    uploaded = sorted(file.size for file in sim.files.values())
    assert uploaded == sorted(Path(sample_image(name)).stat().st_size for name in images)
    assert len(sim.requests_to("submit")) == len(images)
    assert sorted(path.name for path in videos.iterdir()) == sorted(f"{task}_0.mp4" for task in sim.tasks)
