"""Injected faults: HTTP errors, business codes, dropped connections, slow and malformed answers."""

from __future__ import annotations

import json

import aiohttp
import pytest
import requests

from airflow_topview.testing import Fault, TopviewSimulator

from .conftest import AUTH, QUERY, Api


@pytest.mark.parametrize("status", [500, 502, 503, 403])
def test_http_status_fault(api: Api, status: int) -> None:
    api.sim.inject("credit", Fault.http(status))
    resp = api.get("/user/credit/detail")
    assert resp.status_code == status
    assert "Retry-After" not in resp.headers
    entry = api.sim.requests_to("credit")[-1]
    assert (entry.status, entry.code) == (status, None)
    # one shot only
    assert api.get("/user/credit/detail").json()["code"] == "200"


def test_429_with_retry_after_and_custom_body(api: Api) -> None:
    api.sim.inject("query", Fault.http(429, retry_after=3, body="slow down"))
    resp = api.get(QUERY, taskId="x")
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "3"
    assert resp.text == "slow down"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("4007", "an unfinished task exists"),
        ("4100", None),
        ("5003", None),
        ("6001", None),
        ("401", None),
        ("4000", "prompt: too long"),
        ("4004", None),
        ("5000", None),
    ],
)
def test_code_fault(api: Api, code: str, message: str | None) -> None:
    api.sim.inject("submit", Fault.code(code, message))
    resp = api.post(
        "/v2/common_task/image2video/task/submit",
        {"model": "kling-v3", "firstFrameFileId": api.sim.add_file()},
    )
    assert resp.status_code == 200
    payload = resp.json()
    assert payload["code"] == code
    assert payload["message"] == (message or Fault.code(code).message)
    assert payload["message"]
    assert payload["result"] is None
    assert api.sim.tasks == {}, "a faulted submit must not create a task"
    assert api.sim.requests_to("submit")[-1].code == code


def test_code_fault_requires_string_code() -> None:
    with pytest.raises(TypeError):
        Fault.code(4007)  # type: ignore[arg-type]


def test_drop_gives_a_connection_error(api: Api) -> None:
    api.sim.inject("submit", Fault.drop())
    with pytest.raises(requests.ConnectionError):
        api.post(
            "/v2/common_task/image2video/task/submit",
            {"model": "kling-v3", "firstFrameFileId": api.sim.add_file()},
        )
    entry = api.sim.requests_to("submit")[-1]
    assert entry.status is None
    assert entry.code is None
    assert entry.json["model"] == "kling-v3"
    assert api.sim.tasks == {}


def test_slow_answer_times_out_the_client_but_the_work_is_done(api: Api) -> None:
    api.sim.inject("submit", Fault.slow(0.5))
    with pytest.raises(requests.Timeout):
        api.http.post(
            api.url("/v2/common_task/image2video/task/submit"),
            json={"model": "kling-v3", "firstFrameFileId": api.sim.add_file()},
            headers=AUTH,
            timeout=0.2,
        )
    # The server created the task anyway: the classic "did my submit go through?" case.
    api.sim.wait_for(lambda: api.sim.requests_to("submit")[-1].status == 200, timeout=3)
    assert len(api.sim.tasks) == 1


def test_slow_request_does_not_block_others(api: Api) -> None:
    api.sim.inject("credit", Fault.slow(0.5))
    session = requests.Session()
    with pytest.raises(requests.Timeout):
        session.get(api.url("/user/credit/detail"), headers=AUTH, timeout=0.1)
    # While the slow answer is pending, other requests are served right away.
    assert api.get("/v1/upload/credential", format="png").json()["code"] == "200"
    assert api.sim.requests_to("credit")[0].status is None  # still in flight


def test_malformed_answer_is_not_json(api: Api) -> None:
    api.sim.inject("query", Fault.malformed())
    resp = api.get(QUERY, taskId="x")
    assert resp.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(resp.text)
    with pytest.raises(requests.JSONDecodeError):
        resp.json()
    assert api.sim.requests_to("query")[-1].code is None


def test_times_counts_requests(api: Api) -> None:
    api.sim.inject("credit", Fault.http(500), times=3)
    assert api.sim.pending_faults("credit") == 3
    statuses = [api.get("/user/credit/detail").status_code for _ in range(4)]
    assert statuses == [500, 500, 500, 200]
    assert api.sim.pending_faults("credit") == 0


def test_persistent_fault_until_cleared(api: Api) -> None:
    api.sim.inject("credit", Fault.code("5003"), times=None)
    assert api.sim.pending_faults("credit") is None
    assert [api.get("/user/credit/detail").json()["code"] for _ in range(5)] == ["5003"] * 5
    api.sim.clear_faults()
    assert api.get("/user/credit/detail").json()["code"] == "200"


def test_faults_are_fifo_per_endpoint(api: Api) -> None:
    api.sim.inject("credit", Fault.http(503, retry_after=1))
    api.sim.inject("credit", Fault.code("5003"), times=2)
    api.sim.inject("query", Fault.http(502))
    first = api.get("/user/credit/detail")
    assert (first.status_code, first.headers["Retry-After"]) == (503, "1")
    assert [api.get("/user/credit/detail").json()["code"] for _ in range(3)] == ["5003", "5003", "200"]
    assert api.get(QUERY, taskId="x").status_code == 502


def test_faulted_requests_skip_auth_and_are_journaled(api: Api) -> None:
    api.sim.inject("credit", Fault.http(502))
    assert api.get("/user/credit/detail", headers={}).status_code == 502
    entry = api.sim.requests_to("credit")[-1]
    assert (entry.method, entry.path, entry.status) == ("GET", "/user/credit/detail", 502)


def test_faulted_submit_creates_no_task_but_retry_does(api: Api) -> None:
    api.sim.inject("submit", Fault.http(503))
    body = {"model": "kling-v3", "firstFrameFileId": api.sim.add_file()}
    assert api.post("/v2/common_task/image2video/task/submit", body).status_code == 503
    assert api.sim.tasks == {}
    task_id = api.submit(body)["result"]["taskId"]
    assert list(api.sim.tasks) == [task_id]


def test_fault_on_upload_reads_the_body_first(api: Api) -> None:
    cred = api.get("/v1/upload/credential", format="png").json()["result"]
    api.sim.inject("upload", Fault.http(500))
    assert requests.put(cred["uploadUrl"], data=b"x" * 100_000, timeout=5).status_code == 500
    assert api.sim.requests_to("upload")[-1].body_size == 100_000
    assert api.get("/v1/upload/check", fileId=cred["fileId"]).json()["result"] is False


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: Fault.http(99), ValueError),
        (lambda: Fault.slow(-1), ValueError),
    ],
)
def test_fault_constructors_validate(make: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        make()  # type: ignore[operator]


def test_inject_rejects_unknown_endpoint_and_bad_times(sim: TopviewSimulator) -> None:
    with pytest.raises(ValueError, match="unknown endpoint"):
        sim.inject("submitt", Fault.drop())
    with pytest.raises(ValueError, match="times"):
        sim.inject("submit", Fault.drop(), times=0)


async def test_async_client_sees_drop_slow_and_http_faults() -> None:
    async with TopviewSimulator(polls_to_finish=1) as sim:
        # aiohttp retries an idempotent request once after a disconnect, hence two drops.
        sim.inject("credit", Fault.drop(), times=2)
        # Held far longer than the test runs: under load, a short hold could end before the assertions.
        sim.inject("credit", Fault.slow(60))
        sim.inject("credit", Fault.http(429, retry_after="7"))
        url = f"{sim.base_url}/user/credit/detail"
        async with aiohttp.ClientSession(headers=AUTH) as session:
            with pytest.raises(aiohttp.ClientConnectionError):
                async with session.get(url) as resp:
                    await resp.read()
            with pytest.raises(TimeoutError):
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=0.2)) as resp:
                    await resp.read()
            async with session.get(url) as resp:
                assert resp.status == 429
                assert resp.headers["Retry-After"] == "7"
            async with session.get(url) as resp:
                assert (await resp.json())["code"] == "200"
        entries = sim.requests_to("credit")
        assert [entry.status for entry in entries] == [None, None, None, 429, 200]
        assert (entries[2].fault, entries[2].sent_bytes) == ("slow", None)  # the slow one: still in flight
