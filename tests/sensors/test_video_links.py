"""One extra link per video, read the way Airflow's UI reads them: the public REST route of a task's links.

Real DAG runs against the simulator, for the submit that waits (polling and deferred) and the sensor in
every mode. The route answers ``null`` for a link without a target, and the UI shows no button for it.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner, DagRunResult
from tests.sensors.test_waiting import SENSOR_MODES, WAIT_MODES, first_frame

pytestmark = pytest.mark.dag

NAMES = ["TopView video 1", "TopView video 2", "TopView video 3", "TopView video 4"]


def links(result: DagRunResult, task_id: str) -> dict[str, Any]:
    """``GET /api/v2/dags/{dag}/dagRuns/{run}/taskInstances/{task}/links``, what the UI calls."""
    from airflow_topview.testing.run_reader import _get

    answer = _get(f"/dags/{result.dag_id}/dagRuns/{result.run_id}/taskInstances/{task_id}/links")
    return dict(answer["extra_links"])


def made(finished: dict[str, Any]) -> list[str]:
    return [video["filePath"] for video in finished["videos"]]


def assert_one_link_per_video(result: DagRunResult, task_id: str, urls: list[str]) -> None:
    shown = links(result, task_id)
    assert list(shown) == NAMES
    assert [shown[name] for name in NAMES] == [*urls, *[None] * (len(NAMES) - len(urls))]
    assert result.xcom(task_id, key="topview_url") == urls[0]  # the first link's target, as before
    # The other links cost no XCom of their own, and no read of one that does not exist (an error line).
    assert not [key for task, key, _ in result.xcoms if task == task_id and key.startswith("topview_url_")]
    assert "XCom not found" not in result.log


@pytest.mark.parametrize("mode", WAIT_MODES)
def test_a_submit_that_waits_links_each_of_its_videos(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, mode: str
) -> None:
    sim = topview_connection
    sim.polls_to_finish = 2
    result = dag_runner.run(f"topview_test_wait_{mode}", conf=first_frame(sim, count=3))
    assert result.state == "success", result.log[-4000:]
    urls = made(result.xcom("submit", key="result"))
    assert len(urls) == 3
    assert all(url.startswith(f"{sim.base_url}/_videos/") for url in urls)
    assert_one_link_per_video(result, "submit", urls)


@pytest.mark.parametrize("sensor_mode", SENSOR_MODES)
def test_a_sensor_links_each_video_and_its_submit_the_task(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, sensor_mode: str
) -> None:
    sim = topview_connection
    sim.polls_to_finish = 2
    result = dag_runner.run(f"topview_test_sensor_{sensor_mode}", conf=first_frame(sim, count=3))
    assert result.state == "success", result.log[-4000:]
    urls = made(result.xcom("wait"))
    assert len(urls) == 3
    assert_one_link_per_video(result, "wait", urls)
    # The submit did not wait: its first link opens the TopView task, and it has no video links.
    [topview_task_id] = sim.tasks
    assert links(result, "submit") == {
        "TopView video 1": f"https://www.topview.ai/?taskId={topview_task_id}",
        "TopView video 2": None,
        "TopView video 3": None,
        "TopView video 4": None,
    }


@pytest.mark.parametrize("mode", WAIT_MODES)
def test_a_failed_video_gets_no_link(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, mode: str
) -> None:
    """Three videos, the second failed: the links open the first and the third, nothing else."""
    sim = topview_connection
    sim.script_next_task(outcome="partial", failed_videos=[1])
    result = dag_runner.run(f"topview_test_wait_{mode}", conf=first_frame(sim, count=3))
    assert result.state == "success", result.log[-4000:]
    videos = result.xcom("submit", key="result")["videos"]
    assert [video["status"] for video in videos] == ["success", "fail", "success"]
    assert_one_link_per_video(result, "submit", [videos[0]["filePath"], videos[2]["filePath"]])


def test_the_links_cover_the_most_videos_a_task_makes() -> None:
    from airflow_topview.client.request_base import SubmitRequest
    from airflow_topview.links import MAX_VIDEOS, VIDEO_LINKS
    from airflow_topview.operators.submit import TopviewSubmitOperator
    from airflow_topview.sensors.image_to_video import ImageToVideoSensor

    [limit] = [
        rule.le for rule in SubmitRequest.model_fields["generating_count"].metadata if hasattr(rule, "le")
    ]
    assert MAX_VIDEOS == limit == len(VIDEO_LINKS)
    assert [link.name for link in VIDEO_LINKS] == NAMES
    # The first link keeps the XCom key earlier releases stored it under (runs made before an upgrade).
    assert VIDEO_LINKS[0].xcom_key == "_link_TopviewVideoLink"
    assert len({link.xcom_key for link in VIDEO_LINKS}) == MAX_VIDEOS
    assert (
        TopviewSubmitOperator.operator_extra_links == ImageToVideoSensor.operator_extra_links == VIDEO_LINKS
    )
