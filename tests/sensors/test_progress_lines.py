"""Progress in the task log during a long wait on the worker: a line per status change, a heartbeat per
``progress_interval`` with the elapsed time and TopView's status, and no more (the trigger's twin is
tests/triggers/test_trigger_progress.py).

The clock is a fake that moves a fixed step per poll, so minutes of waiting take no time and the lines
are exact.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from airflow_topview import waiting
from airflow_topview.exceptions import RequestValidationError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.settings import check_config
from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.dag_runner import DagRunner
from airflow_topview.waiting import StatusWatch, poll_once, poll_until_done
from tests.triggers.test_trigger import submit

STEP = 7.0  # fake seconds between two polls
# 3 polls answer init, 46 running, the 50th finishes the task: 5 min 43 s of fake time.
LONG_WAIT = ["init"] * 3 + ["running"] * 46


def long_wait_lines(task_id: str) -> list[tuple[str, str]]:
    """What a 50-poll wait logs with a heartbeat every 60 s and a poll every 7 s: 8 lines, not 50."""
    name = f"TopView Image-to-Video task {task_id}"
    return [
        ("info", f"{name} is init"),
        ("info", f"{name} is running (was init), 21 s in"),
        ("info", f"{name} is still running, 1 min 24 s in (13 polls)"),
        ("info", f"{name} is still running, 2 min 27 s in (22 polls)"),
        ("info", f"{name} is still running, 3 min 30 s in (31 polls)"),
        ("info", f"{name} is still running, 4 min 33 s in (40 polls)"),
        ("info", f"{name} is still running, 5 min 36 s in (49 polls)"),
        ("info", f"{name} is success (was running), 5 min 43 s in"),
    ]


class FakeClock:
    """Monotonic seconds that move ``step`` each time they are read (StatusWatch reads once a poll)."""

    def __init__(self, step: float = STEP, start: float = 1000.0) -> None:
        self.step, self.now = step, start

    def __call__(self) -> float:
        now, self.now = self.now, self.now + self.step
        return now


class LogRecorder:
    """Stands in for a task's logger: keeps each line as (level, text), formatted as Airflow would."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def _record(self, level: str, event: Any, *args: Any, **_: Any) -> None:
        self.lines.append((level, str(event) % args if args else str(event)))

    def __getattr__(self, level: str) -> Any:
        if level in ("debug", "info", "warning", "error", "exception"):
            return functools.partial(self._record, level)
        raise AttributeError(level)

    def progress(self, task_id: str) -> list[tuple[str, str]]:
        """The lines about ``task_id``'s status (not the success report or retries)."""
        prefix = "TopView Image-to-Video task " + task_id
        return [(level, text) for level, text in self.lines if text.startswith(prefix)]


def assert_no_secret(lines: list[tuple[str, str]], sim: TopviewSimulator) -> None:
    text = "\n".join(line for _, line in lines)
    assert sim.base_url not in text
    assert "http" not in text
    assert sim.api_key not in text
    assert "Signature" not in text


def test_a_long_wait_polled_one_by_one_logs_changes_and_heartbeats(
    topview_connection: TopviewSimulator,
) -> None:
    """The sensor's path (poke mode): one StatusWatch, polled by ``poll_once``."""
    sim = topview_connection
    sim.script_next_task(statuses=LONG_WAIT)
    task_id = submit(sim)
    log = LogRecorder()
    watch = StatusWatch(task_id, log, progress_interval=60, clock=FakeClock())  # type: ignore[arg-type]
    hook = TopviewHook(retry_limit=1)
    events = [poll_once(hook, watch) for _ in range(50)]
    assert events[:-1] == [None] * 49
    assert events[-1] is not None
    assert events[-1]["status"] == "success"
    assert log.lines == long_wait_lines(task_id)
    assert_no_secret(log.lines, sim)


def test_a_long_wait_of_the_polling_operator_logs_the_same(
    topview_connection: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator's path (``poll_until_done``); ``[topview] progress_interval`` sets the interval."""
    sim = topview_connection
    sim.script_next_task(statuses=LONG_WAIT)
    task_id = submit(sim)
    monkeypatch.setenv("AIRFLOW__TOPVIEW__PROGRESS_INTERVAL", "60")
    monkeypatch.setattr(waiting, "StatusWatch", functools.partial(StatusWatch, clock=FakeClock()))
    log = LogRecorder()
    hook = TopviewHook(retry_limit=1)
    event = poll_until_done(hook, task_id, log, poll_interval=0.001, timeout=60)  # type: ignore[arg-type]
    assert event["status"] == "success"
    assert log.progress(task_id) == long_wait_lines(task_id)
    assert len(sim.requests_to("query")) == 50
    assert_no_secret(log.lines, sim)


def test_the_interval_is_the_config_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__TOPVIEW__PROGRESS_INTERVAL", "300")
    assert StatusWatch("abc", LogRecorder()).progress_interval == 300  # type: ignore[arg-type]
    monkeypatch.delenv("AIRFLOW__TOPVIEW__PROGRESS_INTERVAL")
    assert StatusWatch("abc", LogRecorder()).progress_interval == 60  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["0", "-5", "soon", "nan", "inf"])
def test_a_broken_interval_is_refused_before_anything_is_sent(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("AIRFLOW__TOPVIEW__PROGRESS_INTERVAL", value)
    with pytest.raises(RequestValidationError, match=r"\[topview\] progress_interval: .*more than 0"):
        check_config()


def test_unknown_statuses_heartbeats_and_errors(topview_connection: TopviewSimulator) -> None:
    """An unknown status is a warning once, then heartbeats quote it; a failed poll keeps its warning."""
    from airflow_topview.testing import Fault

    sim = topview_connection
    sim.script_next_task(statuses=["running", "thinking", "thinking", "thinking", "thinking"])
    task_id = submit(sim)
    log = LogRecorder()
    watch = StatusWatch(task_id, log, progress_interval=20, clock=FakeClock(step=10))  # type: ignore[arg-type]
    hook = TopviewHook(retry_limit=1)
    events = [poll_once(hook, watch) for _ in range(2)]  # a poll every 10 s, from 0 s to 60 s
    sim.inject("query", Fault.http(502), times=1)  # the 3rd poll fails; the 4th finds 'thinking' again
    events += [poll_once(hook, watch) for _ in range(5)]
    assert [event and event["status"] for event in events] == [None] * 6 + ["success"]
    name = f"TopView Image-to-Video task {task_id}"
    assert log.lines[0] == ("info", f"{name} is running")
    assert log.lines[1] == (
        "warning",
        f"{name} is 'thinking', which this provider does not know; polling on (was running), 10 s in",
    )
    assert log.lines[2][0] == "warning"
    assert "will poll again" in log.lines[2][1]
    assert log.lines[3:] == [
        ("info", f"{name} is still 'thinking', 30 s in (4 polls)"),  # 20 s after the last status line
        ("info", f"{name} is still 'thinking', 50 s in (6 polls)"),
        ("info", f"{name} is success (was 'thinking'), 1 min 0 s in"),
    ]


@pytest.mark.dag
@pytest.mark.parametrize("sensor_mode", ["poke", "deferrable"])
def test_sensor_task_log_shows_progress(
    topview_connection: TopviewSimulator,
    dag_runner: DagRunner,
    monkeypatch: pytest.MonkeyPatch,
    sensor_mode: str,
) -> None:
    """In a real run: the sensor's log, or the trigger's part of it, has each line (an interval this
    short gives one a poll: what a user who wants the dbt Cloud or Databricks verbosity sets)."""
    sim = topview_connection
    sim.polls_to_finish = 4
    monkeypatch.setenv("AIRFLOW__TOPVIEW__PROGRESS_INTERVAL", "0.000001")
    result = dag_runner.run(f"topview_test_sensor_{sensor_mode}", conf={"first": sim.add_file("png")})
    assert result.state == "success", result.log[-4000:]
    [task_id] = sim.tasks
    name = f"TopView Image-to-Video task {task_id}"
    # Deferrable: the worker's one look, then the trigger's own first line, heartbeat, change.
    first_lines = 2 if sensor_mode == "deferrable" else 1
    assert result.log.count(f"{name} is running") == first_lines
    assert result.log.count(f"{name} is still running, ") == 3 - first_lines
    assert result.log.count(f"{name} is success (was running), ") == 1
    assert sim.base_url not in "\n".join(line for line in result.log.splitlines() if name in line)


@pytest.mark.dag
def test_default_interval_adds_no_line_to_a_short_wait(
    topview_connection: TopviewSimulator, dag_runner: DagRunner
) -> None:
    sim = topview_connection
    sim.polls_to_finish = 4
    result = dag_runner.run("topview_test_sensor_poke", conf={"first": sim.add_file("png")})
    assert result.state == "success", result.log[-4000:]
    [task_id] = sim.tasks
    assert f"TopView Image-to-Video task {task_id} is running" in result.log
    assert "is still running" not in result.log
