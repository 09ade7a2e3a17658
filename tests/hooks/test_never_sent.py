"""Whether a failed submit may be sent again is decided by what the failure proves, never by its text.

A request that provably never left (no connection, an unusable URL or local setting) is a plain,
retryable error naming its cause: nothing was created, so a retry (the hook's or Airflow's) cannot pay
twice and nothing stays locked. An answer from a server in trouble (HTTP 5xx) proves nothing, whatever
its body says, even a 4007: the task may exist, so it is never repeated.
"""

from __future__ import annotations

import json
import socket

import pytest

from airflow_topview.client.request import build_request
from airflow_topview.client.retries import classify_submit_failure
from airflow_topview.exceptions import TopviewConnectionError, TopviewSubmitUncertainError
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.testing import Fault, TopviewSimulator
from tests.conftest import HardeningReport

FAST = {"retry_limit": 2, "retry_delay": 0.01, "retry_max_delay": 0.02}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def connect_to(monkeypatch: pytest.MonkeyPatch, host: str, **extra: object) -> None:
    connection = {
        "conn_type": "topview",
        "login": "uid",
        "password": "sk-never-sent-key",
        "host": host,
        "extra": json.dumps(extra),
    }
    monkeypatch.setenv("AIRFLOW_CONN_TOPVIEW_DEFAULT", json.dumps(connection))


NEVER_SENT = {
    "refused": (lambda: f"http://127.0.0.1:{closed_port()}", {}, "NewConnectionError|ConnectionError"),
    "unknown host": (lambda: "http://no-such-host.invalid", {}, "resolve|Name|ConnectionError"),
    # An ftp host, a missing cert file and a negative timeout are refused when the connection is read,
    # before any request and without retries: tests/hardening/test_bad_connection.py.
}


@pytest.mark.parametrize("case", sorted(NEVER_SENT))
def test_a_submit_that_never_left_is_a_plain_retryable_error(
    case: str, monkeypatch: pytest.MonkeyPatch, hardening_report: HardeningReport
) -> None:
    host, extra, cause = NEVER_SENT[case]
    connect_to(monkeypatch, host(), **extra)
    request = build_request({"first_frame_file_id": "file-1"})
    with pytest.raises(TopviewConnectionError, match=cause) as raised:
        TopviewHook(**FAST).submit_image_to_video(request)  # type: ignore[arg-type]
    error = raised.value
    assert not isinstance(error, TopviewSubmitUncertainError)
    assert error.sent is False
    assert classify_submit_failure(error) == "not_created"
    assert "sk-never-sent-key" not in str(error)
    hardening_report.note(
        "pay once #7 round 3",
        "pay once round 3 #7: submits never sent (a refused connection, an unknown host) are plain "
        "retryable errors, decided by exception type; unusable hosts and extras are refused first",
    )


def test_http_500_with_a_busy_body_is_uncertain_and_never_repeated(
    topview_connection: TopviewSimulator,
) -> None:
    """A 4007 body on an HTTP 500 (a proxy, a server mid-crash) does not prove nothing was created."""
    sim = topview_connection
    body = json.dumps({"code": "4007", "message": "an unfinished task exists", "result": None})
    sim.inject("submit", Fault.http(500, body=body, content_type="application/json", after_accepting=True))
    request = build_request({"first_frame_file_id": sim.add_file("png")})
    with pytest.raises(TopviewSubmitUncertainError):
        TopviewHook(**FAST).submit_image_to_video(request)  # type: ignore[arg-type]
    assert len(sim.requests_to("submit")) == 1
    assert len(sim.tasks) == 1  # the task was created: a resend would have paid twice
