"""The one boundary from provider errors to an Airflow task's outcome, used by the operators and sensor.

Helpers raise provider errors (:mod:`airflow_topview.exceptions`) and never decide whether a task retries.
Here an error a retry cannot fix (bad input or settings, a budget refusal, a permanent TopView answer, a
submit that may have been paid for, a TopView task that failed) fails the task without Airflow's retries;
a transient one (TopView busy or unreachable past the hook's own retries, a wait's timeout, a cancelled
transfer) is left to Airflow's retries.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_topview.exceptions import CatalogError, RequestValidationError, TopviewError, UnknownCostError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

F = TypeVar("F", bound="Callable[..., Any]")


@contextmanager
def task_outcome() -> Iterator[None]:
    """Fail the task (no retries) on a final provider error; let transient ones reach Airflow's retries."""
    try:
        yield
    except (RequestValidationError, CatalogError, UnknownCostError) as exc:
        raise AirflowFailException(str(exc)) from None
    except TopviewError as exc:
        from airflow_topview.client.retries import is_retryable  # not at DAG parse time

        if is_retryable(exc):
            raise
        raise AirflowFailException(str(exc)) from None


def decides_outcome(method: F) -> F:
    """Run an operator's or sensor's entry point (execute, poke, a resume) inside :func:`task_outcome`."""

    @functools.wraps(method)
    def decided(*args: Any, **kwargs: Any) -> Any:
        with task_outcome():
            return method(*args, **kwargs)

    return cast("F", decided)
