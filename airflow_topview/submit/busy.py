"""Waiting for a free TopView slot without holding a worker slot.

TopView answers 4007 while the account runs as many tasks as its plan allows; nothing was created, so
submitting again later never pays twice. A deferrable task defers on a timer instead of sleeping in
the worker, and submits again when it resumes. How long it has been busy, and how many times it
waited, survive the resumes in ``task_state_store``, so ``busy_timeout`` and the backoff hold overall.

Before Airflow 3.3 there is no ``task_state_store`` to keep them in: a deferrable submit then waits for
a slot on the worker, as a non-deferrable one does (the hook retries 4007 until ``busy_timeout``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_topview.client.retries import RetryPolicy

BUSY_SINCE_KEY = "topview_busy_since"
BUSY_WAITS_KEY = "topview_busy_waits"


def next_busy_wait(store: Any, policy: RetryPolicy, error: BaseException) -> float | None:
    """Seconds to wait before submitting again, or None once ``busy_timeout`` has passed overall."""
    now = time.time()
    since = store.get(BUSY_SINCE_KEY)
    since = float(since) if isinstance(since, (int, float)) else now
    waits = store.get(BUSY_WAITS_KEY)
    attempt = (int(waits) if isinstance(waits, int) else 0) + 1
    delay = policy.delay_before_retry(attempt, error, now - since)
    if delay is None:
        clear_busy(store)
        return None
    store.set(BUSY_SINCE_KEY, since)
    store.set(BUSY_WAITS_KEY, attempt)
    return delay


def clear_busy(store: Any) -> None:
    """Forget the busy wait (a submit went through, or the wait gave up)."""
    store.delete(BUSY_SINCE_KEY)
    store.delete(BUSY_WAITS_KEY)


def defer_while_busy(operator: Any, store: Any, policy: RetryPolicy, error: BaseException) -> None:
    """4007: release the worker on a timer, then ``resume_after_busy`` submits again.

    Returns (and the caller raises the 4007 error, as on the worker) once ``busy_timeout`` has passed
    overall, across resumes.
    """
    from datetime import timedelta

    from airflow.providers.common.compat.standard.triggers import TimeDeltaTrigger

    from airflow_topview.deferral import min_deferral

    delay = next_busy_wait(store, policy, error)
    if delay is None:
        return
    # Never shorter than the floor: a resume sooner than that meets Airflow's defer race (deferral.py).
    delay = max(delay, min_deferral())
    operator.log.info(
        "TopView runs as many tasks as the account allows (4007): releasing the worker for %.1f s, "
        "then submitting again (nothing was created, so this never pays twice)",
        delay,
    )
    operator.defer(trigger=TimeDeltaTrigger(timedelta(seconds=delay)), method_name="resume_after_busy")
