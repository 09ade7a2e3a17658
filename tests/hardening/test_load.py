"""Load: 100 mapped submit+wait tasks against TopView's concurrency limit (4007 past 5 running tasks)."""

from __future__ import annotations

from collections import Counter

import pytest

from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner
from tests.conftest import HardeningReport

pytestmark = pytest.mark.dag

VIDEOS = 100


def test_hundred_mapped_videos_under_a_concurrency_limit(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, hardening_report: HardeningReport
) -> None:
    sim = topview_connection
    sim.max_running = 5
    sim.seconds_to_finish = 2.5  # longer than 5 submits take, so the 6th meets the limit
    images = [sim.add_file("png") for _ in range(VIDEOS)]
    result = dag_runner.run("topview_test_load", conf={"images": images})
    assert result.state == "success", result.log[-4000:]

    accepted = [entry for entry in sim.requests_to("submit") if entry.code == "200"]
    busy = [entry for entry in sim.requests_to("submit") if entry.code == "4007"]
    assert len(accepted) == VIDEOS
    assert Counter(entry.json["firstFrameFileId"] for entry in accepted) == Counter(images)  # no duplicates
    assert busy, "the concurrency limit was never reached: the test proves nothing"
    assert len(sim.tasks) == VIDEOS
    states = [result.task_state("wait", index) for index in range(VIDEOS)]
    assert states == ["success"] * VIDEOS
    assert all(result.tries[("submit", index)] == 1 for index in range(VIDEOS))  # no task failed for 4007
    waited = {result.xcom("wait", map_index=index)["taskId"] for index in range(VIDEOS)}
    assert waited == set(sim.tasks)
    hardening_report.note(
        "load",
        f"load: {VIDEOS}/{VIDEOS} videos, {len(busy)} busy answers (4007) absorbed, 0 duplicate submits",
    )
