"""Each API call has a deadline: a server that answers byte by byte cannot stretch it (sync or async)."""

from __future__ import annotations

import time

import pytest

from airflow_topview.client.request import build_request
from airflow_topview.exceptions import TopviewConnectionError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.hooks.topview_async import TopviewAsyncHook
from airflow_topview.testing import Fault, TopviewSimulator
from tests.conftest import HardeningReport

ATTEMPT, CALL = 0.6, 1.5  # seconds: one attempt's answer, the whole call
HOOK_PARAMS = {"retry_limit": 10, "retry_delay": 0.01, "retry_max_delay": 0.05, "timeout": (ATTEMPT, ATTEMPT)}


def submitted(sim: TopviewSimulator) -> str:
    request = build_request({"first_frame_file_id": sim.add_file("png")})
    return TopviewHook().submit_image_to_video(request).task_id


def test_dripping_answer_ends_at_the_call_deadline(
    topview_connection: TopviewSimulator, hardening_report: HardeningReport
) -> None:
    sim = topview_connection
    task_id = submitted(sim)
    sim.inject("query", Fault.drip(20), times=None)  # ~20 s for a status answer
    hook = TopviewHook(**HOOK_PARAMS, call_timeout=CALL)  # type: ignore[arg-type]
    started = time.monotonic()
    with pytest.raises(TopviewConnectionError, match=r"no complete answer|timed out|Timeout"):
        hook.get_image_to_video_task(task_id)
    elapsed = time.monotonic() - started
    hardening_report.note(
        "deadlines #10 API calls",
        f"deadlines #10: a status answer dripping at 20 B/s ended after {elapsed:.1f} s "
        f"(call_timeout {CALL} s, {len(sim.requests_to('query'))} attempts)",
    )
    assert elapsed < CALL + ATTEMPT + 1.0, f"the call ran {elapsed:.1f} s past its {CALL} s deadline"
    assert 2 <= len(sim.requests_to("query")) <= 4  # retried, but only within the deadline


async def test_async_hook_keeps_the_same_deadlines(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    task_id = submitted(sim)
    sim.inject("query", Fault.drip(20), times=None)
    hook = TopviewAsyncHook(**HOOK_PARAMS, call_timeout=CALL)  # type: ignore[arg-type]
    started = time.monotonic()
    with pytest.raises(TopviewConnectionError):
        await hook.get_image_to_video_task(task_id)
    assert time.monotonic() - started < CALL + ATTEMPT + 1.0
    assert 2 <= len(sim.requests_to("query")) <= 4


async def test_tuple_timeout_means_the_same_in_the_triggerer(topview_connection: TopviewSimulator) -> None:
    task_id = submitted(topview_connection)
    for timeout in ((5, 10), [5, 10], 10):
        task = await TopviewAsyncHook(timeout=timeout).get_image_to_video_task(task_id)  # type: ignore[arg-type]
        assert task.task_id == task_id


def test_a_complete_submit_answer_read_just_past_the_deadline_is_used(
    topview_connection: TopviewSimulator,
) -> None:
    """The task id came back; throwing the answer away would orphan a paid task and fail as uncertain.

    The answer's last byte arrives 0.5 s past the 4 s attempt deadline: inside the grace before the
    exchange is cut (1 s) and the socket's own read timeout (counted from the previous bytes at 2 s).
    """
    sim = topview_connection
    sim.inject("submit", Fault.split(first_after=2.0, last_after=4.5))
    hook = TopviewHook(retry_limit=1, timeout=4.0, call_timeout=30)
    result = hook.submit_image_to_video(build_request({"first_frame_file_id": sim.add_file("png")}))
    [created] = sim.tasks
    assert result.task_id == created
    assert len(sim.requests_to("submit")) == 1


def test_an_incomplete_answer_at_the_deadline_still_ends_the_attempt(
    topview_connection: TopviewSimulator,
) -> None:
    sim = topview_connection
    task_id = submitted(sim)
    sim.inject("query", Fault.split(first_after=2.0, last_after=12.0))
    hook = TopviewHook(retry_limit=1, timeout=4.0, call_timeout=30)
    with pytest.raises(TopviewConnectionError, match=r"no complete answer|timed out|Timeout"):
        hook.get_image_to_video_task(task_id)
