"""The review example names each kept video after its candidate, so reviewing again never overwrites one.

The whole example runs in a real deployment (tests/deployment/test_review.py); here its ``keep_chosen``
step is called with two answers for the same TopView task, as after a clear and a second review.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow_topview.file_rules import video_filename

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "dags"
TASK_ID = "0f" * 16


@functools.cache
def keep_chosen() -> Callable[..., list[dict[str, Any]]]:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(EXAMPLE_DAGS / "example_topview_review.py"))
    callable_: Callable[..., list[dict[str, Any]]]
    callable_ = bag.dags["example_topview_review"].get_task("keep_chosen").python_callable
    return callable_


def kept_files(answer: list[str]) -> dict[str, str]:
    """File name -> video URL for what the review example downloads after ``answer``."""
    result = {
        "taskId": TASK_ID,
        "status": "success",
        "videos": [{"filePath": f"https://cdn.example/{number}.mp4"} for number in (1, 2, 3)],
    }
    downloads = keep_chosen()(result, {"chosen_options": answer})
    files = {}
    for kwargs in downloads:
        [video] = kwargs["task_result"]["videos"]  # one download per kept video
        assert {**kwargs["task_result"], "videos": result["videos"]} == result
        name = video_filename(kwargs["filename_template"], topview_task_id=TASK_ID, index=0)
        files[name] = video["filePath"]
    return files


def test_a_second_review_of_the_same_task_adds_files_and_overwrites_none() -> None:
    first = kept_files(["Video 2"])
    assert first == {f"{TASK_ID}_video2.mp4": "https://cdn.example/2.mp4"}
    second = kept_files(["Video 3", "Video 1"])
    assert second == {
        f"{TASK_ID}_video1.mp4": "https://cdn.example/1.mp4",
        f"{TASK_ID}_video3.mp4": "https://cdn.example/3.mp4",
    }
    assert not set(first) & set(second)


def test_choosing_nothing_downloads_nothing() -> None:
    assert kept_files([]) == {}
