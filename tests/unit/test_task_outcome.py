"""The one boundary from provider errors to a task's outcome: what fails at once, what Airflow retries."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_topview.exceptions import (
    CatalogError,
    RequestValidationError,
    TopviewAPIError,
    TopviewBudgetError,
    TopviewChangedRequestError,
    TopviewConnectionError,
    TopviewCredentialsError,
    TopviewSubmitUncertainError,
    TopviewTaskFailedError,
    TopviewWaitEventError,
    TopviewWaitTimeout,
    TransferCancelledError,
    UnknownCostError,
)
from airflow_topview.task_outcome import decides_outcome, task_outcome

FINAL = [
    RequestValidationError("prompt: must be text, got 3"),
    CatalogError("models.json: not valid JSON"),
    UnknownCostError("no rate for model x"),
    TopviewBudgetError("max_credits: 40 credits estimated, over 10"),
    TopviewChangedRequestError("rendered differently"),
    TopviewCredentialsError("no API key"),
    TopviewSubmitUncertainError("submit answered 502"),
    TopviewTaskFailedError("TopView task t failed: bad image"),
    TopviewWaitEventError("no topview_task_id"),
    TopviewAPIError("4001", "invalid parameter"),
]
LEFT_TO_AIRFLOW = [
    TopviewConnectionError("connection refused"),
    TopviewAPIError("4007", "busy"),
    TopviewWaitTimeout("still running at the deadline"),
    TransferCancelledError("download cancelled"),
    ValueError("a library's own ValueError is not a verdict on the input"),
]


@pytest.mark.parametrize("error", FINAL, ids=lambda error: type(error).__name__)
def test_final_errors_fail_the_task_with_their_message(error: Exception) -> None:
    with pytest.raises(AirflowFailException) as raised, task_outcome():
        raise error
    assert str(raised.value) == str(error)


@pytest.mark.parametrize("error", LEFT_TO_AIRFLOW, ids=lambda error: type(error).__name__)
def test_transient_errors_reach_airflows_retries_unchanged(error: Exception) -> None:
    with pytest.raises(type(error)) as raised, task_outcome():
        raise error
    assert raised.value is error


def test_the_decorator_keeps_the_method_and_its_result() -> None:
    class Operator:
        @decides_outcome
        def execute(self, context: object) -> str:
            """Submit."""
            if context == "bad":
                raise TopviewBudgetError("over budget")
            return "task-id"

    assert Operator().execute("ok") == "task-id"
    assert Operator.execute.__doc__ == "Submit."
    with pytest.raises(AirflowFailException, match="over budget"):
        Operator().execute("bad")
