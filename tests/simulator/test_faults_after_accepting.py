"""Faults after the work was done: the task exists although the answer is an error, a drop or a lie."""

from __future__ import annotations

import json

import aiohttp
import pytest
import requests

from airflow_topview.testing import Fault, TopviewSimulator

from .conftest import AUTH, KEY, QUERY, SUBMIT, UID, Api

COST = 0.5 * 5  # kling-v3, 720p, no sound, 5 s


def _body(api: Api) -> dict[str, object]:
    return {"model": "kling-v3", "firstFrameFileId": api.sim.add_file(), "duration": 5}


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (Fault.http(502, after_accepting=True), 502, None),
        (Fault.http(500, body="oops", after_accepting=True), 500, None),
        (Fault.code("5000", after_accepting=True), 200, "5000"),
        (Fault.code("5001", "timeout", after_accepting=True), 200, "5001"),
        (Fault.malformed(after_accepting=True), 200, None),
    ],
)
def test_submit_answered_with_an_error_after_the_task_was_created(
    api: Api, fault: Fault, status: int, code: str | None
) -> None:
    api.sim.inject("submit", fault)
    resp = api.post(SUBMIT, _body(api))
    assert resp.status_code == status
    if code is not None:
        assert resp.json()["code"] == code
        assert resp.json()["result"] is None
    (task,) = api.sim.tasks.values()
    assert task.status == "init"
    assert task.estimated_cost == pytest.approx(COST)
    assert api.sim.reserved_credits == pytest.approx(COST)
    credit = api.get("/user/credit/detail").json()["result"]
    assert credit["remainCredit"] == pytest.approx(10000.0 - COST)
    entry = api.sim.requests_to("submit")[-1]
    assert (entry.status, entry.code) == (status, code)
    assert entry.fault == fault.kind
    assert entry.handler_code == "200"  # the endpoint itself accepted the task
    assert entry.json["model"] == "kling-v3"
    # The task lives on as any other: a query finds it and it completes.
    assert api.run_to_end(task.task_id)["status"] == "success"
    assert api.sim.reserved_credits == 0


def test_drop_after_accepting_leaves_a_task_and_no_answer(api: Api) -> None:
    api.sim.inject("submit", Fault.drop(after_accepting=True))
    with pytest.raises(requests.ConnectionError):
        api.post(SUBMIT, _body(api))
    # The client may see the abort before the simulator closes the journal entry.
    entry = api.sim.wait_for(lambda: [e for e in api.sim.requests_to("submit") if e.sent_bytes is not None])[
        0
    ]
    assert (entry.status, entry.code, entry.handler_code) == (None, None, "200")
    assert entry.sent_bytes == 0
    assert len(api.sim.tasks) == 1
    assert api.sim.requests_to("submit")[-1].json["duration"] == 5


def test_drop_before_accepting_still_creates_nothing(api: Api) -> None:
    api.sim.inject("submit", Fault.drop())
    with pytest.raises(requests.ConnectionError):
        api.post(SUBMIT, _body(api))
    entry = api.sim.requests_to("submit")[-1]
    assert (entry.status, entry.fault, entry.handler_code) == (None, "drop", None)
    assert api.sim.tasks == {}
    assert api.sim.reserved_credits == 0


def test_after_accepting_query_still_advances_the_task(api: Api) -> None:
    api.sim.polls_to_finish = 1
    task_id = api.submit_ok()
    api.sim.inject("query", Fault.http(503, retry_after=2, after_accepting=True))
    resp = api.get(QUERY, taskId=task_id)
    assert (resp.status_code, resp.headers["Retry-After"]) == (503, "2")
    task = api.sim.tasks[task_id]
    assert (task.polls, task.status) == (1, "success")  # the unanswered poll finished it


def test_after_accepting_upload_stores_the_file(api: Api) -> None:
    cred = api.get("/v1/upload/credential", format="png").json()["result"]
    api.sim.inject("upload", Fault.http(500, after_accepting=True))
    assert requests.put(cred["uploadUrl"], data=b"x" * 50_000, timeout=5).status_code == 500
    record = api.sim.files[cred["fileId"]]
    assert (record.uploaded, record.size) == (True, 50_000)
    entry = api.sim.requests_to("upload")[-1]
    assert (entry.status, entry.body_size, entry.fault) == (500, 50_000, "http")


@pytest.mark.parametrize(
    "value",
    [None, {"taskId": 123}, {"taskId": 123, "status": "success"}, [], "ok"],
)
def test_result_fault_answers_200_of_the_wrong_shape_after_the_work(api: Api, value: object) -> None:
    api.sim.inject("submit", Fault.result(value))
    resp = api.post(SUBMIT, _body(api))
    assert resp.status_code == 200
    assert resp.json() == {"code": "200", "message": "Success", "result": value}
    (task,) = api.sim.tasks.values()
    assert task.task_id != "123"
    entry = api.sim.requests_to("submit")[-1]
    assert (entry.code, entry.fault, entry.handler_code) == ("200", "result", "200")


def test_result_fault_on_query_hides_the_real_answer(api: Api) -> None:
    task_id = api.submit_ok()
    api.sim.inject("query", Fault.result({"taskId": task_id, "status": "success"}))
    assert api.query(task_id)["result"] == {"taskId": task_id, "status": "success"}
    assert api.sim.tasks[task_id].polls == 1


def test_result_fault_rejects_what_json_cannot_carry() -> None:
    with pytest.raises(ValueError, match="JSON"):
        Fault.result(object())


def test_http_fault_sends_raw_bytes_as_html(api: Api) -> None:
    page = b"<html>\xff\xfe bad gateway</html>"
    api.sim.inject("query", Fault.http(502, body=page))
    resp = api.get(QUERY, taskId="x")
    assert resp.status_code == 502
    assert resp.content == page
    assert resp.headers["Content-Type"] == "text/html"
    assert api.sim.requests_to("query")[-1].sent_bytes == len(page)


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"\x00\x01 binary", None, "text/plain"),
        ("<!DOCTYPE html><p>x</p>", None, "text/html; charset=utf-8"),
        ("plain words", None, "text/plain; charset=utf-8"),
        (b"{}", "application/json", "application/json"),
    ],
)
def test_http_fault_content_types(
    api: Api, body: str | bytes, content_type: str | None, expected: str
) -> None:
    api.sim.inject("credit", Fault.http(500, body=body, content_type=content_type))
    resp = api.get("/user/credit/detail")
    assert resp.headers["Content-Type"] == expected
    assert resp.content == (body if isinstance(body, bytes) else body.encode())


ENDPOINT_CALLS = {
    "submit": lambda api: api.post(SUBMIT, _body(api)),
    "query": lambda api: api.get(QUERY, taskId="0" * 32),
    "credential": lambda api: api.get("/v1/upload/credential", format="png"),
    "check": lambda api: api.get("/v1/upload/check", fileId="nope"),
    "credit": lambda api: api.get("/user/credit/detail"),
    "notice_check": lambda api: api.post("/notice/notice_url/check", noticeUrl="http://127.0.0.1/x"),
}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINT_CALLS))
def test_echo_auth_page_quotes_the_headers_verbatim(api: Api, endpoint: str) -> None:
    api.sim.inject(endpoint, Fault.echo_auth())
    resp = ENDPOINT_CALLS[endpoint](api)
    assert resp.status_code == 502
    assert resp.headers["Content-Type"].startswith("text/html")
    assert f"Authorization: Bearer {KEY}" in resp.text
    assert f"Topview-Uid: {UID}" in resp.text
    entry = api.sim.requests_to(endpoint)[-1]
    assert (entry.status, entry.code, entry.fault, entry.handler_code) == (502, None, "echo_auth", None)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINT_CALLS))
def test_echo_auth_envelope_quotes_the_key_in_its_message(api: Api, endpoint: str) -> None:
    api.sim.inject(endpoint, Fault.echo_auth(code="4000"))
    resp = ENDPOINT_CALLS[endpoint](api)
    assert resp.status_code == 200
    payload = resp.json()
    assert payload["code"] == "4000"
    assert f"Authorization: Bearer {KEY}" in payload["message"]
    assert payload["result"] is None
    assert api.sim.requests_to(endpoint)[-1].code == "4000"


def test_echo_auth_quotes_whatever_was_sent(api: Api) -> None:
    odd = {"Topview-Uid": "someone", "Authorization": "Bearer sk-not-the-key x"}
    api.sim.inject("credit", Fault.echo_auth(http_status=500))
    resp = api.get("/user/credit/detail", headers=odd)
    assert resp.status_code == 500
    assert "Authorization: Bearer sk-not-the-key x" in resp.text
    assert "Topview-Uid: someone" in resp.text


def test_echo_auth_after_accepting_creates_the_task(api: Api) -> None:
    api.sim.inject("submit", Fault.echo_auth(code="5000", after_accepting=True))
    resp = api.post(SUBMIT, _body(api))
    assert resp.json()["code"] == "5000"
    assert KEY in resp.json()["message"]
    assert len(api.sim.tasks) == 1
    assert api.sim.requests_to("submit")[-1].handler_code == "200"


def test_echo_auth_validates() -> None:
    with pytest.raises(ValueError, match="status"):
        Fault.echo_auth(http_status=700)
    with pytest.raises(TypeError):
        Fault.echo_auth(code=4000)  # type: ignore[arg-type]


def test_credit_detail_has_the_documented_fields(api: Api) -> None:
    result = api.get("/user/credit/detail").json()["result"]
    assert set(result) == {"uid", "remainCredit", "usedCredit", "expiredTime"}
    assert result["uid"] == UID
    assert result["remainCredit"] == 10000.0
    assert result["usedCredit"] == 0
    assert isinstance(result["expiredTime"], str)
    assert result["expiredTime"][:2] == "20"
    assert json.dumps(result)


async def test_async_client_meets_after_accepting_faults() -> None:
    async with TopviewSimulator(polls_to_finish=1) as sim:
        sim.inject("submit", Fault.http(504, after_accepting=True))
        body = {"model": "kling-v3", "firstFrameFileId": sim.add_file()}
        async with (
            aiohttp.ClientSession(headers=AUTH) as session,
            session.post(f"{sim.base_url}{SUBMIT}", json=body) as resp,
        ):
            assert resp.status == 504
            assert await resp.text() == "504 Gateway Timeout"
        assert len(sim.tasks) == 1
