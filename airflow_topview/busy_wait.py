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
    from airflow_topview.retries import RetryPolicy

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
