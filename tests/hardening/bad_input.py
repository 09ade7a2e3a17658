"""What every case of the hostile bad-input matrix asserts, in one place.

A case drives the real code path (operator, sensor or hook) against the simulator and passes when the
input fails before any request, without an Airflow retry (AirflowFailException at an operator or sensor,
a non-retryable provider error at hook level), with a message that names the parameter and the value
received and never quotes the API key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_topview.client.retries import is_retryable
from airflow_topview.exceptions import TopviewError
from airflow_topview.testing import TopviewSimulator
from airflow_topview.testing.pytest_plugin import TEST_API_KEY
from tests.conftest import HardeningReport

MATRIX = "bad inputs ({group})"
NOTE = "rejected before any request, once, naming the parameter and the value"


def is_final(error: BaseException | None) -> bool:
    """Fails without retry: AirflowFailException, or a provider error that is not retryable."""
    if isinstance(error, AirflowFailException):
        return True
    return isinstance(error, TopviewError) and not is_retryable(error)


def expect_rejected(
    report: HardeningReport,
    group: str,
    sim: TopviewSimulator,
    call: Callable[[], Any],
    *,
    parameter: str,
    shown: str | None,
    secrets: Iterable[str] = (TEST_API_KEY,),
    endpoints: Iterable[str] | None = None,
) -> str:
    """Run ``call``; record and assert that it was refused as the matrix wants. Returns the message."""
    report.note(MATRIX.format(group=group), NOTE)
    error: BaseException | None = None
    try:
        call()
    except Exception as exc:
        error = exc
    message = str(error) if error is not None else "(no error)"
    watched = set(endpoints) if endpoints is not None else None
    sent = [entry for entry in sim.journal if watched is None or entry.endpoint in watched]
    leaked = [secret for secret in secrets if secret and secret in message]
    ok = (
        is_final(error)
        and parameter in message
        and (shown is None or shown in message)
        and not leaked
        and sent == []
    )
    report.record(MATRIX.format(group=group), ok)
    assert is_final(error), f"{type(error).__name__}: {message}"
    assert parameter in message, message
    assert shown is None or shown in message, message
    assert not leaked, message
    assert sent == [], [entry.endpoint for entry in sent]
    return message


def record_accepted(report: HardeningReport, group: str, ok: bool) -> None:
    """A hostile input that is documented as accepted (and behaves as documented)."""
    matrix = f"bad inputs ({group}, documented as accepted)"
    report.note(matrix, "accepted as documented")
    report.record(matrix, ok)
