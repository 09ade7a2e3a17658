"""Progress in the trigger's log during a long wait: the same lines as the worker's polling (one
StatusWatch for both), and no flooding when many triggers share a triggerer.

The trigger's async generator runs against the simulator with a fake progress clock (a fixed step per
poll) and a real poll interval of hundredths of a second; every run has a deadline.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from airflow_topview.testing import TopviewSimulator
from airflow_topview.triggers.image_to_video import ImageToVideoTrigger
from tests.sensors.test_progress_lines import (
    LONG_WAIT,
    FakeClock,
    LogRecorder,
    assert_no_secret,
    long_wait_lines,
)
from tests.triggers.test_trigger import make_trigger, submit

DEADLINE = 60.0  # real seconds any trigger run here may take


def watched(trigger: ImageToVideoTrigger, clock: FakeClock | None = None) -> LogRecorder:
    """Give the trigger a fake progress clock and a recording logger (LoggingMixin's cached ``_log``)."""
    log = LogRecorder()
    trigger._log = log  # type: ignore[assignment]
    trigger.progress_clock = clock or FakeClock()
    return log


async def run(trigger: ImageToVideoTrigger) -> list[dict[str, Any]]:
    async def events() -> list[dict[str, Any]]:
        return [event.payload async for event in trigger.run()]

    return await asyncio.wait_for(events(), DEADLINE)


async def test_a_long_wait_logs_changes_and_heartbeats(topview_connection: TopviewSimulator) -> None:
    """50 polls, about 6 minutes of fake time: the 8 lines the worker's polling logs, nothing more."""
    sim = topview_connection
    sim.script_next_task(statuses=LONG_WAIT)
    task_id = submit(sim)
    trigger = make_trigger(task_id, within=DEADLINE)
    log = watched(trigger)
    [event] = await run(trigger)
    assert event["status"] == "success"
    assert len(sim.requests_to("query")) == 50
    assert log.lines == long_wait_lines(task_id)
    assert_no_secret(log.lines, sim)


async def test_polls_further_apart_than_the_interval_give_one_line_each(
    topview_connection: TopviewSimulator,
) -> None:
    """As a grown max_poll_interval spaces them: one heartbeat per poll, never two."""
    sim = topview_connection
    sim.script_next_task(statuses=["running"] * 9)
    task_id = submit(sim)
    trigger = make_trigger(task_id, within=DEADLINE, max_poll_interval=0.05)
    log = watched(trigger, FakeClock(step=90))  # 90 s between polls, a line due every 60 s
    [event] = await run(trigger)
    assert event["status"] == "success"
    name = f"TopView Image-to-Video task {task_id}"
    at = {polls: "{} min {} s in".format(*divmod(90 * (polls - 1), 60)) for polls in range(1, 11)}
    assert at[2] == "1 min 30 s in"
    assert log.lines == [
        ("info", f"{name} is running"),
        *[("info", f"{name} is still running, {at[polls]} ({polls} polls)") for polls in range(2, 10)],
        ("info", f"{name} is success (was running), 13 min 30 s in"),
    ]


async def test_many_triggers_share_a_log_without_flooding_it(topview_connection: TopviewSimulator) -> None:
    """20 waits of 50 polls each: 1000 polls, 160 lines, each naming its own task."""
    sim = topview_connection
    task_ids = []
    for _ in range(20):
        sim.script_next_task(statuses=LONG_WAIT)
        task_ids.append(submit(sim))
    triggers = [make_trigger(task_id, within=DEADLINE) for task_id in task_ids]
    logs = [watched(trigger) for trigger in triggers]
    results = await asyncio.wait_for(asyncio.gather(*(run(trigger) for trigger in triggers)), DEADLINE)
    assert [events[0]["status"] for events in results] == ["success"] * 20
    assert len(sim.requests_to("query")) == 1000
    for task_id, log in zip(task_ids, logs, strict=True):
        assert log.lines == long_wait_lines(task_id)
    assert sum(len(log.lines) for log in logs) == 160


async def test_a_broken_interval_in_the_triggerer_does_not_end_the_wait(
    topview_connection: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker refused a broken option before submitting; a triggerer's own config says so, once."""
    sim = topview_connection
    sim.script_next_task(statuses=LONG_WAIT)
    task_id = submit(sim)
    monkeypatch.setenv("AIRFLOW__TOPVIEW__PROGRESS_INTERVAL", "soon")
    trigger = make_trigger(task_id, within=DEADLINE)
    log = watched(trigger)
    [event] = await run(trigger)
    assert event["status"] == "success"
    warning, *lines = log.lines
    assert warning[0] == "warning"
    assert "[topview] progress_interval" in warning[1]
    assert "a progress line every 60 s instead" in warning[1]
    assert lines == long_wait_lines(task_id)


async def test_the_triggerers_option_sets_the_interval(
    topview_connection: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = topview_connection
    sim.script_next_task(statuses=["running"] * 20)
    task_id = submit(sim)
    monkeypatch.setenv("AIRFLOW__TOPVIEW__PROGRESS_INTERVAL", "70")
    trigger = make_trigger(task_id, within=DEADLINE)
    log = watched(trigger, FakeClock(step=10))
    [_event] = await run(trigger)
    heartbeats = [text for _, text in log.lines if " is still " in text]
    assert [text.rsplit(", ", 1)[1] for text in heartbeats] == [
        "1 min 10 s in (8 polls)",
        "2 min 20 s in (15 polls)",
    ]
