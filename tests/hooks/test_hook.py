"""TopviewHook against the simulator over real HTTP: wire format, auth, errors and retries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_topview.client.protocol import normalize_base_url
from airflow_topview.client.request import build_request
from airflow_topview.exceptions import TopviewAPIError, TopviewConnectionError, TopviewSubmitUncertainError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.testing import Fault, TopviewSimulator

API_KEY = "sk-test-key"


def fast_hook(conn_id: str = "topview_default", **overrides: object) -> TopviewHook:
    params: dict[str, object] = {
        "retry_limit": 4,
        "retry_delay": 0.01,
        "retry_max_delay": 0.05,
        "timeout": 2.0,
    }
    params.update(overrides)
    return TopviewHook(conn_id, **params)  # type: ignore[arg-type]


def add_connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: object) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "topview", **fields}))


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        (None, None, "https://api.topview.ai"),
        ("", None, "https://api.topview.ai"),
        ("api.topview.ai", None, "https://api.topview.ai"),
        ("https://api.topview.ai/", None, "https://api.topview.ai"),
        ("http://127.0.0.1:8080", None, "http://127.0.0.1:8080"),
        ("proxy.local", 8443, "https://proxy.local:8443"),
    ],
)
def test_base_url_defaults_to_https(host: str | None, port: int | None, expected: str) -> None:
    assert normalize_base_url(host, port) == expected


def test_hook_without_host_targets_topview(monkeypatch: pytest.MonkeyPatch) -> None:
    add_connection(monkeypatch, "tv_nohost", login="uid", password=API_KEY)
    hook = TopviewHook("tv_nohost")
    hook.get_conn()
    assert hook.base_url == "https://api.topview.ai"


def test_submit_sends_exact_body_and_auth_headers(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    first, end = sim.add_file("png"), sim.add_file("jpg")
    request = build_request(
        {"first_frame_file_id": first, "end_frame_file_id": end, "prompt": "a fox", "duration": "5"}
    )
    result = fast_hook().submit_image_to_video(request)

    [entry] = sim.requests_to("submit")
    assert entry.method == "POST"
    assert entry.path == "/v2/common_task/image2video/task/submit"
    assert entry.json == {
        "model": "seedance-1.5-pro",
        "firstFrameFileId": first,
        "endFrameFileId": end,
        "prompt": "a fox",
        "duration": 5,
    }
    assert entry.headers["Topview-Uid"] == "test-uid"
    assert entry.headers["Authorization"] == f"Bearer {API_KEY}"
    assert len(result.task_id) == 32
    assert result.task_id in sim.tasks


def test_query_and_credit_calls(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    hook = fast_hook()
    task_id = hook.submit_image_to_video(build_request({"first_frame_file_id": sim.add_file("png")})).task_id
    task = hook.get_image_to_video_task(task_id)
    assert task.task_id == task_id
    assert task.state == "success"  # the plugin's simulator finishes on the first poll
    assert task.videos
    assert task.videos[0].file_path
    [query] = sim.requests_to("query")
    assert query.query == {"taskId": task_id, "needCloudFrontUrl": "true"}
    assert hook.get_credit().remain_credit is not None


def test_connection_extras_are_not_sent_as_headers(
    topview_simulator: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = topview_simulator
    add_connection(
        monkeypatch,
        "tv_extras",
        login="test-uid",
        password=API_KEY,
        host=sim.base_url,
        extra={"X-Leak": "yes", "timeout": 5},
    )
    fast_hook("tv_extras").get_credit()
    [entry] = sim.requests_to("credit")
    assert "X-Leak" not in entry.headers
    assert "x-leak" not in {name.lower() for name in entry.headers}


def test_missing_credentials_named(
    topview_simulator: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_connection(monkeypatch, "tv_nokey", login="test-uid", host=topview_simulator.base_url)
    with pytest.raises(Exception, match=r"password \(API key\)"):
        fast_hook("tv_nokey").get_credit()
    assert topview_simulator.journal == []


def test_wrong_key_fails_at_once_without_leaking_it(
    topview_simulator: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong_key = "sk-wrong-secret-123"
    add_connection(
        monkeypatch, "tv_wrong", login="test-uid", password=wrong_key, host=topview_simulator.base_url
    )
    with pytest.raises(TopviewAPIError) as raised:
        fast_hook("tv_wrong").get_credit()
    assert raised.value.code == "401"
    assert not raised.value.retryable
    assert wrong_key not in str(raised.value)
    assert len(topview_simulator.journal) == 1


@pytest.mark.parametrize("code", ["4000", "4004", "4100", "6001"])
def test_permanent_codes_raise_without_retry(topview_connection: TopviewSimulator, code: str) -> None:
    sim = topview_connection
    sim.inject("submit", Fault.code(code, f"simulated {code}"), times=None)
    with pytest.raises(TopviewAPIError) as raised:
        fast_hook().submit_image_to_video(build_request({"first_frame_file_id": sim.add_file("png")}))
    assert raised.value.code == code
    assert f"simulated {code}" in str(raised.value)
    assert len(sim.requests_to("submit")) == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault.http(500),
        Fault.http(502),
        Fault.http(503),
        Fault.http(429),
        Fault.code("4007"),
        Fault.code("5003"),
        Fault.code("5000"),
        Fault.drop(),
        Fault.malformed(),
        Fault.slow(3.0),
    ],
    ids=["500", "502", "503", "429", "4007", "5003", "5000", "drop", "malformed", "slow"],
)
def test_transient_query_faults_are_retried(topview_connection: TopviewSimulator, fault: Fault) -> None:
    sim = topview_connection
    hook = fast_hook(timeout=1.0)
    task_id = hook.submit_image_to_video(build_request({"first_frame_file_id": sim.add_file("png")})).task_id
    sim.inject("query", fault, times=2)
    assert hook.get_image_to_video_task(task_id).task_id == task_id
    assert len(sim.requests_to("query")) == 3


def test_retry_after_is_honoured(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    sim.inject("credit", Fault.http(429, retry_after=0.3), times=1)
    hook = fast_hook(retry_max_delay=5.0)
    hook.get_credit()
    first, second = sim.requests_to("credit")
    assert first.status == 429
    assert second.received_at - first.received_at >= 0.3


def test_retry_budget_is_bounded(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    sim.inject("credit", Fault.http(503), times=None)
    with pytest.raises(TopviewAPIError) as raised:
        fast_hook(retry_limit=3).get_credit()
    assert raised.value.code == "HTTP 503"
    assert raised.value.retryable
    assert len(sim.requests_to("credit")) == 3


def test_submit_is_retried_when_topview_says_busy(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    sim.inject("submit", Fault.code("4007", "an unfinished task exists"), times=2)
    fast_hook().submit_image_to_video(build_request({"first_frame_file_id": sim.add_file("png")}))
    assert [entry.code for entry in sim.requests_to("submit")] == ["4007", "4007", "200"]
    assert len(sim.tasks) == 1


@pytest.mark.parametrize("fault", [Fault.drop(), Fault.slow(3.0)], ids=["drop", "slow"])
def test_unanswered_submit_is_never_repeated(topview_connection: TopviewSimulator, fault: Fault) -> None:
    sim = topview_connection
    sim.inject("submit", fault, times=None)
    with pytest.raises(TopviewSubmitUncertainError, match="not sent again"):
        fast_hook(timeout=1.0).submit_image_to_video(
            build_request({"first_frame_file_id": sim.add_file("png")})
        )
    assert len(sim.requests_to("submit")) == 1


def test_unreachable_server_is_a_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    add_connection(monkeypatch, "tv_down", login="u", password=API_KEY, host="http://127.0.0.1:9")
    with pytest.raises(TopviewConnectionError, match="ConnectionError"):
        fast_hook("tv_down", retry_limit=2).get_credit()


def test_test_connection_reads_credits(topview_connection: TopviewSimulator) -> None:
    ok, message = TopviewHook().test_connection()
    assert ok
    assert "remaining credits" in message
    [entry] = topview_connection.journal
    assert (entry.method, entry.endpoint) == ("GET", "credit")


def test_test_connection_explains_bad_key(
    topview_simulator: TopviewSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_connection(
        monkeypatch, "tv_bad", login="test-uid", password="sk-bad-999", host=topview_simulator.base_url
    )
    ok, message = TopviewHook("tv_bad").test_connection()
    assert not ok
    assert "401" in message
    assert "API key" in message
    assert "sk-bad-999" not in message


def test_busy_submit_gives_up_after_busy_timeout(topview_connection: TopviewSimulator) -> None:
    sim = topview_connection
    sim.inject("submit", Fault.code("4007", "an unfinished task exists"), times=None)
    with pytest.raises(TopviewAPIError) as raised:
        fast_hook(retry_limit=2, busy_timeout=0.5).submit_image_to_video(
            build_request({"first_frame_file_id": sim.add_file("png")})
        )
    assert raised.value.code == "4007"
    submits = sim.requests_to("submit")
    assert len(submits) > 2  # the busy budget, not retry_limit, bounds the attempts
    assert submits[-1].received_at - submits[0].received_at <= 1.5
    assert sim.tasks == {}


def test_storage_requests_use_the_connections_proxies(
    topview_connection: TopviewSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = topview_connection
    hook = fast_hook()
    task = hook.get_image_to_video_task(
        hook.submit_image_to_video(build_request({"first_frame_file_id": sim.add_file("png")})).task_id
    )
    dead_proxy = "http://127.0.0.1:9"
    add_connection(
        monkeypatch,
        "tv_proxied",
        login="test-uid",
        password=API_KEY,
        host=sim.base_url,
        extra={"proxies": {"http": dead_proxy}},
    )
    with pytest.raises(TopviewConnectionError, match="ProxyError"):
        fast_hook("tv_proxied", retry_limit=1).download_video(
            str(task.videos[0].file_path), tmp_path / "v.mp4"
        )
    assert sim.requests_to("download") == []
