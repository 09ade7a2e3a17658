"""Connection extras (request options) mean the same on the worker and in the triggerer."""

from __future__ import annotations

import json
import socket

import pytest

from airflow_topview.client.request import build_request
from airflow_topview.exceptions import TopviewConnectionError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.hooks.topview_async import TopviewAsyncHook
from airflow_topview.testing import Fault, TopviewSimulator

FAST = {"retry_limit": 2, "retry_delay": 0.01, "retry_max_delay": 0.02}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def use_extras(monkeypatch: pytest.MonkeyPatch, sim: TopviewSimulator, **extra: object) -> None:
    connection = {
        "conn_type": "topview",
        "login": sim.uid,
        "password": sim.api_key,
        "host": sim.base_url,
        "extra": json.dumps(extra),
    }
    monkeypatch.setenv("AIRFLOW_CONN_TOPVIEW_DEFAULT", json.dumps(connection))


def submitted(sim: TopviewSimulator) -> str:
    request = build_request({"first_frame_file_id": sim.add_file("png")})
    return TopviewHook(retry_limit=1).submit_image_to_video(request).task_id


async def test_proxies_extra_is_used_by_both_hooks(
    topview_connection: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = topview_connection
    task_id = submitted(sim)
    proxy = f"http://127.0.0.1:{closed_port()}"  # nobody listens: a request that goes through it fails
    use_extras(monkeypatch, sim, proxies={"http": proxy, "https": proxy})
    queries_before = len(sim.requests_to("query"))
    with pytest.raises(TopviewConnectionError):
        TopviewHook(**FAST).get_image_to_video_task(task_id)  # type: ignore[arg-type]
    with pytest.raises(TopviewConnectionError):
        await TopviewAsyncHook(**FAST).get_image_to_video_task(task_id)  # type: ignore[arg-type]
    assert len(sim.requests_to("query")) == queries_before  # nothing reached TopView directly


async def test_timeout_extra_is_used_by_both_hooks(
    topview_connection: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = topview_connection
    task_id = submitted(sim)
    use_extras(monkeypatch, sim, timeout=[2, 0.3])
    sim.inject("query", Fault.slow(3), times=None)
    # Each hook gets 1.5 s: attempts cut at 0.3 s (the extra) leave room for a retry; at 3 s they would not.
    with pytest.raises(TopviewConnectionError):
        TopviewHook(**FAST, call_timeout=1.5).get_image_to_video_task(task_id)  # type: ignore[arg-type]
    sync_attempts = len(sim.requests_to("query"))
    with pytest.raises(TopviewConnectionError):
        await TopviewAsyncHook(**FAST, call_timeout=1.5).get_image_to_video_task(task_id)  # type: ignore[arg-type]
    async_attempts = len(sim.requests_to("query")) - sync_attempts
    assert (sync_attempts, async_attempts) == (2, 2)  # retry_limit=2, each attempt ended at 0.3 s


async def test_unknown_extras_are_ignored_and_never_sent_as_headers(
    topview_connection: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = topview_connection
    task_id = submitted(sim)
    use_extras(monkeypatch, sim, team="video-squad")
    TopviewHook(**FAST).get_image_to_video_task(task_id)  # type: ignore[arg-type]
    await TopviewAsyncHook(**FAST).get_image_to_video_task(task_id)  # type: ignore[arg-type]
    assert all("team" not in {name.lower() for name in entry.headers} for entry in sim.requests_to("query"))
