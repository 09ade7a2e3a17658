"""The retry policy: which errors repeat, how long to wait, and when to give up."""

from __future__ import annotations

import pytest

from airflow_topview.client.protocol import read_envelope
from airflow_topview.client.retries import RetryPolicy, backoff_delay
from airflow_topview.exceptions import TopviewAPIError, TopviewConnectionError

POLICY = RetryPolicy(attempts=3, base_delay=1.0, max_delay=8.0, busy_timeout=60.0)


def api_error(code: str, http_status: int = 200, retry_after: float | None = None) -> TopviewAPIError:
    return TopviewAPIError(code, "simulated", http_status=http_status, retry_after=retry_after)


@pytest.mark.parametrize("code", ["401", "4000", "4001", "4003", "4004", "4100", "6001"])
def test_permanent_codes_are_never_retried(code: str) -> None:
    assert POLICY.delay_before_retry(1, api_error(code)) is None


@pytest.mark.parametrize(
    "error",
    [
        api_error("5000"),
        api_error("5003"),
        api_error("HTTP 429", 429),
        api_error("HTTP 502", 502),
        TopviewConnectionError("reset"),
    ],
)
def test_transient_errors_retry_within_the_attempt_budget(error: Exception) -> None:
    delays = [POLICY.delay_before_retry(attempt, error) for attempt in (1, 2, 3)]
    assert delays[2] is None
    assert all(delay is not None and 0 <= delay <= 8.0 for delay in delays[:2])


def test_http_client_errors_without_envelope_are_permanent() -> None:
    assert POLICY.delay_before_retry(1, api_error("HTTP 403", 403)) is None


def test_busy_is_retried_past_the_attempt_budget_until_its_timeout() -> None:
    busy = api_error("4007")
    delay = POLICY.delay_before_retry(10, busy, elapsed=5.0)
    assert delay is not None
    assert 4.0 <= delay <= 8.0  # at least half the capped backoff: no hammering
    assert POLICY.delay_before_retry(10, busy, elapsed=60.0) is None
    assert POLICY.delay_before_retry(10, busy, elapsed=59.5) == pytest.approx(0.5)


def test_retry_after_wins_when_longer() -> None:
    assert backoff_delay(1, base=0.01, cap=30.0, retry_after=2.5) == 2.5
    assert backoff_delay(1, base=0.01, cap=1.0, retry_after=2.5) == 1.0


def test_envelope_code_is_read_before_http_status() -> None:
    body = '{"code": "4004", "message": "task not found", "result": null}'
    with pytest.raises(TopviewAPIError) as raised:
        read_envelope(200, {}, body, "/query")
    assert (raised.value.code, raised.value.message) == ("4004", "task not found")
    assert read_envelope(200, {}, '{"code": "200", "message": "Success", "result": {"a": 1}}', "/x") == {
        "a": 1
    }


def test_unreadable_body_is_a_connection_error() -> None:
    with pytest.raises(TopviewConnectionError, match="unreadable body"):
        read_envelope(200, {}, '{"code": "200", "resu', "/x")


def test_retry_limit_must_allow_one_attempt() -> None:
    with pytest.raises(ValueError, match="retry_limit"):
        RetryPolicy(attempts=0)


def test_a_paid_attempt_is_not_started_without_its_full_time() -> None:
    """After a 5003 near the deadline, a short attempt could create a task whose answer is lost."""
    from airflow_topview.client.retries import CallAttempts

    attempts = CallAttempts(POLICY, attempt_timeout=10.0, total=1.0, what="POST /submit", paid=True)
    attempts.begin()
    busy_server = api_error("5003")
    with pytest.raises(TopviewAPIError):
        attempts.delay_after(busy_server)
    reads = CallAttempts(POLICY, attempt_timeout=10.0, total=1.0, what="GET /query")
    reads.begin()
    assert reads.delay_after(busy_server) >= 0  # a read may still try within what is left


@pytest.mark.parametrize(
    ("code", "status", "verdict"),
    [
        ("502", 502, "uncertain"),  # a gateway's JSON error body: server trouble, not a refusal
        ("5002", 200, "uncertain"),  # a code nobody documented
        ("4000", 200, "rejected"),
        ("HTTP 404", 404, "rejected"),
        ("HTTP 408", 408, "uncertain"),
        ("HTTP 429", 429, "not_created"),
        ("4007", 200, "not_created"),
    ],
)
def test_submit_failures_are_classified_by_what_they_prove(code: str, status: int, verdict: str) -> None:
    from airflow_topview.client.retries import classify_submit_failure

    assert classify_submit_failure(api_error(code, status)) == verdict
