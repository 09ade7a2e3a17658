"""Lineage and metrics of a real ``airflow dags test`` run, read where a user's tools would read them.

OpenLineage: the provider's file transport writes every event the OpenLineage listener emits; the test
reads the datasets of the upload, submit and download (image -> TopView file -> TopView task -> video).
Metrics: Airflow's StatsD client sends to a UDP socket this test listens on (loopback), with InfluxDB-style
tags on, so both the tagged names and the per-DAG names are checked.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from airflow_topview.samples import sample_image
from airflow_topview.testing import Fault, TopviewSimulator
from airflow_topview.testing.pytest_plugin import TEST_API_KEY, TEST_UID
from tests.package.test_example_dags import airflow_dags_test

pytestmark = pytest.mark.dag

DAG_ID = "example_topview_image_to_video"
API_KEY = "sk-test-key"  # what airflow_dags_test puts in the connection


@dataclass
class StatsdListener:
    """A UDP socket on loopback that keeps every StatsD line it receives."""

    sock: socket.socket = field(default_factory=lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self._arrived = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                packet = self.sock.recv(65536)
            except TimeoutError:
                continue
            with self._arrived:
                self.lines += packet.decode(errors="replace").splitlines()
                self._arrived.notify_all()

    def drain(self, timeout: float = 10) -> list[tuple[str, dict[str, str], float]]:
        """Every counter sent so far: a marker sent now arrives after them (one socket, loopback)."""
        marker = f"drain.{len(self.lines)}.{threading.get_ident()}:1|c"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(marker.encode(), ("127.0.0.1", self.port))
        with self._arrived:
            assert self._arrived.wait_for(lambda: marker in self.lines, timeout), "StatsD marker lost"
        return self.topview()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def topview(self) -> list[tuple[str, dict[str, str], float]]:
        """(name, tags, value) of every ``airflow.topview.*`` and ``airflow.resumable_job.*`` counter."""
        found = []
        for line in self.lines:
            match = re.fullmatch(
                r"airflow\.((?:topview|resumable_job)\.[^,:]+)((?:,[^,:=]+=[^,:]*)*):([0-9.eE+-]+)\|c", line
            )
            if match:
                tags = dict(pair.split("=", 1) for pair in match.group(2).split(",")[1:])
                found.append((match.group(1), tags, float(match.group(3))))
        return found


@pytest.fixture
def statsd() -> Iterator[StatsdListener]:
    listener = StatsdListener()
    yield listener
    listener.close()


def observed_run(
    monkeypatch: pytest.MonkeyPatch, statsd: StatsdListener, tmp_path: Path, sim: TopviewSimulator
) -> tuple[int, str, list[dict[str, Any]]]:
    """Run the upload -> submit -> wait -> download example with OpenLineage and StatsD switched on."""
    lineage_file = tmp_path / "openlineage.jsonl"
    for name, value in {
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(lineage_file), "append": True}
        ),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "topview-tests",
        "AIRFLOW__METRICS__STATSD_ON": "True",
        "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
        "AIRFLOW__METRICS__STATSD_PORT": str(statsd.port),
        "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
        "AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED": "True",
    }.items():
        monkeypatch.setenv(name, value)
    run = airflow_dags_test(DAG_ID, {"output_dir": str(tmp_path / "videos")}, sim)
    lines = lineage_file.read_text().splitlines() if lineage_file.exists() else []
    return run.returncode, run.stdout + run.stderr, [json.loads(line) for line in lines]


def datasets(events: list[dict[str, Any]], task: str, side: str) -> list[tuple[str, str]]:
    [complete] = [
        event
        for event in events
        if event["eventType"] == "COMPLETE" and event["job"]["name"] == f"{DAG_ID}.{task}"
    ]
    return [(dataset["namespace"], dataset["name"]) for dataset in complete[side]]


@dataclass
class ObservedRun:
    """One run of the example with two busy answers (4007) before its submit went through."""

    sim: TopviewSimulator
    returncode: int
    output: str
    events: list[dict[str, Any]]
    videos: Path
    counters: list[tuple[str, dict[str, str], float]]
    statsd_lines: list[str]


@pytest.fixture(scope="module")
def busy_run(airflow_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObservedRun]:
    """The run both the lineage and the metrics test read: one ``airflow dags test`` for the two."""
    with (
        TopviewSimulator(uid=TEST_UID, api_key=TEST_API_KEY, polls_to_finish=1) as sim,
        pytest.MonkeyPatch.context() as monkeypatch,
    ):
        listener = StatsdListener()
        try:
            sim.inject("submit", Fault.code("4007"), times=2)  # the account's concurrency limit, twice
            tmp_path = tmp_path_factory.mktemp("observed")
            returncode, output, events = observed_run(monkeypatch, listener, tmp_path, sim)
            counters = listener.drain() if returncode == 0 else []
            yield ObservedRun(
                sim, returncode, output, events, tmp_path / "videos", counters, list(listener.lines)
            )
        finally:
            listener.close()


def test_lineage_follows_the_image_through_topview_to_the_video(busy_run: ObservedRun) -> None:
    sim, events = busy_run.sim, busy_run.events
    assert busy_run.returncode == 0, busy_run.output[-5000:]
    [file_id] = sim.files
    [topview_task_id] = sim.tasks
    api = sim.base_url.rstrip("/")
    image = sample_image("lighthouse_day.png")
    [video] = sorted(busy_run.videos.iterdir())

    assert datasets(events, "upload_image", "inputs") == [("file", image)]
    assert datasets(events, "upload_image", "outputs") == [(api, f"file/{file_id}")]
    assert datasets(events, "submit", "inputs") == [(api, f"file/{file_id}")]
    assert datasets(events, "submit", "outputs") == [(api, f"image2video/task/{topview_task_id}")]
    assert datasets(events, "download_videos", "inputs") == [(api, f"image2video/task/{topview_task_id}")]
    assert datasets(events, "download_videos", "outputs") == [("file", str(video))]
    text = json.dumps(events)
    assert API_KEY not in text


def test_metrics_show_submits_busy_answers_and_credits_per_dag(busy_run: ObservedRun) -> None:
    assert busy_run.returncode == 0, busy_run.output[-5000:]
    [task] = busy_run.sim.tasks.values()
    assert len(busy_run.sim.requests_to("submit")) == 3  # two busy answers, then the task
    tags = {"dag_id": DAG_ID, "task_id": "submit", "model": "Seedance_1.5_Pro"}
    counters = busy_run.counters

    def sent(name: str) -> list[tuple[dict[str, str], float]]:
        return [(tags, value) for metric, tags, value in counters if metric == name]

    assert sent("topview.submits") == [(tags, 1.0)]
    assert sent(f"topview.submits.{DAG_ID}") == [(tags, 1.0)]
    busy_tags = {"dag_id": DAG_ID, "task_id": "submit"}  # counted by the hook, which knows no model
    assert sent("topview.busy_answers") == [(busy_tags, 1.0), (busy_tags, 1.0)]
    assert sent(f"topview.busy_answers.{DAG_ID}") == [(busy_tags, 1.0), (busy_tags, 1.0)]
    assert sent("topview.credits_estimated") == [(tags, pytest.approx(task.estimated_cost))]
    charged_tags = {"dag_id": DAG_ID, "task_id": "wait_for_video"}  # the sensor reads the charge
    assert sent("topview.credits_charged") == [(charged_tags, pytest.approx(task.cost))]
    assert sent(f"topview.credits_charged.{DAG_ID}") == [(charged_tags, pytest.approx(task.cost))]
    assert sent("topview.submits_uncertain") == []
    # The resume decision under Airflow's own durable-operator name (ResumableJobMixin's metrics).
    assert sent("resumable_job.fresh_submit") == [({"operator": "SubmitImageToVideoOperator"}, 1.0)]
    assert not any(API_KEY in line for line in busy_run.statsd_lines)
    assert API_KEY not in busy_run.output


def test_an_uncertain_submit_is_counted(
    airflow_home: Path,
    topview_simulator: TopviewSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    statsd: StatsdListener,
) -> None:
    sim = topview_simulator
    sim.inject("submit", Fault.code("5000", after_accepting=True))  # created, but the answer says error
    returncode, output, _ = observed_run(monkeypatch, statsd, tmp_path, sim)
    assert returncode != 0
    assert "may have created" in output
    assert len(sim.tasks) == 1
    counters = [c for c in statsd.drain() if c[0] == "topview.submits_uncertain"]
    tags = {"dag_id": DAG_ID, "task_id": "submit", "model": "Seedance_1.5_Pro"}
    assert counters == [("topview.submits_uncertain", tags, 1.0)]
    assert not [c for c in statsd.topview() if c[0] == "topview.submits"]
