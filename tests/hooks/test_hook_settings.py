"""One model for the hooks' settings: the same checks, words and values for every operator and both hooks."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_topview.exceptions import RequestValidationError
from airflow_topview.hooks.settings import TopviewHookSettings
from airflow_topview.hooks.topview import TopviewHook
from airflow_topview.hooks.topview_async import TopviewAsyncHook
from airflow_topview.operators.budget import RunBudgetOperator, RunCostReportOperator
from airflow_topview.testing import Fault, TopviewSimulator


@pytest.mark.parametrize(
    ("hook_params", "message"),
    [
        ([1], "hook_params: must be a dict, got list"),
        ({"retries": 3}, "hook_params: unknown key(s) retries; known: retry_limit, retry_delay"),
        ({"retry_limit": 0}, "hook_params.retry_limit: must be a whole number of at least 1"),
        ({"retry_limit": True}, "hook_params.retry_limit: must be a whole number"),
        ({"timeout": [1, 2, 3]}, "hook_params.timeout: must be seconds or (connect, answer), got [1, 2, 3]"),
        ({"timeout": 0}, "hook_params.timeout: must be more than 0, got 0"),
        ({"call_timeout": 0}, "hook_params.call_timeout: must be more than 0, got 0"),
        ({"retry_delay": -1}, "hook_params.retry_delay: must be at least 0, got -1"),
        ({"busy_timeout": float("nan")}, "hook_params.busy_timeout: must be a number of seconds, got nan"),
    ],
)
def test_bad_settings_are_refused_naming_the_key_and_the_value(hook_params: Any, message: str) -> None:
    with pytest.raises(RequestValidationError) as raised:
        TopviewHookSettings.of(hook_params)
    assert message in str(raised.value)
    if isinstance(hook_params, dict):  # the hooks take them through the same model
        with pytest.raises(RequestValidationError, match="hook_params"):
            TopviewHook(**hook_params)
        with pytest.raises(RequestValidationError, match="hook_params"):
            TopviewAsyncHook(**hook_params)


def test_settings_travel_to_the_trigger_as_json_and_mean_the_same_there() -> None:
    settings = TopviewHookSettings.of({"retry_limit": 2, "timeout": (3, 30), "stall_timeout": 5})
    carried = settings.as_hook_params()
    assert carried == {"retry_limit": 2, "timeout": [3, 30], "stall_timeout": 5}
    assert TopviewHookSettings.of(carried) == settings
    worker, triggerer = TopviewHook(settings=settings), TopviewAsyncHook(**carried)
    assert worker.retry_policy == triggerer.retry_policy
    assert (
        (worker.timeout, worker.stall_timeout) == (triggerer.timeout, triggerer.stall_timeout) == ((3, 30), 5)
    )
    assert TopviewHookSettings().as_hook_params() == {}


def test_settings_or_keywords_not_both() -> None:
    with pytest.raises(TypeError, match="not both"):
        TopviewHook(settings=TopviewHookSettings(), retry_limit=2)


@pytest.mark.parametrize("operator_class", [RunBudgetOperator, RunCostReportOperator])
def test_the_budget_operators_take_hook_params(operator_class: type) -> None:
    kwargs = {"max_credits": 10, "videos": 1} if operator_class is RunBudgetOperator else {}
    operator = operator_class(task_id="t", hook_params={"retry_limit": 1}, **kwargs)
    assert operator.hook_params == {"retry_limit": 1}


def test_the_balance_check_runs_with_the_budgets_hook_params(topview_connection: TopviewSimulator) -> None:
    """``retry_limit=1``: one answer of 503 fails the check, where the default would have retried it."""
    sim = topview_connection
    sim.inject("credit", Fault.http(503), times=1)
    from airflow.sdk import DAG

    with DAG("topview_hook_settings", schedule=None):
        operator = RunBudgetOperator(
            task_id="budget", max_credits=100, videos=1, check_balance=True, hook_params={"retry_limit": 1}
        )
    with pytest.raises(Exception, match="503"):
        operator.execute({})  # type: ignore[arg-type]
    assert len(sim.requests_to("credit")) == 1
