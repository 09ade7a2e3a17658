"""Load: 100 mapped submit+wait tasks against TopView's concurrency limit (4007 past 5 running tasks).

The simulated tasks end on a condition, not on a clock: a task finishes when a wait polls it, or when a
submit was refused for the limit (then the oldest running task finishes, once per refused image). So the
limit is met whatever the machine's speed: ``dag.test()`` runs the 100 submits one after another before
any wait, and every submit after the fifth finds 5 tasks running.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner
from tests.conftest import HardeningReport

pytestmark = pytest.mark.dag

VIDEOS = 100
LIMIT = 5
RUN_DEADLINE = 600.0  # seconds: the releaser gives up (and the test fails) after this


class Releaser:
    """Frees one slot per image whose submit was refused busy (4007), in a thread beside the DAG run."""

    def __init__(self, sim: TopviewSimulator) -> None:
        self.sim = sim
        self.released: set[str] = set()
        self.errors: list[BaseException] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="topview-load-releaser", daemon=True)

    def refused_images(self) -> set[str]:
        submits = self.sim.requests_to("submit")
        return {entry.json["firstFrameFileId"] for entry in submits if entry.code == "4007"}

    def _pending(self) -> set[str] | None:
        pending = self.refused_images() - self.released
        return pending or None

    def _run(self) -> None:
        try:
            while not self.done.is_set():
                try:
                    pending = self.sim.wait_for(lambda: self.done.is_set() or self._pending(), RUN_DEADLINE)
                except TimeoutError:
                    self.errors.append(TimeoutError(f"no submit refused busy within {RUN_DEADLINE} s"))
                    return
                if pending is True:  # done
                    return
                for image in sorted(pending):
                    running = [task_id for task_id, task in self.sim.tasks.items() if not task.finished]
                    if running:  # the oldest running task; none left when waits polled them all
                        self.sim.finish_task(running[0])
                    self.released.add(image)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.errors.append(exc)

    def __enter__(self) -> Releaser:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(timeout=30)


def test_hundred_mapped_videos_under_a_concurrency_limit(
    topview_connection: TopviewSimulator, dag_runner: DagRunner, hardening_report: HardeningReport
) -> None:
    sim = topview_connection
    sim.max_running = LIMIT
    sim.seconds_to_finish = None  # no clock: a task ends when polled (polls_to_finish 1) or released
    sim.polls_to_finish = 1
    images = [sim.add_file("png") for _ in range(VIDEOS)]
    with Releaser(sim) as releaser:
        result = dag_runner.run("topview_test_load", conf={"images": images})
    assert not releaser.thread.is_alive()
    assert releaser.errors == []
    assert result.state == "success", result.log[-4000:]

    accepted = [entry for entry in sim.requests_to("submit") if entry.code == "200"]
    busy = [entry for entry in sim.requests_to("submit") if entry.code == "4007"]
    assert len(accepted) == VIDEOS
    assert Counter(entry.json["firstFrameFileId"] for entry in accepted) == Counter(images)  # no duplicates
    # The limit held for every submit after the first five, each of which the hook retried until it was
    # accepted; the first five found the account empty.
    refused = releaser.refused_images()
    first = {entry.json["firstFrameFileId"] for entry in accepted[:LIMIT]}
    assert len(refused) == VIDEOS - LIMIT, "the concurrency limit was not met by every submit past the fifth"
    assert refused == set(images) - first
    assert len(sim.tasks) == VIDEOS
    states = [result.task_state("wait", index) for index in range(VIDEOS)]
    assert states == ["success"] * VIDEOS
    assert all(result.tries[("submit", index)] == 1 for index in range(VIDEOS))  # no task failed for 4007
    waited = {result.xcom("wait", map_index=index)["taskId"] for index in range(VIDEOS)}
    assert waited == set(sim.tasks)
    hardening_report.note(
        "load",
        f"load: {VIDEOS}/{VIDEOS} videos, {len(busy)} busy answers (4007) absorbed by {len(refused)} "
        "submits, 0 duplicate submits",
    )
