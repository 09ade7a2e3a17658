"""The journal: what tests read to assert on a client's requests; it must never print the API key."""

from __future__ import annotations

import json
import logging
import socket
import threading

import pytest
import requests

from airflow_topview.testing import Fault, JournalEntry, TopviewSimulator

from .conftest import AUTH, KEY, QUERY, SUBMIT, UID, Api, send_raw


def test_entries_record_the_request_and_the_answer(api: Api) -> None:
    file_id = api.sim.add_file()
    task_id = api.submit_ok(model="kling-v3", firstFrameFileId=file_id, prompt="a dog")
    api.query(task_id)
    submit, query = api.sim.journal
    assert submit.endpoint == "submit"
    assert (submit.method, submit.path, submit.query) == ("POST", SUBMIT, {})
    assert submit.json == {"model": "kling-v3", "firstFrameFileId": file_id, "prompt": "a dog"}
    assert submit.body_size == int(submit.headers["Content-Length"]) > 0
    assert submit.headers["Topview-Uid"] == UID
    assert submit.headers["Authorization"] == f"Bearer {KEY}"  # kept as received, for assertions
    assert (submit.status, submit.code) == (200, "200")
    assert query.endpoint == "query"
    assert (query.method, query.path) == ("GET", QUERY)
    assert query.query == {"taskId": task_id, "needCloudFrontUrl": "true"}
    assert query.json is None
    assert query.body_size == 0


def test_journal_is_a_snapshot(api: Api) -> None:
    api.get("/user/credit/detail")
    journal = api.sim.journal
    journal.clear()
    assert len(api.sim.journal) == 1


def test_entries_are_frozen(api: Api) -> None:
    api.get("/user/credit/detail")
    entry = api.sim.journal[0]
    with pytest.raises(AttributeError):
        entry.status = 500  # type: ignore[misc]


def test_requests_to_filters_by_endpoint(api: Api) -> None:
    api.get("/user/credit/detail")
    api.get("/v1/upload/credential", format="png")
    api.get("/user/credit/detail")
    assert [e.endpoint for e in api.sim.requests_to("credit")] == ["credit", "credit"]
    assert [e.query for e in api.sim.requests_to("credential")] == [{"format": "png"}]


def test_repr_redacts_authorization(api: Api) -> None:
    api.get("/user/credit/detail")
    entry = api.sim.journal[0]
    text = repr(entry)
    assert KEY not in text
    assert "Authorization" in text
    assert "***" in text
    assert KEY not in str(entry)
    assert KEY not in repr(api.sim.journal)


def test_simulator_logs_never_show_the_key(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.get("/user/credit/detail")
    api.submit_ok(noticeUrl="http://127.0.0.1:9/cb")
    api.get("/user/credit/detail", headers={"Topview-Uid": UID, "Authorization": "Bearer sk-wrong-secret"})
    assert any("/user/credit/detail" in record.getMessage() for record in caplog.records)
    assert KEY not in caplog.text
    assert "sk-wrong-secret" not in caplog.text


def test_unknown_paths_are_journaled_as_unknown(api: Api) -> None:
    resp = api.get("/v9/nothing/here")
    assert resp.status_code == 404
    assert resp.json()["code"] == "404"
    entry = api.sim.journal[-1]
    assert (entry.endpoint, entry.path, entry.status) == ("unknown", "/v9/nothing/here", 404)


def test_journal_is_consistent_under_concurrent_clients(api: Api) -> None:
    def hammer() -> None:
        with requests.Session() as session:
            for _ in range(10):
                assert session.get(api.url("/user/credit/detail"), headers=AUTH, timeout=5).status_code == 200

    threads = [threading.Thread(target=hammer) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    journal = api.sim.journal
    assert len(journal) == 50
    assert all(isinstance(e, JournalEntry) and e.status == 200 for e in journal)


def test_wait_for_returns_the_value_or_raises_timeout(sim: TopviewSimulator) -> None:
    assert sim.wait_for(lambda: 42) == 42
    with pytest.raises(TimeoutError):
        sim.wait_for(lambda: sim.journal, timeout=0.1)


def test_wait_for_wakes_up_on_requests_from_other_threads(api: Api) -> None:
    timer = threading.Timer(0.05, lambda: api.get("/user/credit/detail"))
    timer.start()
    entry = api.sim.wait_for(lambda: api.sim.requests_to("credit") and api.sim.requests_to("credit")[0])
    timer.join()
    assert entry.status in (None, 200)
    assert api.sim.wait_for(lambda: api.sim.journal[0].status == 200)


def test_an_in_flight_submit_shows_its_body(sim: TopviewSimulator) -> None:
    """The entry is replaced as soon as the body is read, not only when the answer goes out."""
    sim.inject("submit", Fault.slow(60))
    body = {"model": "kling-v3", "firstFrameFileId": sim.add_file(), "prompt": "a dog"}
    with send_raw(sim, "POST", SUBMIT, body):
        entry = sim.wait_for(lambda: [e for e in sim.requests_to("submit") if e.json is not None])[0]
        assert entry.json == body
        assert entry.body_size == len(json.dumps(body))
        assert (entry.status, entry.code, entry.sent_bytes) == (None, None, None)  # still in flight
        # Once the handler has run (a step after the body was read), the held answer's entry shows
        # that the task exists already.
        held = sim.wait_for(lambda: [e for e in sim.requests_to("submit") if e.fault == "slow"])[0]
        assert (held.handler_code, held.status, held.sent_bytes) == ("200", None, None)
        assert len(sim.tasks) == 1


def test_a_client_breaking_off_mid_body_leaves_no_entry_in_flight(sim: TopviewSimulator) -> None:
    """``sent_bytes is None`` means in flight; a body that never fully arrived closes as dropped."""
    head = (
        f"POST {SUBMIT} HTTP/1.1\r\nHost: x\r\nTopview-Uid: {UID}\r\nAuthorization: Bearer {KEY}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    with socket.create_connection((sim.host, sim.port), timeout=5) as sock:
        sock.sendall(head.encode() + b'{"model": "kl')
        sim.wait_for(lambda: sim.requests_to("submit"))
    entry = sim.wait_for(lambda: [e for e in sim.requests_to("submit") if e.sent_bytes is not None])[0]
    assert (entry.status, entry.sent_bytes, entry.json) == (None, 0, None)
    assert sim.tasks == {}
